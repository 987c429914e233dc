// A review's findings as a SARIF 2.1.0 log, for SARIF viewers and code scanning uploads. Pure: it
// builds the object and writes nothing; no finding's file is opened or looked at, its place is judged
// from its text alone (findings.ts' lexicalPlace). A finding whose path is outside the workspace or no
// usable name gets no location: its path is given in the result's message and properties instead.
//
// Shape: one run; the tool driver `codex-jobs` with one rule per severity that occurs (levels from
// severity: critical and high are errors, medium and unknown warnings, low notes); each result's
// location relative to `%SRCROOT%` (the workspace root, also given as a file URI in
// originalUriBaseIds); the job id and the review's target in the run's properties.
import { createHash } from 'crypto';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { MAX_FINDINGS, SEVERITIES, lexicalPlace } from './findings';
import type { Finding, Severity } from './findings';
import { normalizeTitle } from './reviewSeries';
import type { ReviewTarget } from './reviewSeries';
import { safeBody, safeLine } from '../vocab/terminalText';

export const SARIF_VERSION = '2.1.0';
export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const SARIF_TOOL_NAME = 'codex-jobs';
export const SRCROOT = '%SRCROOT%';

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifMessage {
  text: string;
}

export interface SarifRule {
  id: string;
  name: string;
  shortDescription: SarifMessage;
  defaultConfiguration: { level: SarifLevel };
  properties: { severity: Severity | 'unknown'; tags: string[] };
}

export interface SarifLocation {
  physicalLocation: {
    artifactLocation: { uri: string; uriBaseId: string };
    region?: { startLine: number; endLine?: number };
  };
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: SarifMessage;
  locations?: SarifLocation[];
  partialFingerprints?: Record<string, string>;
  properties: Record<string, unknown>;
}

export interface SarifRun {
  tool: { driver: { name: string; version: string; informationUri?: string; rules: SarifRule[] } };
  originalUriBaseIds?: Record<string, { uri: string; description?: SarifMessage }>;
  results: SarifResult[];
  columnKind: 'utf16CodeUnits';
  properties: Record<string, unknown>;
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: [SarifRun];
}

export interface SarifInput {
  findings: readonly (Finding & { priority?: number })[];
  /** Codex Jobs' version, for the tool driver. */
  toolVersion: string;
  /** The workspace the review looked at: locations are relative to it. */
  workspaceRoot: string;
  jobId: string;
  /** What the review looked at (reviewSeries' reviewTargetOf), or the companion's label for it. */
  target?: ReviewTarget | string;
  /** `review` (native) or `adversarial-review`. */
  reviewKind?: string;
  /** How many findings the review holds, when more than `findings` (they were not kept). */
  total?: number;
  informationUri?: string;
  /** Leave out the results that have no location (GitHub code scanning rejects them); counted in the run's properties. */
  omitUnlocated?: boolean;
  /** Give the workspace root's file URI in originalUriBaseIds (default true: viewers need it to open files). */
  includeRootUri?: boolean;
  limit?: number;
}

const MAX_TEXT = 4000;
const cut = (s: string, max = MAX_TEXT): string => (s.length > max ? `${s.slice(0, max)}…` : s);

const LEVELS: Readonly<Record<Severity | 'unknown', SarifLevel>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  unknown: 'warning',
};

const RULE_NAMES: Readonly<Record<Severity | 'unknown', string>> = {
  critical: 'CriticalReviewFinding',
  high: 'HighSeverityReviewFinding',
  medium: 'MediumSeverityReviewFinding',
  low: 'LowSeverityReviewFinding',
  unknown: 'UnratedReviewFinding',
};

export const sarifRuleId = (severity: Severity | 'unknown'): string => `codex-review/${severity}`;

function ruleOf(severity: Severity | 'unknown'): SarifRule {
  return {
    id: sarifRuleId(severity),
    name: RULE_NAMES[severity],
    shortDescription: {
      text:
        severity === 'unknown'
          ? 'A Codex review finding with no severity (or priority tag) given.'
          : `A Codex review finding of ${severity} severity.`,
    },
    defaultConfiguration: { level: LEVELS[severity] },
    properties: { severity, tags: ['codex-review'] },
  };
}

/** A relative path as a URI reference: `/` between segments, each segment percent-encoded. */
function relativeUri(rel: string): string {
  return rel
    .split(/[\\/]+/)
    .filter(Boolean)
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/** The workspace root as a file URI ending in `/`, as originalUriBaseIds wants it. */
function rootUri(root: string): string | undefined {
  try {
    const href = pathToFileURL(root).href;
    return href.endsWith('/') ? href : `${href}/`;
  } catch {
    return undefined;
  }
}

type Place = { ok: true; uri: string; rel: string } | { ok: false; reason: string; message?: string };

/** Where a finding's path lands, judged by its text: a URI under the root, or why there is none. */
function placeOf(root: string, file: string | undefined): Place {
  if (!file) return { ok: false, reason: 'no-file' };
  const place = lexicalPlace(root, file);
  if (!('inside' in place)) return { ok: false, reason: place.reason, message: place.message };
  const rel = path.relative(path.resolve(root), place.abs);
  const uri = relativeUri(rel);
  if (!uri) return { ok: false, reason: 'invalid', message: `${file} names the workspace itself, not a file in it.` };
  return { ok: true, uri, rel: uri };
}

function messageOf(f: Finding, unlocated: string | undefined): string {
  const parts = [safeLine(cut(f.title || '(untitled finding)'))];
  if (f.body) parts.push(safeBody(cut(f.body)));
  if (f.recommendation) parts.push(`Recommendation: ${safeBody(cut(f.recommendation))}`);
  if (unlocated) parts.push(`Location not given: ${safeLine(cut(unlocated))}`);
  return parts.join('\n\n');
}

const fingerprint = (rel: string, title: string): string =>
  createHash('sha256')
    .update(`${rel}\u0000${normalizeTitle(title)}`)
    .digest('hex')
    .slice(0, 32);

function resultOf(f: Finding & { priority?: number }, root: string, ruleIndex: Map<string, number>): SarifResult {
  const severity = f.severity;
  const ruleId = sarifRuleId(severity);
  const place = placeOf(root, f.file);
  const properties: Record<string, unknown> = { severity, findingIndex: f.index };
  if (f.priority !== undefined) properties.priority = `P${f.priority}`;
  if (f.confidence !== undefined) properties.confidence = f.confidence;
  let unlocated: string | undefined;
  if (!place.ok && place.reason !== 'no-file') {
    unlocated = place.message ?? `${f.file} is not a usable path.`;
    properties.unlocatedFile = f.file;
    properties.locationProblem = place.reason;
  }
  const result: SarifResult = {
    ruleId,
    ruleIndex: ruleIndex.get(ruleId)!,
    level: LEVELS[severity],
    message: { text: messageOf(f, unlocated) },
    properties,
  };
  if (place.ok) {
    const loc: SarifLocation = { physicalLocation: { artifactLocation: { uri: place.uri, uriBaseId: SRCROOT } } };
    if (f.lineStart !== undefined && f.lineStart >= 1) {
      loc.physicalLocation.region = { startLine: f.lineStart };
      if (f.lineEnd !== undefined && f.lineEnd >= f.lineStart) loc.physicalLocation.region.endLine = f.lineEnd;
    }
    result.locations = [loc];
    result.partialFingerprints = { 'codexJobsFinding/v1': fingerprint(place.rel, f.title) };
  }
  return result;
}

function targetProperties(target: ReviewTarget | string | undefined): Record<string, string> | undefined {
  if (target === undefined) return undefined;
  if (typeof target === 'string') return { label: cut(target, 1000) };
  const out: Record<string, string> = { mode: target.mode };
  if (target.label) out.label = cut(target.label, 1000);
  if (target.baseRef) out.baseRef = cut(target.baseRef, 1000);
  if (target.sha) out.sha = cut(target.sha, 1000);
  return out;
}

/** The SARIF 2.1.0 log of one review's findings (at most `limit` of them, MAX_FINDINGS by default). */
export function buildSarif(input: SarifInput): SarifLog {
  const limit = Math.max(0, input.limit ?? MAX_FINDINGS);
  const findings = input.findings.slice(0, limit);
  const present = new Set(findings.map((f) => f.severity));
  const rules = [...SEVERITIES, 'unknown' as const].filter((s) => present.has(s)).map(ruleOf);
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const all = findings.map((f) => resultOf(f, input.workspaceRoot, ruleIndex));
  const results = input.omitUnlocated ? all.filter((r) => r.locations) : all;
  const properties: Record<string, unknown> = {
    jobId: input.jobId,
    findingsTotal: Math.max(input.total ?? 0, input.findings.length),
    findingsIncluded: results.length,
    findingsWithoutLocation: all.filter((r) => !r.locations).length,
  };
  if (input.omitUnlocated) properties.findingsOmittedWithoutLocation = all.length - results.length;
  if (input.reviewKind) properties.reviewKind = input.reviewKind;
  const target = targetProperties(input.target);
  if (target) properties.reviewTarget = target;
  const run: SarifRun = {
    tool: { driver: { name: SARIF_TOOL_NAME, version: input.toolVersion, rules } },
    results,
    columnKind: 'utf16CodeUnits',
    properties,
  };
  if (input.informationUri) run.tool.driver.informationUri = input.informationUri;
  const base = input.includeRootUri === false ? undefined : rootUri(path.resolve(input.workspaceRoot));
  if (base) run.originalUriBaseIds = { [SRCROOT]: { uri: base, description: { text: 'The workspace root.' } } };
  return { $schema: SARIF_SCHEMA, version: SARIF_VERSION, runs: [run] };
}

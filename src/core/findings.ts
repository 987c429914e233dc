// A review's structured result (verdict, summary, findings, next steps) and a task's touched files,
// read tolerantly from a job record. The companion writes `result.result` from Codex's own output:
// anything can be missing or of the wrong type, and a hostile record can hold any number of findings.
import { BoundedCache } from './boundedCache';
import { promises as fs } from 'fs';
import * as path from 'path';
import type { Job } from './types';

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

export interface Finding {
  /** Position in the record's findings array. */
  index: number;
  /** `unknown` when the record's value is not one of the schema's four. */
  severity: Severity | 'unknown';
  title: string;
  body?: string;
  /** As the record gives it (relative to the repository root, or absolute). */
  file?: string;
  /** 1-based, clamped to sane integers; lineEnd >= lineStart. */
  lineStart?: number;
  lineEnd?: number;
  confidence?: number;
  recommendation?: string;
}

export interface ReviewResult {
  verdict?: string;
  summary?: string;
  /** At most `limit` findings, in the record's order. */
  findings: Finding[];
  /** How many the record holds (findings.length may be less: the rest are not shown). */
  total: number;
  /** Entries left out because they are not findings (not objects, or neither title nor body). */
  dropped: number;
  nextSteps: string[];
  /** What was wrong with the record's result (never thrown). */
  warnings: string[];
}

/** How many findings are kept from one record: enough for any real review, bounded for a hostile one. */
export const MAX_FINDINGS = 1000;
const MAX_TEXT = 4000;
const MAX_LINE = 10_000_000;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() ? (v.length > MAX_TEXT ? `${v.slice(0, MAX_TEXT)}…` : v) : undefined;
const line = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 1 ? Math.min(Math.floor(v), MAX_LINE) : undefined;

/**
 * Parsed once per result object: the model re-renders unchanged jobs often. Bounded by count and by
 * the output text parsed (each record may hold megabytes of it), the least recently used dropped.
 */
const structuredCache = new BoundedCache<object, unknown>(256, 64 * 1024 * 1024);

/** The structured review payload of a record: `result.result`, or `result.rawOutput` parsed when that is missing. */
function structuredOf(result: unknown): unknown {
  if (!isObj(result)) return undefined;
  if (structuredCache.has(result)) return structuredCache.get(result);
  const v = structuredUncached(result);
  const raw = result.rawOutput;
  structuredCache.set(result, v, v !== undefined && v !== result.result && typeof raw === 'string' ? raw.length : 0);
  return v;
}

function structuredUncached(result: Record<string, unknown>): unknown {
  if (isObj(result.result)) return result.result;
  const raw = result.rawOutput;
  if (typeof raw === 'string' && raw.trimStart().startsWith('{') && raw.length <= 8 * 1024 * 1024) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Is this job a review whose record has a structured result to show? */
export function hasReviewResult(job: Job): boolean {
  // Only reviews: a task's rawOutput is free text and never parsed for findings.
  const d = job.display;
  const review = d.kind === 'review' || d.kind === 'adversarial-review' || d.jobClass === 'review';
  return review && isObj(structuredOf(d.result));
}

/** Parses a record's `result` into a review result; undefined when it holds no structured review. */
export function parseReviewResult(result: unknown, limit = MAX_FINDINGS): ReviewResult | undefined {
  const s = structuredOf(result);
  if (!isObj(s)) return undefined;
  const warnings: string[] = [];
  const out: ReviewResult = {
    verdict: text(s.verdict),
    summary: text(s.summary),
    findings: [],
    total: 0,
    dropped: 0,
    nextSteps: [],
    warnings,
  };
  if (s.findings !== undefined && !Array.isArray(s.findings)) {
    warnings.push(`The review's findings are not a list (${typeof s.findings}); none are shown.`);
  } else if (Array.isArray(s.findings)) {
    out.total = s.findings.length;
    let bad = 0;
    for (let i = 0; i < s.findings.length && out.findings.length < limit; i++) {
      const f = parseFinding(s.findings[i], i);
      if (f) out.findings.push(f);
      else bad++;
    }
    out.dropped = bad;
    if (bad) warnings.push(`${bad} finding(s) are not objects with a title or body and are left out.`);
    if (out.total > out.findings.length + bad)
      warnings.push(`${out.total - out.findings.length - bad} more finding(s) are not shown (at most ${limit}).`);
  }
  if (Array.isArray(s.next_steps)) {
    for (const step of s.next_steps.slice(0, 100)) {
      const t = text(step);
      if (t) out.nextSteps.push(t);
    }
  } else if (s.next_steps !== undefined) warnings.push("The review's next steps are not a list.");
  return out;
}

function parseFinding(v: unknown, index: number): Finding | undefined {
  if (!isObj(v)) return undefined;
  const title = text(v.title);
  const body = text(v.body);
  if (!title && !body) return undefined;
  const sev = typeof v.severity === 'string' ? v.severity.trim().toLowerCase() : '';
  const lineStart = line(v.line_start);
  let lineEnd = line(v.line_end);
  if (lineStart !== undefined && (lineEnd === undefined || lineEnd < lineStart)) lineEnd = lineStart;
  const conf = typeof v.confidence === 'number' && Number.isFinite(v.confidence) ? v.confidence : undefined;
  return {
    index,
    severity: (SEVERITIES as readonly string[]).includes(sev) ? (sev as Severity) : 'unknown',
    title: title ?? firstLine(body!),
    body,
    file: text(v.file),
    lineStart,
    lineEnd: lineStart !== undefined ? lineEnd : undefined,
    confidence: conf,
    recommendation: text(v.recommendation),
  };
}

function firstLine(s: string): string {
  const l = s.split(/\r?\n/, 1)[0].trim();
  return l.length > 120 ? `${l.slice(0, 117)}...` : l;
}

/** `file:line` (or `file:start-end`), as the companion renders it. */
export function findingLocation(f: Pick<Finding, 'file' | 'lineStart' | 'lineEnd'>): string {
  if (!f.file) return '(no file)';
  if (f.lineStart === undefined) return f.file;
  return f.lineEnd !== undefined && f.lineEnd !== f.lineStart
    ? `${f.file}:${f.lineStart}-${f.lineEnd}`
    : `${f.file}:${f.lineStart}`;
}

export type Located =
  | { ok: true; path: string }
  | { ok: false; reason: 'no-file' | 'outside' | 'missing' | 'not-file'; path?: string; message: string };

/**
 * Where a finding's file is, if it may be opened: inside the workspace root (after following links)
 * and a regular file. Anything else is listed, never opened.
 */
export async function locateFinding(workspaceRoot: string, file: string | undefined): Promise<Located> {
  if (!file) return { ok: false, reason: 'no-file', message: 'The finding names no file.' };
  const root = path.resolve(workspaceRoot);
  const abs = path.resolve(root, file);
  if (!inside(root, abs))
    return { ok: false, reason: 'outside', path: abs, message: `${file} is outside the workspace ${root}.` };
  let real: string;
  try {
    real = await fs.realpath(abs);
  } catch {
    return { ok: false, reason: 'missing', path: abs, message: `${file} does not exist in ${root}.` };
  }
  let realRoot = root;
  try {
    realRoot = await fs.realpath(root);
  } catch {
    // The root itself is gone: compare with the path as given.
  }
  if (!inside(realRoot, real))
    return { ok: false, reason: 'outside', path: abs, message: `${file} leads outside the workspace (to ${real}).` };
  try {
    if (!(await fs.stat(real)).isFile())
      return { ok: false, reason: 'not-file', path: abs, message: `${file} is not a regular file.` };
  } catch {
    return { ok: false, reason: 'missing', path: abs, message: `${file} does not exist in ${root}.` };
  }
  return { ok: true, path: abs };
}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** A task's `result.touchedFiles` (strings, bounded). */
export function touchedFiles(result: unknown, limit = 500): { files: string[]; total: number } {
  if (!isObj(result) || !Array.isArray(result.touchedFiles)) return { files: [], total: 0 };
  const all = result.touchedFiles;
  const files: string[] = [];
  for (const f of all) {
    if (files.length >= limit) break;
    // The companion lists paths; an object with a path is accepted too.
    const p = typeof f === 'string' ? f : isObj(f) && typeof f.path === 'string' ? f.path : undefined;
    if (p && p.length < 4096) files.push(p);
  }
  return { files, total: all.length };
}

/** The newest completed job of these with a structured review result. */
export function latestReview(jobs: readonly Job[]): Job | undefined {
  let best: Job | undefined;
  let bestAt = -Infinity;
  for (const j of jobs) {
    if (j.status !== 'completed' || !hasReviewResult(j)) continue;
    const at = Date.parse(j.display.completedAt ?? j.display.updatedAt ?? j.display.createdAt ?? '') || 0;
    if (!best || at > bestAt) {
      best = j;
      bestAt = at;
    }
  }
  return best;
}

/** A review job's findings as parsed, for `status --json`; null for a job with no structured review result. */
export function findingsJson(job: Job): {
  verdict: string | null;
  total: number;
  findings: {
    severity: string;
    title: string;
    file: string | null;
    lineStart: number | null;
    lineEnd: number | null;
    recommendation: string | null;
  }[];
  warnings: string[];
} | null {
  const r = parseReviewResult(job.display.result);
  if (!r) return null;
  return {
    verdict: r.verdict ?? null,
    total: r.total,
    findings: r.findings.map((f) => ({
      severity: f.severity,
      title: f.title,
      file: f.file ?? null,
      lineStart: f.lineStart ?? null,
      lineEnd: f.lineEnd ?? null,
      recommendation: f.recommendation ?? null,
    })),
    warnings: r.warnings,
  };
}

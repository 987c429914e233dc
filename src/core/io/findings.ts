// A review's structured result (verdict, summary, findings, next steps) and a task's touched files,
// read tolerantly from a job record. The companion writes `result.result` from Codex's own output:
// anything can be missing or of the wrong type, and a hostile record can hold any number of findings.
import { BoundedCache } from '../vocab/boundedCache';
import { promises as fs } from 'fs';
import * as path from 'path';
import { showValue } from '../vocab/argCheck';
import { parseJsonBounded } from './safeFs';
import type { Job } from '../vocab/types';
import { isObject } from '../vocab/values';

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
/** Longest finding path looked at (PATH_MAX): a longer one is listed as unusable, never cut to another name. */
export const MAX_FINDING_PATH = 4096;

const text = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() ? (v.length > MAX_TEXT ? `${v.slice(0, MAX_TEXT)}…` : v) : undefined;
/** A path is never cut to a shorter name (that could be another file): one over the limit stays over it. */
const pathText = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() ? (v.length > MAX_FINDING_PATH ? v.slice(0, MAX_FINDING_PATH + 1) : v) : undefined;
const line = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 1 ? Math.min(Math.floor(v), MAX_LINE) : undefined;

/**
 * Parsed once per result object: the model re-renders unchanged jobs often. Bounded by count and by
 * the output text parsed (each record may hold megabytes of it), the least recently used dropped.
 */
const structuredCache = new BoundedCache<object, unknown>(256, 64 * 1024 * 1024);

/** The structured review payload of a record: `result.result`, or `result.rawOutput` parsed when that is missing. */
function structuredOf(result: unknown): unknown {
  if (!isObject(result)) return undefined;
  if (structuredCache.has(result)) return structuredCache.get(result);
  const v = structuredUncached(result);
  const raw = result.rawOutput;
  structuredCache.set(result, v, v !== undefined && v !== result.result && typeof raw === 'string' ? raw.length : 0);
  return v;
}

function structuredUncached(result: Record<string, unknown>): unknown {
  if (isObject(result.result)) return result.result;
  const raw = result.rawOutput;
  if (typeof raw === 'string' && raw.trimStart().startsWith('{') && raw.length <= 8 * 1024 * 1024) {
    try {
      return parseJsonBounded(raw).value;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Findings come only from review jobs: a rescue task's output is whatever Codex printed, and one that
 * happens to be review-shaped JSON is not a review. The recorded kind decides; only a record with no
 * kind falls back on its job class.
 */
export function isReviewJob(job: Job): boolean {
  const d = job.display;
  if (d.kind !== undefined) return d.kind === 'review' || d.kind === 'adversarial-review';
  return d.jobClass === 'review';
}

/** Is this job a review whose record has a structured result to show? */
export function hasReviewResult(job: Job): boolean {
  return isReviewJob(job) && isObject(structuredOf(job.display.result));
}

/** A review job's structured result; undefined for any other job (a task's output is never findings). */
export function reviewResultOf(job: Job, limit = MAX_FINDINGS): ReviewResult | undefined {
  return isReviewJob(job) ? parseReviewResult(job.display.result, limit) : undefined;
}

/** Parses a record's `result` into a review result; undefined when it holds no structured review. */
export function parseReviewResult(result: unknown, limit = MAX_FINDINGS): ReviewResult | undefined {
  const s = structuredOf(result);
  if (!isObject(s)) return undefined;
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
  if (!isObject(v)) return undefined;
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
    file: pathText(v.file),
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

export type LocateReason = 'no-file' | 'outside' | 'missing' | 'not-file' | 'invalid' | 'changed';

export type Located = { ok: true; path: string } | { ok: false; reason: LocateReason; path?: string; message: string };

/** A finding's file as checked: the path to open, and which file it was when checked. */
export interface Pinned {
  ok: true;
  /** The file's real path, expressed under the workspace root as given (see pinFinding). */
  path: string;
  /** Its real path (every link resolved), which `path` must still resolve to. */
  real: string;
  dev: number;
  ino: number;
}

type NotLocated = Extract<Located, { ok: false }>;

/**
 * Is `p` inside `root`, compared by path segments: `..hidden/x.ts` is inside, only a first segment
 * that is exactly `..` (or another drive) is outside. Both must be resolved absolute paths.
 */
export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  if (rel === '') return true;
  return !path.isAbsolute(rel) && rel.split(path.sep)[0] !== '..';
}

/** Why a finding's path is no usable file name (NUL, control characters, over PATH_MAX), if it is not. */
export function findingPathProblem(file: string): string | undefined {
  if (file.includes('\u0000')) return 'holds a NUL byte';
  // Bidirectional overrides too: they make a name read as another one.
  // eslint-disable-next-line no-control-regex
  if (/[\u0001-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(file))
    return 'holds control characters';
  if (file.length > MAX_FINDING_PATH) return `is longer than ${MAX_FINDING_PATH} characters`;
  return undefined;
}

/** A drive (`C:\x`, `C:/x`) or UNC (`\\host\share`) path: absolute on Windows, wherever it is read. */
function isWindowsAbsolute(file: string): boolean {
  return /^[A-Za-z]:([\\/]|$)/.test(file) || /^[\\/]{2}[^\\/]/.test(file);
}

/**
 * Where a finding's path lands, by its text alone (links and existence are checked when it is
 * opened): inside the root, outside it, or no usable path. Backslashes count as separators too, so
 * `..\x` written on Windows is outside here as well.
 */
export function lexicalPlace(workspaceRoot: string, file: string): { inside: true; abs: string } | NotLocated {
  const bad = findingPathProblem(file);
  if (bad)
    return { ok: false, reason: 'invalid', message: `The finding's path ${showValue(file)} ${bad}; it is not opened.` };
  const root = path.resolve(workspaceRoot);
  const abs = path.resolve(root, file);
  const outside = (why: string): NotLocated => ({
    ok: false,
    reason: 'outside',
    path: abs,
    message: `${file} is ${why}outside the workspace ${root}.`,
  });
  if (path.sep === '/' && isWindowsAbsolute(file)) return outside('a Windows path, ');
  if (!isInside(root, abs)) return outside('');
  if (path.sep === '/' && file.includes('\\') && !isInside(root, path.resolve(root, file.replace(/\\/g, '/'))))
    return outside('(read with \\ as a separator) ');
  return { inside: true, abs };
}

/** What a failed realpath or stat of a finding's file means, by its error code. */
function fsFailure(err: unknown, file: string, root: string, abs: string): NotLocated {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENAMETOOLONG')
    return { ok: false, reason: 'invalid', path: abs, message: `${file} is too long a path for this system.` };
  if (code === 'ELOOP')
    return { ok: false, reason: 'invalid', path: abs, message: `${file} goes through too many links.` };
  if (code === 'EACCES' || code === 'EPERM')
    return { ok: false, reason: 'missing', path: abs, message: `${file} cannot be looked at (permission denied).` };
  return { ok: false, reason: 'missing', path: abs, message: `${file} does not exist in ${root}.` };
}

/**
 * Checks a finding's file and pins which file it is: the real path (every link resolved) must be
 * inside the real workspace root, by segments, and a regular file; its device and inode are kept so
 * that what gets opened can be checked to be that same file.
 *
 * The path to open is the real path re-expressed under the root as the editor knows it (the same
 * when the root has no link in it): no link inside the workspace is followed, and the editor's tab
 * matches the workspace's own paths.
 */
export async function pinFinding(workspaceRoot: string, file: string | undefined): Promise<Pinned | NotLocated> {
  if (!file) return { ok: false, reason: 'no-file', message: 'The finding names no file.' };
  const place = lexicalPlace(workspaceRoot, file);
  if (!('inside' in place)) return place;
  const root = path.resolve(workspaceRoot);
  const abs = place.abs;
  let realRoot = root;
  try {
    realRoot = await fs.realpath(root);
  } catch {
    // The root itself is gone: compare with the path as given.
  }
  let real: string;
  try {
    real = await fs.realpath(abs);
  } catch (err) {
    return fsFailure(err, file, root, abs);
  }
  if (!isInside(realRoot, real))
    return { ok: false, reason: 'outside', path: abs, message: `${file} leads outside the workspace (to ${real}).` };
  const openPath = path.join(root, path.relative(realRoot, real));
  let st;
  try {
    st = await fs.stat(openPath);
  } catch (err) {
    return fsFailure(err, file, root, abs);
  }
  if (!st.isFile()) return { ok: false, reason: 'not-file', path: abs, message: `${file} is not a regular file.` };
  // Looked at after the stat: a swap before it shows here, so the identity kept is the checked file's.
  const still = await stillPinned({ ok: true, path: openPath, real, dev: st.dev, ino: st.ino }, 'checked');
  if (still) return still;
  return { ok: true, path: openPath, real, dev: st.dev, ino: st.ino };
}

/** Undefined when `pin.path` still resolves to the pinned real path and the same file; else why not. */
export async function stillPinned(pin: Pinned, when: 'checked' | 'opened'): Promise<NotLocated | undefined> {
  const changed = (what: string): NotLocated => ({
    ok: false,
    reason: 'changed',
    path: pin.path,
    message: `${pin.path} changed while it was being ${when} (${what}); it is not ${when === 'opened' ? 'shown' : 'opened'}.`,
  });
  try {
    const real = await fs.realpath(pin.path);
    if (real !== pin.real) return changed(`it now leads to ${real}`);
    const st = await fs.stat(pin.path);
    if (st.dev !== pin.dev || st.ino !== pin.ino || !st.isFile()) return changed('it is another file now');
  } catch (err) {
    return changed(`it cannot be looked at: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return undefined;
}

/**
 * Where a finding's file is, if it may be opened: inside the workspace root (after following links)
 * and a regular file. Anything else is listed, never opened. The path given is the checked real one;
 * to open it, use openPinned, which checks it again once opened.
 */
export async function locateFinding(workspaceRoot: string, file: string | undefined): Promise<Located> {
  const pin = await pinFinding(workspaceRoot, file);
  return pin.ok ? { ok: true, path: pin.path } : pin;
}

/**
 * Opens a finding's file by its checked real path and checks, once it is open, that the path still
 * leads to the same file (device and inode of what was checked). `open` loads the file without
 * showing it (the editor's openTextDocument); the caller shows it only when this says ok. A swap for
 * a link after the check is caught here, so a file outside is never shown. What no path-based check
 * can catch is a swap and a swap back both inside `open`'s own read; the editor reads by path, so
 * that window is narrowed to the read itself, not closed.
 */
export async function openPinned<T>(
  workspaceRoot: string,
  file: string | undefined,
  open: (path: string) => Promise<T>,
  /** Tests: runs between the check and the open (to swap a path in between). */
  beforeOpen?: () => Promise<void> | void,
): Promise<{ ok: true; path: string; value: T } | NotLocated> {
  const pin = await pinFinding(workspaceRoot, file);
  if (!pin.ok) return pin;
  await beforeOpen?.();
  const value = await open(pin.path);
  const changed = await stillPinned(pin, 'opened');
  return changed ?? { ok: true, path: pin.path, value };
}

/** A task's `result.touchedFiles` (strings, bounded). */
export function touchedFiles(result: unknown, limit = 500): { files: string[]; total: number } {
  if (!isObject(result) || !Array.isArray(result.touchedFiles)) return { files: [], total: 0 };
  const all = result.touchedFiles;
  const files: string[] = [];
  for (const f of all) {
    if (files.length >= limit) break;
    // The companion lists paths; an object with a path is accepted too.
    const p = typeof f === 'string' ? f : isObject(f) && typeof f.path === 'string' ? f.path : undefined;
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
  const r = reviewResultOf(job);
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

// Tolerant, validating readers for the companion's files. Nothing here throws on bad content: every
// problem becomes a warning next to the best partial result.
import { fsCalls as fs } from './fsCalls';
import * as path from 'path';
import {
  boundJson,
  openRealDir,
  fileTypeName,
  isJsonLimitError,
  openRegular,
  parseJsonBounded,
  readAt,
  readBoundedText,
  READ_LIMITS,
  STRUCTURE_LIMITS,
  toSafeFsError,
} from './safeFs';
import type { BrokerFile, JobFields, LogLine, LogPreview, ParsedState, ReadResult, ReadWarning } from '../vocab/types';
import { parseIsoTime } from '../vocab/dates';
import { isRecordedStatus } from '../vocab/status';
import { sleep } from '../vocab/async';
import { jsonEscape } from '../vocab/terminalText';
import { isObject } from '../vocab/values';

/** The companion truncates and rewrites in place: a reader that reads at that moment retries once after this. */
export const TORN_RETRY_MS = 25;

/** The largest pid the system hands out, plus one (Linux's pid_max); a fallback until it has been read. */
let pidLimit = process.platform === 'linux' ? 2 ** 22 : 99_999;
let pidLimitRead: Promise<void> | undefined;

/** Reads /proc/sys/kernel/pid_max once (later calls share the read). */
export function loadPidLimit(): Promise<void> {
  pidLimitRead ??=
    process.platform === 'linux'
      ? readBoundedText('/proc/sys/kernel/pid_max', READ_LIMITS.pid, '/proc/sys/kernel')
          .then(({ text }) => {
            const n = Number(text.trim());
            if (Number.isSafeInteger(n) && n > 1) pidLimit = n;
          })
          .catch(() => undefined)
      : Promise.resolve();
  return pidLimitRead;
}

/** A pid is a positive integer below the system's maximum; anything else names no process. */
export function isValidPid(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v < pidLimit;
}

/** "null", "an array", "a string": what a JSON value is, for a message. */
export function jsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return t === 'object' ? 'an object' : `a ${t}`;
}

/** Byte limit per kind of JSON file read here. */
export type JsonKind = 'state' | 'record' | 'broker';

/** A job id usable as a file name: never a path, never empty, never a dot name. */
export function isSafeJobId(id: unknown): id is string {
  return (
    typeof id === 'string' &&
    id.length > 0 &&
    id.length <= 128 &&
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id) &&
    id !== '.' &&
    id !== '..'
  );
}

function describeId(id: unknown): string {
  return describeValue(id);
}

/** A short, printable rendering of any value read from disk (never the whole of a big or deep one). */
function describeValue(v: unknown): string {
  if (typeof v === 'string') {
    const s = JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
    return s.replace(/[\u007f-\u009f\u2028\u2029]/g, jsonEscape);
  }
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return jsonTypeOf(v);
}

const STRING_FIELDS = [
  'kind',
  'kindLabel',
  'title',
  'summary',
  'jobClass',
  'phase',
  'logFile',
  'workspaceRoot',
  'sessionId',
  'threadId',
  'turnId',
  'createdAt',
  'updatedAt',
  'startedAt',
  'completedAt',
  'cancelledAt',
  'errorMessage',
  'rendered',
] as const;

const TIME_FIELDS: ReadonlySet<string> = new Set(['createdAt', 'updatedAt', 'startedAt', 'completedAt', 'cancelledAt']);

/** Said when parts nested past the depth limit were cut from what `file` holds for `what`. */
function cutWarning(file: string, what: string): ReadWarning {
  return {
    file,
    message: `${what}: nested deeper than ${STRUCTURE_LIMITS.jsonDepth} levels; the deeper parts are dropped`,
  };
}

/** Validates one job object field by field; a wrong-typed field is dropped with a warning. */
export function parseJobFields(obj: unknown, where: string): { fields?: JobFields; warnings: ReadWarning[] } {
  const warnings: ReadWarning[] = [];
  if (!isObject(obj)) {
    return { warnings: [{ file: where, message: `a job entry is ${jsonTypeOf(obj)}, not an object; ignored` }] };
  }
  // Only a bounded copy is kept: `raw` is serialised again (archive, record view, repairs).
  const bounded = boundJson(obj);
  const raw = bounded.value as Record<string, unknown>;
  if (!isSafeJobId(raw.id)) {
    return {
      warnings: [{ file: where, message: `job id ${describeValue(raw.id)} is not a plain file name; ignored` }],
    };
  }
  if (bounded.cut > 0) warnings.push(cutWarning(where, raw.id));
  const f: JobFields = { id: raw.id, raw };
  const bad = (field: string, v: unknown) =>
    warnings.push({
      file: where,
      message: `${raw.id}: field "${field}" has a bad value (${describeValue(v)}); ignored`,
    });
  for (const k of STRING_FIELDS) {
    const v = raw[k];
    if (v === undefined || v === null) continue;
    // A time that is none, or not a plausible moment (year 0, 275760), is unknown from here on.
    if (typeof v === 'string' && (!TIME_FIELDS.has(k) || parseIsoTime(v) !== undefined))
      (f as unknown as Record<string, unknown>)[k] = v;
    else bad(k, v);
  }
  if (raw.status !== undefined && raw.status !== null) {
    if (isRecordedStatus(raw.status)) f.status = raw.status;
    else bad('status', raw.status);
  }
  if (raw.pid === null) f.pid = null;
  else if (raw.pid !== undefined) {
    if (isValidPid(raw.pid)) f.pid = raw.pid;
    else bad('pid', raw.pid);
  }
  if (raw.write !== undefined && raw.write !== null) {
    if (typeof raw.write === 'boolean') f.write = raw.write;
    else bad('write', raw.write);
  }
  if (raw.request !== undefined && raw.request !== null) {
    if (isObject(raw.request)) f.request = raw.request;
    else bad('request', raw.request);
  }
  if (raw.result !== undefined) f.result = raw.result;
  return { fields: f, warnings };
}

/**
 * The root beneath which a state dir's files are opened: the state root it was found in (discovery
 * puts every state dir directly under one). The root may be a link; the state dir, its jobs/ and
 * their entries never are: a state dir swapped for a link after it was first read is not followed.
 */
export function rootOfStateDir(stateDir: string): string {
  return path.dirname(stateDir);
}

/** Reads and parses a JSON file, reading it again once when it is read empty or half written. */
export async function readJsonFile(file: string, kind: JsonKind, root: string): Promise<ReadResult<unknown>> {
  const r = await readJsonText(file, 2, kind, root);
  delete r.text; // what the views keep should not hold every file's text too
  return r;
}

/** What was done with a file that could not be used, appended to what it is. */
function skipped(message: string): string {
  return message.includes(';') ? message : `${message}; skipped`;
}

/**
 * readJsonFile with the text that parsed, for callers that compare against it later. Only a regular
 * file is opened (never a link, FIFO or device), no more than its kind's byte limit is read, and the
 * value is cut at STRUCTURE_LIMITS.jsonDepth.
 */
export async function readJsonText(
  file: string,
  attempts: number,
  kind: JsonKind,
  root: string,
): Promise<ReadResult<unknown> & { text?: string }> {
  const name = path.basename(file);
  const limit = READ_LIMITS[kind];
  for (let attempt = 1; ; attempt++) {
    let text: string;
    let mtimeMs: number | undefined;
    let size: number | undefined;
    let fileId: string | undefined;
    try {
      const r = await readBoundedText(file, limit, root);
      text = r.text;
      mtimeMs = r.stats.mtimeMs;
      size = r.stats.size;
      fileId = fileIdOf(r.stats);
    } catch (err) {
      const e = toSafeFsError(file, err);
      if (e.reason === 'missing') return { value: undefined, missing: true, warnings: [] };
      return { value: undefined, missing: false, warnings: [{ file, message: skipped(e.message) }] };
    }
    const empty = text.trim().length === 0;
    if (!empty) {
      try {
        const parsed = parseJsonBounded(text);
        const warnings: ReadWarning[] = parsed.cut > 0 ? [cutWarning(file, name)] : [];
        return { value: parsed.value, text, missing: false, warnings, mtimeMs, size, fileId };
      } catch (err) {
        // Over a limit is what the file holds, not a write read halfway: said at once, not retried.
        if (isJsonLimitError(err))
          return {
            value: undefined,
            missing: false,
            mtimeMs,
            size,
            warnings: [{ file, message: `${name}: ${err.message}` }],
          };
        if (attempt >= attempts)
          return {
            value: undefined,
            missing: false,
            mtimeMs,
            size,
            warnings: [{ file, message: `${name} is not valid JSON (torn write?): ${(err as Error).message}` }],
          };
      }
    } else if (attempt >= attempts) {
      return {
        value: undefined,
        missing: false,
        mtimeMs,
        size,
        warnings: [{ file, message: `${name} is empty (caught mid-write?)` }],
      };
    }
    await sleep(TORN_RETRY_MS);
  }
}

/** `root`: the state root; every directory between it and the file must be real. */
export async function readStateFile(file: string, root: string): Promise<ReadResult<ParsedState>> {
  const [r] = await Promise.all([readJsonFile(file, 'state', root), loadPidLimit()]);
  const warnings = [...r.warnings];
  if (r.value === undefined) return { ...r, value: undefined, warnings };
  if (!isObject(r.value)) {
    warnings.push({ file, message: `state.json holds ${jsonTypeOf(r.value)}, not an object; its jobs are not read` });
    return { ...r, value: { entries: [] }, warnings };
  }
  const raw = r.value;
  const state: ParsedState = { entries: [], raw };
  if (typeof raw.version === 'number') state.version = raw.version;
  if (isObject(raw.config)) state.config = raw.config;
  if (raw.jobs !== undefined && !Array.isArray(raw.jobs))
    warnings.push({ file, message: `state.json "jobs" is ${jsonTypeOf(raw.jobs)}, not a list; not read` });
  const seen = new Set<string>();
  let list: unknown[] = Array.isArray(raw.jobs) ? raw.jobs : [];
  const max = STRUCTURE_LIMITS.indexEntries;
  if (list.length > max) {
    warnings.push({
      file,
      message: `state.json lists ${list.length} jobs; only the first ${max} are read, the other ${list.length - max} are not loaded`,
    });
    list = list.slice(0, max);
    // The dropped entries are not kept in `raw` either.
    state.raw = { ...raw, jobs: list };
  }
  let twice = 0;
  for (const e of list) {
    const p = parseJobFields(e, file);
    warnings.push(...p.warnings);
    if (!p.fields) continue;
    if (seen.has(p.fields.id)) {
      if (++twice <= 20) warnings.push({ file, message: `${p.fields.id} is listed twice; the first entry is used` });
      continue;
    }
    seen.add(p.fields.id);
    state.entries.push(p.fields);
  }
  return { ...r, value: state, warnings: capWarnings(warnings, file) };
}

/** One file can make thousands of warnings; the first ones are shown, the rest counted. */
const MAX_WARNINGS_PER_FILE = 50;

function capWarnings(warnings: ReadWarning[], file: string): ReadWarning[] {
  if (warnings.length <= MAX_WARNINGS_PER_FILE) return warnings;
  return [
    ...warnings.slice(0, MAX_WARNINGS_PER_FILE),
    {
      file,
      message: `${path.basename(file)}: ${warnings.length - MAX_WARNINGS_PER_FILE} more problems not listed`,
    },
  ];
}

export async function readJobRecord(file: string, expectedId: string, root: string): Promise<ReadResult<JobFields>> {
  const [r] = await Promise.all([readJsonFile(file, 'record', root), loadPidLimit()]);
  if (r.value === undefined) return { ...r, value: undefined };
  const warnings = [...r.warnings];
  const o = r.value;
  if (!isObject(o)) {
    warnings.push({ file, message: `${path.basename(file)} holds ${jsonTypeOf(o)}, not a JSON object; skipped` });
    return { ...r, value: undefined, warnings };
  }
  if (o.id !== undefined && o.id !== expectedId) {
    warnings.push({ file, message: `${path.basename(file)} names job ${describeId(o.id)}; its file name wins` });
  }
  const p = parseJobFields({ ...o, id: expectedId }, file);
  if (p.fields) p.fields.raw = o;
  return { ...r, value: p.fields, warnings: capWarnings([...warnings, ...p.warnings], file) };
}

export async function readBrokerFile(file: string, root: string): Promise<ReadResult<BrokerFile>> {
  const [r] = await Promise.all([readJsonFile(file, 'broker', root), loadPidLimit()]);
  if (r.value === undefined) return { ...r, value: undefined };
  const warnings = [...r.warnings];
  if (!isObject(r.value)) {
    warnings.push({ file, message: `broker.json holds ${jsonTypeOf(r.value)}, not a JSON object; skipped` });
    return { ...r, value: undefined, warnings };
  }
  const raw = r.value;
  const b: BrokerFile = { raw };
  for (const k of ['endpoint', 'pidFile', 'logFile', 'sessionDir'] as const) {
    const v = raw[k];
    // A path with a NUL byte cannot be opened (and would throw from every fs call); a huge one is no path.
    if (typeof v === 'string' && !v.includes('\0') && v.length <= 4096) b[k] = v;
    else if (v !== undefined)
      warnings.push({ file, message: `broker.json "${k}" is not a usable path (${describeValue(v)}); ignored` });
  }
  if (isValidPid(raw.pid)) b.pid = raw.pid;
  else if (raw.pid !== undefined && raw.pid !== null)
    warnings.push({
      file,
      message: `broker.json "pid" is not a valid pid (${describeValue(raw.pid)}: a positive integer below ${pidLimit}); ignored`,
    });
  return { ...r, value: b, warnings };
}

export interface JobsDirListing {
  records: Map<string, string>;
  logs: Map<string, string>;
  warnings: ReadWarning[];
  exists: boolean;
}

/**
 * One pass over jobs/: records and logs by id; unsafe names, links and anything not a regular file
 * are reported, not followed. jobs/ itself (and, given `root`, every directory between it and
 * `root`) must be a real directory: a jobs/ that is a link to elsewhere is not listed. At most
 * STRUCTURE_LIMITS.jobsDirEntries names are looked at.
 */
export async function listJobsDir(jobsDir: string, root: string): Promise<JobsDirListing> {
  const out: JobsDirListing = { records: new Map(), logs: new Map(), warnings: [], exists: true };
  let dir: import('fs').Dir;
  let pin: Awaited<ReturnType<typeof openRealDir>> | undefined;
  try {
    pin = await openRealDir(jobsDir, root);
    dir = await fs.opendir(pin.listPath, { bufferSize: 256 });
  } catch (err) {
    await pin?.fh.close().catch(() => undefined);
    const e = toSafeFsError(jobsDir, err);
    out.exists = false;
    if (e.reason !== 'missing') out.warnings.push({ file: e.file, message: `${e.message}; its jobs are not read` });
    return out;
  }
  let seen = 0;
  let problems = 0;
  const warn = (file: string, message: string) => {
    if (++problems <= 50) out.warnings.push({ file, message });
  };
  try {
    for await (const e of dir) {
      if (++seen > STRUCTURE_LIMITS.jobsDirEntries) {
        out.warnings.push({
          file: jobsDir,
          message: `jobs holds more than ${STRUCTURE_LIMITS.jobsDirEntries} entries; the rest are not read`,
        });
        break;
      }
      const m = /^(.*)\.(json|log)$/.exec(e.name);
      if (!m) continue;
      const full = path.join(jobsDir, e.name);
      if (!isSafeJobId(m[1])) {
        warn(full, `file name ${describeId(e.name)} is not a job id; ignored`);
        continue;
      }
      if (e.isSymbolicLink()) {
        warn(full, `${e.name}: is a symbolic link; not followed`);
        continue;
      }
      if (!e.isFile()) {
        warn(full, `${e.name}: not a regular file (${fileTypeName(e)}); skipped`);
        continue;
      }
      (m[2] === 'json' ? out.records : out.logs).set(m[1], full);
    }
  } catch (err) {
    out.warnings.push({ file: jobsDir, message: `${toSafeFsError(jobsDir, err).message}; listing stopped` });
  } finally {
    // Breaking out of the loop closes the dir already; a second close rejects.
    await dir.close().catch(() => undefined);
    await pin.fh.close().catch(() => undefined);
  }
  if (problems > 50) out.warnings.push({ file: jobsDir, message: `jobs: ${problems - 50} more problems not listed` });
  return out;
}

/** Inode numbers are reused at once after a delete; with the birth time they name one file. */
export function fileIdOf(st: { ino: number; birthtimeMs: number }): string {
  return `${st.ino}:${st.birthtimeMs}`;
}

export interface LogTail {
  exists: boolean;
  /** Whole file size in bytes. */
  size: number;
  mtimeMs?: number;
  /** The file's identity (inode and birth time): a log deleted and re-created is another file. */
  fileId?: string;
  /** The last bytes, starting at a line boundary unless the file is shorter than asked. */
  text: string;
}

/**
 * Reads at most `maxBytes` from the end of a file: logs can be hundreds of MB. Only a regular file is
 * opened (never through a link, never a FIFO or device); when it cannot be, `exists` is false and
 * `problem` says why, unless it is simply missing.
 */
export async function readLogTail(
  file: string,
  maxBytes: number,
  root: string,
): Promise<LogTail & { problem?: string }> {
  let opened: Awaited<ReturnType<typeof openRegular>>;
  try {
    opened = await openRegular(file, root);
  } catch (err) {
    const e = toSafeFsError(file, err);
    return { exists: false, size: 0, text: '', ...(e.reason === 'missing' ? {} : { problem: skipped(e.message) }) };
  }
  const { fh, stats: st } = opened;
  try {
    const len = Math.min(st.size, Math.max(0, Math.floor(maxBytes) || 0));
    const buf = await readAt(fh, st.size - len, len);
    let text = buf.toString('utf8');
    if (st.size > len) {
      // Started mid-file: drop the partial first line.
      const nl = text.indexOf('\n');
      text = nl >= 0 ? text.slice(nl + 1) : '';
    }
    return { exists: true, size: st.size, mtimeMs: st.mtimeMs, fileId: fileIdOf(st), text };
  } catch (err) {
    return { exists: false, size: 0, text: '', problem: skipped(toSafeFsError(file, err).message) };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

const PROGRESS = /^\[(\d{4}-\d\d-\d\dT[^\]]+)\] (.*)$/;

function countProgress(text: string, enough: number): number {
  let n = 0;
  for (const line of text.split('\n')) if (PROGRESS.test(line) && ++n >= enough) break;
  return n;
}

/** Titles of blocks whose text follows on the next lines ("[ISO] Assistant message\n<the message>"). */
const BLOCK_TITLES = new Set(['Assistant message', 'Review output', 'Final output', 'Codex error']);
const BLOCK_TEXT_MAX = 120;

/** "Assistant message: <its first line>": a block's title alone says nothing of what it holds. */
function withBlockText(title: string, lines: readonly string[], from: number): string {
  if (!BLOCK_TITLES.has(title)) return title;
  for (let i = from; i < lines.length && !PROGRESS.test(lines[i]); i++) {
    const text = lines[i].trim();
    if (!text) continue;
    const cut = text.length > BLOCK_TEXT_MAX ? `${text.slice(0, BLOCK_TEXT_MAX - 1)}…` : text;
    return `${title}: ${cut}`;
  }
  return title;
}

/** The last progress lines (`[ISO] message`) of a log, from a bounded tail. */
export async function readLogPreview(
  file: string,
  tailBytes: number,
  maxLines: number,
  root: string,
): Promise<LogPreview & { problem?: string }> {
  // The last few lines are almost always within a few KB: look there first, further only if needed.
  const first = Math.min(tailBytes, 4096);
  let t = await readLogTail(file, first, root);
  if (!t.exists)
    return t.problem ? { exists: false, progress: [], problem: t.problem } : { exists: false, progress: [] };
  if (t.size > first && first < tailBytes && countProgress(t.text, maxLines) < maxLines)
    t = await readLogTail(file, tailBytes, root);
  const progress: LogLine[] = [];
  const lines = t.text.split('\n');
  for (let i = lines.length - 1; i >= 0 && progress.length < maxLines; i--) {
    const m = PROGRESS.exec(lines[i]);
    if (m && !Number.isNaN(Date.parse(m[1])) && m[2].trim())
      progress.push({ time: m[1], text: withBlockText(m[2].trim(), lines, i + 1) });
  }
  return { exists: true, size: t.size, mtimeMs: t.mtimeMs, fileId: t.fileId, progress: progress.reverse() };
}

// Tolerant, validating readers for the companion's files. Nothing here throws on bad content: every
// problem becomes a warning next to the best partial result.
import { promises as fs } from 'fs';
import * as path from 'path';
import type {
  BrokerFile,
  JobFields,
  LogLine,
  LogPreview,
  ParsedState,
  ReadResult,
  ReadWarning,
  RecordedStatus,
} from './types';

const STATUSES: ReadonlySet<string> = new Set(['queued', 'running', 'completed', 'failed', 'cancelled']);
/** The companion truncates and rewrites in place: a reader catching that moment retries once after this. */
export const TORN_RETRY_MS = 25;
/** No companion file is this large; a bigger one is not read into memory. */
const MAX_JSON_BYTES = 32 * 1024 * 1024;

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
  return JSON.stringify(typeof id === 'string' ? id.replace(/\0/g, '\\0') : id);
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

/** Validates one job object field by field; a wrong-typed field is dropped with a warning. */
export function parseJobFields(obj: unknown, where: string): { fields?: JobFields; warnings: ReadWarning[] } {
  const warnings: ReadWarning[] = [];
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    return { warnings: [{ file: where, message: `a job entry is not an object (${typeof obj})` }] };
  }
  const raw = obj as Record<string, unknown>;
  if (!isSafeJobId(raw.id)) {
    return { warnings: [{ file: where, message: `job id ${describeId(raw.id)} is not a plain file name; ignored` }] };
  }
  const f: JobFields = { id: raw.id, raw };
  const bad = (field: string, v: unknown) =>
    warnings.push({
      file: where,
      message: `${raw.id}: field "${field}" has a bad value (${JSON.stringify(v)?.slice(0, 40)}); ignored`,
    });
  for (const k of STRING_FIELDS) {
    const v = raw[k];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') (f as unknown as Record<string, unknown>)[k] = v;
    else bad(k, v);
  }
  if (raw.status !== undefined && raw.status !== null) {
    if (typeof raw.status === 'string' && STATUSES.has(raw.status)) f.status = raw.status as RecordedStatus;
    else bad('status', raw.status);
  }
  if (raw.pid === null) f.pid = null;
  else if (raw.pid !== undefined) {
    if (typeof raw.pid === 'number' && Number.isInteger(raw.pid) && raw.pid > 0) f.pid = raw.pid;
    else bad('pid', raw.pid);
  }
  if (raw.write !== undefined && raw.write !== null) {
    if (typeof raw.write === 'boolean') f.write = raw.write;
    else bad('write', raw.write);
  }
  if (raw.request !== undefined && raw.request !== null) {
    if (typeof raw.request === 'object' && !Array.isArray(raw.request))
      f.request = raw.request as Record<string, unknown>;
    else bad('request', raw.request);
  }
  if (raw.result !== undefined) f.result = raw.result;
  return { fields: f, warnings };
}

/** Reads and parses a JSON file, reading it again once when it is caught empty or half written. */
export async function readJsonFile(file: string): Promise<ReadResult<unknown>> {
  const r = await readJsonText(file);
  delete r.text; // what the views keep should not hold every file's text too
  return r;
}

/** readJsonFile with the text that parsed, for callers that compare against it later. */
export async function readJsonText(file: string, attempts = 2): Promise<ReadResult<unknown> & { text?: string }> {
  const name = path.basename(file);
  for (let attempt = 1; ; attempt++) {
    let text: string;
    let mtimeMs: number | undefined;
    let size: number | undefined;
    try {
      const fh = await fs.open(file, 'r');
      try {
        const st = await fh.stat();
        if (!st.isFile())
          return { value: undefined, missing: false, warnings: [{ file, message: `${name} is not a regular file` }] };
        mtimeMs = st.mtimeMs;
        size = st.size;
        if (st.size > MAX_JSON_BYTES)
          return {
            value: undefined,
            missing: false,
            mtimeMs,
            size,
            warnings: [{ file, message: `${name} is ${st.size} bytes, too large to be a companion file; not read` }],
          };
        text = await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { value: undefined, missing: true, warnings: [] };
      if (code === 'EISDIR')
        return { value: undefined, missing: false, warnings: [{ file, message: `${name} is a directory` }] };
      return {
        value: undefined,
        missing: false,
        warnings: [{ file, message: `${name} could not be read (${code ?? String(err)})` }],
      };
    }
    const empty = text.trim().length === 0;
    if (!empty) {
      try {
        return { value: JSON.parse(text), text, missing: false, warnings: [], mtimeMs, size };
      } catch (err) {
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
    await new Promise((r) => setTimeout(r, TORN_RETRY_MS));
  }
}

export async function readStateFile(file: string): Promise<ReadResult<ParsedState>> {
  const r = await readJsonFile(file);
  const warnings = [...r.warnings];
  if (r.value === undefined) return { ...r, value: undefined, warnings };
  if (!r.value || typeof r.value !== 'object' || Array.isArray(r.value)) {
    warnings.push({
      file,
      message: `state.json holds ${Array.isArray(r.value) ? 'an array' : typeof r.value}, not an object`,
    });
    return { ...r, value: { entries: [] }, warnings };
  }
  const raw = r.value as Record<string, unknown>;
  const state: ParsedState = { entries: [], raw };
  if (typeof raw.version === 'number') state.version = raw.version;
  if (raw.config && typeof raw.config === 'object' && !Array.isArray(raw.config))
    state.config = raw.config as Record<string, unknown>;
  if (raw.jobs !== undefined && !Array.isArray(raw.jobs))
    warnings.push({ file, message: `state.json "jobs" is ${typeof raw.jobs}, not a list` });
  const seen = new Set<string>();
  for (const e of Array.isArray(raw.jobs) ? raw.jobs : []) {
    const p = parseJobFields(e, file);
    warnings.push(...p.warnings);
    if (!p.fields) continue;
    if (seen.has(p.fields.id)) {
      warnings.push({ file, message: `${p.fields.id} is listed twice; the first entry is used` });
      continue;
    }
    seen.add(p.fields.id);
    state.entries.push(p.fields);
  }
  return { ...r, value: state, warnings };
}

export async function readJobRecord(file: string, expectedId: string): Promise<ReadResult<JobFields>> {
  const r = await readJsonFile(file);
  if (r.value === undefined) return { ...r, value: undefined };
  const warnings = [...r.warnings];
  const obj = r.value;
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    warnings.push({ file, message: `${path.basename(file)} is not a JSON object` });
    return { ...r, value: undefined, warnings };
  }
  const o = obj as Record<string, unknown>;
  if (o.id !== undefined && o.id !== expectedId) {
    warnings.push({ file, message: `${path.basename(file)} names job ${describeId(o.id)}; its file name wins` });
  }
  const p = parseJobFields({ ...o, id: expectedId }, file);
  if (p.fields) p.fields.raw = o;
  return { ...r, value: p.fields, warnings: [...warnings, ...p.warnings] };
}

export async function readBrokerFile(file: string): Promise<ReadResult<BrokerFile>> {
  const r = await readJsonFile(file);
  if (r.value === undefined) return { ...r, value: undefined };
  const warnings = [...r.warnings];
  if (!r.value || typeof r.value !== 'object' || Array.isArray(r.value)) {
    warnings.push({ file, message: 'broker.json is not a JSON object' });
    return { ...r, value: undefined, warnings };
  }
  const raw = r.value as Record<string, unknown>;
  const b: BrokerFile = { raw };
  for (const k of ['endpoint', 'pidFile', 'logFile', 'sessionDir'] as const) {
    if (typeof raw[k] === 'string') b[k] = raw[k] as string;
    else if (raw[k] !== undefined) warnings.push({ file, message: `broker.json "${k}" is not a string` });
  }
  if (typeof raw.pid === 'number' && Number.isInteger(raw.pid) && raw.pid > 0) b.pid = raw.pid;
  else if (raw.pid !== undefined && raw.pid !== null)
    warnings.push({ file, message: 'broker.json "pid" is not a positive integer' });
  return { ...r, value: b, warnings };
}

export interface JobsDirListing {
  records: Map<string, string>;
  logs: Map<string, string>;
  warnings: ReadWarning[];
  exists: boolean;
}

/** One readdir of jobs/: records and logs by id; unsafe names and links are reported, not followed. */
export async function listJobsDir(jobsDir: string): Promise<JobsDirListing> {
  const out: JobsDirListing = { records: new Map(), logs: new Map(), warnings: [], exists: true };
  let entries: import('fs').Dirent[];
  try {
    entries = await fs.readdir(jobsDir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    out.exists = false;
    if (code !== 'ENOENT')
      out.warnings.push({ file: jobsDir, message: `jobs directory could not be read (${code ?? String(err)})` });
    return out;
  }
  for (const e of entries) {
    const m = /^(.*)\.(json|log)$/.exec(e.name);
    if (!m) continue;
    const full = path.join(jobsDir, e.name);
    if (!isSafeJobId(m[1])) {
      out.warnings.push({ file: full, message: `file name ${describeId(e.name)} is not a job id; ignored` });
      continue;
    }
    if (e.isSymbolicLink()) {
      out.warnings.push({ file: full, message: `${e.name} is a symbolic link; not followed` });
      continue;
    }
    if (!e.isFile()) continue;
    (m[2] === 'json' ? out.records : out.logs).set(m[1], full);
  }
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

/** Reads at most `maxBytes` from the end of a file: logs can be hundreds of MB. */
export async function readLogTail(file: string, maxBytes: number): Promise<LogTail> {
  let fh: import('fs/promises').FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch {
    return { exists: false, size: 0, text: '' };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { exists: false, size: 0, text: '' };
    const len = Math.min(st.size, Math.max(0, maxBytes));
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, st.size - len);
    let text = buf.subarray(0, bytesRead).toString('utf8');
    if (st.size > len) {
      // Started mid-file: drop the partial first line.
      const nl = text.indexOf('\n');
      text = nl >= 0 ? text.slice(nl + 1) : '';
    }
    return { exists: true, size: st.size, mtimeMs: st.mtimeMs, fileId: fileIdOf(st), text };
  } finally {
    await fh.close();
  }
}

const PROGRESS = /^\[(\d{4}-\d\d-\d\dT[^\]]+)\] (.*)$/;

function countProgress(text: string, enough: number): number {
  let n = 0;
  for (const line of text.split('\n')) if (PROGRESS.test(line) && ++n >= enough) break;
  return n;
}

/** The last progress lines (`[ISO] message`) of a log, from a bounded tail. */
export async function readLogPreview(file: string, tailBytes: number, maxLines: number): Promise<LogPreview> {
  // The last few lines are almost always within a few KB: look there first, further only if needed.
  const first = Math.min(tailBytes, 4096);
  let t = await readLogTail(file, first);
  if (!t.exists) return { exists: false, progress: [] };
  if (t.size > first && first < tailBytes && countProgress(t.text, maxLines) < maxLines)
    t = await readLogTail(file, tailBytes);
  const progress: LogLine[] = [];
  const lines = t.text.split('\n');
  for (let i = lines.length - 1; i >= 0 && progress.length < maxLines; i--) {
    const m = PROGRESS.exec(lines[i]);
    if (m && !Number.isNaN(Date.parse(m[1])) && m[2].trim()) progress.push({ time: m[1], text: m[2].trim() });
  }
  return { exists: true, size: t.size, mtimeMs: t.mtimeMs, fileId: t.fileId, progress: progress.reverse() };
}

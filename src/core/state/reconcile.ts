// Merges what state.json says with what the job records say, and flags where they part ways.
// Nothing is dropped: a job known to either side is a job.
import { stripUndefined } from '../vocab/values';
import * as path from 'path';
import type { DerivedStatus, Job, JobFields, JobFlag, LogPreview, ParsedState, RecordedStatus } from '../vocab/types';
import { isTerminalStatus } from '../vocab/status';
import { parseTime } from '../vocab/format';
import { sameMark, stopHookMarks } from '../vocab/stopHook';
import { newestFirst } from '../vocab/jobTime';

export interface ReconcileInput {
  stateDir: string;
  index?: ParsedState;
  records: Map<string, { fields: JobFields; mtimeMs?: number; fileId?: string }>;
  logs: Map<string, LogPreview>;
  /**
   * What an earlier reconcile of this state dir gave: a job whose index entry, record and log are
   * the very objects it was made from is that job again (a log line rebuilds one job, not 200).
   */
  previous?: readonly Job[];
}

const FILLABLE = [
  'kind',
  'kindLabel',
  'title',
  'jobClass',
  'status',
  'pid',
  'createdAt',
  'startedAt',
  'workspaceRoot',
  'logFile',
] as const;

/** The latest moment a side vouches for. The record has no updatedAt, so its file time counts too. */
function sideTime(f: JobFields | undefined, mtimeMs?: number): number {
  if (!f) return -Infinity;
  let t = -Infinity;
  for (const v of [f.updatedAt, f.completedAt, f.cancelledAt, f.startedAt, f.createdAt]) {
    const ms = parseTime(v);
    if (ms !== undefined && ms > t) t = ms;
  }
  if (mtimeMs !== undefined && mtimeMs > t) t = mtimeMs;
  return t;
}

function merge(index: JobFields | undefined, record: JobFields | undefined, recordMtimeMs?: number): JobFields {
  if (!index) return record!;
  if (!record) return index;
  const ti = sideTime(index);
  const tr = sideTime(record, recordMtimeMs);
  // Newer wins; on a tie a terminal status wins (only the job's own process writes it), then the record.
  const recordWins = tr > ti || (tr === ti && (isTerminalStatus(record.status) || !isTerminalStatus(index.status)));
  const [win, lose] = recordWins ? [record, index] : [index, record];
  const out: JobFields = { ...lose, ...stripUndefined(win), raw: win.raw };
  // The index rewrites `summary` with the first output line on completion; the record keeps the prompt.
  if (record.summary) out.summary = record.summary;
  return out;
}

function earliest(...sides: (JobFields | undefined)[]): number | undefined {
  let t: number | undefined;
  for (const s of sides) {
    for (const v of [s?.createdAt, s?.startedAt]) {
      const ms = parseTime(v);
      if (ms !== undefined && (t === undefined || ms < t)) t = ms;
    }
  }
  return t;
}

function placeholderStatus(s?: RecordedStatus): DerivedStatus {
  if (!s) return 'unknown';
  return isTerminalStatus(s) ? s : 'unverified';
}

export function reconcile(input: ReconcileInput): Job[] {
  const jobsDir = path.join(input.stateDir, 'jobs');
  const indexById = new Map((input.index?.entries ?? []).map((e) => [e.id, e]));
  // A log alone is a job too: a worker keeps writing after a concurrent writer deleted its other files.
  const ids = new Set([
    ...indexById.keys(),
    ...input.records.keys(),
    ...[...input.logs].filter(([, l]) => l.exists).map(([id]) => id),
  ]);
  const jobs: Job[] = [];
  const before = new Map((input.previous ?? []).map((j) => [j.id, j]));
  // The Stop hook reads the whole index: with it re-read, every mark is worked out again; else they stand.
  const marks = stopHookMarks(input.index?.raw);
  for (const id of ids) {
    const index = indexById.get(id);
    const rec = input.records.get(id);
    const record = rec?.fields;
    const was = before.get(id);
    const inLog = input.logs.get(id);
    // Not re-read: the mark stands while its entry is the very one it was made with.
    const stopHook = marks ? marks.get(id) : index && was?.index === index ? was.stopHook : undefined;
    if (
      was &&
      sameMark(was.stopHook, stopHook) &&
      was.index === index &&
      was.record === record &&
      was.recordMtimeMs === rec?.mtimeMs &&
      was.recordFileId === rec?.fileId &&
      (inLog ? was.log === inLog : !was.log.exists)
    ) {
      jobs.push(was);
      continue;
    }
    const display = index || record ? merge(index, record, rec?.mtimeMs) : { id, raw: { id } };
    const flags: JobFlag[] = index || record ? [] : ['log-only'];
    if (record && !index) flags.push('unindexed');
    if (index && !record) flags.push('record-missing');
    const log = input.logs.get(id) ?? { exists: false, progress: [] };
    if (!log.exists) flags.push('log-missing');
    if (index?.status && record?.status && index.status !== record.status) flags.push('disagreement');
    if (index && record && FILLABLE.some((k) => index[k] === undefined && record[k] !== undefined))
      flags.push('partial-index');
    jobs.push({
      id,
      stateDir: input.stateDir,
      index,
      record,
      recordMtimeMs: rec?.mtimeMs,
      recordFileId: rec?.fileId,
      display,
      recordedStatus: display.status,
      status: placeholderStatus(display.status),
      flags,
      logPath: path.join(jobsDir, `${id}.log`),
      recordPath: path.join(jobsDir, `${id}.json`),
      log,
      earliestKnownMs: earliest(index, record),
      ...(stopHook ? { stopHook } : {}),
    });
  }
  // The one order of every job list (jobTime.ts), each job's time worked out once.
  return newestFirst(jobs);
}

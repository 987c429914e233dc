// The pipeline every read goes through, as functions of their inputs (no state of their own):
//   a snapshot as read and reconciled (state/snapshot.ts, state/reconcile.ts)
//   → plus what the archive knows: the jobs whose files are deleted, each job's history and the
//     flags that history gives (withArchived, withArchiveHistory)
//   → verified against the process table (state/verify.ts), only the jobs an update touched
//   → completed from its log where a stale job's record lost its last word (inferred)
//   → new job objects, and a folder's jobs sorted by the one job time (vocab/jobTime.ts).
// Nothing given to a function here is changed: every step makes new objects, and a job shown
// before is handed back as that very object when nothing it was made from moved.
import * as path from 'path';
import type { JobArchive } from '../archive/archive';
import type { FileBeneath } from '../io/safeFs';
import { parseJobFields, readLogTail, rootOfStateDir } from '../io/reader';
import { inferEnd } from '../io/logInference';
import { stripUndefined } from '../vocab/values';
import { deriveStatus, verifyJobs } from '../state/verify';
import type { Logger } from '../vocab/emitter';
import { newestFirst } from '../vocab/jobTime';
import { isTerminalStatus } from '../vocab/status';
import type { CoreSettings, InferredEnd, Job, ProcessTable, StateDirSnapshot } from '../vocab/types';
import type { FolderState } from './modelTypes';

export interface PipelineContext {
  archive?: JobArchive;
  table: ProcessTable;
  settings: CoreSettings;
  now: () => number;
  logger: Logger;
  /** How a log ended, per log file and size, bounded: a stale job's log is read once. */
  ends: Map<string, InferredEnd | null>;
}

const INFER_TAIL_BYTES = 64 * 1024;

/**
 * The pipeline for snapshots as read. With `shown` (the jobs shown of the same state dir) and
 * `shownRaw` (the reconciled jobs they were made from), a job reconciled to the same object is
 * shown as it was, and a job read from the same files keeps its verdict.
 */
export async function completeSnapshots(
  ctx: PipelineContext,
  snaps: readonly StateDirSnapshot[],
  shown?: ReadonlyMap<string, Job>,
  shownRaw?: ReadonlyMap<string, Job>,
): Promise<StateDirSnapshot[]> {
  const reused = new Set<Job>();
  const toVerify = new Set<Job>();
  const out = snaps.map((s) => {
    const withArch = withArchived(ctx.archive, s);
    const jobs = withArch.jobs.map((j) => {
      // A gone job made from the same archive entry (so the same `archived` object) with the same
      // log as the one shown is the one shown: hundreds of them per change, none of them moved.
      const prev = j.archived ? shown?.get(j.id) : undefined;
      if (prev && prev.archived === j.archived && prev.log === j.log) {
        reused.add(prev);
        return prev;
      }
      const old = shownRaw?.get(j.id) === j ? shown?.get(j.id) : undefined;
      if (old && keepsArchiveHistory(ctx.archive, old, j)) {
        reused.add(old);
        return old;
      }
      const made = withArchiveHistory(ctx.archive, j);
      const carried = carryVerdict(ctx, made, shown?.get(j.id));
      if (!carried) toVerify.add(made);
      return carried ?? made;
    });
    return { ...withArch, jobs };
  });
  const verified = await verifyOrKeep(ctx, [...toVerify]);
  // Only stale jobs can be completed from their log; the rest go through as they are (no promise each).
  return Promise.all(
    out.map(async (s) => {
      const jobs = s.jobs.map((j) => verified.get(j) ?? j);
      const at = jobs.flatMap((j, i) => (mayInfer(j) ? [i] : []));
      if (at.length === 0) return { ...s, jobs };
      const done = await Promise.all(at.map((i) => inferred(ctx, jobs[i])));
      const byPlace = new Map(at.map((i, k) => [i, done[k]]));
      return { ...s, jobs: jobs.map((j, i) => byPlace.get(i) ?? j) };
    }),
  );
}

/**
 * A job read from the same files as the one shown keeps its verdict (the re-verify timer keeps those
 * of running jobs fresh): a new object with it, or undefined when the job must be checked again.
 */
function carryVerdict(ctx: PipelineContext, j: Job, old: Job | undefined): Job | undefined {
  const sameFiles =
    !!old &&
    old.record === j.record &&
    old.index === j.index &&
    old.recordedStatus === j.recordedStatus &&
    !!old.archived === !!j.archived;
  if (!sameFiles) return undefined;
  const verification = old.verification;
  // Only its log grew: a line says nothing of its process, verified a moment ago (and again by the
  // timer); its status is derived again, as the log's time counts for `stalled`.
  if (old.log !== j.log && verification?.outcome === 'verified')
    return { ...j, verification, status: deriveStatus(j, verification, ctx.settings, ctx.now()) };
  if (old.log !== j.log) return undefined;
  // An inferred status is derived again: inference runs again, from the same log.
  const status = old.inferred ? deriveStatus(j, verification, ctx.settings, ctx.now()) : old.status;
  return { ...j, verification, status };
}

/** The jobs verified (new objects, by the job given); none when verification fails. */
async function verifyOrKeep(ctx: PipelineContext, jobs: Job[]): Promise<Map<Job, Job>> {
  try {
    const done = await verifyJobs(jobs, ctx.table, ctx.settings, ctx.now());
    return new Map(jobs.map((j, i) => [j, done[i]]));
  } catch (err) {
    // Verification failing must not hide what the files say; statuses stay `unverified`.
    ctx.logger.warn(`process verification failed: ${String(err)}`);
    return new Map();
  }
}

/** Whether `shown` (made from `raw` earlier) still carries what the archive knows of the job's history. */
function keepsArchiveHistory(archive: JobArchive | undefined, shown: Job, raw: Job): boolean {
  if (shown.archived) return false;
  const e = archive?.get(raw.stateDir, raw.id);
  // Without a record, the archive's copy of the record may stand in (withArchiveHistory): made afresh.
  return !e || (shown.history === e.history && !!raw.record);
}

/** A copy of a job with what the archive knows of it: its history, and the flags that history gives. */
function withArchiveHistory(archive: JobArchive | undefined, j: Job): Job {
  const e = archive?.get(j.stateDir, j.id);
  if (!e) return { ...j };
  const given = archive!.flagsOf(j.stateDir, j.id).filter((f) => !j.flags.includes(f));
  const flags = given.length ? [...j.flags, ...given] : j.flags;
  // Its record is deleted but the index still says it runs: the last record the archive read may
  // have the end (a concurrent writer deleted it a moment after it was written).
  const kept = e.record && !j.record && !j.archived ? parseJobFields(e.record, 'archive').fields : undefined;
  if (kept && isTerminalStatus(kept.status) && !isTerminalStatus(j.recordedStatus)) {
    const display = { ...j.display, ...stripUndefined(kept), raw: kept.raw };
    return { ...j, history: e.history, flags, display, recordedStatus: kept.status };
  }
  return { ...j, history: e.history, flags };
}

/** The snapshot's jobs plus the archived ones whose files are deleted. */
export function withArchived(archive: JobArchive | undefined, snap: StateDirSnapshot): StateDirSnapshot {
  if (!archive) return snap;
  // Nothing deleted here (the usual case): the snapshot as read.
  if (archive.gone(snap.stateDir).length === 0 && !snap.jobs.some((j) => j.archived)) return snap;
  const onDisk = snap.jobs.filter((j) => !j.archived);
  const logOnly = new Map(onDisk.filter((j) => j.flags.includes('log-only')).map((j) => [j.id, j]));
  const present = new Set(onDisk.filter((j) => !logOnly.has(j.id)).map((j) => j.id));
  const gone: Job[] = [];
  for (const e of archive.gone(snap.stateDir)) {
    if (present.has(e.id)) continue;
    const j = archive.toJob(e);
    if (!j) continue;
    // Its worker may still be writing the log: show that log with what the archive knows.
    const written = logOnly.get(e.id);
    if (written) {
      logOnly.delete(e.id);
      gone.push({ ...j, log: written.log, flags: [...j.flags, 'log-only'] });
    } else gone.push(j);
  }
  return { ...snap, jobs: [...onDisk.filter((j) => !j.flags.includes('log-only') || logOnly.has(j.id)), ...gone] };
}

/**
 * The jobs of a snapshot as the archive is to observe them: the jobs on disk. A deleted job whose
 * worker still writes its log is shown merged with its archived copy; the archive gets that log
 * as the log-only job it is.
 */
export function onDiskJobs(snap: StateDirSnapshot): Job[] {
  return snap.jobs.flatMap((j) =>
    !j.archived
      ? [j]
      : j.flags.includes('log-only')
        ? [{ ...j, record: undefined, index: undefined, archived: undefined, flags: ['log-only' as const] }]
        : [],
  );
}

/**
 * Whether the archive's history of a job has moved past what the job shows: the archive observes
 * after the jobs are made, so a first sight (or a status change) is in the history one pass later.
 */
export function historyMoved(archive: JobArchive | undefined, jobs: readonly Job[]): boolean {
  return jobs.some((j) => {
    const h = archive?.get(j.stateDir, j.id)?.history;
    const shown = j.history ?? [];
    return !!h && h !== shown && (h.length !== shown.length || h[h.length - 1] !== shown[shown.length - 1]);
  });
}

const mayInfer = (j: Job) => j.status === 'stale' || (j.status === 'unknown' && !j.recordedStatus);

/** A stale job whose log (or the archive's copy of it) ends with the companion's completion, shown as it ended. */
export async function inferred(ctx: PipelineContext, j: Job): Promise<Job> {
  // Stale, or known only from its log (no status anywhere): the log may say how it ended.
  if (!mayInfer(j)) return j;
  const kept = j.log.exists ? undefined : keptLog(ctx.archive, j);
  const file = j.log.exists ? j.logPath : kept?.file;
  if (!file) return j;
  const root = j.log.exists ? rootOfStateDir(j.stateDir) : kept!.root;
  const key = `${file}\u0000${j.log.exists ? `${j.log.size}:${j.log.mtimeMs}` : `a${kept?.bytes}`}`;
  let end = ctx.ends.get(key);
  if (end === undefined) {
    const tail = await readLogTail(file, INFER_TAIL_BYTES, root).catch(() => undefined);
    end = (tail?.exists && inferEnd(tail.text)) || null;
    if (ctx.ends.size > 1000) ctx.ends.clear();
    ctx.ends.set(key, end);
  }
  if (!end) return j;
  return {
    ...j,
    status: end.status,
    flags: [...j.flags, 'inferred-from-log'],
    inferred: end,
    display: { ...j.display, rendered: j.display.rendered ?? end.rendered },
  };
}

/** The archive's copy of a job's log, when it holds any. */
function keptLog(archive: JobArchive | undefined, j: Job): (FileBeneath & { bytes: number }) | undefined {
  const e = archive?.get(j.stateDir, j.id);
  return e && e.logBytes > 0
    ? { file: archive!.entryPaths(j.stateDir, j.id).log, root: archive!.dir, bytes: e.logBytes }
    : undefined;
}

/** A new FolderState from a folder and its completed snapshots. */
export function folderWith(f: FolderState, snapshots: StateDirSnapshot[]): FolderState {
  const jobs = newestFirst(snapshots.flatMap((s) => s.jobs));
  const warnings = [...(f.readWarnings ?? []), ...snapshots.flatMap((s) => s.warnings)];
  return { ...f, snapshots, jobs, warnings };
}

/** Where a state dir's job files are (for the reads of one job). */
export const jobFile = (stateDir: string, id: string, ext: 'json' | 'log'): string =>
  path.join(stateDir, 'jobs', `${id}.${ext}`);

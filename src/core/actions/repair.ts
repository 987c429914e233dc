// Explicit, user-confirmed repairs of a state dir: put a lost job back in the index, put a deleted
// record back from the archive, mark a job whose process is gone as failed. Each runs under the
// workspace launch lock and the `state.json.lock` convention of lock-aware companions, changes the
// least it can, keeps every other field as it was, and checks its own write.
import { promises as fs } from 'fs';
import * as path from 'path';
import * as lockfile from 'proper-lockfile';
import {
  appendSafe,
  assertRealDir,
  copyRegular,
  fileTypeName,
  mkdirBeneath,
  openRegular,
  parseJsonBounded,
  readAt,
  READ_LIMITS,
  removeBeneath,
  renameBeneath,
  SafeFsError,
  stringifyBounded,
  tempPathFor,
  toSafeFsError,
  writeFileAtomic,
  writeNewFile,
} from '../io/safeFs';
import { withWorkspaceLock } from './lock';
import { isSafeJobId, readJsonFile, readJsonText, rootOfStateDir } from '../io/reader';
import { verifyJobProcess } from '../state/verify';
import type { JobArchive } from '../archive/archive';
import type { Job, ProcessTable } from '../vocab/types';
import { isTerminalStatus } from '../vocab/status';
import { sleep } from '../vocab/async';
import { isObject } from '../vocab/values';

/** The fields an index entry carries (a subset of the record), as the companion writes them. */
const INDEX_FIELDS = [
  'id',
  'kind',
  'kindLabel',
  'title',
  'summary',
  'jobClass',
  'status',
  'phase',
  'pid',
  'logFile',
  'workspaceRoot',
  'sessionId',
  'threadId',
  'turnId',
  'write',
  'createdAt',
  'startedAt',
  'completedAt',
  'errorMessage',
];

export interface RepairResult {
  ok: boolean;
  message: string;
  /** How many times the index changed under us and the change was redone on the new content. */
  retries?: number;
}

export interface RepairOptions {
  table: ProcessTable;
  archive?: JobArchive;
  now?: () => number;
  log?: (m: string) => void;
  /** Said in the job's history beside the repair ("put back in the index by the guardian"). */
  note?: string;
  /** markStaleFailed: the errorMessage written, when not the default sentence. */
  reason?: string;
}

/**
 * The files a repair may write: the state dir and jobs/ real directories (jobs/ may be missing),
 * and each target missing or a regular file. Checked before any lock is taken and anything written,
 * so a hostile file makes the repair refuse at once instead of half-applying (or blocking in open()
 * while holding the locks). The writes check again on their own, for what changes in between.
 */
async function preflight(stateDir: string, targets: string[]): Promise<string | undefined> {
  try {
    await assertRealDir(stateDir);
    try {
      await assertRealDir(path.join(stateDir, 'jobs'), stateDir);
    } catch (err) {
      if (!(err instanceof SafeFsError && err.reason === 'missing')) throw err;
    }
    // A lock that is a link (or a file) is no lock we can take or tell stale: refused at once, not
    // waited for until the lock's retries run out.
    for (const l of ['state.json.lock', 'launch.lock']) {
      const st = await fs.lstat(path.join(stateDir, l)).catch(() => undefined);
      if (st?.isSymbolicLink()) throw new SafeFsError(path.join(stateDir, l), 'link', 'is a symbolic link, not a lock');
    }
    for (const t of targets) {
      const st = await fs.lstat(t).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw toSafeFsError(t, err);
      });
      if (st && !st.isFile())
        throw new SafeFsError(
          t,
          st.isSymbolicLink() ? 'link' : 'not-regular',
          st.isSymbolicLink() ? 'is a symbolic link' : `not a regular file (${fileTypeName(st)})`,
        );
    }
    return undefined;
  } catch (err) {
    const e = toSafeFsError(stateDir, err);
    return `${e.file}: ${e.what}; nothing was changed`;
  }
}

/** A repair never throws: an unexpected failure is a refusal with its reason. */
async function guarded(what: string, fn: () => Promise<RepairResult>): Promise<RepairResult> {
  try {
    return await fn();
  } catch (err) {
    const msg = err instanceof SafeFsError ? `${err.file}: ${err.what}` : ((err as Error)?.message ?? String(err));
    return { ok: false, message: `${what} failed: ${msg}` };
  }
}

/** Holds both locks: ours, then the companion convention's, so a lock-aware companion waits for us. */
async function underLocks(stateDir: string, fn: () => Promise<RepairResult>): Promise<RepairResult> {
  const r = await withWorkspaceLock(stateDir, async () => {
    const stateFile = path.join(stateDir, 'state.json');
    let release: (() => Promise<void>) | undefined;
    try {
      release = await lockfile.lock(stateFile, {
        realpath: false,
        stale: 10_000,
        retries: { retries: 40, factor: 1.3, minTimeout: 25, maxTimeout: 250 },
      });
    } catch (err) {
      return { ok: false, message: `state.json.lock is held by another writer: ${(err as Error).message}` };
    }
    try {
      return await fn();
    } finally {
      await release().catch(() => undefined);
    }
  });
  return r.ok ? r.value : { ok: false, message: r.message };
}

interface StateDoc {
  raw: Record<string, unknown>;
  text: string;
}

/** Parses exactly the text it returns, so a later comparison against that text means something. */
async function readState(stateFile: string): Promise<StateDoc | string> {
  // More patient than a view's read: a writer mid-truncate is read again up to three times.
  const r = await readJsonText(stateFile, 4, 'state', rootOfStateDir(path.dirname(stateFile)));
  if (r.missing) return { raw: { version: 1, config: { stopReviewGate: false }, jobs: [] }, text: '' };
  if (r.value === undefined || r.text === undefined)
    return `state.json cannot be repaired safely: ${r.warnings[0]?.message ?? 'it could not be read'}`;
  if (!isObject(r.value)) return 'state.json cannot be repaired safely: it is not an object';
  const doc = r.value;
  if (doc.jobs !== undefined && !Array.isArray(doc.jobs)) return 'state.json "jobs" is not a list; not touched';
  return { raw: doc, text: r.text };
}

/** How long an edit keeps being redone while a concurrent writer keeps undoing it. */
const EDIT_PATIENCE_MS = 15_000;

/**
 * Read, change, and write state.json through a temp file and a rename. The companion writes the file
 * in place (truncate, then write), so a handle opened before the rename still sees any write an
 * unlocked writer makes to the old file around our rename: if that content differs from what our
 * edit was based on, the edit is redone on it and written again, so that writer's jobs are never
 * dropped by ours.
 */
async function editIndex(
  stateDir: string,
  edit: (jobs: Record<string, unknown>[], redo: boolean) => string | undefined,
  check: (jobs: Record<string, unknown>[]) => boolean,
): Promise<RepairResult> {
  const stateFile = path.join(stateDir, 'state.json');
  // Every file here is reached from the state root down: a state dir swapped for a link is not entered.
  const root = rootOfStateDir(stateDir);
  let base = await readState(stateFile);
  // Jobs another writer added to the file we replaced: our rename hid them, so they must be in the end result.
  const rescued = new Map<string, Entry>();
  // A busy writer can undo an edit many times in a row, more so on a loaded machine where its
  // writes stretch out: tries go on for a while, not a fixed number of times.
  const giveUpAt = Date.now() + EDIT_PATIENCE_MS;
  for (let attempt = 0; attempt < 8 || (attempt < 200 && Date.now() < giveUpAt); attempt++) {
    if (typeof base === 'string') return { ok: false, message: base };
    const jobs = [...((base.raw.jobs as Record<string, unknown>[] | undefined) ?? [])];
    const refused = edit(jobs, attempt > 0);
    if (refused) return { ok: false, message: refused };
    const tmp = tempPathFor(stateFile);
    await removeBeneath(tmp, root).catch(() => undefined); // a crash's leftover
    await writeNewFile(tmp, `${stringifyBounded({ ...base.raw, jobs }, 2)}\n`, root);
    const old = await openRegular(stateFile, root).then(
      (o) => o.fh,
      () => undefined,
    );
    try {
      if (old && (await readHandle(old)) !== base.text) {
        await removeBeneath(tmp, root);
        base = await readState(stateFile);
        continue;
      }
      await renameBeneath(tmp, stateFile, root);
      // Give an in-flight writer of the old file a moment to finish before looking at it.
      await sleep(15);
      const late = old ? await readHandle(old) : base.text;
      if (late !== base.text) {
        base = afterLateWrite(base, await lateState(old!, late, stateFile), await readState(stateFile), rescued);
        continue;
      }
    } finally {
      await old?.close().catch(() => undefined);
    }
    // A writer may have read a file of ours before it had the hidden jobs, and write that back a
    // moment later: the result counts only once it has held for longer than a writer's read-modify-write.
    let after: StateDoc | string = '';
    let missing: Entry[] = [];
    let held = true;
    // After a rescue a writer may hold a copy of ours without the rescued jobs for as long as the
    // scheduler keeps it waiting: watch longer then.
    for (const wait of rescued.size ? [0, 60, 250, 1000] : [0, 60]) {
      await sleep(wait);
      after = await readState(stateFile);
      if (typeof after === 'string') return { ok: false, message: after };
      const afterJobs = (after.raw.jobs as Entry[] | undefined) ?? [];
      missing = [...rescued.values()].filter((e) => !afterJobs.some((x) => x?.id === e.id));
      if (missing.length > 0 || !check(afterJobs)) {
        held = false;
        break;
      }
    }
    if (held) return { ok: true, message: 'state.json updated', retries: attempt };
    const doc = after as StateDoc;
    base = {
      raw: { ...doc.raw, jobs: [...missing, ...((doc.raw.jobs as Entry[] | undefined) ?? [])] },
      text: doc.text,
    };
  }
  return {
    ok: false,
    message: 'state.json kept changing under a concurrent writer; the repair did not stick. Try again.',
  };
}

/** The old file's current content, as far as an index may be long (more is no index: it differs). */
async function readHandle(fh: fs.FileHandle): Promise<string> {
  return (await readAt(fh, 0, READ_LIMITS.state + 1)).toString('utf8');
}

type Entry = Record<string, unknown>;

/**
 * The writer's late write went to the file we replaced, so two lines of history exist: ours (now at
 * the path, maybe changed again since) and the writer's. Its changes relative to what we started from
 * (jobs added, removed, updated) are carried onto the current file, which becomes the new base.
 */
function afterLateWrite(
  base: StateDoc,
  theirs: StateDoc | string,
  current: StateDoc | string,
  rescued: Map<string, Entry>,
): StateDoc | string {
  if (typeof theirs === 'string') return theirs;
  if (typeof current === 'string') return current;
  const byId = (d: StateDoc) =>
    new Map(
      ((d.raw.jobs as Entry[] | undefined) ?? [])
        .filter((e) => typeof e?.id === 'string')
        .map((e) => [e.id as string, e]),
    );
  const b = byId(base);
  const w = byId(theirs);
  let jobs = [...((current.raw.jobs as Entry[] | undefined) ?? [])];
  const added: Entry[] = [];
  for (const [id, e] of w) {
    const i = jobs.findIndex((x) => x?.id === id);
    if (!b.has(id)) {
      rescued.set(id, e);
      if (i < 0) added.push(e);
    } else if (JSON.stringify(b.get(id)) !== JSON.stringify(e) && i >= 0) jobs[i] = e;
  }
  const removed = new Set([...b.keys()].filter((id) => !w.has(id)));
  jobs = [...added, ...jobs.filter((x) => !removed.has(x?.id as string))];
  return { raw: { ...current.raw, jobs }, text: current.text };
}

/**
 * A late write read mid-way (truncated, half written) is read again until it parses. Patient: a
 * writer that truncated the old file may be kept from writing it for seconds on a loaded machine, and
 * what it then writes there would be lost if this gave up first.
 */
async function lateState(old: fs.FileHandle, text: string, stateFile: string): Promise<StateDoc | string> {
  for (let i = 0; i < 120; i++) {
    try {
      const raw = parseJsonBounded(text).value;
      if (isObject(raw) && Array.isArray(raw.jobs)) return { raw, text };
    } catch {
      // not finished yet
    }
    await sleep(25);
    text = await readHandle(old);
  }
  return readState(stateFile);
}

function entryFrom(record: Record<string, unknown>, updatedAt: string): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  for (const k of INDEX_FIELDS) if (record[k] !== undefined) e[k] = record[k];
  return { ...e, updatedAt };
}

/** Race 1's loser: its record is on disk, the index lost it. Its files are archived first. */
export function restoreToIndex(job: Job, o: RepairOptions): Promise<RepairResult> {
  return guarded(`restoring ${job.id} to the index`, async () => {
    if (!isSafeJobId(job.id)) return { ok: false, message: `refusing an unsafe job id ${JSON.stringify(job.id)}` };
    if (!job.record) return { ok: false, message: `${job.id} has no record on disk to restore from` };
    const refused = await preflight(job.stateDir, [path.join(job.stateDir, 'state.json')]);
    if (refused) return { ok: false, message: refused };
    if (o.archive) {
      // An unlocked companion may delete the files again (race 2): the archive must have them first.
      await o.archive.keep(job, (o.now ?? Date.now)());
      if (!o.archive.get(job.stateDir, job.id)?.record)
        return { ok: false, message: `${job.id} could not be archived first; not restored` };
    }
    const record = job.record.raw;
    const t =
      (['completedAt', 'startedAt', 'createdAt'] as const)
        .map((k) => record[k])
        .find((v): v is string => typeof v === 'string') ?? new Date((o.now ?? Date.now)()).toISOString();
    const r = await underLocks(job.stateDir, () =>
      editIndex(
        job.stateDir,
        (jobs, redo) => {
          if (jobs.some((e) => e?.id === job.id)) return redo ? undefined : `${job.id} is already in state.json`;
          jobs.push(entryFrom(record, t));
          // The companion keeps its index newest first.
          jobs.sort((a, b) => String(b?.updatedAt ?? '').localeCompare(String(a?.updatedAt ?? '')));
          return undefined;
        },
        (jobs) => jobs.some((e) => e?.id === job.id),
      ),
    );
    return noted(r, job, o);
  });
}

/** A repair that wrote a job's files back is part of its history (the archive's `restored` event). */
async function noted(r: RepairResult, job: Job, o: RepairOptions): Promise<RepairResult> {
  if (r.ok) await o.archive?.noteRestored(job.stateDir, job.id, (o.now ?? Date.now)(), o.note);
  return r;
}

/**
 * Race 2's victim: its record (and maybe its log) deleted while the index, or only our archive, still
 * knows it. The archive's copies go back; nothing that exists again is overwritten, nothing is
 * written through a link, and the archive's log is copied only from a regular file.
 */
export function restoreRecord(job: Job, o: RepairOptions): Promise<RepairResult> {
  return guarded(`restoring the record of ${job.id}`, async () => {
    if (!isSafeJobId(job.id)) return { ok: false, message: `refusing an unsafe job id ${JSON.stringify(job.id)}` };
    const kept = o.archive?.get(job.stateDir, job.id);
    if (!kept?.record) return { ok: false, message: `the archive has no record of ${job.id} to restore` };
    const jobsDir = path.join(job.stateDir, 'jobs');
    const file = path.join(jobsDir, `${job.id}.json`);
    const logFile = path.join(jobsDir, `${job.id}.log`);
    const root = rootOfStateDir(job.stateDir);
    const refused = await preflight(job.stateDir, [file, logFile]);
    if (refused) return { ok: false, message: refused };
    const text = `${stringifyBounded(kept.record, 2)}\n`;
    const r = await underLocks(job.stateDir, async () => {
      if (
        await fs.lstat(file).then(
          () => true,
          () => false,
        )
      )
        return { ok: false, message: `${job.id} has a record again; not overwritten` };
      // Not recursive: only jobs/ itself is made, in the state dir reached without following a link.
      await mkdirBeneath(jobsDir, root);
      await writeFileAtomic(file, text, root);
      const back = await readJsonFile(file, 'record', root);
      if (!back.value) return { ok: false, message: 'the restored record could not be read back' };
      let logNote = '';
      const logBytes = typeof kept.logBytes === 'number' && kept.logBytes > 0 ? kept.logBytes : 0;
      if (logBytes > 0) {
        try {
          const n = await copyRegular(
            { file: o.archive!.entryPaths(job.stateDir, job.id).log, root: o.archive!.dir },
            { file: logFile, root },
            logBytes,
          );
          logNote = ` and its log (${n} bytes)`;
        } catch (err) {
          const e = toSafeFsError(logFile, err);
          if (e.code !== 'EEXIST') logNote = `; the log could not be restored: ${e.file}: ${e.what}`;
        }
      }
      return { ok: true, message: `restored the record of ${job.id}${logNote} from the archive` };
    });
    return noted(r, job, o);
  });
}

/** A job recorded running whose process is gone: failed, in the index and the record, with a log line. */
export function markStaleFailed(job: Job, o: RepairOptions): Promise<RepairResult> {
  return guarded(`marking ${job.id} failed`, async () => {
    if (!isSafeJobId(job.id)) return { ok: false, message: `refusing an unsafe job id ${JSON.stringify(job.id)}` };
    const recordFile = path.join(job.stateDir, 'jobs', `${job.id}.json`);
    const logFile = path.join(job.stateDir, 'jobs', `${job.id}.log`);
    const root = rootOfStateDir(job.stateDir);
    const refused = await preflight(job.stateDir, [path.join(job.stateDir, 'state.json'), recordFile, logFile]);
    if (refused) return { ok: false, message: refused };
    const marked = await underLocks(job.stateDir, async () => {
      // Checked again under the locks: the process must still be gone.
      const pid = job.display.pid;
      const info = typeof pid === 'number' ? (await o.table.inspect([pid])).get(pid) : undefined;
      const v = verifyJobProcess(job, info, (o.now ?? Date.now)());
      if (v.outcome !== 'gone' && v.outcome !== 'zombie' && v.outcome !== 'reused')
        return { ok: false, message: `${job.id} is not stale now: ${v.detail}` };
      const now = new Date((o.now ?? Date.now)()).toISOString();
      const message =
        o.reason ?? `The job's process${pid ? ` (pid ${pid})` : ''} was gone; marked failed by Codex Jobs.`;
      const patch = { status: 'failed', phase: 'failed', pid: null, completedAt: now, errorMessage: message };
      const result = await editIndex(
        job.stateDir,
        (jobs) => {
          const i = jobs.findIndex((e) => e?.id === job.id);
          if (i < 0) return undefined; // not indexed: the record alone is marked
          jobs[i] = { ...jobs[i], ...patch, updatedAt: now };
          return undefined;
        },
        (jobs) => !jobs.some((e) => e?.id === job.id && e.status !== 'failed'),
      );
      if (!result.ok) return result;
      const rec = await readJsonFile(recordFile, 'record', root);
      // Our atomic replace makes a new file: the archive is told, so it is no deletion in the history.
      if (isObject(rec.value)) o.archive?.expectRecordWrite(job.stateDir, job.id);
      if (isObject(rec.value))
        await writeFileAtomic(recordFile, `${stringifyBounded({ ...rec.value, ...patch }, 2)}\n`, root);
      // A log that became a link or FIFO since the check is refused here; the index is marked already.
      const logNote = await appendSafe(logFile, `[${now}] ${message}\n`, root).then(
        () => '',
        (err) => `; the log line was not written: ${toSafeFsError(logFile, err).message}`,
      );
      return { ok: true, message: `${job.id} marked failed${logNote}`, retries: result.retries };
    });
    return o.note ? noted(marked, job, o) : marked;
  });
}

/**
 * A log deleted under a running job, not written again yet: the archive's copy goes back (created
 * exclusively, so a log the worker re-created first is never overwritten), and the worker's next
 * append continues it, so the log reads whole.
 */
export function restoreLog(job: Job, o: RepairOptions): Promise<RepairResult> {
  return guarded(`restoring the log of ${job.id}`, async () => {
    if (!isSafeJobId(job.id)) return { ok: false, message: `refusing an unsafe job id ${JSON.stringify(job.id)}` };
    const kept = o.archive?.get(job.stateDir, job.id);
    const logBytes = typeof kept?.logBytes === 'number' ? kept.logBytes : 0;
    if (!kept || logBytes <= 0) return { ok: false, message: `the archive has no log of ${job.id} to restore` };
    const logFile = path.join(job.stateDir, 'jobs', `${job.id}.log`);
    const root = rootOfStateDir(job.stateDir);
    const refused = await preflight(job.stateDir, [logFile]);
    if (refused) return { ok: false, message: refused };
    const r = await underLocks(job.stateDir, async () => {
      try {
        const n = await copyRegular(
          { file: o.archive!.entryPaths(job.stateDir, job.id).log, root: o.archive!.dir },
          { file: logFile, root },
          logBytes,
        );
        return { ok: true, message: `restored the log of ${job.id} (${n} bytes) from the archive` };
      } catch (err) {
        const e = toSafeFsError(logFile, err);
        if (e.code === 'EEXIST') return { ok: false, message: `${job.id} has a log again; not overwritten` };
        throw err;
      }
    });
    return noted(r, job, o);
  });
}

/** What an index entry takes from a finished record: how it ended and when. */
const ENDING_FIELDS = ['status', 'phase', 'pid', 'startedAt', 'completedAt', 'errorMessage'] as const;

/**
 * A record that says the job finished while its state.json entry still says queued/running (the
 * worker's last index write was lost): the Stop hook, which reads only the index, reports it as
 * running at every stop. The record's status and times are copied into every entry with its id,
 * provided the record is still the one that was shown.
 */
export function syncIndexEntry(job: Job, o: RepairOptions): Promise<RepairResult> {
  return guarded(`updating the index entry of ${job.id}`, async () => {
    if (!isSafeJobId(job.id)) return { ok: false, message: `refusing an unsafe job id ${JSON.stringify(job.id)}` };
    const shown = job.record?.raw;
    if (!shown || !isTerminalStatus(job.record?.status))
      return { ok: false, message: `${job.id} has no record that says it finished; nothing to copy` };
    const recordFile = path.join(job.stateDir, 'jobs', `${job.id}.json`);
    const root = rootOfStateDir(job.stateDir);
    const refused = await preflight(job.stateDir, [path.join(job.stateDir, 'state.json'), recordFile]);
    if (refused) return { ok: false, message: refused };
    // In the archive first, as every repair's job is: its history then tells of the repair.
    await o.archive?.keep(job, (o.now ?? Date.now)());
    const r = await underLocks(job.stateDir, async () => {
      // Read again under the locks: what is copied is what was shown, or nothing.
      const rec = await readJsonFile(recordFile, 'record', root);
      if (stringifyBounded(rec.value) !== stringifyBounded(shown))
        return {
          ok: false,
          message: `${job.id}'s record changed since it was shown; nothing was changed. Look again.`,
        };
      const patch: Record<string, unknown> = {};
      for (const k of ENDING_FIELDS) if (shown[k] !== undefined) patch[k] = shown[k];
      const now = new Date((o.now ?? Date.now)()).toISOString();
      const result = await editIndex(
        job.stateDir,
        (jobs) => {
          let found = false;
          jobs.forEach((e, i) => {
            if (e?.id !== job.id) return;
            found = true;
            jobs[i] = { ...e, ...patch, updatedAt: now };
          });
          return found ? undefined : `${job.id} is not in state.json; nothing to update`;
        },
        (jobs) =>
          jobs.some((e) => e?.id === job.id) && jobs.every((e) => e?.id !== job.id || e.status === patch.status),
      );
      if (!result.ok) return result;
      return {
        ok: true,
        message: `${job.id}'s state.json entry now says ${String(patch.status)}, as its record does`,
        retries: result.retries,
      };
    });
    return noted(r, job, o);
  });
}

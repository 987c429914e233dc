// Takes in what a scan of a state dir found: each job's record, index entry, log and status, copied
// when changed; the jobs no longer there marked deleted (pruned, deleted while running, or deleted
// by a concurrent writer) with what their open logs still held; jobs seen only on file events
// adopted (earlyReads). Runs on the archive's queue, one scan at a time. Entries are changed only as
// drafts put in place of the old ones (entries.ts).
import { isVerifiedLive } from '../vocab/classify';
import type { Job } from '../vocab/types';
import { isTerminalStatus } from '../vocab/status';
import { addEvent, newEntry, type ArchiveEntry } from './entry';
import type { ArchiveStore } from './archiveStore';
import type { EarlyReads } from './earlyReads';
import type { EntryWriter } from './entryWriter';
import type { LimitKeeper } from './limits';
import type { LogCopier } from './logCopy';
import { keyOf } from '../vocab/keys';

/** A job seen finishing writes its final output after its record says so: its log stays open this long. */
const FINISHED_GRACE_MS = 10_000;
/** How often an unchanged job's entry is marked seen again (for eviction order and the age limit). */
const TOUCH_EVERY_MS = 60_000;
/** New log bytes copied inline per job per scan; more goes to the background copier. */
export const INLINE_BYTES = 1024 * 1024;

interface LastSeen {
  job: Job;
  entry: ArchiveEntry | undefined;
  key: string;
}

export class ScanObserver {
  /** Per state dir, each job object as last observed, the entry that scan left, and its key (made once). */
  private readonly seen = new Map<string, Map<string, LastSeen>>();
  /** Records about to be replaced by a write of our own (keys): their next new file is no deletion. */
  readonly ownRecordWrites = new Set<string>();

  constructor(
    private readonly store: ArchiveStore,
    private readonly copier: LogCopier,
    private readonly early: EarlyReads,
    private readonly writer: EntryWriter,
    private readonly limits: LimitKeeper,
    /** Whether big copies may run in the background (see ArchiveOptions.background). */
    private readonly background: boolean,
  ) {}

  private get entries() {
    return this.store.entries;
  }

  private get held() {
    return this.copier.held;
  }

  /** Takes in what a state dir holds now. `indexSize` tells ordinary pruning (a full index of 50) from a concurrent writer's deletion. */
  async observeDir(stateDir: string, jobs: readonly Job[], indexSize: number, now: number): Promise<void> {
    await this.store.load([stateDir]);
    if (!(await this.store.ensureDirFor(stateDir))) return;
    const present = new Set<string>();
    const logOnly = new Set(jobs.filter((j) => j.flags.includes('log-only')).map((j) => j.id));
    for (const job of jobs) {
      // A job with only its log left is gone all the same; its log is still copied.
      if (!job.flags.includes('log-only')) present.add(job.id);
      // A job object this archive saw last time, its entry untouched since and no log held or
      // opened for it, is as it was: a log line scans 200 jobs and changed one.
      if (this.sameAsLastSeen(stateDir, job, now)) continue;
      await this.observeJob(stateDir, job, now, false);
      const entry = this.entries.getIn(stateDir, job.id);
      this.lastSeen(stateDir).set(job.id, { job, entry, key: keyOf(stateDir, job.id) });
    }
    const seen = this.seen.get(stateDir);
    if (seen && seen.size > present.size + logOnly.size)
      for (const id of seen.keys()) if (!present.has(id) && !logOnly.has(id)) seen.delete(id);
    await this.markGone(stateDir, present, logOnly, indexSize, now);
    await this.early.adoptUnseen(stateDir, (id) => present.has(id) || logOnly.has(id), now);
    await this.limits.enforce(now);
  }

  /** What was here before and is gone now: kept, with how it went. */
  private async markGone(
    stateDir: string,
    present: ReadonlySet<string>,
    logOnly: ReadonlySet<string>,
    indexSize: number,
    now: number,
  ): Promise<void> {
    for (const e of this.entries.ofDir(stateDir)) {
      if (present.has(e.id)) continue;
      const k = keyOf(e.stateDir, e.id);
      // Gone before, nothing held or read for it since: nothing to do (most of them, every scan).
      if (
        e.goneHow &&
        !logOnly.has(e.id) &&
        !this.held.isHeld(k) &&
        !this.held.hasOpened(k) &&
        !this.held.records.has(k) &&
        !this.copier.inBacklog(k)
      )
        continue;
      const changed = await this.entries.edit(e, async (d) => {
        let changed = this.early.takeRecord(k, d);
        if (!d.goneHow) {
          noteDeleted(d, indexSize, !logOnly.has(d.id), now);
          changed = true;
        }
        // Whatever was written before the deletion is still in the open files, also in files opened
        // after the job was first found gone (its worker wrote on). A log-only job's copy did that.
        if (!logOnly.has(d.id)) changed = (await this.copier.release(k, d, now)) || changed;
        return changed;
      });
      if (changed) await this.writer.write(this.entries.get(k) ?? e);
    }
  }

  private lastSeen(stateDir: string): Map<string, LastSeen> {
    let m = this.seen.get(stateDir);
    if (!m) this.seen.set(stateDir, (m = new Map()));
    return m;
  }

  private sameAsLastSeen(stateDir: string, job: Job, now: number): boolean {
    const last = this.seen.get(stateDir)?.get(job.id);
    if (!last || last.job !== job || !last.entry || this.entries.getIn(stateDir, job.id) !== last.entry) return false;
    const k = last.key;
    // Beyond what needs a scan anyway: a log held open (it may grow unseen) or still being copied.
    if (this.needsScan(k, last.entry, job) || this.held.isHeld(k) || this.copier.inBacklog(k)) return false;
    // In memory only, as when observeJob finds it unchanged; at most once a minute per entry: a log
    // line rescans 200 jobs, and copying 199 entries to move their eviction time by a second was
    // most of a line's cost (eviction and the age limit count in hours and days).
    if (now - last.entry.lastSeenMs >= TOUCH_EVERY_MS) last.entry = this.entries.touch(last.entry, now);
    return true;
  }

  /** Takes in one job as a scan found it; `force` copies all of its log now and writes its entry. */
  async observeJob(stateDir: string, job: Job, now: number, force: boolean): Promise<void> {
    const k = keyOf(stateDir, job.id);
    // A job of an old entry let go from memory (files written back, or re-created): its history first.
    if (!this.entries.has(k)) await this.store.recall(stateDir, job.id);
    const prev = this.entries.get(k);
    if (prev && !force && this.unchanged(k, prev, job)) {
      this.entries.touch(prev, now); // in memory only: eviction order; written with the next real change
      return;
    }
    const e: ArchiveEntry = prev ? { ...prev, history: [...prev.history] } : newEntry(stateDir, job.id, now);
    const logOnly = job.flags.includes('log-only');
    if (!prev && !logOnly) {
      const created = Date.parse(job.display.createdAt ?? '');
      addEvent(e, { atMs: Number.isNaN(created) ? now : created, what: 'created', status: job.recordedStatus });
    }
    let changed = this.takeFiles(k, e, job) || !prev;
    const log = await this.copyNew(k, e, job, now, force);
    changed = log.changed || changed;
    if (!logOnly) changed = noteStatus(e, prev, job, now) || changed;
    if (this.held.isHeld(k) && isTerminalStatus(job.status)) {
      const since = this.held.finishedSince.get(k) ?? now;
      this.held.finishedSince.set(k, since);
      if (now - since >= FINISHED_GRACE_MS) changed = (await this.copier.release(k, e, now)) || changed;
    }
    this.entries.put(e);
    // Only more of its log was copied: in the extension, written a little later (OFFSET_WRITE_MS).
    if (changed || (log.grewOnly && (!this.background || force))) await this.writer.write(e);
    else if (log.grewOnly) this.writer.defer(e);
  }

  /** Into draft `e`: the job's record and index entry, when changed. */
  private takeFiles(k: string, e: ArchiveEntry, job: Job): boolean {
    let changed = false;
    if (job.record && (job.recordMtimeMs !== e.recordMtimeMs || job.recordFileId !== e.recordFileId || !e.record)) {
      this.noteReplaced(k, e, job);
      e.record = job.record.raw;
      e.recordMtimeMs = job.recordMtimeMs;
      e.recordFileId = job.recordFileId;
      this.held.records.delete(k);
      changed = true;
    } else if (!e.record) changed = this.early.takeRecord(k, e);
    // The same parsed entry object as last time is the same entry (a partial re-read keeps it).
    if (job.index && job.index.raw !== e.index && JSON.stringify(job.index.raw) !== JSON.stringify(e.index)) {
      e.index = job.index.raw;
      changed = true;
    } else if (job.index) e.index = job.index.raw;
    return changed;
  }

  /**
   * A record that is another file than last time was deleted and written again in between, however
   * fast (a racer's unlink and the worker's re-creation 2 ms apart make no scan between them, and
   * file events may be folded): that is a deletion in its history, unless the new file is a write of
   * our own (a repair's atomic replace, announced by `expectRecordWrite`).
   */
  private noteReplaced(k: string, e: ArchiveEntry, job: Job): void {
    // A deletion already seen (the job was found gone) is not told twice.
    if (e.goneHow || !e.recordFileId || !job.recordFileId || e.recordFileId === job.recordFileId) return;
    if (this.ownRecordWrites.delete(k)) return;
    const by = e.lastLive ? 'deleted-while-running' : 'deleted-by-concurrent-writer';
    const now = Date.now();
    addEvent(e, { atMs: now, what: 'deleted', status: e.lastStatus, files: 'record', by });
    addEvent(e, { atMs: now, what: 'recreated', status: job.recordedStatus });
  }

  /** Into draft `e`: the job's new log bytes (a big rest to the backlog, or a note in the CLI). */
  private async copyNew(
    k: string,
    e: ArchiveEntry,
    job: Job,
    now: number,
    force: boolean,
  ): Promise<{ changed: boolean; grewOnly: boolean }> {
    const size = job.log.size;
    const grown =
      job.log.exists &&
      size !== undefined &&
      (size !== e.logOffset || (job.log.fileId !== undefined && job.log.fileId !== e.logFileId));
    // A held file that is no longer the one at the path (deleted, re-created) still has bytes to give.
    const other = this.held.holdsOther(k, job.log.exists ? job.log.fileId : undefined);
    const opened = this.held.hasOpened(k);
    const sameFile = job.log.fileId === undefined || job.log.fileId === e.logFileId;
    const pending = grown && size !== undefined ? size - (sameFile ? e.logOffset : 0) : 0;
    if (grown && !other && !opened && pending > INLINE_BYTES && !force && !this.background) {
      // The CLI never copies a big log on the status path; it says so, once.
      const note = `not copied yet: ${pending} bytes of log (the command line copies at most ${INLINE_BYTES} new bytes a run; the extension copies bigger logs in the background)`;
      const changed = !e.logNote?.startsWith('not copied yet');
      e.logNote = note;
      return { changed, grewOnly: false };
    }
    // Log files opened on events since the last copy are taken over (or closed) even when nothing grew.
    if (!grown && !other && !opened) return { changed: false, grewOnly: false };
    const pre = { ...e };
    const r = await this.copier.copyLog(
      e,
      {
        logPath: job.logPath,
        status: job.status,
        budget: force ? Infinity : INLINE_BYTES,
        recent: justFinished(job, now),
        currentId: job.log.exists ? job.log.fileId : undefined,
      },
      now,
    );
    if (r.more) this.copier.toBacklog(k, job);
    return r.changed && onlyGrew(pre, e) ? { changed: false, grewOnly: true } : { changed: r.changed, grewOnly: false };
  }

  /** Whether a job needs a scan whatever its files say: what the archive holds for it moves on its own. */
  private needsScan(k: string, e: ArchiveEntry, job: Job): boolean {
    return (
      job.flags.includes('log-only') ||
      !!e.goneHow ||
      this.held.hasOpened(k) ||
      this.held.records.has(k) ||
      (this.held.isHeld(k) && isTerminalStatus(job.status)) // its grace period is counted
    );
  }

  /** Nothing to copy, record or say about a job since the last scan (most jobs, most scans). */
  private unchanged(k: string, e: ArchiveEntry, job: Job): boolean {
    if (this.needsScan(k, e, job)) return false;
    const log = job.log;
    const logSame = log.exists
      ? log.size === e.logOffset && log.fileId === e.logFileId && !this.held.holdsOther(k, log.fileId)
      : !this.held.isHeld(k);
    return (
      logSame &&
      (job.record ? job.recordMtimeMs === e.recordMtimeMs && !!e.record : true) &&
      (job.index ? job.index.raw === e.index : !e.index) &&
      e.lastStatus === job.status &&
      e.lastLive === isVerifiedLive(job)
    );
  }
}

/** Into draft `e`, a job found gone: how it went (from what was last seen of it), and when. */
function noteDeleted(e: ArchiveEntry, indexSize: number, withLog: boolean, now: number): void {
  const terminal = isTerminalStatus(e.lastStatus);
  e.goneHow = e.lastLive
    ? 'deleted-while-running'
    : terminal && indexSize >= 50
      ? 'pruned'
      : 'deleted-by-concurrent-writer';
  e.goneAtMs = now;
  const files = [e.record && 'record', e.index && 'index entry', withLog && 'log'].filter(Boolean);
  addEvent(e, { atMs: now, what: 'deleted', status: e.lastStatus, files: files.join(', '), by: e.goneHow });
}

/** Into draft `e`: the job's status and whether it runs, as seen now; it is on disk (again). */
function noteStatus(e: ArchiveEntry, prev: ArchiveEntry | undefined, job: Job, now: number): boolean {
  const live = isVerifiedLive(job);
  if (prev?.goneHow) addEvent(e, { atMs: now, what: 'recreated', status: job.status });
  if (e.lastStatus !== job.status) addEvent(e, { atMs: now, what: 'status', status: job.status });
  const changed = e.lastStatus !== job.status || e.lastLive !== live || !!e.goneHow;
  e.lastStatus = job.status;
  e.lastLive = live;
  e.lastSeenMs = now;
  delete e.goneHow;
  delete e.goneAtMs;
  return changed;
}

/** Whether a copy changed nothing of an entry but how much of its log it holds. */
function onlyGrew(a: ArchiveEntry, b: ArchiveEntry): boolean {
  return (
    a.history === b.history &&
    a.logFileId === b.logFileId &&
    a.logNote === b.logNote &&
    a.skippedBytes === b.skippedBytes &&
    a.evictedBytes === b.evictedBytes &&
    b.logOffset - a.logOffset === b.logBytes - a.logBytes &&
    b.lifeBytes - a.lifeBytes === b.logBytes - a.logBytes
  );
}

/** Whether a job's record says it ended less than the grace period ago. */
function justFinished(job: Job, now: number): boolean {
  const end = Date.parse(job.display.completedAt ?? job.display.cancelledAt ?? '');
  return !Number.isNaN(end) && now - end < FINISHED_GRACE_MS && now - end > -FINISHED_GRACE_MS;
}

// What codex-jobs has seen, it keeps: every record and log it reads is copied into its own storage,
// records when they change, logs by appending only the new bytes (each byte at most once, ever).
// When the companion deletes a job's files (pruning, or a concurrent writer's lost update), the job
// lives on from here, with its story. The entries are the store's (archiveStore), the open logs
// heldLogs', the copying archiveCopier's; this class decides when each runs.
import { promises as fs } from 'fs';
import * as path from 'path';
import type { Logger } from '../vocab/emitter';
import { silentLogger } from '../vocab/emitter';
import { isVerifiedLive } from '../vocab/classify';
import type { FileHandle } from 'fs/promises';
import type { CaughtLog } from '../state/logCatcher';
import { fileIdOf, isSafeJobId, parseJobFields, readJobRecord, rootOfStateDir } from '../io/reader';
import { openRegular, readAt } from '../io/safeFs';
import { beginningLost } from '../io/logInference';
import { isTerminalStatus, type Job, type JobFields, type ReadWarning } from '../vocab/types';
import {
  addEvent,
  ArchiveStore,
  DEFAULT_LIMITS,
  historyFlags,
  keyOf,
  newEntry,
  wasActive,
  type ArchiveEntry,
  type ArchiveLimits,
  type GoneHow,
  type HistoryEvent,
} from './archiveStore';
import { closeLives, HeldLogs, type Held } from '../state/heldLogs';
import { drainLife } from './archiveCopier';
import { idUnder } from '../vocab/keys';

export { DEFAULT_LIMITS, historyFlags };
export type { ArchiveEntry, ArchiveLimits, GoneHow, HistoryEvent };

/** A job seen finishing writes its final output after its record says so: its log stays open this long. */
const FINISHED_GRACE_MS = 10_000;
/** New log bytes copied inline per job per look; more goes to the background copier. */
const INLINE_BYTES = 1024 * 1024;
/** The background copier's step, and its pause between steps (≈ 40 MB/s at most). */
const STEP_BYTES = 4 * 1024 * 1024;
const STEP_PAUSE_MS = 100;
/**
 * In the extension, an entry whose only change is that more of its log was copied (a log line) is
 * written at most this often, and on flush and dispose; any other change is written at once. The
 * copied bytes are in the archive's log already: one a crash left beyond its entry's count is taken
 * as copied by the next copy (archiveCopier), never copied twice.
 */
const OFFSET_WRITE_MS = 5000;
/** How often a long-lived archive applies the age limit when nothing grew. */
const ENFORCE_EVERY_MS = 3_600_000;

export interface ArchiveOptions {
  /**
   * Whether big copies may run in the background (the extension). Without it (the CLI, a one-shot
   * process), a log with more than 1 MiB not copied yet is skipped with a note: `status` never
   * copies a big log, so a second run writes nothing.
   */
  background?: boolean;
  /**
   * Whether logs of running (and just finished) jobs are kept open between looks, so that bytes
   * written before a deletion are still read (default true). A one-shot command looks once: a held
   * log would only spend a descriptor, hundreds of them under `status --all`.
   */
  holdLogs?: boolean;
}

interface Backlog {
  logPath: string;
  status: Job['status'];
}

interface LastSeen {
  job: Job;
  entry: ArchiveEntry | undefined;
  key: string;
}

export class JobArchive {
  private readonly store: ArchiveStore;
  private readonly held = new HeldLogs();
  /** Bytes of log copied so far in this process; for benchmarks and tests. */
  bytesCopied = 0;
  /** Meta files written so far in this process; for benchmarks and tests. */
  entriesWritten = 0;
  private serial: Promise<void> = Promise.resolve();
  private limits: ArchiveLimits;
  private readonly background: boolean;
  private readonly holdLogs: boolean;
  private readonly backlog = new Map<string, Backlog>();
  private backlogTimer: NodeJS.Timeout | undefined;
  private stepping = false;
  private disposed = false;
  /** Entries whose only change is copied log bytes, waiting for their write (OFFSET_WRITE_MS). */
  private readonly deferred = new Map<string, ArchiveEntry>();
  private deferTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly dir: string,
    limits: Partial<ArchiveLimits> = DEFAULT_LIMITS,
    private readonly logger: Logger = silentLogger,
    opts: ArchiveOptions = {},
  ) {
    this.store = new ArchiveStore(dir);
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.background = opts.background ?? true;
    this.holdLogs = opts.holdLogs ?? true;
  }

  setLimits(limits: Partial<ArchiveLimits>): void {
    this.limits = { ...this.limits, ...limits };
  }

  /** Problems with the archive itself ("archive unavailable: …", skipped entries); never thrown. */
  get warnings(): ReadWarning[] {
    return this.store.warnings;
  }

  entryPaths(stateDir: string, id: string): { meta: string; log: string } {
    return this.store.paths(stateDir, id);
  }

  /** Reads what earlier sessions archived (for these state dirs, or all); a bad entry is skipped with a warning. Never throws. */
  load(stateDirs?: readonly string[]): Promise<void> {
    return this.store.load(stateDirs);
  }

  /** Resolves when everything observed so far is written. */
  flush(): Promise<void> {
    if (this.deferred.size > 0) void this.enqueue(() => this.writeDeferred());
    return this.serial;
  }

  /** Writes the entries whose write waited (see OFFSET_WRITE_MS); none removed since is written back. */
  private async writeDeferred(): Promise<void> {
    if (this.deferTimer) clearTimeout(this.deferTimer);
    this.deferTimer = undefined;
    const due = [...this.deferred];
    this.deferred.clear();
    for (const [k, e] of due) if (this.store.get(k) === e) await this.write(e);
  }

  private deferWrite(k: string, e: ArchiveEntry): void {
    this.deferred.set(k, e);
    if (this.deferTimer || this.disposed) return;
    this.deferTimer = setTimeout(() => {
      this.deferTimer = undefined;
      void this.enqueue(() => this.writeDeferred());
    }, OFFSET_WRITE_MS);
    this.deferTimer.unref?.();
  }

  get(stateDir: string, id: string): ArchiveEntry | undefined {
    return this.store.getIn(stateDir, id);
  }

  /** Archived jobs of a state dir that are no longer on disk. */
  gone(stateDir: string): ArchiveEntry[] {
    return this.store.ofDir(stateDir).filter((e) => e.goneHow);
  }

  get totalBytes(): number {
    return this.store.totalBytes;
  }

  /**
   * Takes in what a state dir holds now. Runs one call at a time; each copies only what changed.
   * `indexSize` tells ordinary pruning (a full index of 50) from a concurrent writer's deletion.
   */
  observe(stateDir: string, jobs: readonly Job[], indexSize: number, now = Date.now()): Promise<void> {
    // A newer look at a state dir supersedes one still waiting its turn: under a burst the archive
    // copies from the latest snapshot instead of working through every older one.
    const waiting = this.waiting.get(stateDir);
    if (waiting) {
      Object.assign(waiting.args, { jobs, indexSize, now });
      return waiting.run;
    }
    const args = { jobs, indexSize, now };
    const run = this.enqueue(() => {
      this.waiting.delete(stateDir);
      return this.observeNow(stateDir, args.jobs, args.indexSize, args.now);
    });
    this.waiting.set(stateDir, { args, run });
    return run;
  }

  private readonly waiting = new Map<
    string,
    { args: { jobs: readonly Job[]; indexSize: number; now: number }; run: Promise<void> }
  >();

  /** Archive work runs one piece at a time; a failure is logged and does not stop what follows. */
  private enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.serial.then(fn);
    this.serial = run.catch((err) => {
      // A failed copy (disk full, dir gone) is the archive's problem, said once as "archive unavailable".
      this.store.fail(err);
      this.logger.warn(`archiving failed: ${String(err)}`);
    });
    return this.serial;
  }

  /** Archives one job now, without judging the others of its state dir (e.g. before a repair). */
  keep(job: Job, now = Date.now()): Promise<void> {
    return this.enqueue(async () => {
      await this.load([job.stateDir]);
      if (!(await this.store.ensureDirFor(job.stateDir))) return;
      await this.observeOne(job.stateDir, job, now, true);
    });
  }

  /** Notes that a repair wrote a job's files back (restore record, restore to index). */
  noteRestored(stateDir: string, id: string, now = Date.now()): Promise<void> {
    return this.enqueue(async () => {
      const e = this.store.getIn(stateDir, id);
      if (!e) return;
      addEvent(e, { atMs: now, what: 'restored' });
      await this.write(e);
    });
  }

  private async write(e: ArchiveEntry): Promise<void> {
    this.deferred.delete(keyOf(e.stateDir, e.id));
    if (await this.store.write(e)) this.entriesWritten++;
  }

  private async observeNow(stateDir: string, jobs: readonly Job[], indexSize: number, now: number): Promise<void> {
    await this.load([stateDir]);
    if (!(await this.store.ensureDirFor(stateDir))) return;
    const present = new Set<string>();
    const logOnly = new Set(jobs.filter((j) => j.flags.includes('log-only')).map((j) => j.id));
    for (const job of jobs) {
      // A job with only its log left is gone all the same; its log is still copied.
      if (!job.flags.includes('log-only')) present.add(job.id);
      // A job object this archive saw last time, its entry untouched since and no log held or
      // grabbed for it, is as it was: a log line looks at 200 jobs and changed one.
      if (this.sameAsLastSeen(stateDir, job, now)) continue;
      await this.observeOne(stateDir, job, now, false);
      const entry = this.store.getIn(stateDir, job.id);
      this.lastSeen(stateDir).set(job.id, { job, entry, key: keyOf(stateDir, job.id) });
    }
    const seen = this.seen.get(stateDir);
    if (seen && seen.size > present.size + logOnly.size)
      for (const id of seen.keys()) if (!present.has(id) && !logOnly.has(id)) seen.delete(id);
    // What was here before and is gone now: keep it, and say how it went.
    for (const e of this.store.ofDir(stateDir)) {
      if (present.has(e.id)) continue;
      const k = keyOf(e.stateDir, e.id);
      let changed = this.takeCaughtRecord(k, e);
      if (!e.goneHow) {
        const terminal = isTerminalStatus(e.lastStatus);
        e.goneHow = e.lastLive
          ? 'deleted-while-running'
          : terminal && indexSize >= 50
            ? 'pruned'
            : 'deleted-by-concurrent-writer';
        e.goneAtMs = now;
        const files = [e.record && 'record', e.index && 'index entry', !logOnly.has(e.id) && 'log'].filter(Boolean);
        addEvent(e, { atMs: now, what: 'deleted', status: e.lastStatus, files: files.join(', '), by: e.goneHow });
        changed = true;
      }
      // Whatever was written before the deletion is still in the open files, also in lives opened
      // after the job was first found gone (its worker wrote on). A log-only job's copy did that.
      if (!logOnly.has(e.id)) changed = (await this.release(k, e, now)) || changed;
      if (changed) await this.write(e);
    }
    await this.adoptUnseen(stateDir, (id) => present.has(id) || logOnly.has(id), now);
    await this.enforceLimits(now);
  }

  /** Per state dir, each job object as last observed, the entry that look left, and its key (made once). */
  private readonly seen = new Map<string, Map<string, LastSeen>>();

  private lastSeen(stateDir: string): Map<string, LastSeen> {
    let m = this.seen.get(stateDir);
    if (!m) this.seen.set(stateDir, (m = new Map()));
    return m;
  }

  private sameAsLastSeen(stateDir: string, job: Job, now: number): boolean {
    const last = this.seen.get(stateDir)?.get(job.id);
    if (!last || last.job !== job || !last.entry || this.store.getIn(stateDir, job.id) !== last.entry) return false;
    const k = last.key;
    // Beyond what needs a look anyway: a log held open (it may grow unseen) or still being copied.
    if (this.needsLook(k, last.entry, job) || this.held.isHeld(k) || this.backlog.has(k)) return false;
    last.entry.lastSeenMs = now; // in memory only, as when observeOne finds it unchanged
    return true;
  }

  /** The latest version of a record read on its own file event, when newer than the entry's. */
  private takeCaughtRecord(k: string, e: ArchiveEntry): boolean {
    const rec = this.held.records.get(k);
    this.held.records.delete(k);
    if (!rec || JSON.stringify(rec) === JSON.stringify(e.record)) return false;
    e.record = rec;
    return true;
  }

  private async observeOne(stateDir: string, job: Job, now: number, force: boolean): Promise<void> {
    const k = keyOf(stateDir, job.id);
    const prev = this.store.get(k);
    if (prev && !force && this.unchanged(k, prev, job)) {
      prev.lastSeenMs = now; // in memory only: eviction order; written with the next real change
      return;
    }
    const e: ArchiveEntry = prev ? { ...prev, history: [...prev.history] } : newEntry(stateDir, job.id, now);
    let changed = !prev;
    /** Only more of its log was copied: in the extension, written a little later (OFFSET_WRITE_MS). */
    let grewOnly = false;
    const logOnly = job.flags.includes('log-only');
    if (!prev && !logOnly) {
      const created = Date.parse(job.display.createdAt ?? '');
      addEvent(e, { atMs: Number.isNaN(created) ? now : created, what: 'created', status: job.recordedStatus });
    }
    if (job.record && (job.recordMtimeMs !== e.recordMtimeMs || !e.record)) {
      e.record = job.record.raw;
      e.recordMtimeMs = job.recordMtimeMs;
      this.held.records.delete(k);
      changed = true;
    } else if (!e.record) changed = this.takeCaughtRecord(k, e) || changed;
    // The same parsed entry object as last time is the same entry (a partial re-read keeps it).
    if (job.index && job.index.raw !== e.index && JSON.stringify(job.index.raw) !== JSON.stringify(e.index)) {
      e.index = job.index.raw;
      changed = true;
    } else if (job.index) e.index = job.index.raw;
    const size = job.log.size;
    const grown =
      job.log.exists &&
      size !== undefined &&
      (size !== e.logOffset || (job.log.fileId !== undefined && job.log.fileId !== e.logFileId));
    // A held file that is no longer the one at the path (deleted, re-created) still has bytes to give.
    const other = this.held.holdsOther(k, job.log.exists ? job.log.fileId : undefined);
    const sameFile = job.log.fileId === undefined || job.log.fileId === e.logFileId;
    const pending = grown && size !== undefined ? size - (sameFile ? e.logOffset : 0) : 0;
    if (grown && !other && !this.held.hasGrabbed(k) && pending > INLINE_BYTES && !force && !this.background) {
      // The CLI never copies a big log on the status path; it says so, once.
      const note = `not copied yet: ${pending} bytes of log (the command line copies at most ${INLINE_BYTES} new bytes a run; the extension copies bigger logs in the background)`;
      if (!e.logNote?.startsWith('not copied yet')) changed = true;
      e.logNote = note;
    } else if (grown || other || this.held.hasGrabbed(k)) {
      // Lives grabbed since the last copy are taken over (or closed) even when nothing grew.
      const pre = { ...e };
      const r = await this.copyLog(
        job.logPath,
        job.status,
        e,
        now,
        force ? Infinity : INLINE_BYTES,
        justFinished(job, now),
        job.log.exists ? job.log.fileId : undefined,
      );
      if (r.changed && onlyGrew(pre, e)) grewOnly = true;
      else changed = r.changed || changed;
      if (r.more) this.toBacklog(k, job);
    }
    if (!logOnly) {
      const live = isVerifiedLive(job);
      if (prev?.goneHow) addEvent(e, { atMs: now, what: 'recreated', status: job.status });
      if (e.lastStatus !== job.status) addEvent(e, { atMs: now, what: 'status', status: job.status });
      if (e.lastStatus !== job.status || e.lastLive !== live || e.goneHow) changed = true;
      e.lastStatus = job.status;
      e.lastLive = live;
      e.lastSeenMs = now;
      delete e.goneHow;
      delete e.goneAtMs;
    }
    if (this.held.isHeld(k) && isTerminalStatus(job.status)) {
      const since = this.held.finishedSince.get(k) ?? now;
      this.held.finishedSince.set(k, since);
      if (now - since >= FINISHED_GRACE_MS) changed = (await this.release(k, e, now)) || changed;
    }
    this.store.set(k, e);
    if (changed || (grewOnly && (!this.background || force))) await this.write(e);
    else if (grewOnly) this.deferWrite(k, e);
  }

  /** Whether a job needs a look whatever its files say: what the archive holds for it moves on its own. */
  private needsLook(k: string, e: ArchiveEntry, job: Job): boolean {
    return (
      job.flags.includes('log-only') ||
      !!e.goneHow ||
      this.held.hasGrabbed(k) ||
      this.held.records.has(k) ||
      (this.held.isHeld(k) && isTerminalStatus(job.status)) // its grace period is counted
    );
  }

  /** Nothing to copy, record or say about a job since the last look (most jobs, most looks). */
  private unchanged(k: string, e: ArchiveEntry, job: Job): boolean {
    if (this.needsLook(k, e, job)) return false;
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

  /** Copies what a job's open logs still hold, to their end, and closes them. */
  private async release(k: string, e: ArchiveEntry, now: number): Promise<boolean> {
    this.held.finishedSince.delete(k);
    this.backlog.delete(k);
    try {
      return await this.drainAndClose(this.held.take(k), e, now);
    } finally {
      await this.held.closeOut(k);
    }
  }

  /** Copies each life in turn to its end, then closes them all, also when a copy fails. */
  private async drainAndClose(lives: Held[], e: ArchiveEntry, now: number): Promise<boolean> {
    let changed = false;
    try {
      for (const h of lives) changed = (await this.drainOne(h, e, now, true, Infinity)).changed || changed;
    } finally {
      await closeLives(lives);
    }
    return changed;
  }

  private async drainOne(
    h: Held,
    e: ArchiveEntry,
    now: number,
    final: boolean,
    budget: number,
    out?: { fh?: FileHandle },
  ) {
    await this.store.checkRoot();
    const first = e.logOffset === 0 && e.logBytes === 0 && e.evictedBytes === 0 && e.skippedBytes === 0;
    const r = await drainLife(h.fh, h.id, e, {
      target: this.store.paths(e.stateDir, e.id).log,
      root: this.store.dir,
      maxLogBytes: this.limits.maxLogBytes,
      final,
      budget,
      now,
      out,
    });
    this.bytesCopied += r.copied;
    if (first && r.copied > 0 && (await this.lostBeginning(e, now))) r.changed = true;
    return r;
  }

  /** The first bytes ever copied of a job's log lack the companion's first line: it was re-created unseen. */
  private async lostBeginning(e: ArchiveEntry, now: number): Promise<boolean> {
    let head: string;
    try {
      const { fh } = await openRegular(this.store.paths(e.stateDir, e.id).log, this.store.dir);
      try {
        head = (await readAt(fh, 0, 512)).toString('utf8');
      } finally {
        await fh.close().catch(() => undefined);
      }
    } catch {
      return false;
    }
    if (!beginningLost(head)) return false;
    // When it was deleted, and in what status, is not known: only that its worker wrote on.
    addEvent(e, { atMs: now, what: 'log-recreated' });
    e.logNote ??= 'its beginning was never seen: the log was deleted and re-created before Codex Jobs read it';
    return true;
  }

  /**
   * Appends the source log's new bytes. The log of a job that is not finished is kept open: when a
   * concurrent writer deletes it, the bytes written before the deletion are still read from the open
   * file, and a log re-created under the same name (the worker writes on) is a new life of it.
   */
  private async copyLog(
    logPath: string,
    status: Job['status'],
    e: ArchiveEntry,
    now: number,
    budget: number,
    /** Finished a moment ago: its final output may still follow, so it is held like a running job's. */
    recent = false,
    /** The file at logPath as the caller just saw it (fileIdOf), when known. */
    currentId?: string,
  ): Promise<{ changed: boolean; more: boolean }> {
    const k = keyOf(e.stateDir, e.id);
    // Files opened earlier, oldest life first: the one we held, then those grabbed on events since.
    const lives = this.held.take(k);
    let cur: Held | undefined;
    if (lives.length === 1 && currentId !== undefined && lives[0].id === currentId) {
      // The one life held is the file at the path (a log line): read on from it, nothing to open.
      cur = lives[0];
    } else
      try {
        const { fh, stats } = await openRegular(logPath, rootOfStateDir(e.stateDir));
        cur = { fh, id: fileIdOf(stats) };
      } catch {
        cur = undefined;
      }
    const keep = cur ? lives.find((h) => h.id === cur.id) : undefined;
    const changed = await this.drainAndClose(
      lives.filter((h) => h !== keep),
      e,
      now,
    );
    if (!cur) return { changed, more: false };
    const life = keep ?? cur;
    if (keep && keep !== cur) await cur.fh.close().catch(() => undefined);
    // Finished: kept open only when seen running before (its final output may follow), for a while.
    const hold = this.holdLogs && (!isTerminalStatus(status) || e.lastLive || recent || this.held.finishedSince.has(k));
    // A held log's copy keeps its append handle too: a log line then opens nothing.
    try {
      const r = await this.drainOne(life, e, now, !hold, budget, hold ? this.held.outFor(k) : undefined);
      return { changed: r.changed || changed, more: r.more };
    } finally {
      if (!(hold && this.held.hold(k, life))) {
        await life.fh.close().catch(() => undefined);
        await this.held.closeOut(k);
      }
    }
  }

  /** A big copy goes on in the background, in steps, one step per pause. */
  private toBacklog(k: string, job: Pick<Job, 'logPath' | 'status'>): void {
    this.backlog.set(k, { logPath: job.logPath, status: job.status });
    this.scheduleBacklog();
  }

  private scheduleBacklog(): void {
    if (this.backlogTimer || this.disposed || this.backlog.size === 0) return;
    this.backlogTimer = setTimeout(() => {
      this.backlogTimer = undefined;
      const next = this.backlog.entries().next();
      if (next.done) return;
      const [k, b] = next.value;
      this.backlog.delete(k);
      this.stepping = true;
      void this.enqueue(async () => {
        const e = this.store.get(k);
        if (!e || this.disposed) return;
        const r = await this.copyLog(b.logPath, b.status, e, Date.now(), STEP_BYTES);
        if (r.changed) await this.write(e);
        if (r.more) this.backlog.set(k, b);
        await this.enforceLimits(Date.now());
      }).finally(() => {
        this.stepping = false;
        this.scheduleBacklog();
      });
    }, STEP_PAUSE_MS);
    this.backlogTimer.unref?.();
  }

  /** Whether a big copy is still going on in the background (benchmarks wait for it). */
  get copying(): boolean {
    return this.backlog.size > 0 || this.stepping;
  }

  /**
   * Opens a job's log at once, before the model has read anything and not queued behind copying:
   * bytes written before a deletion a moment later can then still be read. Called on every event
   * that may mean a new log. A log deleted and re-created between two events is one more life, kept
   * beside the others; the next copy of that job's log takes them all over. Never fails.
   */
  async grab(stateDir: string, id: string): Promise<void> {
    if (!this.held.mayTake(id)) return;
    try {
      const { fh, stats } = await openRegular(path.join(stateDir, 'jobs', `${id}.log`), rootOfStateDir(stateDir));
      await this.take(stateDir, id, { fh, id: fileIdOf(stats) }).catch(() => fh.close().catch(() => undefined));
    } catch {
      // gone already, or unreadable: nothing to keep
    }
  }

  /** Takes over a log a `LogCatcher` opened; closes it when not needed. Never fails. */
  async adoptOpened(log: CaughtLog): Promise<void> {
    const { stateDir, id, fh } = log;
    if (!this.held.mayTake(id)) return fh.close().catch(() => undefined);
    await this.take(stateDir, id, { fh, id: fileIdOf(log) }).catch(() => fh.close().catch(() => undefined));
  }

  /**
   * Reads a record at once on its file event (created or changed), so the last version before a
   * deletion is kept even when no look at the state dir sees it. Never fails.
   */
  async catchRecord(stateDir: string, id: string): Promise<void> {
    if (!isSafeJobId(id)) return;
    const rec = await readJobRecord(path.join(stateDir, 'jobs', `${id}.json`), id, rootOfStateDir(stateDir)).catch(
      () => undefined,
    );
    if (rec?.value?.raw) this.held.records.set(keyOf(stateDir, id), rec.value.raw);
  }

  private async take(stateDir: string, id: string, h: Held): Promise<void> {
    const k = keyOf(stateDir, id);
    // Decided without awaiting: two grabs of one file keep one handle.
    const first = !this.store.has(k) && !this.held.hasGrabbed(k);
    if (!this.held.addGrabbed(k, h)) return h.fh.close();
    // A job the model has not read yet may lose its record before it does: keep that too.
    if (first && !this.held.records.has(k)) await this.catchRecord(stateDir, id);
  }

  /**
   * Lives grabbed for jobs no look at the state dir has shown, all of them deleted since: the job came
   * and went between two looks. It is archived from what was grabbed.
   */
  private async adoptUnseen(stateDir: string, present: (id: string) => boolean, now: number): Promise<void> {
    for (const [k, lives] of this.held.grabbedUnder(stateDir)) {
      const id = idUnder(k, stateDir)!;
      if (present(id) || this.store.has(k)) continue;
      const links = await Promise.all(
        lives.map((h) =>
          h.fh.stat().then(
            (st) => st.nlink,
            () => 0,
          ),
        ),
      );
      if (links.some((n) => n > 0)) continue; // still on disk: the next look shows it
      const e = newEntry(stateDir, id, now);
      e.record = this.held.records.get(k);
      this.held.records.delete(k);
      const status = typeof e.record?.status === 'string' ? e.record.status : undefined;
      e.lastStatus = status;
      e.goneAtMs = now;
      e.goneHow = 'deleted-by-concurrent-writer';
      addEvent(e, { atMs: now, what: 'created', status });
      addEvent(e, { atMs: now, what: 'deleted', status, files: 'record, log', by: e.goneHow });
      await this.release(k, e, now);
      this.store.set(k, e);
      await this.write(e);
    }
    await this.adoptRecordOnly(stateDir, present, now);
  }

  /**
   * A record read on its own event for a job no look showed and whose log was never opened: the job
   * came and went between two looks all the same, and its record is all that was kept of it.
   */
  private async adoptRecordOnly(stateDir: string, present: (id: string) => boolean, now: number): Promise<void> {
    for (const [k, rec] of [...this.held.records]) {
      const id = idUnder(k, stateDir);
      if (id === undefined) continue;
      if (present(id) || this.store.has(k) || this.held.hasGrabbed(k)) continue;
      const gone = await fs.lstat(path.join(stateDir, 'jobs', `${id}.json`)).then(
        () => false,
        (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
      );
      if (!gone) continue; // still on disk (or unreadable): the next look shows it
      this.held.records.delete(k);
      const e = newEntry(stateDir, id, now);
      e.record = rec;
      const status = typeof rec.status === 'string' ? rec.status : undefined;
      e.lastStatus = status;
      e.goneAtMs = now;
      e.goneHow = 'deleted-by-concurrent-writer';
      addEvent(e, { atMs: now, what: 'created', status });
      addEvent(e, { atMs: now, what: 'deleted', status, files: 'record', by: e.goneHow });
      this.store.set(k, e);
      await this.write(e);
    }
  }

  private lastEnforceMs = 0;

  private async enforceLimits(now: number): Promise<void> {
    // Only growth passes the size limit; the age limit is checked hourly by a long-lived archive.
    // A `status` that wrote nothing so never reads other workspaces' entries.
    const due = this.background && now - this.lastEnforceMs >= ENFORCE_EVERY_MS;
    if (!this.store.wroteSinceEnforce && !due) return;
    this.lastEnforceMs = now;
    for (const k of await this.store.enforce(this.limits, now)) {
      this.backlog.delete(k);
      await this.held.closeAll(k);
    }
  }

  /** Closes the logs kept open; anything they still hold is copied first. */
  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.backlogTimer) clearTimeout(this.backlogTimer);
    this.backlogTimer = undefined;
    this.backlog.clear();
    await this.serial;
    await this.writeDeferred().catch(() => undefined);
    for (const k of this.held.keys()) {
      const e = this.store.get(k);
      if (!e) await this.held.closeAll(k);
      else
        await this.release(k, e, Date.now())
          .then((changed) => (changed ? this.write(e) : undefined))
          .catch(() => undefined);
    }
  }

  /** The flags a job's story gives it (kept after its files come back). */
  flagsOf(stateDir: string, id: string): ('deleted-while-running' | 'recreated')[] {
    const e = this.store.getIn(stateDir, id);
    return e ? historyFlags(e) : [];
  }

  /** A gone job rebuilt from the archive, for the model to show. */
  toJob(e: ArchiveEntry): Job | undefined {
    const fromRecord = e.record ? parseJobFields(e.record, 'archive').fields : undefined;
    const fromIndex = e.index ? parseJobFields(e.index, 'archive').fields : undefined;
    // Seen only as a log: the id is all that is known.
    const display: JobFields | undefined = fromRecord ?? fromIndex ?? parseJobFields({ id: e.id }, 'archive').fields;
    if (!display) return undefined;
    const jobsDir = path.join(e.stateDir, 'jobs');
    // Its process, if any, is verified like any other job's by the caller.
    const status = isTerminalStatus(display.status) ? display.status : 'unverified';
    const story = historyFlags(e).filter((f) => f !== e.goneHow);
    return {
      id: e.id,
      stateDir: e.stateDir,
      record: fromRecord,
      index: fromIndex,
      display,
      recordedStatus: display.status,
      status,
      flags: ['archived', e.goneHow!, ...story],
      logPath: path.join(jobsDir, `${e.id}.log`),
      recordPath: path.join(jobsDir, `${e.id}.json`),
      log: { exists: false, progress: [] },
      archived: {
        how: e.goneHow!,
        atMs: e.goneAtMs ?? e.lastSeenMs,
        logPath: this.store.paths(e.stateDir, e.id).log,
        logBytes: e.logBytes,
      },
    };
  }
}

export { wasActive };

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

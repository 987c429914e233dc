// What codex-jobs has seen, it keeps: every record and log it reads is copied into its own storage,
// records when they change, logs by appending only the new bytes (each byte at most once, ever).
// When the companion deletes a job's files (pruning, or a concurrent writer's lost update), the job
// is still shown from here, with its history.
//
// JobArchive puts the parts together and is what the rest of the core holds (behind ArchiveView
// and ArchiveFeed, archiveApi.ts):
// - entries.ts: the entries in memory, copy-on-write (one handed out never changes), and the
//   change event; entry.ts what an entry is;
// - archiveStore.ts: the entries on disk (load, write, limits); entryWriter.ts when they are written;
// - observe.ts: what a scan of a state dir found, taken in; earlyReads.ts: logs opened and records
//   read on file events, before any scan;
// - logCopy.ts (with archiveCopier.ts and state/heldLogs.ts): copying logs, inline and in the
//   background; limits.ts: when the limits are applied;
// - scheduler.ts: the one queue all of this work runs on, its one coalescing rule, and its two
//   timers (deferred entry writes, background copy steps).
import * as path from 'path';
import type { Event, Logger } from '../vocab/emitter';
import { silentLogger } from '../vocab/emitter';
import type { OpenedLog } from '../state/logCatcher';
import { parseJobFields } from '../io/reader';
import type { Job, JobFields, ReadWarning } from '../vocab/types';
import { isTerminalStatus } from '../vocab/status';
import { ArchiveStore } from './archiveStore';
import {
  addEvent,
  DEFAULT_LIMITS,
  historyFlags,
  wasActive,
  type ArchiveEntry,
  type ArchiveLimits,
  type ArchiveWindow,
  type GoneHow,
  type HistoryEvent,
} from './entry';
import type { IndexRow } from './archiveIndex';
import type { ArchiveChange } from './entries';
import type { Archive, ArchiveFeed, ArchiveView } from './archiveApi';
import { WorkQueue } from './scheduler';
import { EntryWriter } from './entryWriter';
import { LogCopier } from './logCopy';
import { EarlyReads } from './earlyReads';
import { LimitKeeper } from './limits';
import { ScanObserver } from './observe';
import { keyOf } from '../vocab/keys';

export { DEFAULT_LIMITS, historyFlags, wasActive };
export type { ArchiveEntry, ArchiveLimits, ArchiveWindow, GoneHow, HistoryEvent, IndexRow };
export type { Archive, ArchiveChange, ArchiveFeed, ArchiveView };
export { changesGone, type EntryChange } from './entries';

export interface ArchiveOptions {
  /**
   * Whether big copies may run in the background (the extension). Without it (the CLI, a one-shot
   * process), a log with more than 1 MiB not copied yet is skipped with a note: `status` never
   * copies a big log, so a second run writes nothing.
   */
  background?: boolean;
  /**
   * Whether logs of running (and just finished) jobs are kept open between scans, so that bytes
   * written before a deletion are still read (default true). A one-shot command scans once: a held
   * log would only spend a descriptor, hundreds of them under `status --all`.
   */
  holdLogs?: boolean;
}

export class JobArchive implements ArchiveView, ArchiveFeed {
  private readonly store: ArchiveStore;
  private readonly queue: WorkQueue;
  private readonly writer: EntryWriter;
  private readonly copier: LogCopier;
  private readonly early: EarlyReads;
  private readonly limits: LimitKeeper;
  private readonly observer: ScanObserver;

  constructor(
    readonly dir: string,
    limits: Partial<ArchiveLimits> = DEFAULT_LIMITS,
    private readonly logger: Logger = silentLogger,
    opts: ArchiveOptions = {},
  ) {
    const background = opts.background ?? true;
    const store = (this.store = new ArchiveStore(dir));
    this.queue = new WorkQueue(
      (err) => {
        // A failed copy (disk full, dir gone) is the archive's problem, said once as "archive unavailable".
        store.fail(err);
        this.logger.warn(`archiving failed: ${String(err)}`);
      },
      () => store.entries.report(),
    );
    this.writer = new EntryWriter(store, this.queue);
    const enforce = (now: number) => this.limits.enforce(now);
    const copier = new LogCopier(
      store,
      () => this.limits.current,
      opts.holdLogs ?? true,
      this.queue,
      this.writer,
      enforce,
    );
    this.copier = copier;
    this.limits = new LimitKeeper(store, limits, background, (k) => copier.forget(k));
    this.early = new EarlyReads(store, copier, this.writer);
    this.observer = new ScanObserver(store, copier, this.early, this.writer, this.limits, background);
    store.pinned = (k) =>
      copier.held.isHeld(k) ||
      copier.held.hasOpened(k) ||
      copier.held.records.has(k) ||
      copier.inBacklog(k) ||
      this.writer.waits(k);
  }

  /** Bytes of log copied so far in this process; for benchmarks and tests. */
  get bytesCopied(): number {
    return this.copier.bytesCopied;
  }

  /** Meta files written so far in this process; for benchmarks and tests. */
  get entriesWritten(): number {
    return this.writer.written;
  }

  /** After each piece of work: the entries it changed, before and after (entries.ts). */
  get onDidChange(): Event<ArchiveChange> {
    return this.store.entries.onDidChange;
  }

  setLimits(limits: Partial<ArchiveLimits>): void {
    this.limits.set(limits);
  }

  /** Problems with the archive itself ("archive unavailable: …", skipped entries); never thrown. */
  get warnings(): ReadWarning[] {
    return this.store.warnings;
  }

  entryPaths(stateDir: string, id: string): { meta: string; log: string } {
    return this.store.paths(stateDir, id);
  }

  /** Reads what earlier sessions archived (for these state dirs, or all); a bad entry is skipped with a warning. Never throws. */
  async load(stateDirs?: readonly string[]): Promise<void> {
    await this.store.load(stateDirs);
    this.store.entries.report();
  }

  /** Resolves when everything observed so far is written. */
  flush(): Promise<void> {
    void this.writer.queueWrites();
    return this.queue.idle();
  }

  get(stateDir: string, id: string): ArchiveEntry | undefined {
    return this.store.entries.getIn(stateDir, id);
  }

  /**
   * Archived jobs of a state dir that are no longer on disk, as far as they are held in memory: the
   * window (the most recent; see `widen`). Older ones are in the index (`rows`, `olderCount`).
   */
  gone(stateDir: string): ArchiveEntry[] {
    return this.store.entries.ofDir(stateDir).filter((e) => e.goneHow);
  }

  /** Moves whenever `gone(stateDir)` would list other entries: cheaper than comparing the lists. */
  goneVersion(stateDir: string): number {
    return this.store.entries.goneVersion(stateDir);
  }

  /** Gone jobs of a state dir on disk only, beyond the window (what "Show older jobs…" adds). */
  olderCount(stateDir: string): number {
    let n = 0;
    for (const r of this.store.indexes.get(this.store.subOf(stateDir))?.rows.values() ?? [])
      if (r.goneHow && !this.store.entries.getIn(stateDir, r.id)) n++;
    return n;
  }

  /** A state dir's index rows, newest first, without reading any entry (Find Job, `status --since`). */
  rows(stateDir: string): IndexRow[] {
    return this.store.indexes.get(this.store.subOf(stateDir))?.newest(() => true) ?? [];
  }

  /** The window of gone jobs held and shown per state dir. */
  get window(): ArchiveWindow {
    return this.store.window;
  }

  /** Holds (and so shows) more gone jobs of these state dirs: more of them, or older ones. */
  widen(w: Partial<ArchiveWindow>, stateDirs: readonly string[]): Promise<void> {
    const store = this.store;
    store.window = {
      maxGone: Math.max(store.window.maxGone, w.maxGone ?? 0),
      maxAgeMs: Math.max(store.window.maxAgeMs, w.maxAgeMs ?? 0),
    };
    return this.queue.run(async () => {
      await store.load(stateDirs);
      for (const sd of stateDirs) await store.loadWindow(store.subOf(sd));
    });
  }

  /**
   * Sets the window before anything is loaded (the command line's `--all-history`, `--since`),
   * or narrows it (the heap guard): entries beyond it are let go at once where nothing pins them.
   */
  setWindow(w: ArchiveWindow): void {
    this.store.window = { ...w };
    for (const sd of this.store.entries.stateDirs()) this.store.trim(sd, true);
  }

  get totalBytes(): number {
    return this.store.totalBytes;
  }

  /** Whether a big copy is still going on in the background (benchmarks wait for it). */
  get copying(): boolean {
    return this.copier.copying;
  }

  /**
   * Takes in what a state dir holds now. Runs one call at a time; each copies only what changed.
   * `indexSize` tells ordinary pruning (a full index of 50) from a concurrent writer's deletion.
   * A newer scan of a state dir replaces one still waiting its turn (scheduler.ts).
   */
  observe(stateDir: string, jobs: readonly Job[], indexSize: number, now = Date.now()): Promise<void> {
    return this.queue.runLatest(`observe\0${stateDir}`, () => this.observer.observeDir(stateDir, jobs, indexSize, now));
  }

  /** Archives one job now, without judging the others of its state dir (e.g. before a repair). */
  keep(job: Job, now = Date.now()): Promise<void> {
    return this.queue.run(async () => {
      await this.store.load([job.stateDir]);
      if (!(await this.store.ensureDirFor(job.stateDir))) return;
      await this.observer.observeJob(job.stateDir, job, now, true);
    });
  }

  /** Notes that a repair wrote a job's files back (restore record, restore to index). */
  /** A repair is about to replace a job's record atomically: the new file it makes is no deletion. */
  expectRecordWrite(stateDir: string, id: string): void {
    this.observer.ownRecordWrites.add(keyOf(stateDir, id));
  }

  noteRestored(stateDir: string, id: string, now = Date.now(), note?: string): Promise<void> {
    return this.queue.run(async () => {
      const e = this.store.entries.getIn(stateDir, id);
      if (!e) return;
      const next: ArchiveEntry = { ...e };
      addEvent(next, note ? { atMs: now, what: 'restored', note } : { atMs: now, what: 'restored' });
      await this.writer.write(this.store.entries.put(next));
    });
  }

  /**
   * Opens a job's log at once, before the model has read anything and not queued behind copying:
   * bytes written before a deletion a moment later can then still be read. Called on every event
   * that may mean a new log. A log deleted and re-created between two events is one more open file,
   * kept beside the others; the next copy of that job's log takes them all over. Never fails.
   */
  openLogEarly(stateDir: string, id: string): Promise<void> {
    return this.early.openLog(stateDir, id);
  }

  /** Takes over a log a `LogCatcher` opened; closes it when not needed. Never fails. */
  adoptOpened(log: OpenedLog): Promise<void> {
    return this.early.takeOpened(log);
  }

  /**
   * Reads a record at once on its file event (created or changed), so the last version before a
   * deletion is kept even when no scan of the state dir sees it. Never fails.
   */
  readRecordEarly(stateDir: string, id: string): Promise<void> {
    return this.early.readRecord(stateDir, id);
  }

  /** Closes the logs kept open; anything they still hold is copied first. */
  async dispose(): Promise<void> {
    this.queue.dispose();
    this.copier.dispose();
    await this.queue.idle();
    await this.writer.writeDeferred().catch(() => undefined);
    const held = this.copier.held;
    for (const k of held.keys()) {
      const e = this.store.entries.get(k);
      if (!e) await held.closeAll(k);
      else
        await this.store.entries
          .edit(e, (draft) => this.copier.release(k, draft, Date.now()))
          .then((changed) => (changed ? this.writer.write(this.store.entries.get(k) ?? e) : undefined))
          .catch(() => undefined);
    }
    this.store.entries.report();
    this.store.entries.dispose();
  }

  /** The flags a job's history gives it (kept after its files come back). */
  flagsOf(stateDir: string, id: string): ('deleted-while-running' | 'recreated')[] {
    const e = this.store.entries.getIn(stateDir, id);
    return e ? historyFlags(e) : [];
  }

  /** Gone jobs made from entries, by entry: an entry never changes, so its job is made once. */
  private readonly jobs = new WeakMap<ArchiveEntry, Job | null>();

  /** A gone job rebuilt from the archive, for the model to show (the same object for the same entry). */
  toJob(e: ArchiveEntry): Job | undefined {
    let j = this.jobs.get(e);
    if (j === undefined) this.jobs.set(e, (j = jobOf(e, this.store.paths(e.stateDir, e.id).log) ?? null));
    return j ?? undefined;
  }
}

/** A gone job rebuilt from its entry; its process, if any, is verified like any other job's by the caller. */
function jobOf(e: ArchiveEntry, archivedLog: string): Job | undefined {
  const fromRecord = e.record ? parseJobFields(e.record, 'archive').fields : undefined;
  const fromIndex = e.index ? parseJobFields(e.index, 'archive').fields : undefined;
  // Seen only as a log: the id is all that is known.
  const display: JobFields | undefined = fromRecord ?? fromIndex ?? parseJobFields({ id: e.id }, 'archive').fields;
  if (!display) return undefined;
  const jobsDir = path.join(e.stateDir, 'jobs');
  const status = isTerminalStatus(display.status) ? display.status : 'unverified';
  const fromHistory = historyFlags(e).filter((f) => f !== e.goneHow);
  return {
    id: e.id,
    stateDir: e.stateDir,
    record: fromRecord,
    index: fromIndex,
    display,
    recordedStatus: display.status,
    status,
    flags: ['archived', e.goneHow!, ...fromHistory],
    logPath: path.join(jobsDir, `${e.id}.log`),
    recordPath: path.join(jobsDir, `${e.id}.json`),
    log: { exists: false, progress: [] },
    archived: {
      how: e.goneHow!,
      atMs: e.goneAtMs ?? e.lastSeenMs,
      logPath: archivedLog,
      logBytes: e.logBytes,
    },
  };
}

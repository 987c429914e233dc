// The truthful model of every open workspace folder's jobs. It reads, verifies and emits; it never
// writes to a state dir. The UI renders it; the watcher and the CLI drive it.
import { Emitter, type Logger, silentLogger } from '../vocab/emitter';
import { candidateRoots, mapFolder, resolveWorkspaceRoot } from '../discovery/discovery';
import { FileCache, loadStateDir } from '../state/snapshot';
import { mapLimit } from '../vocab/async';
import { logSourceOf, type LogSource } from '../archive/jobLog';
import { deriveStatus, isRecordless, verifyJobs } from '../state/verify';
import {
  parseJobFields,
  readBrokerFile,
  readJobRecord,
  readLogPreview,
  readLogTail,
  readStateFile,
  rootOfStateDir,
} from '../io/reader';
import { isTerminalStatus } from '../vocab/types';
import { inferEnd } from '../io/logInference';
import type { FileBeneath } from '../io/safeFs';
import { reconcile } from '../state/reconcile';
import { claimsActive, countJobs, jobKey, type JobCounts } from '../vocab/classify';
import { mergeRecords, type ChangeBatch, type StateDirChange } from '../state/watcher';
import type { JobArchive } from '../archive/archive';
import * as path from 'path';
import type {
  CoreSettings,
  DerivedStatus,
  InferredEnd,
  FolderMapping,
  HostEnv,
  Job,
  JobFields,
  LogPreview,
  ParsedState,
  ProcessTable,
  ReadWarning,
  StateDirSnapshot,
  StateRoot,
} from '../vocab/types';

export interface WorkspaceFolderRef {
  /** Absolute path. */
  path: string;
  name: string;
}

export interface FolderState {
  folder: WorkspaceFolderRef;
  mapping?: FolderMapping;
  /** Snapshots of the state dirs that exist for this folder (one per root where it was found). */
  snapshots: StateDirSnapshot[];
  /** Jobs of every snapshot, newest first. */
  jobs: Job[];
  warnings: ReadWarning[];
  /** Warnings from reading the folder itself (not from a state dir). */
  readWarnings?: ReadWarning[];
}

export interface StatusTransition {
  job: Job;
  from: DerivedStatus;
  to: DerivedStatus;
}

export interface ModelChange {
  /** Every folder was rebuilt. */
  full: boolean;
  /** Folders whose set of jobs changed (for targeted tree refreshes). */
  folders: WorkspaceFolderRef[];
  /** Jobs that changed in place (same folder, same group), when known. */
  jobs?: Job[];
  /** Jobs whose derived status moved, for notifications. */
  transitions?: StatusTransition[];
  /** Per folder, what changed: the tree maps this to nodes and needs nothing else. */
  diffs?: FolderDiff[];
}

/** What one update did to one folder. Every object in it is new; none that was shown before changed. */
export interface FolderDiff {
  folder: WorkspaceFolderRef;
  added: Job[];
  removed: Job[];
  changed: Job[];
  warningsChanged: boolean;
}

export interface JobsModelOptions {
  host: HostEnv;
  table: ProcessTable;
  settings: CoreSettings;
  logger?: Logger;
  now?: () => number;
  /** Keeps what was seen; gone jobs are shown from it. */
  archive?: JobArchive;
  /**
   * Whether files are cached by size and mtime between reads (default true). A one-shot process
   * reads each file once, so the stat that checks the cache is pure cost there.
   */
  cacheFiles?: boolean;
}

export class JobsModel {
  private readonly changed = new Emitter<ModelChange>();
  readonly onDidChange = this.changed.event;

  private folderRefs: WorkspaceFolderRef[] = [];
  private state: FolderState[] = [];
  private rootList: StateRoot[] = [];
  private searchedList: string[] = [];
  private settings: CoreSettings;
  private disposed = false;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly cache: FileCache | undefined;
  /** Per snapshot shown, the snapshot as read and reconciled, before the pipeline made its jobs. */
  private readonly rawOf = new WeakMap<StateDirSnapshot, StateDirSnapshot>();

  constructor(private readonly opts: JobsModelOptions) {
    this.settings = opts.settings;
    this.logger = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.cache = opts.cacheFiles === false ? undefined : new FileCache();
  }

  get folders(): readonly FolderState[] {
    return this.state;
  }

  /** Roots that exist and were searched. */
  get roots(): readonly StateRoot[] {
    return this.rootList;
  }

  /** Every place looked for state (patterns included), for the welcome view. */
  get searched(): readonly string[] {
    return this.searchedList;
  }

  get currentSettings(): CoreSettings {
    return this.settings;
  }

  get hasStateDirs(): boolean {
    return this.state.some((f) => f.snapshots.length > 0);
  }

  allJobs(): Job[] {
    return this.state.flatMap((f) => f.jobs);
  }

  counts(): JobCounts {
    return countJobs(this.allJobs());
  }

  findJob(stateDir: string, id: string): Job | undefined {
    for (const f of this.state) {
      for (const j of f.jobs) if (j.id === id && j.stateDir === stateDir) return j;
    }
    return undefined;
  }

  setFolders(folders: readonly WorkspaceFolderRef[]): void {
    this.folderRefs = [...folders];
    this.workspaceRoots.clear();
  }

  /** A folder's git top level barely ever changes; asking git costs a process per folder per refresh. */
  private readonly workspaceRoots = new Map<string, Promise<string>>();

  private workspaceRootOf(folder: string): Promise<string> {
    let p = this.workspaceRoots.get(folder);
    if (!p) {
      p = resolveWorkspaceRoot(folder);
      this.workspaceRoots.set(folder, p);
    }
    return p;
  }

  setSettings(settings: CoreSettings): void {
    this.settings = settings;
  }

  /**
   * Every change to the model runs through this queue: a full rebuild, a partial re-read and a
   * re-verification each start from the state the previous one left, so none overwrites another.
   */
  private serial: Promise<void> = Promise.resolve();
  private queuedRefresh: Promise<void> | undefined;
  private pendingBatch: ChangeBatch | undefined;
  private queuedDrain: Promise<void> | undefined;

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.serial.then(() => (this.disposed ? undefined : op()));
    this.serial = run.catch((err) => this.logger.error(`model update failed: ${String(err)}`));
    return run;
  }

  /** Resolves once every queued update has run. */
  idle(): Promise<void> {
    return this.serial;
  }

  /**
   * Resolves once nothing is left to do: queued updates, the archive's copying, and the updates that
   * copying causes (a job found gone). For tests and benchmarks; one call instead of flush/idle/flush.
   */
  async settled(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const s = this.serial;
      await this.opts.archive?.flush();
      await s;
      await new Promise((r) => setImmediate(r));
      if (s === this.serial && this.archiving === 0) return;
    }
  }

  /** Where what the model sees is kept (the extension's and the CLI's archive), if anywhere. */
  get archive(): JobArchive | undefined {
    return this.opts.archive;
  }

  /** Re-reads everything. Calls made before a queued refresh starts share it. */
  refresh(): Promise<void> {
    if (this.queuedRefresh) return this.queuedRefresh;
    const p = this.enqueue(async () => {
      this.queuedRefresh = undefined;
      this.pendingBatch = undefined; // a full rebuild reads everything those events named
      await this.rebuild();
    });
    this.queuedRefresh = p;
    return p;
  }

  private async rebuild(): Promise<void> {
    const started = this.now();
    const found = await candidateRoots(this.opts.host, this.settings.extraRoots);
    const roots = found.roots;
    const read = await Promise.all(this.folderRefs.map((f) => this.loadFolder(f, roots)));
    // One process-table batch for every state dir of every folder.
    const raws = read.flatMap((f) => f.snapshots);
    const done = await this.complete(raws);
    if (this.disposed) return;
    done.forEach((d, i) => this.rawOf.set(d, raws[i]));
    let n = 0;
    const next = read.map((f) => this.folderWith(f, done.slice(n, (n += f.snapshots.length))));
    for (const snap of done) this.archiveInBackground(snap);
    const before = this.state;
    this.rootList = roots;
    this.searchedList = found.searched;
    this.searchedRoots = found.all.map((r) => r.path);
    this.state = next;
    const jobs = next.flatMap((f) => f.jobs).length;
    this.logger.debug(`refreshed ${next.length} folder(s), ${jobs} job(s) in ${this.now() - started} ms`);
    // A job that moved between looks is a transition here too: a Refresh that reads a failure first
    // must not swallow its notification.
    const was = new Map(before.flatMap((f) => f.jobs).map((j) => [jobKey(j), j]));
    const transitions = next
      .flatMap((f) => f.jobs)
      .flatMap((j) => {
        const old = was.get(jobKey(j));
        return old && old.status !== j.status ? [{ job: j, from: old.status, to: j.status }] : [];
      });
    this.changed.fire({
      full: true,
      folders: next.map((f) => f.folder),
      transitions,
      diffs: diffFolders(before, next),
    });
  }

  /**
   * The pipeline every read goes through: the snapshot as read (reconciled), plus the archived jobs,
   * each job a new object, verified against the process table, then completed from its log where
   * its record's last word was lost. Nothing shown before is changed.
   */
  private async complete(
    snaps: readonly StateDirSnapshot[],
    shown?: ReadonlyMap<string, Job>,
    /** The reconciled jobs the shown ones were made from: a job reconciled to the same object is shown as it was. */
    shownRaw?: ReadonlyMap<string, Job>,
  ): Promise<StateDirSnapshot[]> {
    const reused = new Set<Job>();
    const out = snaps.map((s) => {
      const withArch = this.withArchived(s);
      return {
        ...withArch,
        jobs: withArch.jobs.map((j) => {
          const old = shownRaw?.get(j.id) === j ? shown?.get(j.id) : undefined;
          if (old && this.sameStory(old, j)) {
            reused.add(old);
            return old;
          }
          return this.withStory(j);
        }),
      };
    });
    // A job read from the same files as the one shown keeps its verdict: the re-verify timer keeps
    // those of running jobs fresh. Only the jobs an update touched are checked against the OS here.
    const toVerify = out
      .flatMap((s) => s.jobs)
      .filter((j) => {
        if (reused.has(j)) return false;
        const old = shown?.get(j.id);
        const sameFiles =
          !!old &&
          old.record === j.record &&
          old.index === j.index &&
          old.recordedStatus === j.recordedStatus &&
          !!old.archived === !!j.archived;
        // Only its log grew: a line says nothing of its process, verified a moment ago (and again
        // by the timer); its status is derived again, as the log's time counts for `stalled`.
        if (sameFiles && old.log !== j.log && old.verification?.outcome === 'verified') {
          j.verification = old.verification;
          j.status = deriveStatus(j, old.verification, this.settings, this.now());
          return false;
        }
        if (!sameFiles || old.log !== j.log) return true;
        j.verification = old.verification;
        // An inferred status is re-derived: inference runs again below, from the same log.
        j.status = old.inferred ? deriveStatus(j, old.verification, this.settings, this.now()) : old.status;
        return false;
      });
    try {
      await verifyJobs(toVerify, this.opts.table, this.settings, this.now());
    } catch (err) {
      // Verification failing must not hide what the files say; statuses stay `unverified`.
      this.logger.warn(`process verification failed: ${String(err)}`);
    }
    // Only stale jobs can be completed from their log; the rest go through as they are (no promise each).
    return Promise.all(
      out.map(async (s) => {
        const at = s.jobs.flatMap((j, i) => (mayInfer(j) ? [i] : []));
        if (at.length === 0) return s;
        const done = await Promise.all(at.map((i) => this.inferred(s.jobs[i])));
        const jobs = s.jobs.slice();
        at.forEach((i, k) => (jobs[i] = done[k]));
        return { ...s, jobs };
      }),
    );
  }

  /** Whether `shown` (made from `raw` earlier) still carries what the archive knows of its story. */
  private sameStory(shown: Job, raw: Job): boolean {
    if (shown.archived) return false;
    const e = this.opts.archive?.get(raw.stateDir, raw.id);
    // Without a record, the archive's kept one may stand in (withStory): made afresh.
    return !e || (shown.history === e.history && !!raw.record);
  }

  /** A copy of a job with what the archive knows of its story: history, and the flags it gives. */
  private withStory(j: Job): Job {
    const e = this.opts.archive?.get(j.stateDir, j.id);
    // Shallow: verification writes only `verification` and `status`; flags are copied when added to.
    const copy: Job = { ...j };
    if (!e) return copy;
    copy.history = e.history;
    const story = this.opts.archive!.flagsOf(j.stateDir, j.id).filter((f) => !j.flags.includes(f));
    if (story.length) copy.flags = [...j.flags, ...story];
    // Its record is gone but the index still says it runs: the last record the archive read may
    // have the end (a concurrent writer deleted it a moment after it was written).
    const kept = e.record && !j.record && !j.archived ? parseJobFields(e.record, 'archive').fields : undefined;
    if (kept && isTerminalStatus(kept.status) && !isTerminalStatus(j.recordedStatus)) {
      copy.display = { ...j.display, ...stripUndefined(kept), raw: kept.raw };
      copy.recordedStatus = kept.status;
    }
    return copy;
  }

  /** The archive's copy of a job's log, when it holds any. */
  private keptLog(j: Job): (FileBeneath & { bytes: number }) | undefined {
    const a = this.opts.archive;
    const e = a?.get(j.stateDir, j.id);
    return e && e.logBytes > 0
      ? { file: a!.entryPaths(j.stateDir, j.id).log, root: a!.dir, bytes: e.logBytes }
      : undefined;
  }

  private readonly inferCache = new Map<string, InferredEnd | null>();

  /** A stale job whose kept log ends with the companion's completion is shown as it ended. */
  private async inferred(j: Job): Promise<Job> {
    // Stale, or known only from its log (no status anywhere): the log may say how it ended.
    if (j.status !== 'stale' && !(j.status === 'unknown' && !j.recordedStatus)) return j;
    const kept = j.log.exists ? undefined : this.keptLog(j);
    const file = j.log.exists ? j.logPath : kept?.file;
    if (!file) return j;
    const root = j.log.exists ? rootOfStateDir(j.stateDir) : kept!.root;
    const key = `${file}\u0000${j.log.exists ? `${j.log.size}:${j.log.mtimeMs}` : `a${kept?.bytes}`}`;
    let end = this.inferCache.get(key);
    if (end === undefined) {
      const tail = await readLogTail(file, INFER_TAIL_BYTES, root).catch(() => undefined);
      end = (tail?.exists && inferEnd(tail.text)) || null;
      if (this.inferCache.size > 1000) this.inferCache.clear();
      this.inferCache.set(key, end);
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

  /** A new FolderState from a folder and its completed snapshots. */
  private folderWith(f: FolderState, snapshots: StateDirSnapshot[]): FolderState {
    const jobs = snapshots.flatMap((s) => s.jobs).sort((a, b) => timeOf(b) - timeOf(a));
    const warnings = [...(f.readWarnings ?? []), ...snapshots.flatMap((s) => s.warnings)];
    return { ...f, snapshots, jobs, warnings };
  }

  /** The snapshot's jobs plus the archived ones whose files are gone. */
  private withArchived(snap: StateDirSnapshot): StateDirSnapshot {
    const archive = this.opts.archive;
    if (!archive) return snap;
    // Nothing gone here (the usual case): the snapshot as read.
    if (archive.gone(snap.stateDir).length === 0 && !snap.jobs.some((j) => j.archived)) return snap;
    const onDisk = snap.jobs.filter((j) => !j.archived);
    const logOnly = new Map(onDisk.filter((j) => j.flags.includes('log-only')).map((j) => [j.id, j]));
    const present = new Set(onDisk.filter((j) => !logOnly.has(j.id)).map((j) => j.id));
    const gone: Job[] = [];
    for (const e of archive.gone(snap.stateDir)) {
      if (present.has(e.id)) continue;
      const j = archive.toJob(e);
      if (!j) continue;
      // Its worker may still be writing the log: show that live log with what the archive knows.
      const live = logOnly.get(e.id);
      if (live) {
        logOnly.delete(e.id);
        gone.push({ ...j, log: live.log, flags: [...j.flags, 'log-only'] });
      } else gone.push(j);
    }
    return { ...snap, jobs: [...onDisk.filter((j) => !j.flags.includes('log-only') || logOnly.has(j.id)), ...gone] };
  }

  private archiving = 0;

  /** Copies what is new into the archive in the background; newly gone jobs then appear as archived. */
  private archiveInBackground(snap: StateDirSnapshot): void {
    const archive = this.opts.archive;
    if (!archive || !snap.exists) return;
    // A gone job whose worker still writes its log is shown merged with its archived self; the
    // archive gets that live log as the log-only job it is.
    const onDisk = snap.jobs.flatMap((j) =>
      !j.archived
        ? [j]
        : j.flags.includes('log-only')
          ? [{ ...j, record: undefined, index: undefined, archived: undefined, flags: ['log-only' as const] }]
          : [],
    );
    const indexSize = onDisk.filter((j) => j.index).length;
    const goneBefore = archive.gone(snap.stateDir).length;
    this.archiving++;
    void archive
      .observe(snap.stateDir, onDisk, indexSize, this.now())
      .then(() => {
        if (this.disposed) return;
        if (archive.gone(snap.stateDir).length === goneBefore && !this.storyMoved(this.shownJobs(snap.stateDir)))
          return;
        void this.enqueue(() => this.replaceSnapshot(snap.stateDir, (s) => s, 'archived'));
      })
      .finally(() => this.archiving--);
  }

  private shownJobs(stateDir: string): Job[] {
    return this.state.flatMap((f) => f.snapshots.filter((s) => s.stateDir === stateDir).flatMap((s) => s.jobs));
  }

  /**
   * Whether the archive's story of a job has moved past what the job shows: the archive observes
   * after the rows are built, so a first look (or a status change) is in the history one pass later.
   */
  private storyMoved(jobs: readonly Job[]): boolean {
    const archive = this.opts.archive;
    return jobs.some((j) => {
      const h = archive?.get(j.stateDir, j.id)?.history;
      const shown = j.history ?? [];
      return !!h && h !== shown && (h.length !== shown.length || h[h.length - 1] !== shown[shown.length - 1]);
    });
  }

  /**
   * Runs one state dir's current snapshot through the pipeline again (after `read`), and replaces
   * it in every folder that shows it with new objects. Fires one change with the per-folder diff.
   */
  private async replaceSnapshot(
    stateDir: string,
    read: (prev: StateDirSnapshot) => StateDirSnapshot | Promise<StateDirSnapshot>,
    why: 'archived' | 'files',
    named?: ReadonlySet<string>,
  ): Promise<void> {
    const holders = this.state.filter((f) => f.snapshots.some((s) => s.stateDir === stateDir));
    if (holders.length === 0) return;
    const prev = holders[0].snapshots.find((s) => s.stateDir === stateDir)!;
    const fresh = await read(prev);
    // Nothing the files say has changed (a second look after a burst, mostly): nothing to do.
    if (fresh === prev && why === 'files') return;
    const before = new Map(prev.jobs.map((j) => [j.id, j]));
    const prevRaw = this.rawOf.get(prev);
    const raw = why === 'files' ? fresh : prevRaw;
    const [next] = await this.complete([fresh], before, prevRaw && new Map(prevRaw.jobs.map((j) => [j.id, j])));
    if (this.disposed) return;
    if (raw) this.rawOf.set(next, raw);
    if (why === 'files') this.archiveInBackground(next);
    // A job whose inputs and verdict are the ones shown keeps its object: the diff sees it unchanged.
    next.jobs = next.jobs.map((j) => {
      const old = before.get(j.id);
      return old && (old === j || sameJob(old, j)) ? old : j;
    });
    const changedJobs: Job[] = [];
    const transitions: StatusTransition[] = [];
    for (const j of next.jobs) {
      const old = before.get(j.id);
      const moved = !!old && old.status !== j.status;
      if (why === 'archived' ? !old || !!j.archived || moved : !old || named?.has(j.id) || moved) changedJobs.push(j);
      if (moved) transitions.push({ job: j, from: old.status, to: j.status });
    }
    this.commit(
      (f) =>
        f.snapshots.some((s) => s.stateDir === stateDir)
          ? f.snapshots.map((s) => (s.stateDir === stateDir ? next : s))
          : undefined,
      { jobs: changedJobs, transitions },
    );
  }

  /** Replaces the folders `snapsOf` gives new snapshots for, and fires their diff. */
  private commit(
    snapsOf: (f: FolderState) => StateDirSnapshot[] | undefined,
    extra: { jobs: Job[]; transitions: StatusTransition[] },
  ): void {
    const before = this.state;
    const touched: FolderState[] = [];
    this.state = this.state.map((f) => {
      const snaps = snapsOf(f);
      if (!snaps) return f;
      const nf = this.folderWith(f, snaps);
      touched.push(nf);
      return nf;
    });
    if (touched.length === 0) return;
    this.changed.fire({
      full: false,
      folders: touched.map((f) => f.folder),
      jobs: extra.jobs,
      transitions: extra.transitions,
      diffs: diffFolders(
        before.filter((f) => touched.some((t) => t.folder === f.folder)),
        touched,
      ),
    });
  }

  private async loadFolder(folder: WorkspaceFolderRef, roots: StateRoot[]): Promise<FolderState> {
    try {
      const mapping = await mapFolder(folder.path, roots, this.workspaceRootOf(folder.path));
      const existing = mapping.candidates.filter((c) => c.exists);
      await this.opts.archive?.load(existing.map((c) => c.stateDir));
      const snapshots = await Promise.all(
        existing.map((c) => loadStateDir(c.root, c.stateDir, this.settings, this.cache)),
      );
      return { folder, mapping, snapshots, jobs: [], warnings: [] };
    } catch (err) {
      this.logger.error(`reading ${folder.path} failed: ${String(err)}`);
      const readWarnings = [{ file: folder.path, message: `could not read its job state: ${String(err)}` }];
      return { folder, snapshots: [], jobs: [], warnings: readWarnings, readWarnings };
    }
  }

  /** Where a job's log is, for the one merged reader and follower (jobLog.ts). */
  logSource(job: Job): LogSource {
    const a = this.opts.archive;
    const e = a?.get(job.stateDir, job.id);
    return logSourceOf(job, e, e && { file: a!.entryPaths(job.stateDir, job.id).log, root: a!.dir });
  }

  /**
   * Given state dirs (the CLI's `--all`) through the same pipeline as the folders, archive
   * included. At most `pool` state dirs are read at once, so open files stay bounded.
   */
  async readStateDirs(
    dirs: readonly { root: StateRoot; stateDir: string }[],
    pool = STATE_DIR_POOL,
  ): Promise<{ jobs: Job[]; warnings: ReadWarning[] }> {
    await this.opts.archive?.load(dirs.map((d) => d.stateDir));
    const snaps = await mapLimit(dirs, pool, (d) => loadStateDir(d.root, d.stateDir, this.settings));
    let done = await this.complete(snaps);
    const archive = this.opts.archive;
    if (archive) {
      const goneBefore = snaps.map((s) => archive.gone(s.stateDir).length);
      for (const s of done) this.archiveInBackground(s);
      await this.settled();
      // Jobs found gone by this look are shown from the archive too, and every job with its story.
      if (
        snaps.some((s, i) => archive.gone(s.stateDir).length !== goneBefore[i]) ||
        this.storyMoved(done.flatMap((s) => s.jobs))
      )
        done = await this.complete(snaps);
    }
    return {
      jobs: done.flatMap((s) => s.jobs).sort((a, b) => jobTime(b) - jobTime(a)),
      warnings: [...done.flatMap((s) => s.warnings), ...(archive?.warnings ?? [])],
    };
  }

  /** State dirs being shown, and every candidate root (for the watcher's plan). */
  watchPlan(): { stateDirs: string[]; roots: string[] } {
    const stateDirs = this.state.flatMap((f) => f.snapshots.map((s) => s.stateDir));
    const roots = new Set<string>(this.rootList.map((r) => r.path));
    for (const f of this.state) for (const c of f.mapping?.candidates ?? []) roots.add(c.root.path);
    for (const r of this.searchedRoots) roots.add(r);
    return { stateDirs: [...new Set(stateDirs)], roots: [...roots] };
  }

  private searchedRoots: string[] = [];

  /** Re-reads only what a batch of file events names; a layout change means a full refresh. */
  applyBatch(batch: ChangeBatch): Promise<void> {
    if (batch.layout) return this.refresh();
    if (this.pendingBatch) {
      mergeBatch(this.pendingBatch, batch);
      return this.queuedDrain ?? Promise.resolve();
    }
    this.pendingBatch = batch;
    this.queuedDrain = this.enqueue(async () => {
      const b = this.pendingBatch;
      this.pendingBatch = undefined;
      this.queuedDrain = undefined;
      if (b) await this.applyNow(b);
    });
    return this.queuedDrain;
  }

  private async applyNow(batch: ChangeBatch): Promise<void> {
    for (const [stateDir, change] of batch.dirs) {
      await this.replaceSnapshot(
        stateDir,
        (prev) => (change.rescan ? this.reloadWhole(prev) : this.reloadPartly(prev, change)),
        'files',
        change.jobs,
      );
      if (this.disposed) return;
    }
  }

  /** Re-checks every job that claims to be queued or running; fires only when a status moved. */
  reverify(): Promise<void> {
    return this.enqueue(() => this.reverifyNow());
  }

  private async reverifyNow(): Promise<void> {
    const active = this.allJobs().filter(mayRun);
    if (active.length === 0) return;
    // Verified as copies: the jobs shown stay as they were until the new ones replace them.
    const copies = active.map((j) => ({ ...j }));
    await verifyJobs(copies, this.opts.table, this.settings, this.now());
    const fresh = await Promise.all(copies.map((j) => this.inferred(j)));
    if (this.disposed) return;
    const transitions: StatusTransition[] = [];
    const replaced = new Map<Job, Job>();
    fresh.forEach((j, i) => {
      if (j.status === active[i].status) return;
      transitions.push({ job: j, from: active[i].status, to: j.status });
      replaced.set(active[i], j);
    });
    if (transitions.length === 0) return;
    this.commit(
      (f) =>
        f.jobs.some((j) => replaced.has(j))
          ? f.snapshots.map((s) => {
              const next = { ...s, jobs: s.jobs.map((j) => replaced.get(j) ?? j) };
              const raw = this.rawOf.get(s);
              if (raw) this.rawOf.set(next, raw); // the same files: only verdicts moved
              return next;
            })
          : undefined,
      { jobs: transitions.map((t) => t.job), transitions },
    );
  }

  /** Whether any job claims to run: the re-verify timer runs only then. */
  get anyActive(): boolean {
    return this.state.some((f) => f.jobs.some(mayRun));
  }

  private async reloadWhole(prev: StateDirSnapshot): Promise<StateDirSnapshot> {
    const root = this.rootList.find((r) => r.path === prev.root) ?? { path: prev.root, source: 'setting' as const };
    return loadStateDir(root, prev.stateDir, this.settings, this.cache);
  }

  /**
   * Log lines only (no record, index or broker event): each named job is the one reconciled before
   * with its new log preview, and the rest stay the very objects they were. A log line then costs
   * its own read, not a pass that rebuilds every job's maps (undefined: not that case; read it all).
   */
  private async reloadLogs(snap: StateDirSnapshot, change: StateDirChange): Promise<StateDirSnapshot | undefined> {
    const raw = this.rawOf.get(snap);
    if (!raw || change.index || change.broker || change.rescan || !change.records) return undefined;
    const dir = snap.stateDir;
    const named = [...change.jobs].map((id) => ({ id, was: raw.jobs.find((j) => j.id === id) }));
    // A job whose record had an event, that had no record or log, or whose record was refused: read it
    // all (decided before any read, so that nothing is read twice).
    const plain = named.every(
      ({ id, was }) =>
        !change.records!.has(id) &&
        !!was?.record &&
        was.log.exists &&
        !snap.warnings.some((w) => w.file === path.join(dir, 'jobs', `${id}.json`)),
    );
    if (!plain) return undefined;
    const logs = await Promise.all(named.map(({ id }) => this.readPreview(dir, id)));
    if (logs.some((l) => !l.exists)) return undefined;
    const updates = new Map<string, LogPreview>();
    named.forEach(({ id, was }, i) => {
      if (!sameLog(was!.log, logs[i])) updates.set(id, logs[i]);
    });
    if (updates.size === 0) return snap;
    // A log is no input of a job's time: the order reconcile gave stays.
    const jobs = raw.jobs.map((j) => {
      const log = updates.get(j.id);
      return log ? { ...j, log } : j;
    });
    return { ...snap, jobs, readAtMs: this.now() };
  }

  /** A job's log preview, as every re-read of a state dir's files takes it. */
  private readPreview(stateDir: string, id: string): Promise<LogPreview & { problem?: string }> {
    const { logTailBytes, progressLines } = this.settings;
    return readLogPreview(
      path.join(stateDir, 'jobs', `${id}.log`),
      logTailBytes,
      progressLines,
      rootOfStateDir(stateDir),
    );
  }

  private async reloadPartly(snap: StateDirSnapshot, change: StateDirChange): Promise<StateDirSnapshot> {
    const lines = await this.reloadLogs(snap, change);
    if (lines) return lines;
    const dir = snap.stateDir;
    const raw = this.rawOf.get(snap);
    const jobsDir = path.join(dir, 'jobs');
    let warnings = snap.warnings;
    const drop = (file: string) => (warnings = warnings.filter((w) => w.file !== file));
    // The previous snapshot already holds every input of reconcile; replace only what changed.
    let index: ParsedState | undefined = snapshotIndex(snap);
    const records = new Map<string, { fields: JobFields; mtimeMs?: number }>();
    const logs = new Map<string, LogPreview>();
    for (const j of snap.jobs) {
      if (j.archived) continue;
      if (j.record) records.set(j.id, { fields: j.record, mtimeMs: j.recordMtimeMs });
      if (j.log.exists) logs.set(j.id, j.log);
    }
    let broker = snap.broker;
    let config = snap.config;
    let moved = false;
    if (change.index) {
      const file = path.join(dir, 'state.json');
      const r = await readStateFile(file, rootOfStateDir(dir));
      drop(file);
      warnings = [...warnings, ...r.warnings];
      // An entry that reads as before is the same entry: its job is not verified again for it.
      const was = new Map((index?.entries ?? []).map((e) => [e.id, e]));
      index = r.value && {
        ...r.value,
        entries: r.value.entries.map((e) => {
          const old = was.get(e.id);
          return old && JSON.stringify(old.raw) === JSON.stringify(e.raw) ? old : e;
        }),
      };
      config = r.value?.config;
      // Ids only the index knew may now have records or logs we never read.
      for (const e of r.value?.entries ?? []) if (!records.has(e.id)) change.jobs.add(e.id);
    }
    if (change.broker) {
      const file = path.join(dir, 'broker.json');
      const r = await readBrokerFile(file, rootOfStateDir(dir));
      drop(file);
      warnings = [...warnings, ...r.warnings];
      broker = r.value;
    }
    await Promise.all(
      [...change.jobs].map(async (id) => {
        const recFile = path.join(jobsDir, `${id}.json`);
        const known = records.get(id);
        // Only a log event named it: its record is as it was (a record event of its own re-reads it).
        const logOnly = change.records && !change.records.has(id) && known && !warnings.some((w) => w.file === recFile);
        const [rec, log] = await Promise.all([
          logOnly
            ? { value: known.fields, mtimeMs: known.mtimeMs, warnings: [] }
            : readJobRecord(recFile, id, rootOfStateDir(dir)),
          this.readPreview(dir, id),
        ]);
        const before = { rec: records.get(id), log: logs.get(id) };
        if (
          !rec.warnings.length &&
          !warnings.some((w) => w.file === recFile) &&
          sameRecord(before.rec, rec.value, rec.mtimeMs) &&
          sameLog(before.log, log)
        )
          return;
        moved = true;
        drop(recFile);
        warnings = [...warnings, ...rec.warnings];
        if (rec.value) records.set(id, { fields: rec.value, mtimeMs: rec.mtimeMs });
        else records.delete(id);
        if (log.exists) logs.set(id, log);
        else logs.delete(id);
      }),
    );
    if (!moved && !change.index && !change.broker) return snap;
    // Only the jobs whose files moved are made again; the rest are the ones reconciled before.
    const jobs = reconcile({ stateDir: dir, index, records, logs, previous: raw?.jobs });
    return { ...snap, jobs, warnings, broker, config, readAtMs: this.now() };
  }

  dispose(): void {
    this.disposed = true;
    this.changed.dispose();
  }
}

const INFER_TAIL_BYTES = 64 * 1024;
/** State dirs read at once by readStateDirs (each reads up to 32 files at once). */
const STATE_DIR_POOL = 4;

/** What changed from one list of folder states to the next, by job identity and content. */
function diffFolders(before: readonly FolderState[], after: readonly FolderState[]): FolderDiff[] {
  return after.map((f) => {
    const old = before.find((b) => b.folder.path === f.folder.path);
    const warningsChanged =
      old?.warnings !== f.warnings && JSON.stringify(old?.warnings ?? []) !== JSON.stringify(f.warnings);
    // The same jobs in the same order (a log line made one job again): compared place by place.
    if (old && sameOrder(old.jobs, f.jobs)) {
      const changed = f.jobs.filter((j, i) => j !== old.jobs[i] && looksOf(old.jobs[i]) !== looksOf(j));
      return { folder: f.folder, added: [], removed: [], changed, warningsChanged };
    }
    const prev = new Map((old?.jobs ?? []).map((j) => [jobKey(j), j]));
    const added: Job[] = [];
    const changed: Job[] = [];
    for (const j of f.jobs) {
      const k = jobKey(j);
      const p = prev.get(k);
      prev.delete(k);
      if (!p) added.push(j);
      else if (p !== j && looksOf(p) !== looksOf(j)) changed.push(j);
    }
    return {
      folder: f.folder,
      added,
      removed: [...prev.values()],
      changed,
      warningsChanged,
    };
  });
}

/** Whether two lists hold the same jobs (by state dir and id) in the same order. */
function sameOrder(a: readonly Job[], b: readonly Job[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i] && (a[i].id !== b[i].id || a[i].stateDir !== b[i].stateDir)) return false;
  return true;
}

/** Jobs are never changed once made, so what one looks like is worked out once. */
const looks = new WeakMap<Job, string>();

/** What a view shows of a job, to tell a changed job from a new object with the same content. */
function looksOf(j: Job): string {
  const known = looks.get(j);
  if (known !== undefined) return known;
  const d = j.display;
  const look = JSON.stringify([
    j.status,
    j.flags,
    d.status,
    d.phase,
    d.title,
    d.summary,
    d.pid,
    d.updatedAt,
    d.completedAt,
    j.log.size,
    j.log.mtimeMs,
    j.log.progress.length ? j.log.progress[j.log.progress.length - 1] : undefined,
    j.verification?.outcome,
    j.verification?.detail,
    j.archived?.logBytes,
    j.history?.length,
    j.recordMtimeMs,
  ]);
  looks.set(j, look);
  return look;
}

function mergeBatch(into: ChangeBatch, from: ChangeBatch): void {
  into.layout ||= from.layout;
  for (const [dir, c] of from.dirs) {
    const e = into.dirs.get(dir);
    if (!e)
      into.dirs.set(dir, {
        index: c.index,
        broker: c.broker,
        jobs: new Set(c.jobs),
        records: c.records && new Set(c.records),
        rescan: c.rescan,
      });
    else {
      e.rescan ||= c.rescan;
      e.index ||= c.index;
      e.broker ||= c.broker;
      for (const id of c.jobs) e.jobs.add(id);
      mergeRecords(e, c);
    }
  }
}

/** Claims to run, or seen only as a log while a process that may run it was alive: checked again. */
const mayRun = (j: Job) => claimsActive(j) || (j.status === 'unknown' && isRecordless(j));

const mayInfer = (j: Job) => j.status === 'stale' || (j.status === 'unknown' && !j.recordedStatus);

function stripUndefined(f: JobFields): Partial<JobFields> {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as Partial<JobFields>;
}

/** Same files read, same verdict: nothing a view shows can differ. */
function sameJob(a: Job, b: Job): boolean {
  return (
    a.record === b.record &&
    a.index === b.index &&
    a.log === b.log &&
    a.status === b.status &&
    a.archived?.logBytes === b.archived?.logBytes &&
    a.history === b.history &&
    a.verification?.outcome === b.verification?.outcome &&
    a.verification?.detail === b.verification?.detail &&
    a.flags.join() === b.flags.join() &&
    a.display.rendered === b.display.rendered
  );
}

function sameRecord(
  before: { fields: JobFields; mtimeMs?: number } | undefined,
  now: JobFields | undefined,
  mtimeMs: number | undefined,
): boolean {
  if (!before || !now) return !before && !now;
  if (before.mtimeMs !== mtimeMs) return false;
  return before.fields === now || JSON.stringify(before.fields.raw) === JSON.stringify(now.raw);
}

function sameLog(before: LogPreview | undefined, now: LogPreview): boolean {
  if (!before || !now.exists) return !before && !now.exists;
  return before.size === now.size && before.mtimeMs === now.mtimeMs && before.fileId === now.fileId;
}

/** The index as the snapshot last saw it, rebuilt from the jobs' index entries. */
function snapshotIndex(snap: StateDirSnapshot): ParsedState | undefined {
  const entries = snap.jobs.filter((j) => j.index && !j.archived).map((j) => j.index!);
  if (entries.length === 0 && !snap.config) return undefined;
  return { version: 1, config: snap.config, entries };
}

const times = new WeakMap<Job, number>();

/** jobTime, worked out once per job object (jobs are never changed once made). */
function timeOf(job: Job): number {
  let t = times.get(job);
  if (t === undefined) times.set(job, (t = jobTime(job)));
  return t;
}

export function jobTime(job: Job): number {
  const d = job.display;
  for (const t of [d.updatedAt, d.completedAt, d.startedAt, d.createdAt]) {
    const ms = t ? Date.parse(t) : NaN;
    if (!Number.isNaN(ms)) return ms;
  }
  return job.recordMtimeMs ?? 0;
}

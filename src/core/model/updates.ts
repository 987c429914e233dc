// The reload and batch logic: every update of the model is a task on the one work queue
// (scheduler.ts, where the coalescing rule is), and each task reads, runs the pipeline
// (pipeline.ts) and hands the new folder states to the state holder (state.ts), which fires the
// change with its per-folder diff. The loop disk → model → archive → model is one explicit step:
// after a snapshot is shown, the archive observes it in the background, and when that copy found
// jobs deleted or moved a history, an `archived` task shows that state dir again (see scheduler.ts).
import { candidateRoots, mapFolder, workspaceRootOf } from '../discovery/discovery';
import type { JobArchive } from '../archive/archive';
import { FileCache, loadStateDir } from '../state/snapshot';
import type { ChangeBatch } from '../state/watcher';
import { verifyJobs } from '../state/verify';
import type { Logger } from '../vocab/emitter';
import type { CoreSettings, HostEnv, Job, ProcessTable, StateDirSnapshot, StateRoot } from '../vocab/types';
import { sameJob } from './diff';
import { completeSnapshots, folderWith, historyMoved, inferred, onDiskJobs, type PipelineContext } from './pipeline';
import { reload, type Reloaded } from './reload';
import { WorkQueue } from './scheduler';
import { HeapGuard } from './heapGuard';

/** Archived jobs per state dir kept shown when memory is short. */
const SHORT_WINDOW = 50;
import { mayRun, type ModelState } from './state';
import type { FolderState, StatusTransition, WorkspaceFolderRef } from './modelTypes';

export interface UpdateOptions {
  host: HostEnv;
  table: ProcessTable;
  settings: CoreSettings;
  logger: Logger;
  now: () => number;
  archive?: JobArchive;
  cacheFiles: boolean;
  /** Where a memory warning goes (default: the logger's warnings). */
  onMemory?: (message: string) => void;
}

export class ModelUpdates {
  readonly queue: WorkQueue;
  settings: CoreSettings;
  private folderRefs: WorkspaceFolderRef[] = [];
  private disposed = false;
  /** Copies into the archive under way (archiveInBackground). */
  private copying = 0;
  /** Per state dir, the archive's copy whose end is followed (archiveInBackground). */
  private readonly followed = new Map<string, Promise<void>>();
  private readonly cache: FileCache | undefined;
  private readonly ends: PipelineContext['ends'] = new Map();
  /** A folder's git top level barely ever changes; asking git costs a process per folder per refresh. */
  private readonly workspaceRoots = new Map<string, Promise<string>>();

  constructor(
    private readonly state: ModelState,
    private readonly opts: UpdateOptions,
  ) {
    this.settings = opts.settings;
    this.cache = opts.cacheFiles ? new FileCache() : undefined;
    this.queue = new WorkQueue((err) => opts.logger.error(`model update failed: ${String(err)}`));
    this.heap = new HeapGuard(() => this.dropCaches(), opts.onMemory ?? ((m) => opts.logger.warn(m)));
  }

  readonly heap: HeapGuard;

  /** What the heap guard drops: caches, and archived jobs beyond the most recent few per workspace. */
  private dropCaches(): string {
    this.cache?.clear();
    this.ends.clear();
    const a = this.opts.archive;
    if (a) a.setWindow({ maxGone: Math.min(a.window.maxGone, SHORT_WINDOW), maxAgeMs: a.window.maxAgeMs });
    return `file caches dropped${a ? `, archived jobs shown cut to the latest ${SHORT_WINDOW} per workspace` : ''}`;
  }

  /** What every pipeline run is given; the settings and clock as they are now. */
  get pipeline(): PipelineContext {
    const { archive, table, logger, now } = this.opts;
    return { archive, table, logger, now, settings: this.settings, ends: this.ends };
  }

  /** Whether the archive is still copying what was shown (for `settled`). */
  get archiving(): boolean {
    return this.copying > 0;
  }

  setFolders(folders: readonly WorkspaceFolderRef[]): void {
    this.folderRefs = [...folders];
    this.workspaceRoots.clear();
  }

  /** A full read: roots, folders, state dirs; a refresh waiting to start is joined. */
  refresh(): Promise<void> {
    return this.queue.add('refresh', '', async () => {
      this.queue.drop('files'); // a full read reads everything those events named
      await this.rebuild();
    });
  }

  /** Re-reads only what a batch of file events names; a layout change means a full refresh. */
  applyBatch(batch: ChangeBatch): Promise<void> {
    if (batch.layout) return this.refresh();
    return this.queue.addBatch(batch, (b) => this.applyNow(b));
  }

  /** Re-checks every job that claims to be queued or running; fires only when a status moved. */
  reverify(): Promise<void> {
    return this.queue.add('verify', '', () => this.reverifyNow());
  }

  private async rebuild(): Promise<void> {
    const started = this.opts.now();
    const found = await candidateRoots(this.opts.host, this.settings.extraRoots);
    const roots = found.roots;
    const read = await Promise.all(this.folderRefs.map((f) => this.loadFolder(f, roots)));
    // One process-table batch for every state dir of every folder.
    const raws = read.flatMap((f) => f.snapshots);
    const done = await completeSnapshots(this.pipeline, raws);
    if (this.disposed) return;
    done.forEach((d, i) => this.state.madeFrom(d, raws[i]));
    let n = 0;
    const next = read.map((f) => folderWith(f, done.slice(n, (n += f.snapshots.length))));
    for (const snap of done) this.archiveInBackground(snap);
    const jobs = next.flatMap((f) => f.jobs).length;
    this.opts.logger.debug(`refreshed ${next.length} folder(s), ${jobs} job(s) in ${this.opts.now() - started} ms`);
    // A job whose status moved since the last full read is a transition here too (state.ts): a
    // Refresh that reads a failure first must not swallow its notification.
    this.state.setAll(next, { roots, searched: found.searched, searchedRoots: found.all.map((r) => r.path) });
    this.heap.check();
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
      this.opts.logger.error(`reading ${folder.path} failed: ${String(err)}`);
      const readWarnings = [{ file: folder.path, message: `could not read its job state: ${String(err)}` }];
      return { folder, snapshots: [], jobs: [], warnings: readWarnings, readWarnings };
    }
  }

  private workspaceRootOf(folder: string): Promise<string> {
    let p = this.workspaceRoots.get(folder);
    if (!p) {
      p = workspaceRootOf(folder);
      this.workspaceRoots.set(folder, p);
    }
    return p;
  }

  private async applyNow(batch: ChangeBatch): Promise<void> {
    const ctx = { settings: this.settings, now: this.opts.now, cache: this.cache, roots: this.state.found.roots };
    for (const [stateDir, change] of batch.dirs) {
      await this.showAgain(stateDir, 'files', (shown) => reload(ctx, shown, this.state.rawFor(shown), change));
      if (this.disposed) return;
    }
  }

  /** The step that brings the archive's copy back: `stateDir` shown again from the same files. */
  private showArchived(stateDir: string): Promise<void> {
    return this.queue.add('archived', stateDir, () =>
      this.showAgain(stateDir, 'archived', (shown) => ({ snap: shown, named: new Set() })),
    );
  }

  /**
   * Runs one state dir's snapshot through the pipeline again (after `read`), and replaces it in
   * every folder that shows it with new objects. Fires one change with the per-folder diff.
   */
  private async showAgain(
    stateDir: string,
    why: 'archived' | 'files',
    read: (shown: StateDirSnapshot) => Reloaded | Promise<Reloaded>,
  ): Promise<void> {
    const prev = this.state.snapshotOf(stateDir);
    if (!prev) return;
    const { snap: fresh, named } = await read(prev);
    // Nothing the files say has changed (a second read after a burst, mostly): nothing to do.
    if (fresh === prev && why === 'files') return;
    const before = new Map(prev.jobs.map((j) => [j.id, j]));
    const prevRaw = this.state.rawFor(prev);
    const [made] = await completeSnapshots(
      this.pipeline,
      [fresh],
      before,
      prevRaw && new Map(prevRaw.jobs.map((j) => [j.id, j])),
    );
    if (this.disposed) return;
    // A job whose inputs and verdict are the ones shown keeps its object: the diff sees it unchanged.
    const next = {
      ...made,
      jobs: made.jobs.map((j) => {
        const old = before.get(j.id);
        return old && (old === j || sameJob(old, j)) ? old : j;
      }),
    };
    const raw = why === 'files' ? fresh : prevRaw;
    if (raw) this.state.madeFrom(next, raw);
    if (why === 'files') this.archiveInBackground(next);
    const changedJobs: Job[] = [];
    const transitions: StatusTransition[] = [];
    for (const j of next.jobs) {
      const old = before.get(j.id);
      const moved = !!old && old.status !== j.status;
      if (why === 'archived' ? !old || !!j.archived || moved : !old || named.has(j.id) || moved) changedJobs.push(j);
      if (moved) transitions.push({ job: j, from: old.status, to: j.status });
    }
    this.commit((s) => (s.stateDir === stateDir ? next : s), { jobs: changedJobs, transitions });
  }

  /** Copies what is new into the archive in the background; jobs it then finds deleted appear as archived. */
  archiveInBackground(snap: StateDirSnapshot): void {
    const archive = this.opts.archive;
    if (!archive || !snap.exists) return;
    const onDisk = onDiskJobs(snap);
    const indexSize = onDisk.filter((j) => j.index).length;
    const goneBefore = archive.goneVersion(snap.stateDir);
    const observed = archive.observe(snap.stateDir, onDisk, indexSize, this.opts.now());
    // A scan that replaced one still waiting shares its promise: followed once, not once per scan
    // (under a flood, thousands of scans wait on one).
    if (this.followed.get(snap.stateDir) === observed) return;
    this.followed.set(snap.stateDir, observed);
    this.copying++;
    void observed
      .then(() => {
        if (this.followed.get(snap.stateDir) === observed) this.followed.delete(snap.stateDir);
        if (this.disposed) return;
        if (
          archive.goneVersion(snap.stateDir) !== goneBefore ||
          historyMoved(archive, this.state.jobsOf(snap.stateDir))
        )
          void this.showArchived(snap.stateDir);
      })
      .finally(() => this.copying--);
  }

  private async reverifyNow(): Promise<void> {
    const active = this.state.allJobs().filter(mayRun);
    if (active.length === 0) return;
    // New objects: the jobs shown stay as they were until the new ones replace them.
    const checked = await verifyJobs(active, this.opts.table, this.settings, this.opts.now());
    const fresh = await Promise.all(checked.map((j) => inferred(this.pipeline, j)));
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
      (s) => {
        if (!s.jobs.some((j) => replaced.has(j))) return s;
        const next = { ...s, jobs: s.jobs.map((j) => replaced.get(j) ?? j) };
        const raw = this.state.rawFor(s);
        if (raw) this.state.madeFrom(next, raw); // the same files: only verdicts moved
        return next;
      },
      { jobs: transitions.map((t) => t.job), transitions },
    );
  }

  /** New folder states wherever `snapOf` gives a new snapshot, handed to the state holder. */
  private commit(
    snapOf: (s: StateDirSnapshot) => StateDirSnapshot,
    extra: { jobs: Job[]; transitions: StatusTransition[] },
  ): void {
    // A state dir shown in two folders is one snapshot object, made once.
    const made = new Map<StateDirSnapshot, StateDirSnapshot>();
    const once = (s: StateDirSnapshot) => made.get(s) ?? made.set(s, snapOf(s)).get(s)!;
    const next = this.state.folders.map((f) => {
      const snaps = f.snapshots.map(once);
      return snaps.some((s, i) => s !== f.snapshots[i]) ? folderWith(f, snaps) : f;
    });
    this.state.replace(next, extra);
    this.heap.check();
  }

  dispose(): void {
    this.disposed = true;
    this.queue.stop();
  }
}

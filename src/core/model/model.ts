// The truthful model of every open workspace folder's jobs. It reads, verifies and emits; it never
// writes to a state dir. The UI renders it; the refresh owner (refresher.ts) drives it.
//
// It is four parts, each in its own file:
//   state.ts      what is shown (folder states, roots), replaced whole, one typed change event;
//   pipeline.ts   read → reconcile → what the archive knows → verify → new job objects (functions);
//   updates.ts    the reload and batch logic, every update a task on the one work queue
//                 (scheduler.ts: the queue and its one coalescing rule), reload.ts for partial reads;
//   diff.ts       what one update did to each folder;
// and modelTypes.ts, the shapes it hands out (folder states, changes, diffs).
// Values handed out (folder states, snapshots, jobs) are never changed once made; with
// CODEX_JOBS_FREEZE=1 (the tests) they are frozen where they are handed out (vocab/freeze.ts).
import { type Logger, silentLogger } from '../vocab/emitter';
import { handOut } from '../vocab/freeze';
import { mapLimit } from '../vocab/async';
import { newestFirst } from '../vocab/jobTime';
import { logSourceOf, type LogSource } from '../archive/jobLog';
import type { JobArchive } from '../archive/archive';
import { loadStateDir } from '../state/snapshot';
import type { ChangeBatch } from '../state/watcher';
import type { JobCounts } from '../vocab/classify';
import type {
  CoreSettings,
  HostEnv,
  Job,
  ProcessTable,
  ReadWarning,
  StateDirSnapshot,
  StateRoot,
} from '../vocab/types';
import { completeSnapshots, historyMoved } from './pipeline';
import { ModelState } from './state';
import type { FolderState, WorkspaceFolderRef } from './modelTypes';
import { ModelUpdates } from './updates';

export type { FolderDiff, FolderState, ModelChange, StatusTransition, WorkspaceFolderRef } from './modelTypes';

export interface JobsModelOptions {
  host: HostEnv;
  table: ProcessTable;
  settings: CoreSettings;
  logger?: Logger;
  now?: () => number;
  /** Keeps what was seen; jobs whose files are deleted are shown from it. */
  archive?: JobArchive;
  /**
   * Whether files are cached by size and mtime between reads (default true). A one-shot process
   * reads each file once, so the stat that checks the cache is pure cost there.
   */
  cacheFiles?: boolean;
  /** Where a warning that memory is short goes, once (default: the logger's warnings). */
  onMemory?: (message: string) => void;
}

/** State dirs read at once by readSnapshots (each reads up to 32 files at once). */
const STATE_DIR_POOL = 4;

export class JobsModel {
  private readonly state = new ModelState();
  private readonly updates: ModelUpdates;
  readonly onDidChange = this.state.onDidChange;

  constructor(private readonly opts: JobsModelOptions) {
    this.updates = new ModelUpdates(this.state, {
      host: opts.host,
      table: opts.table,
      settings: opts.settings,
      logger: opts.logger ?? silentLogger,
      now: opts.now ?? Date.now,
      archive: opts.archive,
      cacheFiles: opts.cacheFiles !== false,
      onMemory: opts.onMemory,
    });
  }

  get folders(): readonly FolderState[] {
    return this.state.folders;
  }

  /** Roots that exist and were searched. */
  get roots(): readonly StateRoot[] {
    return this.state.found.roots;
  }

  /** Every place looked for state (patterns included), for the welcome view. */
  get searched(): readonly string[] {
    return this.state.found.searched;
  }

  get currentSettings(): CoreSettings {
    return this.updates.settings;
  }

  get hasStateDirs(): boolean {
    return this.state.hasStateDirs;
  }

  /** Whether any job claims to run: the re-verify timer runs only then. */
  get anyActive(): boolean {
    return this.state.anyActive;
  }

  /** Where what the model sees is kept (the extension's and the CLI's archive), if anywhere. */
  get archive(): JobArchive | undefined {
    return this.opts.archive;
  }

  allJobs(): Job[] {
    return this.state.allJobs();
  }

  counts(): JobCounts {
    return this.state.counts();
  }

  findJob(stateDir: string, id: string): Job | undefined {
    return this.state.findJob(stateDir, id);
  }

  setFolders(folders: readonly WorkspaceFolderRef[]): void {
    this.updates.setFolders(folders);
  }

  setSettings(settings: CoreSettings): void {
    this.updates.settings = settings;
  }

  /** Re-reads everything. Calls made before a queued refresh starts share it. */
  refresh(): Promise<void> {
    return this.updates.refresh();
  }

  /** Re-reads only what a batch of file events names; a layout change means a full refresh. */
  applyBatch(batch: ChangeBatch): Promise<void> {
    return this.updates.applyBatch(batch);
  }

  /** Re-checks every job that claims to be queued or running; fires only when a status moved. */
  reverify(): Promise<void> {
    return this.updates.reverify();
  }

  /** Resolves once every queued update has run. */
  idle(): Promise<void> {
    return this.updates.queue.idle();
  }

  /**
   * Resolves once nothing is left to do: queued updates, the archive's copying, and the updates that
   * copying causes (a job found deleted). For tests and benchmarks; one call instead of flush/idle/flush.
   */
  async settled(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const s = this.updates.queue.idle();
      await this.opts.archive?.flush();
      await s;
      await new Promise((r) => setImmediate(r));
      if (s === this.updates.queue.idle() && !this.updates.archiving) return;
    }
  }

  /** State dirs being shown, and every candidate root (for the watcher's plan). */
  watchPlan(): { stateDirs: string[]; roots: string[] } {
    return this.state.watchPlan();
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
    const done = await this.readSnapshots(dirs, { pool });
    return handOut({
      jobs: newestFirst(done.flatMap((s) => s.jobs)),
      warnings: [...done.flatMap((s) => s.warnings), ...(this.opts.archive?.warnings ?? [])],
    });
  }

  /**
   * Given state dirs through the pipeline, as snapshots in the order given, `pool` at once. With
   * `keep` (default), what is read is copied into the archive first, so jobs found deleted by this
   * read are shown from it too, and every job with its history; without, the archive is only read.
   */
  async readSnapshots(
    dirs: readonly { root: StateRoot; stateDir: string }[],
    { pool = STATE_DIR_POOL, keep = true }: { pool?: number; keep?: boolean } = {},
  ): Promise<StateDirSnapshot[]> {
    const archive = this.opts.archive;
    await archive?.load(dirs.map((d) => d.stateDir));
    const settings = this.updates.settings;
    const snaps = await mapLimit(dirs, pool, (d) => loadStateDir(d.root, d.stateDir, settings));
    let done = await completeSnapshots(this.updates.pipeline, snaps);
    if (archive && keep) {
      const goneBefore = snaps.map((s) => archive.goneVersion(s.stateDir));
      for (const s of done) this.updates.archiveInBackground(s);
      await this.settled();
      if (
        snaps.some((s, i) => archive.goneVersion(s.stateDir) !== goneBefore[i]) ||
        historyMoved(
          archive,
          done.flatMap((s) => s.jobs),
        )
      )
        done = await completeSnapshots(this.updates.pipeline, snaps);
    }
    return handOut(done);
  }

  dispose(): void {
    this.updates.dispose();
    this.state.dispose();
  }
}

// Keeps a JobsModel in step with the disk (file events) and the process table (a slow timer that
// exists only while some job claims to run). Nothing here polls when nothing can change. Both go
// through the refresh owner (refresher.ts): the editor's is given in the options; the CLI's live
// view gets one made here for the model.
import type { Logger } from '../vocab/emitter';
import { silentLogger } from '../vocab/emitter';
import type { JobArchive } from '../archive/archive';
import type { JobsModel } from './model';
import { ReverifyTimer } from '../state/reverifyTimer';
import { StateWatcher } from '../state/watcher';
import { Refresher, type ModelTriggers } from './refresher';

export interface LiveOptions {
  debounceMs?: number;
  usePolling?: boolean;
  pollIntervalMs?: number;
  reverifyIntervalMs?: number;
  /** With no job running for this long, the log catcher thread is let go (default 5 min). */
  catcherIdleMs?: number;
  /** Where new logs and record versions are kept the moment they appear. */
  archive?: JobArchive;
  /** The refresh owner every trigger goes through (default: one made for the model, owned here). */
  refresh?: ModelTriggers;
  logger?: Logger;
}

const CATCHER_IDLE_MS = 5 * 60_000;

export class LiveUpdates {
  readonly watcher: StateWatcher;
  readonly timer: ReverifyTimer;
  private readonly subscription: { dispose(): void };
  private started = false;
  private readonly logger: Logger;
  private idleRelease: NodeJS.Timeout | undefined;
  private readonly catcherIdleMs: number;
  private readonly refresh: ModelTriggers;
  /** The refresh owner made here (none given), disposed with this. */
  private readonly ownRefresher: Refresher<'jobs' | 'verify'> | undefined;

  constructor(
    private readonly model: JobsModel,
    opts: LiveOptions = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
    const archive = opts.archive;
    this.catcherIdleMs = opts.catcherIdleMs ?? CATCHER_IDLE_MS;
    this.ownRefresher = opts.refresh
      ? undefined
      : new Refresher(
          { run: { jobs: () => model.refresh(), verify: () => model.reverify() }, files: (b) => model.applyBatch(b) },
          (m) => this.logger.debug(m),
        );
    const refresh = (this.refresh = opts.refresh ?? this.ownRefresher!);
    this.watcher = new StateWatcher({
      debounceMs: opts.debounceMs ?? 30,
      usePolling: opts.usePolling,
      pollIntervalMs: opts.pollIntervalMs,
      logger: this.logger,
      // The archive opens a new log at once: the model may be busy, and the log deleted in a moment.
      onPossiblyNewLog: (dir, id) => {
        void archive?.openLogEarly(dir, id);
        this.onNewLog();
      },
      onRecordEvent: archive ? (dir, id) => void archive.readRecordEarly(dir, id) : undefined,
      onLogOpened: archive ? (log) => void archive.adoptOpened(log) : undefined,
      onBatch: (batch) => {
        void refresh.files(batch).catch((err) => this.logger.error(`applying file changes failed: ${String(err)}`));
      },
    });
    this.timer = new ReverifyTimer(
      async () => void (await refresh.now('verify', 're-verify timer', { quiet: true })),
      opts.reverifyIntervalMs ?? 2000,
    );
    this.subscription = model.onDidChange((e) => {
      if (!this.started) return;
      if (e.full) void this.replan();
      this.setActive(model.anyActive);
    });
  }

  /** Jobs are being launched here: from now on new logs are opened the moment they appear, on their own thread. */
  private onNewLog(): void {
    this.cancelIdleRelease();
    this.watcher.setCatching(true);
    if (!this.model.anyActive) this.releaseCatcherIn(this.catcherIdleMs);
  }

  /**
   * The catcher thread's whole on/off policy is here (setActive, onNewLog, releaseCatcherIn).
   * The re-verify timer runs only while some job claims to run; a running job's new logs are opened the moment they appear.
   * The catcher thread (~10 MB) outlives the last job by catcherIdleMs: launches come in bursts.
   * Once it is gone, the next log created starts it again.
   */
  private setActive(active: boolean): void {
    this.timer.setActive(active);
    if (active) {
      this.cancelIdleRelease();
      this.watcher.setCatching(true);
    } else if (this.watcher.catching && !this.idleRelease) {
      this.releaseCatcherIn(this.catcherIdleMs);
    }
  }

  private releaseCatcherIn(ms: number): void {
    this.idleRelease = setTimeout(() => {
      this.idleRelease = undefined;
      if (this.model.anyActive) return;
      // A log that just appeared belongs to a job about to show up as running.
      const quiet = Date.now() - this.watcher.lastNewLogMs;
      if (quiet < this.catcherIdleMs) this.releaseCatcherIn(this.catcherIdleMs - quiet);
      else this.watcher.setCatching(false);
    }, ms);
    this.idleRelease.unref?.();
  }

  private cancelIdleRelease(): void {
    if (this.idleRelease) clearTimeout(this.idleRelease);
    this.idleRelease = undefined;
  }

  /** Starts following; the first refresh happens here. */
  async start(): Promise<void> {
    this.started = true;
    await this.refresh.now('jobs', 'following started');
    await this.replan();
    this.setActive(this.model.anyActive);
  }

  /** Stops every watcher and timer (nothing to show, or deactivation). */
  async stop(): Promise<void> {
    this.started = false;
    this.timer.setActive(false);
    this.cancelIdleRelease();
    this.watcher.setCatching(false);
    await this.watcher.setPlan({ stateDirs: [], roots: [] });
  }

  setOptions(opts: { usePolling?: boolean; reverifyIntervalMs?: number }): void {
    if (opts.reverifyIntervalMs) this.timer.setInterval(opts.reverifyIntervalMs);
    if (opts.usePolling !== undefined) void this.watcher.setPolling(opts.usePolling);
  }

  private async replan(): Promise<void> {
    await this.watcher
      .setPlan(this.model.watchPlan())
      .catch((err) => this.logger.warn(`watch plan failed: ${String(err)}`));
  }

  async dispose(): Promise<void> {
    this.started = false;
    this.cancelIdleRelease();
    this.subscription.dispose();
    this.timer.dispose();
    this.ownRefresher?.dispose();
    await this.watcher.dispose();
  }
}

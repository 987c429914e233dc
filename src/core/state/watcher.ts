// Follows state dirs and candidate roots with native file events (chokidar; one plain directory
// watch per jobs dir), and turns bursts of events into one batch of "what changed where", so the
// model re-reads only that.
import * as path from 'path';
import { promises as fs, watch as watchDir, type FSWatcher as DirWatch } from 'fs';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../vocab/emitter';
import { silentLogger } from '../vocab/emitter';
import { LogCatcher, type OpenedLog } from './logCatcher';
import { isSafeJobId } from '../io/reader';
import { ChangeBatcher, entry, type ChangeBatch } from './changeBatcher';

export { mergeRecords, type ChangeBatch, type StateDirChange } from './changeBatcher';

export interface WatcherOptions {
  onBatch: (batch: ChangeBatch) => void;
  /** Events within this window become one batch (measured from the first event). */
  debounceMs?: number;
  /**
   * chokidar drops the trailing `change` of a file written twice within a few milliseconds, so the
   * files a batch named are read once more this long after it.
   */
  settleMs?: number;
  /**
   * Called at once, not batched, when a job's log appears, or goes, or (when polling) changes: so
   * that it can be opened before a concurrent writer deletes it a moment later.
   */
  onPossiblyNewLog?: (stateDir: string, id: string) => void;
  /** Called at once, not batched, when a job's record is created or changes: its version can be kept. */
  onRecordEvent?: (stateDir: string, id: string) => void;
  /**
   * Given, while the catcher thread is on (`setCatching`), every log created in a watched jobs dir
   * is also opened on a thread of its own (see `LogCatcher`) and handed over here; the receiver owns
   * the descriptor. Native events only.
   */
  onLogOpened?: (log: OpenedLog) => void;
  /** For network filesystems where native events do not arrive. */
  usePolling?: boolean;
  pollIntervalMs?: number;
  logger?: Logger;
}

export interface WatchPlan {
  stateDirs: string[];
  /** Candidate roots, existing or not; their (future) children are state dirs. */
  roots: string[];
}

export class StateWatcher {
  private dirWatcher: FSWatcher | undefined;
  private rootWatcher: FSWatcher | undefined;
  private plan: WatchPlan = { stateDirs: [], roots: [] };
  /** Re-plans run one after another on this chain. */
  private planning: Promise<void> = Promise.resolve();
  /** Each current watcher's initial scan. */
  private readyPromises: Promise<void>[] = [];
  private readonly batcher: ChangeBatcher;
  private rearm = false;
  private watchedDirs: string[] = [];
  /** One native watch per jobs dir, by state dir (see `watchJobs`). */
  private readonly jobsWatches = new Map<string, DirWatch>();
  private catcher: LogCatcher | undefined;
  /** When a log last appeared in a watched jobs dir (0: never). */
  lastNewLogMs = 0;
  private readonly logger: Logger;
  private disposed = false;

  constructor(private readonly opts: WatcherOptions) {
    this.opts = { ...opts };
    this.logger = opts.logger ?? silentLogger;
    this.batcher = new ChangeBatcher({
      onBatch: opts.onBatch,
      debounceMs: opts.debounceMs,
      settleMs: opts.settleMs,
      polling: () => !!this.opts.usePolling,
      logger: this.logger,
    });
  }

  /** Batches delivered; for tests and benchmarks. */
  get batches(): number {
    return this.batcher.batches;
  }

  get watching(): boolean {
    return !!this.dirWatcher || !!this.rootWatcher;
  }

  /**
   * Re-plans the watchers; a no-op when nothing changed unless `force` (a dir was re-created).
   * Re-plans run one after another; `ready()` waits for the last.
   */
  setPlan(plan: WatchPlan, force = false): Promise<void> {
    const next = this.planning.then(() => this.applyPlan(plan, force));
    this.planning = next.catch((err) => this.logger.warn(`watch plan failed: ${String(err)}`));
    return next;
  }

  private async applyPlan(plan: WatchPlan, force: boolean): Promise<void> {
    const same = sameSet(plan.stateDirs, this.plan.stateDirs) && sameSet(plan.roots, this.plan.roots);
    // Re-creating watchers drops events until their scan ends: only when the plan changed, or when
    // something watched was deleted (chokidar does not see a deleted path come back).
    if (same && !force && !this.rearm) return;
    this.rearm = false;
    this.plan = { stateDirs: [...plan.stateDirs], roots: [...plan.roots] };
    const hadWatchers = this.watching;
    await this.closeWatchers();
    if (this.disposed) return;
    this.readyPromises = [];
    const previous = new Set(this.watchedDirs);
    this.watchedDirs = [...plan.stateDirs];
    if (plan.stateDirs.length > 0) {
      this.dirWatcher = this.track(this.watchStateDirs(plan.stateDirs));
      for (const d of plan.stateDirs) this.watchJobs(d);
      // Whatever was written while the new watcher scanned produced no event: read those dirs once more.
      const fresh = plan.stateDirs.filter((d) => !previous.has(d));
      if (fresh.length)
        void this.readyPromises[0].then(() => this.queue((b) => fresh.forEach((d) => (entry(b, d).rescan = true))));
    }
    if (plan.roots.length > 0) {
      const w = await this.watchRoots(plan.roots);
      if (this.disposed) {
        await w.close();
        return;
      }
      this.rootWatcher = this.track(w);
      // A state dir created while the new root watcher scanned made no event: scan once more.
      if (hadWatchers)
        void this.readyPromises[this.readyPromises.length - 1].then(() => this.queue((b) => (b.layout = true)));
    }
  }

  /** Switches between native events and polling (network filesystems); re-creates the watchers. */
  async setPolling(usePolling: boolean): Promise<void> {
    if (!!this.opts.usePolling === usePolling) return;
    this.opts.usePolling = usePolling;
    await this.setPlan(this.plan, true);
  }

  /** Resolves once the current watchers have finished their initial scan (tests wait on it). */
  async ready(): Promise<void> {
    await this.planning;
    await Promise.all(this.readyPromises);
  }

  private track(w: FSWatcher): FSWatcher {
    this.readyPromises.push(new Promise((resolve) => w.once('ready', () => resolve())));
    return w;
  }

  private common() {
    return {
      ignoreInitial: true,
      persistent: true,
      usePolling: !!this.opts.usePolling,
      interval: this.opts.pollIntervalMs ?? 2000,
      binaryInterval: this.opts.pollIntervalMs ?? 2000,
    };
  }

  private watchStateDirs(dirs: string[]): FSWatcher {
    const dirSet = new Set(dirs);
    // The jobs dirs' files are chokidar's only when polling; otherwise see `watchJobs`.
    const polling = !!this.opts.usePolling;
    const relevant = (p: string): boolean => {
      if (dirSet.has(p)) return true;
      const parent = path.dirname(p);
      const name = path.basename(p);
      if (dirSet.has(parent)) return name === 'state.json' || name === 'broker.json' || name === 'jobs';
      if (polling && path.basename(parent) === 'jobs' && dirSet.has(path.dirname(parent)))
        return name.endsWith('.json') || name.endsWith('.log');
      return false;
    };
    const w = watch(dirs, { ...this.common(), depth: polling ? 1 : 0, ignored: (p: string) => !relevant(p) });
    const onFile = (p: string, appeared: boolean) => this.fileEvent(p, dirSet, appeared);
    w.on('add', (p) => onFile(p, true))
      .on('change', (p) => onFile(p, true))
      .on('unlink', (p) => onFile(p, false));
    w.on('unlinkDir', (p) => this.dirEvent(p, dirSet, true));
    w.on('addDir', (p) => this.dirEvent(p, dirSet, false));
    w.on('error', (e) => this.logger.warn(`watching state dirs: ${String(e)}`));
    return w;
  }

  /**
   * A root may not exist yet (no job ever ran under it): watch its nearest existing ancestor, but
   * only the chain of names that leads to it, so a busy temp dir costs nothing.
   */
  private async watchRoots(roots: string[]): Promise<FSWatcher> {
    const allowed = new Set<string>();
    const bases = new Set<string>();
    let depth = 0;
    for (const root of roots) {
      const anchor = await nearestExisting(root);
      // chokidar misreports the filesystem root as deleted; a root that far from existing is unused.
      if (anchor === path.dirname(anchor)) continue;
      bases.add(anchor);
      const chain: string[] = [];
      for (let p = root; p !== anchor && p !== path.dirname(p); p = path.dirname(p)) chain.push(p);
      for (const p of chain) allowed.add(p);
      allowed.add(root);
      depth = Math.max(depth, chain.length);
    }
    const rootSet = new Set(roots);
    const ok = (p: string) => bases.has(p) || allowed.has(p) || rootSet.has(path.dirname(p));
    const w = watch([...bases], { ...this.common(), depth, ignored: (p: string) => !ok(p) });
    const layout = (p: string, removed: boolean) => {
      if (!allowed.has(p) && !rootSet.has(path.dirname(p)) && !bases.has(p)) return;
      if (removed) this.rearm = true;
      this.queue((b) => (b.layout = true));
    };
    w.on('addDir', (p) => layout(p, false)).on('unlinkDir', (p) => layout(p, true));
    w.on('error', (e) => this.logger.warn(`watching state roots: ${String(e)}`));
    return w;
  }

  private fileEvent(p: string, dirs: Set<string>, appeared: boolean): void {
    const parent = path.dirname(p);
    const name = path.basename(p);
    if (dirs.has(parent)) {
      if (name === 'state.json') this.queue((b) => (entry(b, parent).index = true));
      else if (name === 'broker.json') this.queue((b) => (entry(b, parent).broker = true));
      return;
    }
    const stateDir = path.dirname(parent);
    // Polling sees a re-created log as a change: any event on a log may mean a new one.
    if (dirs.has(stateDir)) this.jobFileEvent(stateDir, name, appeared);
  }

  /** A record or log changed in a jobs dir, from chokidar (polling) or the native watch. */
  private jobFileEvent(stateDir: string, name: string, maybeNewLog: boolean): void {
    const m = /^(.*)\.(json|log)$/.exec(name);
    if (!m || !isSafeJobId(m[1])) return;
    const id = m[1];
    if (maybeNewLog && m[2] === 'log') {
      this.lastNewLogMs = Date.now();
      // The receiver decides whether the catcher thread starts (live.ts: one place for that policy).
      this.opts.onPossiblyNewLog?.(stateDir, id);
    } else if (m[2] === 'json') this.opts.onRecordEvent?.(stateDir, id);
    this.queue((b) => {
      const e = entry(b, stateDir);
      e.jobs.add(id);
      // A log line does not touch the record: it is not read again for it.
      if (m[2] === 'json') (e.records ??= new Set()).add(id);
    });
  }

  private dirEvent(p: string, dirs: Set<string>, removed: boolean): void {
    if (dirs.has(p)) {
      // The state dir itself went (or came back): discovery decides what to show now.
      if (removed) this.rearm = true;
      this.queue((b) => (b.layout = true));
    } else if (path.basename(p) === 'jobs' && dirs.has(path.dirname(p))) {
      if (removed) this.unwatchJobs(path.dirname(p));
      else this.watchJobs(path.dirname(p));
      this.queue((b) => (entry(b, path.dirname(p)).rescan = true));
    }
  }

  private queue(mutate: (b: ChangeBatch) => void): void {
    if (this.disposed) return;
    this.batcher.queue(mutate);
  }

  /**
   * The files in a jobs dir are followed by one native directory watch, not by chokidar: chokidar
   * re-reads and lstat()s the whole directory on every append to any log in it (10,619 lstat calls
   * in a 10 s run of 32 jobs), and learns of a new file only from that re-read. The native event
   * names the file at once. When polling (network filesystems), chokidar follows them instead.
   */
  private watchJobs(stateDir: string): void {
    if (this.opts.usePolling || this.disposed) return;
    this.unwatchJobs(stateDir);
    let w: DirWatch;
    try {
      w = watchDir(path.join(stateDir, 'jobs'), { persistent: false }, (event, name) => {
        if (typeof name !== 'string') return this.queue((b) => (entry(b, stateDir).rescan = true));
        this.jobFileEvent(stateDir, name, event === 'rename');
      });
    } catch {
      return; // no jobs dir yet: chokidar's addDir arms it
    }
    // The dir went away (or the watch broke): chokidar reports it coming back; list it again then.
    w.on('error', () => {
      w.close();
      if (this.jobsWatches.get(stateDir) === w) this.jobsWatches.delete(stateDir);
    });
    this.jobsWatches.set(stateDir, w);
    this.catcher?.watch(stateDir);
  }

  /**
   * The catcher thread costs ~10 MB: it starts with the first log created in a watched jobs dir (or
   * when a job already runs), and stays until its owner lets it go. Until it is up (~80 ms) the main
   * thread opens new logs alone.
   */
  setCatching(on: boolean): void {
    const catching = on && !!this.opts.onLogOpened && LogCatcher.supported && !this.opts.usePolling && !this.disposed;
    if (catching === !!this.catcher) return;
    if (catching) {
      this.catcher = new LogCatcher(this.opts.onLogOpened!, this.logger);
      for (const d of this.jobsWatches.keys()) this.catcher.watch(d);
    } else {
      void this.catcher?.dispose();
      this.catcher = undefined;
    }
  }

  /** Whether the catcher thread runs; for tests. */
  get catching(): boolean {
    return !!this.catcher;
  }

  private unwatchJobs(stateDir: string): void {
    this.jobsWatches.get(stateDir)?.close();
    this.jobsWatches.delete(stateDir);
    this.catcher?.unwatch(stateDir);
  }

  private async closeWatchers(): Promise<void> {
    for (const d of [...this.jobsWatches.keys()]) this.unwatchJobs(d);
    const ws = [this.dirWatcher, this.rootWatcher];
    this.dirWatcher = undefined;
    this.rootWatcher = undefined;
    await Promise.all(ws.map((w) => w?.close()));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.batcher.dispose();
    await this.planning;
    await this.closeWatchers();
    await this.catcher?.dispose();
  }
}

function sameSet(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

async function nearestExisting(p: string): Promise<string> {
  for (let cur = p; ; cur = path.dirname(cur)) {
    try {
      if ((await fs.stat(cur)).isDirectory()) return cur;
    } catch {
      // keep climbing
    }
    if (cur === path.dirname(cur)) return cur;
  }
}

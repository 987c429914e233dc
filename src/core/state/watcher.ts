// Follows state dirs and candidate roots with native file events (chokidar; one plain directory
// watch per jobs dir), and turns bursts of events into one batch of "what changed where", so the
// model re-reads only that.
import * as path from 'path';
import { promises as fs, watch as watchDir, type FSWatcher as DirWatch } from 'fs';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../vocab/emitter';
import { silentLogger } from '../vocab/emitter';
import { LogCatcher, type CaughtLog } from './logCatcher';
import { isSafeJobId } from '../io/reader';

/** After a batch sent on its leading edge, how soon what follows it goes out (then: the window). */
const FOLLOW_MS = 4;

export interface StateDirChange {
  /** state.json changed (or appeared, or vanished). */
  index: boolean;
  /** broker.json changed. */
  broker: boolean;
  /** Jobs whose record or log changed. */
  jobs: Set<string>;
  /** Of those, the ones whose record had an event (absent: read every named job's record). */
  records?: Set<string>;
  /** The jobs dir came or went: list it again. */
  rescan: boolean;
}

export interface ChangeBatch {
  /** Per state dir, what to re-read. */
  dirs: Map<string, StateDirChange>;
  /** A state dir or root appeared or vanished: discovery must run again. */
  layout: boolean;
  /** A second look at what an earlier batch named (see `settleMs`). */
  settle?: boolean;
}

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
   * Given, while catching is on (`setCatching`), every log created in a watched jobs dir is also
   * opened on a thread of its own (see `LogCatcher`) and handed over here; the receiver owns the
   * descriptor. Native events only.
   */
  onLogCaught?: (log: CaughtLog) => void;
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
  private pending: ChangeBatch | undefined;
  private rearm = false;
  private watchedDirs: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** One native watch per jobs dir, by state dir (see `watchJobs`). */
  private readonly jobsWatches = new Map<string, DirWatch>();
  private catcher: LogCatcher | undefined;
  /** When a log last appeared in a watched jobs dir (0: never). */
  lastNewLogMs = 0;
  private readonly logger: Logger;
  private disposed = false;
  /** Batches delivered; for tests and benchmarks. */
  batches = 0;

  constructor(private readonly opts: WatcherOptions) {
    this.opts = { ...opts };
    this.logger = opts.logger ?? silentLogger;
  }

  get watching(): boolean {
    return !!this.dirWatcher || !!this.rootWatcher;
  }

  /** Re-plans the watchers; a no-op when nothing changed unless `force` (a dir was recreated). */
  /** Re-plans run one after another; `ready()` waits for the last. */
  setPlan(plan: WatchPlan, force = false): Promise<void> {
    const next = this.planning.then(() => this.applyPlan(plan, force));
    this.planning = next.catch((err) => this.logger.warn(`watch plan failed: ${String(err)}`));
    return next;
  }

  private planning: Promise<void> = Promise.resolve();

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
      // A state dir created while the new root watcher scanned made no event: look once more.
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

  private readyPromises: Promise<void>[] = [];

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
    // Polling sees a re-created log as a change: any look at a log may find a new one.
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
    if (!this.pending) this.pending = { dirs: new Map(), layout: false };
    mutate(this.pending);
    const now = Date.now();
    const quiet = now - this.lastEventMs;
    this.lastEventMs = now;
    if (this.timer) return;
    // Leading edge: an isolated change (nothing for a window before it) goes out at once. The rest
    // of that write (a file truncated, then its content: two events) follows a moment later; the
    // changes of a burst coalesce into one batch per window, as before.
    const d = this.opts.debounceMs ?? 30;
    const kind = quiet > d && now - this.lastFlushMs > d ? 'lead' : this.lastFlushKind === 'lead' ? 'follow' : 'window';
    this.pendingKind = kind;
    this.timer = setTimeout(() => this.flush(), kind === 'lead' ? 0 : kind === 'follow' ? Math.min(FOLLOW_MS, d) : d);
  }

  private lastEventMs = -Infinity;
  private lastFlushMs = -Infinity;
  private pendingKind: 'lead' | 'follow' | 'window' = 'window';
  private lastFlushKind: 'lead' | 'follow' | 'window' = 'window';

  private flush(): void {
    this.timer = undefined;
    this.lastFlushMs = Date.now();
    this.lastFlushKind = this.pendingKind;
    const batch = this.pending;
    this.pending = undefined;
    if (!batch || this.disposed) return;
    this.batches++;
    if (!batch.settle && !batch.layout && batch.dirs.size > 0) this.scheduleSettle(batch);
    try {
      this.opts.onBatch(batch);
    } catch (err) {
      this.logger.error(`handling file changes failed: ${String(err)}`);
    }
  }

  private settleBatch: ChangeBatch | undefined;
  private settleTimer: NodeJS.Timeout | undefined;

  private scheduleSettle(batch: ChangeBatch): void {
    // Log lines come from the native watch, which drops no event: only chokidar's files (and, when
    // polling, every file) need the second look. A log line then costs one read, not two.
    const dirs = [...batch.dirs].filter(
      ([, c]) => this.opts.usePolling || c.index || c.broker || c.rescan || !c.records || c.records.size > 0,
    );
    if (dirs.length === 0) return;
    if (!this.settleBatch) this.settleBatch = { dirs: new Map(), layout: false, settle: true };
    for (const [dir, c] of dirs) {
      const e = entry(this.settleBatch, dir);
      e.index ||= c.index;
      e.broker ||= c.broker;
      e.rescan ||= c.rescan;
      for (const id of c.jobs) e.jobs.add(id);
      mergeRecords(e, c);
    }
    // Restarted by every batch: the second look comes once a burst has ended.
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      const b = this.settleBatch;
      this.settleBatch = undefined;
      if (!b || this.disposed) return;
      try {
        this.opts.onBatch(b);
      } catch (err) {
        this.logger.error(`handling file changes failed: ${String(err)}`);
      }
    }, this.opts.settleMs ?? 120);
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
    const catching = on && !!this.opts.onLogCaught && LogCatcher.supported && !this.opts.usePolling && !this.disposed;
    if (catching === !!this.catcher) return;
    if (catching) {
      this.catcher = new LogCatcher(this.opts.onLogCaught!, this.logger);
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
    if (this.timer) clearTimeout(this.timer);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    this.timer = undefined;
    this.pending = undefined;
    await this.planning;
    await this.closeWatchers();
    await this.catcher?.dispose();
  }
}

/** Unions `from`'s record ids into `into` (absent on either side: every record is read). */
export function mergeRecords(into: StateDirChange, from: StateDirChange): void {
  if (!into.records || !from.records) into.records = undefined;
  else for (const id of from.records) into.records.add(id);
}

function entry(b: ChangeBatch, dir: string): StateDirChange {
  let e = b.dirs.get(dir);
  if (!e) {
    e = { index: false, broker: false, jobs: new Set(), records: new Set(), rescan: false };
    b.dirs.set(dir, e);
  }
  return e;
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

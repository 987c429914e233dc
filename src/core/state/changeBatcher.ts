// Turns a watcher's events into batches of "what changed where": an isolated change goes out at
// once, a burst becomes one batch per window, and what a batch named is read a second time once the
// burst has ended (chokidar can drop the trailing event of a file written twice in a few ms).
import type { Logger } from '../vocab/emitter';

/** After a batch sent on its leading edge, how soon what follows it goes out (then: the window). */
const FOLLOW_MS = 4;
/**
 * Under a flood (events without a quiet window between them for this long), the window widens to
 * SUSTAINED_MS: each batch then names more changes at once, and the work per second stops growing
 * with the rate of events (a log line every 100 ms from 30 jobs is 300 events a second; at the
 * usual window that was 33 re-reads of 30 logs a second, at this one 4). It narrows again after a
 * quiet window.
 */
const FLOOD_MS = 1000;
/** Or this many events within a second, however they are spaced (30 jobs logging every 100 ms). */
const FLOOD_EVENTS = 150;
const SUSTAINED_MS = 250;

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
  /** A second read of what an earlier batch named (see `settleMs`). */
  settle?: boolean;
}

export interface BatcherOptions {
  onBatch: (batch: ChangeBatch) => void;
  /** Events within this window become one batch (measured from the first event). */
  debounceMs?: number;
  /** How long after a batch the files it named are read once more. */
  settleMs?: number;
  /** Whether the watcher polls now: then every file needs the second read. */
  polling: () => boolean;
  logger: Logger;
}

type Edge = 'lead' | 'follow' | 'window';

/** The one batch being gathered, its timer, and the second-read batch with its own timer. */
export class ChangeBatcher {
  /** Batches delivered; for tests and benchmarks. */
  batches = 0;
  private pending: ChangeBatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastEventMs = -Infinity;
  /** When the current run of events without a quiet window began. */
  private burstStartMs = -Infinity;
  /** Events counted in the current second, and in the one before. */
  private rate = { startMs: -Infinity, count: 0, last: 0 };
  private lastFlushMs = -Infinity;
  private pendingKind: Edge = 'window';
  private lastFlushKind: Edge = 'window';
  private settleBatch: ChangeBatch | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(private readonly opts: BatcherOptions) {}

  /** Adds to the batch being gathered (`mutate` says what changed) and arms its timer. */
  queue(mutate: (b: ChangeBatch) => void): void {
    if (this.disposed) return;
    if (!this.pending) this.pending = { dirs: new Map(), layout: false };
    mutate(this.pending);
    const now = Date.now();
    const quiet = now - this.lastEventMs;
    this.lastEventMs = now;
    const d = this.opts.debounceMs ?? 30;
    if (quiet > d) this.burstStartMs = now;
    const r = this.rate;
    if (now - r.startMs >= 1000) {
      r.last = now - r.startMs < 2000 ? r.count : 0;
      r.startMs = now;
      r.count = 0;
    }
    r.count++;
    if (this.timer) return;
    // Leading edge: an isolated change (nothing for a window before it) goes out at once. The rest
    // of that write (a file truncated, then its content: two events) follows a moment later; the
    // changes of a burst coalesce into one batch per window, as before.
    const kind = quiet > d && now - this.lastFlushMs > d ? 'lead' : this.lastFlushKind === 'lead' ? 'follow' : 'window';
    this.pendingKind = kind;
    const window = this.flooding(now) ? Math.max(d, SUSTAINED_MS) : d;
    this.timer = setTimeout(
      () => this.flush(),
      kind === 'lead' ? 0 : kind === 'follow' ? Math.min(FOLLOW_MS, d) : window,
    );
  }

  /** Whether events have come without a quiet window for FLOOD_MS, or FLOOD_EVENTS of them within a second. */
  private flooding(now = Date.now()): boolean {
    const quietNow = now - this.lastEventMs > (this.opts.debounceMs ?? 30);
    if (Math.max(this.rate.count, this.rate.last) >= FLOOD_EVENTS && now - this.rate.startMs < 2000) return true;
    return now - this.burstStartMs >= FLOOD_MS && !quietNow;
  }

  private flush(): void {
    this.timer = undefined;
    this.lastFlushMs = Date.now();
    this.lastFlushKind = this.pendingKind;
    const batch = this.pending;
    this.pending = undefined;
    if (!batch || this.disposed) return;
    this.batches++;
    if (!batch.settle && !batch.layout && batch.dirs.size > 0) this.scheduleSettle(batch);
    this.deliver(batch);
  }

  private deliver(batch: ChangeBatch): void {
    try {
      this.opts.onBatch(batch);
    } catch (err) {
      this.opts.logger.error(`handling file changes failed: ${String(err)}`);
    }
  }

  private scheduleSettle(batch: ChangeBatch): void {
    // Log lines come from the native watch, which drops no event: only chokidar's files (and, when
    // polling, every file) need the second read. A log line then costs one read, not two.
    const dirs = [...batch.dirs].filter(
      ([, c]) => this.opts.polling() || c.index || c.broker || c.rescan || !c.records || c.records.size > 0,
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
    // Restarted by every batch: the second read comes once a burst has ended (under a flood, once
    // it has ended too: not one more read of every file per window).
    if (this.settleTimer) clearTimeout(this.settleTimer);
    const wait = (this.opts.settleMs ?? 120) + (this.flooding() ? SUSTAINED_MS : 0);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      const b = this.settleBatch;
      this.settleBatch = undefined;
      if (!b || this.disposed) return;
      this.deliver(b);
    }, wait);
  }

  /** No batch goes out after this: both timers stopped, what was gathered dropped. */
  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    this.timer = undefined;
    this.pending = undefined;
  }
}

/** Unions `from`'s record ids into `into` (absent on either side: every record is read). */
export function mergeRecords(into: StateDirChange, from: StateDirChange): void {
  if (!into.records || !from.records) into.records = undefined;
  else for (const id of from.records) into.records.add(id);
}

/** The batch's entry for a state dir, made empty when it has none yet. */
export function entry(b: ChangeBatch, dir: string): StateDirChange {
  let e = b.dirs.get(dir);
  if (!e) {
    e = { index: false, broker: false, jobs: new Set(), records: new Set(), rescan: false };
    b.dirs.set(dir, e);
  }
  return e;
}

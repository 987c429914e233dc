// The one owner of refreshes, in the spirit of vscode-containers' RefreshManager: every trigger of
// work on the model goes through it and names what to refresh and why. Its sources: watcher batches
// (`files`, passed on at once: the model's work queue coalesces them, scheduler.ts), the re-verify
// timer (`now('verify')`), configuration and folder changes, commands' rescans and the user's Refresh
// (`request` or `now`). Requests within a short window are coalesced into one run per target; a
// target whose only reader is a hidden view waits until that view is shown.
//
// It is in the core so that the CLI's live view (live.ts) and the editor share it: live.ts makes
// one for the model when it is given none, and the editor's RefreshManager (src/ui/refreshManager.ts)
// is this class with the editor's targets (brokers, All Workspaces) and view visibility added.
import type { ChangeBatch } from '../state/watcher';

export interface RefreshSources<T extends string> {
  run: Record<T, () => Promise<unknown>>;
  /** False while nobody can see the target's result (a hidden view); undefined: always visible. */
  visible?: Partial<Record<T, () => boolean>>;
  /** Where batches of file events go (the model's work queue). */
  files?: (batch: ChangeBatch) => Promise<void>;
}

/** What the live updates (live.ts) need of the refresh owner. */
export interface ModelTriggers {
  now(target: 'jobs' | 'verify', reason: string, opts?: { quiet?: boolean }): Promise<unknown>;
  files(batch: ChangeBatch): Promise<void>;
}

export const DEBOUNCE_MS = 150;

export class Refresher<T extends string> {
  private readonly pending = new Map<T, Set<string>>();
  private readonly deferred = new Map<T, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** Every run so far, newest last, bounded; for the log and tests. */
  readonly history: { target: T; reasons: string[]; atMs: number }[] = [];
  /** Runs of frequent triggers (the re-verify timer), counted rather than logged, per reason. */
  readonly quietRuns = new Map<string, number>();

  constructor(
    private readonly sources: RefreshSources<T>,
    private readonly log: (m: string) => void = () => {},
    private readonly debounceMs = DEBOUNCE_MS,
  ) {}

  /** Asks for a refresh soon; calls within the debounce window share one run. */
  request(target: T, reason: string): void {
    if (this.disposed) return;
    add(this.pending, target, reason);
    this.timer ??= setTimeout(() => this.flush(), this.debounceMs);
  }

  /**
   * Runs now (a user's explicit Refresh, a command that needs a fresh scan, the re-verify timer),
   * folding in whatever was pending for that target. Resolves with what the run gave (undefined
   * when disposed or failed). A quiet run is counted, not logged: it comes every few seconds.
   */
  async now(target: T, reason: string, opts: { quiet?: boolean } = {}): Promise<unknown> {
    const reasons = [...(this.pending.get(target) ?? []), ...(this.deferred.get(target) ?? []), reason];
    this.pending.delete(target);
    this.deferred.delete(target);
    if (opts.quiet && reasons.length === 1) {
      this.quietRuns.set(reason, (this.quietRuns.get(reason) ?? 0) + 1);
      return this.run(target, reasons, true);
    }
    return this.run(target, reasons);
  }

  /** A batch of file events: to the model's work queue at once (the watcher has debounced it). */
  files(batch: ChangeBatch): Promise<void> {
    if (this.disposed || !this.sources.files) return Promise.resolve();
    return this.sources.files(batch);
  }

  /** A view became visible: what waited for it runs now. */
  shown(target: T): void {
    const waiting = this.deferred.get(target);
    if (!waiting) return;
    this.deferred.delete(target);
    for (const r of waiting) add(this.pending, target, r);
    this.timer ??= setTimeout(() => this.flush(), 0);
  }

  private flush(): void {
    this.timer = undefined;
    const batch = [...this.pending];
    this.pending.clear();
    for (const [target, reasons] of batch) {
      if (this.sources.visible?.[target] && !this.sources.visible[target]()) {
        for (const r of reasons) add(this.deferred, target, r);
        this.log(`refresh ${target} deferred until shown: ${[...reasons].join('; ')}`);
        continue;
      }
      void this.run(target, [...reasons]);
    }
  }

  private async run(target: T, reasons: string[], quiet = false): Promise<unknown> {
    if (this.disposed) return undefined;
    if (!quiet) {
      this.history.push({ target, reasons, atMs: Date.now() });
      if (this.history.length > 100) this.history.shift();
      this.log(`refresh ${target}: ${reasons.join('; ')}`);
    }
    try {
      return await this.sources.run[target]();
    } catch (err) {
      this.log(`refresh ${target} failed: ${(err as Error).message}`);
      return undefined;
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.pending.clear();
    this.deferred.clear();
  }
}

function add<T>(map: Map<T, Set<string>>, target: T, reason: string): void {
  let s = map.get(target);
  if (!s) map.set(target, (s = new Set()));
  s.add(reason);
}

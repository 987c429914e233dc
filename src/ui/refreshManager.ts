// The one owner of refreshes, in the spirit of vscode-containers' RefreshManager: every trigger names
// what to refresh and why; requests within a short window are coalesced into one run per target; a
// target whose only reader is a hidden view waits until that view is shown.
import type * as vscode from 'vscode';

/**
 * jobs: re-read the open folders' state dirs; verify: re-check the pids of running jobs;
 * brokers: scan broker session dirs and processes; others: the All Workspaces data.
 */
export type RefreshTarget = 'jobs' | 'verify' | 'brokers' | 'others';

export interface RefreshTargets {
  run: Record<RefreshTarget, () => Promise<unknown>>;
  /** False while nobody can see the target's result (a hidden view); undefined: always visible. */
  visible?: Partial<Record<RefreshTarget, () => boolean>>;
}

export const DEBOUNCE_MS = 150;

export class RefreshManager implements vscode.Disposable {
  private readonly pending = new Map<RefreshTarget, Set<string>>();
  private readonly deferred = new Map<RefreshTarget, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** Every run so far, newest last, bounded; for the log and tests. */
  readonly history: { target: RefreshTarget; reasons: string[]; atMs: number }[] = [];

  constructor(
    private readonly targets: RefreshTargets,
    private readonly log: (m: string) => void = () => {},
    private readonly debounceMs = DEBOUNCE_MS,
  ) {}

  /** Asks for a refresh soon; calls within the debounce window share one run. */
  request(target: RefreshTarget, reason: string): void {
    if (this.disposed) return;
    add(this.pending, target, reason);
    this.timer ??= setTimeout(() => this.flush(), this.debounceMs);
  }

  /** Runs now (a user's explicit Refresh), folding in whatever was pending for that target. */
  async now(target: RefreshTarget, reason: string): Promise<void> {
    const reasons = [...(this.pending.get(target) ?? []), ...(this.deferred.get(target) ?? []), reason];
    this.pending.delete(target);
    this.deferred.delete(target);
    await this.run(target, reasons);
  }

  /** A view became visible: what waited for it runs now. */
  shown(target: RefreshTarget): void {
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
      if (this.targets.visible?.[target] && !this.targets.visible[target]!()) {
        for (const r of reasons) add(this.deferred, target, r);
        this.log(`refresh ${target} deferred until shown: ${[...reasons].join('; ')}`);
        continue;
      }
      void this.run(target, [...reasons]);
    }
  }

  private async run(target: RefreshTarget, reasons: string[]): Promise<void> {
    if (this.disposed) return;
    this.history.push({ target, reasons, atMs: Date.now() });
    if (this.history.length > 100) this.history.shift();
    this.log(`refresh ${target}: ${reasons.join('; ')}`);
    try {
      await this.targets.run[target]();
    } catch (err) {
      this.log(`refresh ${target} failed: ${(err as Error).message}`);
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.pending.clear();
    this.deferred.clear();
  }
}

function add(map: Map<RefreshTarget, Set<string>>, target: RefreshTarget, reason: string): void {
  let s = map.get(target);
  if (!s) map.set(target, (s = new Set()));
  s.add(reason);
}

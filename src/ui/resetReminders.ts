// Reminders at a usage limit's reset: a notification only, nothing is started. Timers are unref'd
// and disposed with the window.
import type * as vscode from 'vscode';
import type { Job } from '../core/vocab/types';
import { jobKey } from '../core/vocab/keys';

const MAX_TIMER_MS = 2 ** 31 - 1;

export class ResetReminders implements vscode.Disposable {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  get count(): number {
    return this.timers.size;
  }

  schedule(job: Job, atMs: number, notify: (job: Job) => void): void {
    this.scheduleKey(jobKey(job), atMs, () => notify(job));
  }

  /** One reminder under its own key (a launch, a batch of re-runs): a later one of the same key replaces it. */
  scheduleKey(key: string, atMs: number, fire: () => void): void {
    this.cancel(key);
    const arm = () => {
      const left = atMs - Date.now();
      // Long waits are chained: a timer cannot wait longer than about 24.8 days.
      const timer = setTimeout(
        () => (left > MAX_TIMER_MS ? arm() : (this.timers.delete(key), fire())),
        Math.max(0, Math.min(left, MAX_TIMER_MS)),
      );
      timer.unref();
      this.timers.set(key, timer);
    };
    arm();
  }

  cancel(key: string): void {
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
    this.timers.delete(key);
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

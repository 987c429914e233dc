import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { resolveJob } from '../pickJob';
import { errorOf } from '../jobFeatures';
import { formatLocal } from '../../core/errorKinds';
import type { Job } from '../../core/types';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Reminders at a usage limit's reset: a notification only, nothing is started. Timers are unref'd and disposed. */
export class ResetReminders implements vscode.Disposable {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  get count(): number {
    return this.timers.size;
  }

  schedule(job: Job, atMs: number, notify: (job: Job) => void): void {
    const key = `${job.stateDir}\u0000${job.id}`;
    this.cancel(key);
    const arm = () => {
      const left = atMs - Date.now();
      // Long waits are chained: a timer cannot wait longer than about 24.8 days.
      const t = setTimeout(
        () => (left > MAX_TIMER_MS ? arm() : (this.timers.delete(key), notify(job))),
        Math.max(0, Math.min(left, MAX_TIMER_MS)),
      );
      t.unref();
      this.timers.set(key, t);
    };
    arm();
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

export function registerRemindAtReset(deps: CommandDeps, reminders: ResetReminders): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.remindAtReset', async (arg?: unknown) => {
    const job = await resolveJob(deps.model, arg, {
      placeHolder: 'Remind at the usage-limit reset of which job?',
      filter: (j) => errorOf(j)?.resetAtMs !== undefined,
    });
    const at = job && errorOf(job)?.resetAtMs;
    if (!job || at === undefined) return undefined;
    const notify = (j: Job) =>
      void vscode.window
        .showInformationMessage(`Codex Jobs: the usage limit that stopped ${j.id} should have reset now.`, 'Re-run')
        .then((pick) => pick === 'Re-run' && vscode.commands.executeCommand('codexJobs.rerunJob', j));
    if (at <= Date.now()) {
      notify(job);
      return at;
    }
    reminders.schedule(job, at, notify);
    const when = formatLocal(at, Date.now());
    deps.output.info(`reminder for ${job.id} at ${new Date(at).toISOString()}`);
    void vscode.window.showInformationMessage(
      `Codex Jobs: you will be reminded at ${when} (while this window is open) to re-run ${job.id}. Nothing is started by itself.`,
    );
    return at;
  });
}

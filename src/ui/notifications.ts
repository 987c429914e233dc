// Tells the user when a job they may be waiting on stops running: finished, failed, or found dead.
import * as vscode from 'vscode';
import type { JobsModel, StatusTransition } from '../core/model';
import type { DerivedStatus } from '../core/types';
import { jobLabel } from './jobTreeItem';
import { SECTION } from './settings';

const LIVE: ReadonlySet<DerivedStatus> = new Set(['running', 'queued', 'stalled', 'unverified']);
const FAILURES: ReadonlySet<DerivedStatus> = new Set(['failed', 'stale', 'pid-reused']);
const ENDS: ReadonlySet<DerivedStatus> = new Set(['completed', 'failed', 'cancelled', 'stale', 'pid-reused']);

export type NotifyLevel = 'off' | 'failures' | 'all';

/** Which transitions are worth a notification at a level (exported for tests). */
export function worthNotifying(t: Pick<StatusTransition, 'from' | 'to'>, level: NotifyLevel): boolean {
  if (level === 'off' || !LIVE.has(t.from) || !ENDS.has(t.to)) return false;
  return level === 'all' || FAILURES.has(t.to);
}

const VERB: Partial<Record<DerivedStatus, string>> = {
  completed: 'completed',
  failed: 'failed',
  cancelled: 'was cancelled',
  stale: 'stopped: its process is gone',
  'pid-reused': 'stopped: its pid now belongs to another program',
};

export class JobNotifications implements vscode.Disposable {
  private readonly subscription: { dispose(): void };
  /** Notifications shown so far; for tests. */
  shown: string[] = [];

  constructor(model: JobsModel) {
    this.subscription = model.onDidChange((e) => {
      const level = vscode.workspace.getConfiguration(SECTION).get<NotifyLevel>('notifications', 'failures');
      for (const t of e.transitions ?? []) if (worthNotifying(t, level)) void this.show(t);
    });
  }

  private async show(t: StatusTransition): Promise<void> {
    const summary = t.job.display.errorMessage ?? t.job.display.summary ?? '';
    const text = `Codex ${jobLabel(t.job)} ${VERB[t.to] ?? t.to}${summary ? `: ${summary.slice(0, 120)}` : ''}`;
    this.shown.push(text);
    const actions = t.job.display.rendered ? ['Show Result', 'Open Log'] : ['Open Log'];
    const pick = FAILURES.has(t.to)
      ? await vscode.window.showWarningMessage(text, ...actions)
      : await vscode.window.showInformationMessage(text, ...actions);
    if (pick === 'Show Result') await vscode.commands.executeCommand('codexJobs.showResult', t.job);
    if (pick === 'Open Log') await vscode.commands.executeCommand('codexJobs.openLog', t.job);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

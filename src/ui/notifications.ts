// Tells the user when a job they may be waiting on stops running: finished, failed, or found dead.
import * as vscode from 'vscode';
import type { JobsModel, StatusTransition } from '../core/model';
import { isEndedStatus, isFailureStatus, isLiveStatus, STATUS } from '../core/status';
import { hasResult } from '../core/classify';
import { firstLine } from '../core/format';
import { jobLabel } from './jobTreeItem';
import { notifyLevel } from './settings';
import { COMMANDS } from './ids';
import { t } from './l10n';

export type NotifyLevel = 'off' | 'failures' | 'all';

/** Which transitions are worth a notification at a level (exported for tests). */
export function worthNotifying(t: Pick<StatusTransition, 'from' | 'to'>, level: NotifyLevel): boolean {
  if (level === 'off' || !isLiveStatus(t.from) || !isEndedStatus(t.to)) return false;
  return level === 'all' || isFailureStatus(t.to);
}

export class JobNotifications implements vscode.Disposable {
  private readonly subscription: { dispose(): void };
  /** Notifications shown so far; for tests. */
  shown: string[] = [];

  constructor(model: JobsModel) {
    this.subscription = model.onDidChange((e) => {
      const level = notifyLevel();
      for (const tr of e.transitions ?? []) if (worthNotifying(tr, level)) void this.show(tr);
    });
  }

  private async show(tr: StatusTransition): Promise<void> {
    const detail = firstLine(tr.job.display.errorMessage ?? tr.job.display.summary ?? '', 120);
    const verb = t(STATUS[tr.to].verb);
    const text = detail
      ? t('Codex {0} {1}: {2}', jobLabel(tr.job), verb, detail)
      : t('Codex {0} {1}', jobLabel(tr.job), verb);
    this.shown.push(text);
    const showResult = t('Show Result');
    const openLog = t('Open Log');
    const actions = hasResult(tr.job) ? [showResult, openLog] : [openLog];
    const pick = isFailureStatus(tr.to)
      ? await vscode.window.showWarningMessage(text, ...actions)
      : await vscode.window.showInformationMessage(text, ...actions);
    if (pick === showResult) await vscode.commands.executeCommand(COMMANDS.showResult, tr.job);
    if (pick === openLog) await vscode.commands.executeCommand(COMMANDS.openLog, tr.job);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

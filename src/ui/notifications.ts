// Tells the user when a job they may be waiting on stops running: finished, failed, or found dead.
import * as vscode from 'vscode';
import type { JobsModel, StatusTransition } from '../core/model/model';
import { isEndedStatus, isFailureStatus, isLiveStatus, STATUS } from '../core/vocab/status';
import { hasResult } from '../core/vocab/classify';
import { firstLine } from '../core/vocab/format';
import { jobLabel } from './jobTreeItem';
import { notifyLevel } from './settings';
import { COMMANDS, ERROR_ACTION_COMMANDS } from './ids';
import { errorOf, isRerunnable } from './jobFeatures';
import { t } from './l10n';

export type NotifyLevel = 'off' | 'failures' | 'all';

/** Which transitions are worth a notification at a level (exported for tests). */
export function worthNotifying(t: Pick<StatusTransition, 'from' | 'to'>, level: NotifyLevel): boolean {
  if (level === 'off' || !isLiveStatus(t.from) || !isEndedStatus(t.to)) return false;
  return level === 'all' || isFailureStatus(t.to);
}

export class JobNotifications implements vscode.Disposable {
  private readonly subscription: { dispose(): void };
  /** Notifications shown so far, with their buttons; for tests. */
  shown: { text: string; actions: string[] }[] = [];

  constructor(model: JobsModel) {
    this.subscription = model.onDidChange((e) => {
      const level = notifyLevel();
      for (const tr of e.transitions ?? []) if (worthNotifying(tr, level)) void this.show(tr);
    });
  }

  private async show(tr: StatusTransition): Promise<void> {
    const detail = firstLine(tr.job.display.errorMessage ?? tr.job.display.summary ?? '', 120);
    const verb = t(STATUS[tr.to].verb);
    // A failure the core recognises (usage limit, login, CLI missing…) says so and offers its remedy first.
    const error = isFailureStatus(tr.to) ? errorOf(tr.job) : undefined;
    const kind = error && error.kind !== 'unknown' && error.kind !== 'cancelled' ? ` (${t(error.label)})` : '';
    const text = detail
      ? t('Codex {0} {1}: {2}', jobLabel(tr.job), `${verb}${kind}`, detail)
      : t('Codex {0} {1}', jobLabel(tr.job), `${verb}${kind}`);
    const buttons = new Map<string, string>();
    if (error?.action && error.actionTitle && (error.action !== 'rerun' || isRerunnable(tr.job)))
      buttons.set(t(error.actionTitle), ERROR_ACTION_COMMANDS[error.action]);
    if (hasResult(tr.job)) buttons.set(t('Show Result'), COMMANDS.showResult);
    buttons.set(t('Open Log'), COMMANDS.openLog);
    const actions = [...buttons.keys()];
    this.shown.push({ text, actions });
    const pick = isFailureStatus(tr.to)
      ? await vscode.window.showWarningMessage(text, ...actions)
      : await vscode.window.showInformationMessage(text, ...actions);
    const command = pick && buttons.get(pick);
    if (command) await vscode.commands.executeCommand(command, tr.job);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { resolveJob } from '../pickJob';
import { errorOf } from '../jobFeatures';
import { formatLocal, isoOf } from '../../core/vocab/dates';
import type { Job } from '../../core/vocab/types';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

/** Re-run at Reset: a reminder (a notification) at the time a usage limit resets; nothing hidden is scheduled. */
export function registerRemindAtReset({ model, output, reminders }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.remindAtReset, async (arg?: unknown) => {
    const job = await resolveJob(model, arg, {
      placeHolder: t('Remind at the usage-limit reset of which job?'),
      filter: (j) => errorOf(j)?.resetAtMs !== undefined,
    });
    const at = job && errorOf(job)?.resetAtMs;
    if (!job || at === undefined) return undefined;
    const rerun = t('Re-run');
    const notify = (j: Job) =>
      void vscode.window
        .showInformationMessage(t('Codex Jobs: the usage limit that stopped {0} should have reset now.', j.id), rerun)
        .then((pick) => pick === rerun && vscode.commands.executeCommand(COMMANDS.rerunJob, j));
    if (at <= Date.now()) {
      notify(job);
      return at;
    }
    reminders.schedule(job, at, notify);
    const when = formatLocal(at, Date.now());
    output.info(`reminder for ${job.id} at ${isoOf(at) ?? when}`);
    void vscode.window.showInformationMessage(
      t(
        'Codex Jobs: you will be reminded at {0} (while this window is open) to re-run {1}. Nothing is started by itself.',
        when,
        job.id,
      ),
    );
    return at;
  });
}

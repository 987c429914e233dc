import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { resolveJob } from '../pickJob';
import { resumeCommand } from '../../core/actions/resume';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

export function registerCopyResumeCommand({ model }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.copyResumeCommand, async (arg?: unknown) => {
    const job = await resolveJob(model, arg, {
      placeHolder: t('Copy the resume command of which Codex job?'),
      filter: (j) => !!resumeCommand(j),
    });
    const cmd = job && resumeCommand(job);
    if (!cmd) {
      if (job) void vscode.window.showInformationMessage(t('Codex Jobs: {0} names no Codex thread to resume.', job.id));
      return undefined;
    }
    await vscode.env.clipboard.writeText(cmd);
    vscode.window.setStatusBarMessage(t('Copied: {0}', cmd), 3000);
    return cmd;
  });
}

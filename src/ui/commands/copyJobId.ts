import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { resolveJob } from '../pickJob';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

export function registerCopyJobId({ model }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.copyJobId, async (arg?: unknown) => {
    const job = await resolveJob(model, arg, { placeHolder: t('Copy the id of which Codex job?') });
    if (!job) return undefined;
    await vscode.env.clipboard.writeText(job.id);
    vscode.window.setStatusBarMessage(t('Copied {0}', job.id), 3000);
    return job.id;
  });
}

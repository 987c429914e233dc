import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { resolveJob } from '../pickJob';
import { jobUri, RECORD_SCHEME } from '../jobUris';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

export function registerShowJobRecord({ model }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.showJobRecord, async (arg?: unknown) => {
    const job = await resolveJob(model, arg, { placeHolder: t('Show the record of which Codex job?') });
    if (!job) return undefined;
    const uri = jobUri(RECORD_SCHEME, job);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'jsonc');
    await vscode.window.showTextDocument(doc, { preview: true });
    return uri;
  });
}

import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { resolveJob } from '../pickJob';
import { jobUri, LOG_SCHEME } from '../jobUris';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

export function registerOpenLog({ model }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.openLog, async (arg?: unknown) => {
    const job = await resolveJob(model, arg, { placeHolder: t('Open the log of which Codex job?') });
    if (!job) return undefined;
    const uri = jobUri(LOG_SCHEME, job);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'log');
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    const end = new vscode.Position(editor.document.lineCount, 0);
    editor.revealRange(new vscode.Range(end, end));
    return uri;
  });
}

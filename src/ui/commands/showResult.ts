import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { resolveJob } from '../pickJob';
import { jobUri, RESULT_SCHEME } from '../jobUris';
import { hasResult } from '../../core/vocab/classify';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

export function registerShowResult({ model }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.showResult, async (arg?: unknown) => {
    const job = await resolveJob(model, arg, {
      placeHolder: t('Show the result of which Codex job?'),
      filter: (j) => hasResult(j) || !!j.display.errorMessage,
    });
    if (!job) return undefined;
    const uri = jobUri(RESULT_SCHEME, job);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    try {
      await vscode.commands.executeCommand('markdown.showPreview', uri);
    } catch {
      // No Markdown preview available: the source is still readable.
      await vscode.window.showTextDocument(doc, { preview: true });
    }
    return uri;
  });
}

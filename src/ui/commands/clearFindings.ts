import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

/** Clears the Codex review findings from the Problems panel (until a newer review completes). */
export function registerClearFindings({ findings }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.clearFindings, () => {
    const n = findings.clear();
    vscode.window.setStatusBarMessage(t('Cleared {0} Codex review finding(s) from the Problems panel', n), 3000);
    return n;
  });
}

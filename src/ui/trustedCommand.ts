// Commands that change files or end processes run only in a trusted workspace: the check, once.
import * as vscode from 'vscode';
import type { CommandId } from './ids';
import { t } from './l10n';

/** Registers `handler` behind the trust check; `what` completes "… needs a trusted workspace". */
export function registerTrustedCommand(
  id: CommandId,
  what: string,
  handler: (...args: never[]) => unknown,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, (...args: unknown[]) => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(t('Codex Jobs: {0} needs a trusted workspace.', what));
      return undefined;
    }
    return (handler as (...a: unknown[]) => unknown)(...args);
  });
}

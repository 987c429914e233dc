import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

/** The action of a "Codex CLI missing or too old" failure: the install command typed, not run. */
export function registerInstallCodexCli(_deps: CommandDeps): vscode.Disposable {
  return registerTrustedCommand(COMMANDS.installCodexCli, t('installing the Codex CLI'), () => {
    const terminal = vscode.window.createTerminal({ name: t('Install Codex CLI') });
    terminal.show();
    // Not executed: installing global packages is the user's call (press Enter to run it).
    terminal.sendText('npm install -g @openai/codex', false);
    return terminal;
  });
}

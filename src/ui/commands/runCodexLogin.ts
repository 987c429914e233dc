import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { pickFolder } from '../launchFlow';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

/** The action of a "login required" failure: `codex login` in a terminal, where the user sees it. */
export function registerRunCodexLogin(_deps: CommandDeps): vscode.Disposable {
  return registerTrustedCommand(COMMANDS.runCodexLogin, t('running codex login'), async () => {
    const cwd = await pickFolder();
    const terminal = vscode.window.createTerminal({ name: 'codex login', cwd });
    terminal.show();
    terminal.sendText('codex login', true);
    return terminal;
  });
}

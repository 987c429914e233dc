import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { pickFolder } from '../launchFlow';

/** The action of a "login required" failure: `codex login` in a terminal, where the user sees it. */
export function registerRunCodexLogin(_deps: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.runCodexLogin', async () => {
    const cwd = await pickFolder();
    const terminal = vscode.window.createTerminal({ name: 'codex login', cwd });
    terminal.show();
    terminal.sendText('codex login', true);
    return terminal;
  });
}

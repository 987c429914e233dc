import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import type { FindingsDiagnostics } from '../diagnostics';

export function registerClearFindings(_deps: CommandDeps, diagnostics: FindingsDiagnostics): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.clearFindings', () => {
    const n = diagnostics.clear();
    vscode.window.setStatusBarMessage(`Cleared ${n} Codex review finding(s) from the Problems panel`, 3000);
    return n;
  });
}

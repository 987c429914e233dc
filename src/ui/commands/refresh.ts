import * as vscode from 'vscode';
import type { CommandDeps } from './deps';

export function registerRefresh({ model }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.refresh', () =>
    vscode.window.withProgress({ location: { viewId: 'codexJobs.jobs' } }, () => model.refresh()),
  );
}

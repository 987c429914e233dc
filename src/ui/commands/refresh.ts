import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { COMMANDS, VIEWS } from '../ids';

/** The user's Refresh: everything now (brokers and All Workspaces only if someone can see them). */
export function registerRefresh({ refresh }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.refresh, () =>
    vscode.window.withProgress({ location: { viewId: VIEWS.jobs } }, async () => {
      refresh.request('others', 'Refresh command');
      await refresh.now('jobs', 'Refresh command');
    }),
  );
}

import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { COMMANDS } from '../ids';

/**
 * The title bar's filter button while a filter is on: the same picker as Filter Jobs, with a filled
 * icon, so the bar shows one filter button whose icon says whether a filter is on.
 */
export function registerFilterJobsActive(_deps: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.filterJobsActive, () =>
    vscode.commands.executeCommand(COMMANDS.filterJobs),
  );
}

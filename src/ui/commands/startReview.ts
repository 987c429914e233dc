import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { pickFolder, runLaunch, type LaunchArgs } from '../launchFlow';

export function registerStartReview(deps: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.startReview', async (args?: LaunchArgs) => {
    const folder = await pickFolder(args);
    return folder ? runLaunch(deps, folder, { kind: 'review' }) : undefined;
  });
}

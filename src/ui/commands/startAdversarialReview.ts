import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { pickFolder, runLaunch, type LaunchArgs } from '../launchFlow';

export function registerStartAdversarialReview(deps: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.startAdversarialReview', async (args?: LaunchArgs) => {
    const folder = await pickFolder(args);
    if (!folder) return undefined;
    const focus =
      args?.focus ??
      (await vscode.window.showInputBox({
        title: 'Codex Adversarial Review',
        prompt: 'What should it focus on? (optional)',
        placeHolder: 'e.g. error handling in the new parser',
      }));
    if (focus === undefined) return undefined;
    return runLaunch(deps, folder, { kind: 'adversarial-review', focus: focus.trim() || undefined });
  });
}

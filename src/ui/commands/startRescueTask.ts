import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { pickFolder, runLaunch, type LaunchArgs } from '../launchFlow';

const EFFORTS = ['default', 'none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

export function registerStartRescueTask(deps: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.startRescueTask', async (args?: LaunchArgs) => {
    const folder = await pickFolder(args);
    if (!folder) return undefined;
    const prompt =
      args?.prompt ??
      (await vscode.window.showInputBox({
        title: 'Codex Rescue Task (1/3)',
        prompt: 'What should Codex do?',
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? undefined : 'A task needs a prompt.'),
      }));
    if (!prompt?.trim()) return undefined;
    let write = args?.write;
    if (write === undefined) {
      const pick = await vscode.window.showQuickPick(
        [
          { label: 'Read only', description: 'Codex may read and run commands, not edit files', write: false },
          { label: 'Write access', description: 'Codex may edit files in the workspace', write: true },
        ],
        { title: 'Codex Rescue Task (2/3)', placeHolder: 'File access' },
      );
      if (!pick) return undefined;
      write = pick.write;
    }
    let effort = args?.effort;
    if (effort === undefined && !args?.prompt) {
      const pick = await vscode.window.showQuickPick(EFFORTS, {
        title: 'Codex Rescue Task (3/3)',
        placeHolder: 'Reasoning effort',
      });
      if (!pick) return undefined;
      effort = pick === 'default' ? undefined : pick;
    }
    return runLaunch(deps, folder, { kind: 'task', prompt: prompt.trim(), write, model: args?.model, effort });
  });
}

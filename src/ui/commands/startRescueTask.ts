import * as vscode from 'vscode';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';
import type { CommandDeps } from '../commandDeps';
import { prepareLaunch, runLaunch, type LaunchArgs } from '../launchFlow';

const EFFORTS = ['default', 'none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

export function registerStartRescueTask(deps: CommandDeps): vscode.Disposable {
  return registerTrustedCommand(COMMANDS.startRescueTask, t('starting jobs'), async (args?: LaunchArgs) => {
    const ready = await prepareLaunch(deps, args);
    if (!ready) return undefined;
    const { folder, env } = ready;
    const prompt =
      args?.prompt ??
      (await vscode.window.showInputBox({
        title: t('Codex Rescue Task ({0}/{1})', 1, 3),
        prompt: t('What should Codex do?'),
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? undefined : t('A task needs a prompt.')),
      }));
    if (!prompt?.trim()) return undefined;
    let write = args?.write;
    if (write === undefined) {
      const pick = await vscode.window.showQuickPick(
        [
          { label: t('Read only'), description: t('Codex may read and run commands, not edit files'), write: false },
          { label: t('Write access'), description: t('Codex may edit files in the workspace'), write: true },
        ],
        { title: t('Codex Rescue Task ({0}/{1})', 2, 3), placeHolder: t('File access') },
      );
      if (!pick) return undefined;
      write = pick.write;
    }
    let effort = args?.effort;
    if (effort === undefined && !args?.prompt) {
      const pick = await vscode.window.showQuickPick(
        EFFORTS.map((e) => ({ label: e === 'default' ? t('default') : e, effort: e })),
        { title: t('Codex Rescue Task ({0}/{1})', 3, 3), placeHolder: t('Reasoning effort') },
      );
      if (!pick) return undefined;
      effort = pick.effort === 'default' ? undefined : pick.effort;
    }
    return runLaunch(deps, folder, { kind: 'task', prompt: prompt.trim(), write, model: args?.model, effort }, env);
  });
}

import * as vscode from 'vscode';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';
import type { CommandDeps } from '../commandDeps';
import { prepareLaunch, runLaunch, type LaunchArgs } from '../launchFlow';

export function registerStartAdversarialReview(deps: CommandDeps): vscode.Disposable {
  return registerTrustedCommand(COMMANDS.startAdversarialReview, t('starting jobs'), async (args?: LaunchArgs) => {
    const ready = await prepareLaunch(deps, args);
    if (!ready) return undefined;
    const { folder, env } = ready;
    const focus =
      args?.focus ??
      (await vscode.window.showInputBox({
        title: t('Codex Adversarial Review'),
        prompt: t('What should it focus on? (optional)'),
        placeHolder: t('e.g. error handling in the new parser'),
      }));
    if (focus === undefined) return undefined;
    return runLaunch(deps, folder, { kind: 'adversarial-review', focus: focus.trim() || undefined }, env);
  });
}

import type * as vscode from 'vscode';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';
import type { CommandDeps } from '../commandDeps';
import { prepareLaunch, runLaunch, type LaunchArgs } from '../launchFlow';

export function registerStartReview(deps: CommandDeps): vscode.Disposable {
  return registerTrustedCommand(COMMANDS.startReview, t('starting jobs'), async (args?: LaunchArgs) => {
    const ready = await prepareLaunch(deps, args);
    return ready ? runLaunch(deps, ready.folder, { kind: 'review' }, ready.env) : undefined;
  });
}

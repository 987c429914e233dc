import type * as vscode from 'vscode';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';
import type { CommandDeps } from './deps';
import { pickFolder, runLaunch, type LaunchArgs } from '../launchFlow';

export function registerStartReview(deps: CommandDeps): vscode.Disposable {
  return registerTrustedCommand(COMMANDS.startReview, t('starting jobs'), async (args?: LaunchArgs) => {
    const folder = await pickFolder(args);
    return folder ? runLaunch(deps, folder, { kind: 'review' }) : undefined;
  });
}

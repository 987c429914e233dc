import type * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import type { LaunchArgs } from '../launchFlow';
import { runToggle } from '../reviewGateView';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

export function registerDisableReviewGate(deps: CommandDeps): vscode.Disposable {
  return registerTrustedCommand(COMMANDS.disableReviewGate, t('changing the stop review gate'), (args?: LaunchArgs) =>
    runToggle(deps, false, args),
  );
}

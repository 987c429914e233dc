import type * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { planReap } from '../../core/brokers/reaper';
import { confirmAndReap } from '../reapFlow';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

export function registerReapOrphanBrokers(deps: CommandDeps): vscode.Disposable {
  return registerTrustedCommand(COMMANDS.reapOrphanBrokers, t('stopping brokers'), async () => {
    // A fresh scan: the plan must describe the machine as it is now, not as the view last showed it.
    await deps.refresh.now('brokers', 'stop orphan brokers: a fresh scan');
    const scan = deps.brokers.scan;
    if (!scan) return undefined;
    return confirmAndReap(deps, planReap(scan), t('Codex Jobs'));
  });
}

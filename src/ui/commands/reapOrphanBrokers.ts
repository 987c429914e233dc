import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { planReap } from '../../core/reaper';
import { confirmAndReap } from '../reapFlow';

export function registerReapOrphanBrokers(deps: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.reapOrphanBrokers', async () => {
    // A fresh scan: the plan must describe the machine as it is now, not as the view last showed it.
    const scan = await deps.brokers.rescan();
    return confirmAndReap(deps, planReap(scan), 'Codex Jobs');
  });
}

import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import type { BrokersNode } from '../brokersTree';
import { brokerLabel } from '../brokersTree';
import { confirmAndReap } from '../reapFlow';

export function registerStopBroker(deps: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.stopBroker', async (node?: BrokersNode) => {
    if (node?.type !== 'broker') return undefined;
    const scan = await deps.brokers.rescan();
    const entry = scan.entries.find((e) => e.key === node.entry.key);
    if (!entry || (entry.class !== 'orphan-live' && entry.class !== 'dead')) {
      void vscode.window.showInformationMessage(
        `Codex Jobs: ${brokerLabel(node.entry)} is ${entry ? `${entry.class} (${entry.reason})` : 'gone'}; nothing to stop.`,
      );
      return undefined;
    }
    return confirmAndReap(deps, { reap: [entry], skip: [] }, `Stop broker ${brokerLabel(entry)}`);
  });
}

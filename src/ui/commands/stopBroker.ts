import * as vscode from 'vscode';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';
import type { CommandDeps } from '../commandDeps';
import type { BrokersNode } from '../brokersTree';
import { brokerLabel } from '../brokersTree';
import { confirmAndReap } from '../reapFlow';

export function registerStopBroker(deps: CommandDeps): vscode.Disposable {
  return registerTrustedCommand(COMMANDS.stopBroker, t('stopping brokers'), async (node?: BrokersNode) => {
    if (node?.type !== 'broker') return undefined;
    // A fresh scan: the broker may have changed since the view showed it.
    await deps.refresh.now('brokers', `stop broker: a fresh scan`);
    const scan = deps.brokers.scan;
    if (!scan) return undefined;
    const entry = scan.entries.find((e) => e.key === node.entry.key);
    if (!entry || (entry.class !== 'orphan-live' && entry.class !== 'dead')) {
      void vscode.window.showInformationMessage(
        entry
          ? t('Codex Jobs: {0} is {1} ({2}); nothing to stop.', brokerLabel(node.entry), entry.class, entry.reason)
          : t('Codex Jobs: {0} is gone; nothing to stop.', brokerLabel(node.entry)),
      );
      return undefined;
    }
    return confirmAndReap(deps, { reap: [entry], skip: [] }, t('Stop broker {0}', brokerLabel(entry)));
  });
}

import type * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { confirmAndRepair } from '../repairFlow';
import { syncIndexEntry } from '../../core/actions/repair';
import { stopHookBlock } from '../../core/vocab/stopHook';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

export function registerSyncIndexEntry(deps: CommandDeps): vscode.Disposable {
  const action = t('Update Index Entry from Record');
  return registerTrustedCommand(COMMANDS.syncIndexEntry, action, (arg?: unknown, opts?: { confirmed?: boolean }) =>
    confirmAndRepair(
      deps,
      {
        action,
        placeHolder: t('Update the state.json entry of which finished job?'),
        applies: (j) => stopHookBlock(j)?.clears === 'sync-index',
        detail: (j) =>
          t(
            "{0}'s record says {1}, its state.json entry still says {2}: the companion's Stop hook reports it as running at every stop. Its status, phase, pid and times are copied from the record into state.json; nothing else changes. The record is read again first and must be as shown.",
            j.id,
            j.record?.status ?? '',
            j.index?.status ?? '',
          ),
        run: syncIndexEntry,
      },
      arg,
      opts,
    ),
  );
}

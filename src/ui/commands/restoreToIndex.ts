import type * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { confirmAndRepair } from '../repairFlow';
import { restoreToIndex } from '../../core/actions/repair';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

export function registerRestoreToIndex(deps: CommandDeps): vscode.Disposable {
  const action = t('Restore Job to Index');
  return registerTrustedCommand(COMMANDS.restoreToIndex, action, (arg?: unknown, opts?: { confirmed?: boolean }) =>
    confirmAndRepair(
      deps,
      {
        action,
        placeHolder: t('Put which lost job back into state.json?'),
        applies: (j) => j.flags.includes('unindexed') && !!j.record,
        detail: (j) =>
          t(
            'Adds {0} back to state.json from its record, so /codex:status and the companion see it again. Its record and log are copied into the Codex Jobs archive first. Nothing else in state.json changes.',
            j.id,
          ),
        run: restoreToIndex,
      },
      arg,
      opts,
    ),
  );
}

import type * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { confirmAndRepair } from '../repairFlow';
import { restoreRecord } from '../../core/actions/repair';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

export function registerRestoreRecord(deps: CommandDeps): vscode.Disposable {
  const action = t('Restore Record');
  return registerTrustedCommand(COMMANDS.restoreRecord, action, (arg?: unknown, opts?: { confirmed?: boolean }) =>
    confirmAndRepair(
      deps,
      {
        action,
        placeHolder: t('Restore the deleted record of which job?'),
        applies: (j) =>
          (j.flags.includes('record-missing') ||
            j.flags.includes('deleted-by-concurrent-writer') ||
            j.flags.includes('deleted-while-running')) &&
          !!deps.archive.get(j.stateDir, j.id)?.record,
        detail: (j) =>
          t(
            'Writes jobs/{0}.json (and its log, if that is gone too) back from the Codex Jobs archive. An existing file is never overwritten. A job that is not in state.json can then be restored to the index.',
            j.id,
          ),
        run: restoreRecord,
      },
      arg,
      opts,
    ),
  );
}

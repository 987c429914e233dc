import type * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { confirmAndRepair } from '../repairFlow';
import { markStaleFailed } from '../../core/actions/repair';
import { canMarkFailed } from '../../core/vocab/classify';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

export function registerMarkStaleFailed(deps: CommandDeps): vscode.Disposable {
  const action = t('Mark Stale Job as Failed');
  return registerTrustedCommand(COMMANDS.markStaleFailed, action, (arg?: unknown, opts?: { confirmed?: boolean }) =>
    confirmAndRepair(
      deps,
      {
        action,
        placeHolder: t('Mark which stale job as failed?'),
        // The same rule as the row's `markable` word, so the palette cannot mark a finished record failed.
        applies: canMarkFailed,
        detail: (j) =>
          t(
            '{0} is recorded {1} but its process{2} is gone. Its state.json entry and record get status "failed", phase "failed", pid null, completedAt now and an errorMessage; a line is appended to its log. The process is checked again first.',
            j.id,
            j.recordedStatus ?? '',
            j.display.pid ? ` (pid ${j.display.pid})` : '',
          ),
        run: markStaleFailed,
      },
      arg,
      opts,
    ),
  );
}

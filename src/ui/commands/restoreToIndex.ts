import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { confirmAndRepair } from '../repairFlow';
import { restoreToIndex } from '../../core/repair';

export function registerRestoreToIndex(deps: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.restoreToIndex', (arg?: unknown, opts?: { confirmed?: boolean }) =>
    confirmAndRepair(
      deps,
      {
        action: 'Restore Job to Index',
        placeHolder: 'Put which lost job back into state.json?',
        applies: (j) => j.flags.includes('unindexed') && !!j.record,
        detail: (j) =>
          `Adds ${j.id} back to state.json from its record, so /codex:status and the companion see it again. Its record and log are copied into the Codex Jobs archive first. Nothing else in state.json changes.`,
        run: restoreToIndex,
      },
      arg,
      opts,
    ),
  );
}

import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { confirmAndRepair } from '../repairFlow';
import { restoreRecord } from '../../core/repair';

export function registerRestoreRecord(deps: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.restoreRecord', (arg?: unknown, opts?: { confirmed?: boolean }) =>
    confirmAndRepair(
      deps,
      {
        action: 'Restore Record',
        placeHolder: 'Restore the deleted record of which job?',
        applies: (j) =>
          (j.flags.includes('record-missing') ||
            j.flags.includes('deleted-by-concurrent-writer') ||
            j.flags.includes('deleted-while-running')) &&
          !!deps.archive.get(j.stateDir, j.id)?.record,
        detail: (j) =>
          `Writes jobs/${j.id}.json (and its log, if that is gone too) back from the Codex Jobs archive. An existing file is never overwritten. A job that is not in state.json can then be restored to the index.`,
        run: restoreRecord,
      },
      arg,
      opts,
    ),
  );
}

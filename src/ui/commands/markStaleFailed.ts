import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { confirmAndRepair } from '../repairFlow';
import { markStaleFailed } from '../../core/repair';

export function registerMarkStaleFailed(deps: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.markStaleFailed', (arg?: unknown, opts?: { confirmed?: boolean }) =>
    confirmAndRepair(
      deps,
      {
        action: 'Mark Stale Job as Failed',
        placeHolder: 'Mark which stale job as failed?',
        applies: (j) => j.status === 'stale' || j.status === 'pid-reused',
        detail: (j) =>
          `${j.id} is recorded ${j.recordedStatus} but its process${j.display.pid ? ` (pid ${j.display.pid})` : ''} is gone. Its state.json entry and record get status "failed", phase "failed", pid null, completedAt now and an errorMessage; a line is appended to its log. The process is checked again first.`,
        run: markStaleFailed,
      },
      arg,
      opts,
    ),
  );
}

import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { COMMANDS, VIEWS } from '../ids';

/** How many more archived jobs per workspace each "Show older jobs…" holds and shows. */
const MORE = 500;

/**
 * "Show older jobs…" under a folder's jobs: the archive holds (and the tree shows) more of that
 * folder's archived jobs, read from its index and entries on disk, then the folder is read again.
 */
export function registerShowOlderJobs({ archive, model, refresh }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.showOlderJobs, (folderPath?: string) =>
    vscode.window.withProgress({ location: { viewId: VIEWS.jobs } }, async () => {
      const folders = model.folders.filter((f) => folderPath === undefined || f.folder.path === folderPath);
      const stateDirs = folders.flatMap((f) => f.snapshots.map((s) => s.stateDir));
      await archive.widen({ maxGone: archive.window.maxGone + MORE, maxAgeMs: Infinity }, stateDirs);
      await refresh.now('jobs', 'Show older jobs');
    }),
  );
}

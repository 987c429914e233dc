import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { openPinned } from '../../core/io/findings';
import { findingRoot, reviewOf } from '../findingNodes';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

/** Opens a finding's file at its lines, only when the file is a regular file inside the workspace. */
export function registerOpenFinding({ model }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(
    COMMANDS.openFinding,
    async (arg?: { stateDir?: string; id?: string; index?: number }) => {
      const job = arg?.stateDir && arg.id ? model.findJob(arg.stateDir, arg.id) : undefined;
      const folder = job && model.folders.find((f) => f.snapshots.some((s) => s.stateDir === job.stateDir));
      const finding = job && reviewOf(job)?.findings.find((f) => f.index === arg?.index);
      if (!job || !folder || !finding) {
        void vscode.window.showWarningMessage(t('Codex Jobs: that finding is no longer known.'));
        return undefined;
      }
      // Checked at open: the file is loaded by its checked real path, checked again to be the same file
      // (device and inode) once loaded, and only then shown. A swap for a link after the first check is
      // caught before anything is shown (see openPinned for what no path-based check can catch).
      const loc = await openPinned(findingRoot(folder), finding.file, async (p) =>
        vscode.workspace.openTextDocument(vscode.Uri.file(p)),
      );
      if (!loc.ok) {
        void vscode.window.showWarningMessage(t('Codex Jobs: not opened: {0}', loc.message));
        return undefined;
      }
      const start = Math.max(0, (finding.lineStart ?? 1) - 1);
      const end = Math.max(start, (finding.lineEnd ?? finding.lineStart ?? 1) - 1);
      // The editor clamps a range past the end of the file to its last line.
      const editor = await vscode.window.showTextDocument(loc.value, {
        selection: new vscode.Range(start, 0, end, 0),
        preview: true,
      });
      return editor.document.uri;
    },
  );
}

import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { locateFinding } from '../../core/findings';
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
      const loc = await locateFinding(findingRoot(folder), finding.file);
      if (!loc.ok) {
        void vscode.window.showWarningMessage(t('Codex Jobs: not opened: {0}', loc.message));
        return undefined;
      }
      const start = Math.max(0, (finding.lineStart ?? 1) - 1);
      const end = Math.max(start, (finding.lineEnd ?? finding.lineStart ?? 1) - 1);
      // The editor clamps a range past the end of the file to its last line.
      const editor = await vscode.window.showTextDocument(vscode.Uri.file(loc.path), {
        selection: new vscode.Range(start, 0, end, 0),
        preview: true,
      });
      return editor.document.uri;
    },
  );
}

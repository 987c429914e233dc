import * as path from 'path';
import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { resolveJob } from '../pickJob';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

export function registerRevealStateDir({ model }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.revealStateDir, async (arg?: unknown) => {
    let stateDir = (arg as { state?: { snapshots?: { stateDir: string }[] } } | undefined)?.state?.snapshots?.[0]
      ?.stateDir;
    if (!stateDir) {
      const dirs = [...new Set(model.folders.flatMap((f) => f.snapshots.map((s) => s.stateDir)))];
      if (!arg && dirs.length === 1) stateDir = dirs[0];
      else
        stateDir = (await resolveJob(model, arg, { placeHolder: t('Reveal the state directory of which Codex job?') }))
          ?.stateDir;
    }
    if (!stateDir) return undefined;
    const stateFile = vscode.Uri.file(path.join(stateDir, 'state.json'));
    if (vscode.env.remoteName === undefined) {
      await vscode.commands.executeCommand('revealFileInOS', stateFile);
    } else {
      // No OS file manager on the remote side: offer the path and the index itself.
      const copy = t('Copy Path');
      const openState = t('Open state.json');
      const choice = await vscode.window.showInformationMessage(
        t('Codex state directory: {0}', stateDir),
        copy,
        openState,
      );
      if (choice === copy) await vscode.env.clipboard.writeText(stateDir);
      if (choice === openState) await vscode.window.showTextDocument(stateFile, { preview: true });
    }
    return stateDir;
  });
}

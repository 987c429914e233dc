import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

/** Where the model looked for state, in the log, for the welcome view's link. */
export function registerShowSearchedLocations({ model, output }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.showSearchedLocations, () => {
    const lines = [...model.searched.map((s) => t('looked in: {0}', s))];
    for (const f of model.folders) {
      for (const c of f.mapping?.candidates ?? [])
        lines.push(`${f.folder.name}: ${c.stateDir} ${c.exists ? t('(found)') : t('(not found)')}`);
    }
    for (const l of lines) output.info(l);
    output.show(true);
    return lines;
  });
}

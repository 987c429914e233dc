import * as vscode from 'vscode';
import type { CommandDeps } from './deps';

/** Where the model looked for state, in the log, for the welcome view's link. */
export function registerShowSearchedLocations({ model, output }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.showSearchedLocations', () => {
    const lines = [...model.searched.map((s) => `looked in: ${s}`)];
    for (const f of model.folders) {
      for (const c of f.mapping?.candidates ?? [])
        lines.push(`${f.folder.name}: ${c.stateDir} ${c.exists ? '(found)' : '(not found)'}`);
    }
    for (const l of lines) output.info(l);
    output.show(true);
    return lines;
  });
}

import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { COMMANDS } from '../ids';

export function registerClearFilter({ filter }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.clearFilter, () => filter.clear());
}

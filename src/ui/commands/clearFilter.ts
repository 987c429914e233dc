import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { NO_FILTER } from '../jobFilter';
import { COMMANDS } from '../ids';

export function registerClearFilter({ filter }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.clearFilter, () => filter.set(NO_FILTER));
}

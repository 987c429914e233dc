// What every command may use; built once in extension.ts.
import type * as vscode from 'vscode';
import type { JobsModel } from '../../core/model';

export interface CommandDeps {
  model: JobsModel;
  output: vscode.LogOutputChannel;
}

// Context keys that pick the welcome text and enable menus.
import * as vscode from 'vscode';
import type { JobsModel } from '../core/model/model';
import { CONTEXT } from './ids';

export class ContextKeys implements vscode.Disposable {
  private readonly subscription: { dispose(): void };
  private last = '';

  constructor(private readonly model: JobsModel) {
    this.subscription = model.onDidChange(() => this.update());
  }

  update(): void {
    const keys = {
      [CONTEXT.loaded]: true,
      [CONTEXT.hasFolders]: (vscode.workspace.workspaceFolders?.length ?? 0) > 0,
      [CONTEXT.hasStateDirs]: this.model.hasStateDirs,
      [CONTEXT.hasJobs]: this.model.allJobs().length > 0,
    };
    // setContext round-trips to the renderer: skip it when nothing changed.
    const sig = JSON.stringify(keys);
    if (sig === this.last) return;
    this.last = sig;
    for (const [k, v] of Object.entries(keys)) void vscode.commands.executeCommand('setContext', k, v);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

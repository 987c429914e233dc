// "All Workspaces" for the tree: what the core reads (core/model/workspaces.ts, through the model's
// bounded, archive-aware pipeline), kept and announced. Read only when the node is shown and refreshed
// through the RefreshManager; nothing here watches files.
import * as vscode from 'vscode';
import type { JobsModel } from '../core/model/model';
import { readOtherWorkspaces, type OtherWorkspace } from '../core/model/workspaces';
import type { Job } from '../core/vocab/types';

export type { OtherWorkspace };

export class OtherWorkspaces implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private list: OtherWorkspace[] | undefined;
  private loading: Promise<OtherWorkspace[]> | undefined;

  constructor(private readonly model: JobsModel) {}

  /** What was read last; undefined before the first load. */
  get workspaces(): readonly OtherWorkspace[] | undefined {
    return this.list;
  }

  allJobs(): Job[] {
    return (this.list ?? []).flatMap((w) => w.jobs);
  }

  /** Loads once and shares the answer with callers meanwhile. */
  ensure(): Promise<OtherWorkspace[]> {
    return this.list ? Promise.resolve(this.list) : this.reload();
  }

  reload(): Promise<OtherWorkspace[]> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<OtherWorkspace[]> {
    const list = await readOtherWorkspaces(this.model);
    this.list = list;
    this.changed.fire();
    return list;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

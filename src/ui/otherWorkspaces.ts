// The data behind "All Workspaces": every state dir under every root the model searched, grouped by
// workspace, with statuses verified like the open folders' (one process-table batch). Read only when
// the node is shown and refreshed through the RefreshManager; nothing here watches files.
import * as path from 'path';
import * as vscode from 'vscode';
import type { JobsModel } from '../core/model/model';
import { jobTime } from '../core/model/model';
import { enumerateStateDirs } from '../core/discovery/discovery';
import { loadStateDir } from '../core/state/snapshot';
import { verifyJobs } from '../core/state/verify';
import type { Job, ProcessTable, ReadWarning, StateRoot } from '../core/vocab/types';

export interface OtherWorkspace {
  /** `<slug>-<hash>`: the same workspace under two roots is one entry. */
  key: string;
  /** The workspace root the jobs name, or the slug when none does. */
  name: string;
  workspaceRoot?: string;
  stateDirs: { stateDir: string; root: StateRoot }[];
  jobs: Job[];
  warnings: ReadWarning[];
}

export class OtherWorkspaces implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private list: OtherWorkspace[] | undefined;
  private loading: Promise<OtherWorkspace[]> | undefined;

  constructor(
    private readonly model: JobsModel,
    private readonly table: ProcessTable,
  ) {}

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
    const open = new Set(this.model.folders.flatMap((f) => f.snapshots.map((s) => s.stateDir)));
    const dirs = (await enumerateStateDirs(this.model.roots)).filter((d) => !open.has(d.stateDir));
    const settings = this.model.currentSettings;
    const snaps = await Promise.all(dirs.map((d) => loadStateDir(d.root, d.stateDir, settings)));
    const jobs = snaps.flatMap((s) => s.jobs);
    await verifyJobs(jobs, this.table, settings);
    const byKey = new Map<string, OtherWorkspace>();
    dirs.forEach((d, i) => {
      const snap = snaps[i];
      if (!snap.exists) return;
      let w = byKey.get(d.name);
      if (!w) {
        w = { key: d.name, name: d.name.replace(/-[0-9a-f]{16}$/, ''), stateDirs: [], jobs: [], warnings: [] };
        byKey.set(d.name, w);
      }
      w.stateDirs.push({ stateDir: d.stateDir, root: d.root });
      w.jobs.push(...snap.jobs);
      w.warnings.push(...snap.warnings);
      const root = snap.jobs.map((j) => j.display.workspaceRoot).find((r) => typeof r === 'string' && r);
      if (root && !w.workspaceRoot) {
        w.workspaceRoot = root;
        w.name = path.basename(root);
      }
    });
    const list = [...byKey.values()];
    for (const w of list) w.jobs.sort((a, b) => jobTime(b) - jobTime(a));
    const newest = (w: OtherWorkspace) => (w.jobs[0] ? jobTime(w.jobs[0]) : 0);
    list.sort((a, b) => newest(b) - newest(a));
    this.list = list;
    this.changed.fire();
    return list;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

// The data behind "All Workspaces": every state dir under every root the model searched, except the
// open folders', read through the model's pipeline (bounded pool, what the archive knows, one
// process-table batch) and grouped by workspace, newest first.
import * as path from 'path';
import { enumerateStateDirs } from '../discovery/discovery';
import { handOut } from '../vocab/freeze';
import { jobTime, newestFirst } from '../vocab/jobTime';
import type { Job, ReadWarning, StateRoot } from '../vocab/types';
import type { JobsModel } from './model';

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

/**
 * Reads the other workspaces' state dirs. What the archive holds of them is shown, but nothing of
 * them is copied into it: the archive keeps what the open folders showed.
 */
export async function readOtherWorkspaces(model: JobsModel): Promise<OtherWorkspace[]> {
  const open = new Set(model.folders.flatMap((f) => f.snapshots.map((s) => s.stateDir)));
  const dirs = (await enumerateStateDirs(model.roots)).filter((d) => !open.has(d.stateDir));
  const snaps = await model.readSnapshots(dirs, { keep: false });
  const byKey = new Map<string, OtherWorkspace>();
  dirs.forEach((d, i) => {
    const snap = snaps[i];
    if (!snap.exists) return;
    const w = byKey.get(d.name);
    const root =
      w?.workspaceRoot ?? snap.jobs.map((j) => j.display.workspaceRoot).find((r) => typeof r === 'string' && r);
    byKey.set(d.name, {
      key: d.name,
      name: root ? path.basename(root) : (w?.name ?? d.name.replace(/-[0-9a-f]{16}$/, '')),
      ...(root ? { workspaceRoot: root } : {}),
      stateDirs: [...(w?.stateDirs ?? []), { stateDir: d.stateDir, root: d.root }],
      jobs: [...(w?.jobs ?? []), ...snap.jobs],
      warnings: [...(w?.warnings ?? []), ...snap.warnings],
    });
  });
  const list = [...byKey.values()].map((w) => ({ ...w, jobs: newestFirst(w.jobs) }));
  const newest = (w: OtherWorkspace) => (w.jobs[0] ? jobTime(w.jobs[0]) : 0);
  return handOut(list.sort((a, b) => newest(b) - newest(a)));
}

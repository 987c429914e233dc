// Which jobs a document may show: those of the open folders (the model) and those the All Workspaces
// node has read. A URI naming any other state dir is refused (see jobUris.ts).
import type { JobsModel } from '../core/model/model';
import type { Job } from '../core/vocab/types';
import type { OtherWorkspaces } from './otherWorkspaces';

export interface JobLookup {
  /** A state dir whose jobs are shown somewhere. */
  knows(stateDir: string): boolean;
  find(stateDir: string, id: string): Job | undefined;
}

export function jobLookup(model: JobsModel, others?: Pick<OtherWorkspaces, 'workspaces' | 'allJobs'>): JobLookup {
  return {
    knows: (stateDir) =>
      model.folders.some((f) => f.snapshots.some((s) => s.stateDir === stateDir)) ||
      !!others?.workspaces?.some((w) => w.stateDirs.some((d) => d.stateDir === stateDir)),
    find: (stateDir, id) =>
      model.findJob(stateDir, id) ?? others?.allJobs().find((j) => j.stateDir === stateDir && j.id === id),
  };
}

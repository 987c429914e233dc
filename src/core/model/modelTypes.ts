// What the model hands out: each folder's state, and the change it fires when that state is replaced.
import type { DerivedStatus, FolderMapping, Job, ReadWarning, StateDirSnapshot } from '../vocab/types';

export interface WorkspaceFolderRef {
  /** Absolute path. */
  path: string;
  name: string;
}

export interface FolderState {
  folder: WorkspaceFolderRef;
  mapping?: FolderMapping;
  /** Snapshots of the state dirs that exist for this folder (one per root where it was found). */
  snapshots: StateDirSnapshot[];
  /** Jobs of every snapshot, newest first. */
  jobs: Job[];
  warnings: ReadWarning[];
  /** Warnings from reading the folder itself (not from a state dir). */
  readWarnings?: ReadWarning[];
}

export interface StatusTransition {
  job: Job;
  from: DerivedStatus;
  to: DerivedStatus;
}

export interface ModelChange {
  /** Every folder was rebuilt. */
  full: boolean;
  /** Folders whose set of jobs changed (for targeted tree refreshes). */
  folders: WorkspaceFolderRef[];
  /** Jobs that changed in place (same folder, same group), when known. */
  jobs?: Job[];
  /** Jobs whose derived status moved, for notifications. */
  transitions?: StatusTransition[];
  /** Per folder, what changed: the tree maps this to nodes and needs nothing else. */
  diffs?: FolderDiff[];
}

/** What one update did to one folder. Every object in it is new; none that was shown before changed. */
export interface FolderDiff {
  folder: WorkspaceFolderRef;
  added: Job[];
  removed: Job[];
  changed: Job[];
  warningsChanged: boolean;
}

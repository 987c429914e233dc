// What the model shows, held in one place: the folder states, the roots found, and for each
// snapshot shown the snapshot as read (the input of its next partial re-read). It changes only by
// whole replacement, and every replacement fires one typed change with the per-folder diff. The
// values it holds are never changed once made (frozen in the tests: see vocab/freeze.ts).
import { Emitter } from '../vocab/emitter';
import { handOut } from '../vocab/freeze';
import { claimsActive, countJobs, type JobCounts } from '../vocab/classify';
import { jobKey } from '../vocab/keys';
import { isRecordless } from '../state/verify';
import type { Job, StateDirSnapshot, StateRoot } from '../vocab/types';
import { diffFolders } from './diff';
import type { FolderState, ModelChange, StatusTransition } from './modelTypes';

/** Where state was found: the roots that exist, every place searched, every candidate root. */
export interface Found {
  roots: StateRoot[];
  searched: string[];
  searchedRoots: string[];
}

/** Claims to run, or seen only as a log while a process that may run it was alive: checked again. */
export const mayRun = (j: Job): boolean => claimsActive(j) || (j.status === 'unknown' && isRecordless(j));

export class ModelState {
  private readonly changed = new Emitter<ModelChange>();
  readonly onDidChange = this.changed.event;
  private list: readonly FolderState[] = [];
  private where: Found = { roots: [], searched: [], searchedRoots: [] };
  private readonly rawOf = new WeakMap<StateDirSnapshot, StateDirSnapshot>();

  get folders(): readonly FolderState[] {
    return this.list;
  }

  get found(): Found {
    return this.where;
  }

  allJobs(): Job[] {
    return this.list.flatMap((f) => f.jobs);
  }

  counts(): JobCounts {
    return countJobs(this.allJobs());
  }

  findJob(stateDir: string, id: string): Job | undefined {
    for (const f of this.list) {
      for (const j of f.jobs) if (j.id === id && j.stateDir === stateDir) return j;
    }
    return undefined;
  }

  get hasStateDirs(): boolean {
    return this.list.some((f) => f.snapshots.length > 0);
  }

  /** Whether any job claims to run: the re-verify timer runs only then. */
  get anyActive(): boolean {
    return this.list.some((f) => f.jobs.some(mayRun));
  }

  /** The snapshot of a state dir shown now (the same object in every folder that shows it). */
  snapshotOf(stateDir: string): StateDirSnapshot | undefined {
    for (const f of this.list) for (const s of f.snapshots) if (s.stateDir === stateDir) return s;
    return undefined;
  }

  /** The jobs shown of one state dir. */
  jobsOf(stateDir: string): Job[] {
    return this.list.flatMap((f) => f.snapshots.filter((s) => s.stateDir === stateDir).flatMap((s) => s.jobs));
  }

  /** The snapshot as read and reconciled that a shown snapshot was made from, before the pipeline. */
  rawFor(shown: StateDirSnapshot): StateDirSnapshot | undefined {
    return this.rawOf.get(shown);
  }

  /** Remembers what a snapshot about to be shown was made from. */
  madeFrom(shown: StateDirSnapshot, raw: StateDirSnapshot): void {
    this.rawOf.set(shown, raw);
  }

  /** State dirs being shown, and every candidate root (for the watcher's plan). */
  watchPlan(): { stateDirs: string[]; roots: string[] } {
    const stateDirs = this.list.flatMap((f) => f.snapshots.map((s) => s.stateDir));
    const roots = new Set<string>(this.where.roots.map((r) => r.path));
    for (const f of this.list) for (const c of f.mapping?.candidates ?? []) roots.add(c.root.path);
    for (const r of this.where.searchedRoots) roots.add(r);
    return { stateDirs: [...new Set(stateDirs)], roots: [...roots] };
  }

  /** Every folder new (a full rebuild). A job whose status moved since it was shown is a transition. */
  setAll(next: FolderState[], found: Found): void {
    const before = this.list;
    this.where = found;
    this.list = handOut(next);
    const was = new Map(before.flatMap((f) => f.jobs).map((j) => [jobKey(j), j]));
    const transitions = next
      .flatMap((f) => f.jobs)
      .flatMap((j) => {
        const old = was.get(jobKey(j));
        return old && old.status !== j.status ? [{ job: j, from: old.status, to: j.status }] : [];
      });
    this.changed.fire({
      full: true,
      folders: next.map((f) => f.folder),
      transitions,
      diffs: diffFolders(before, next),
    });
  }

  /** The folders as given, where those that are not the objects shown now are the ones changed. */
  replace(next: FolderState[], extra: { jobs: Job[]; transitions: StatusTransition[] }): void {
    const before = this.list;
    const touched = next.filter((f, i) => f !== before[i]);
    if (touched.length === 0) return;
    this.list = handOut(next);
    this.changed.fire({
      full: false,
      folders: touched.map((f) => f.folder),
      jobs: extra.jobs,
      transitions: extra.transitions,
      diffs: diffFolders(
        before.filter((f) => touched.some((t) => t.folder === f.folder)),
        touched,
      ),
    });
  }

  dispose(): void {
    this.changed.dispose();
  }
}

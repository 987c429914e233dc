// The per-folder diff: what one update did to each folder's jobs, found by job identity and by
// what a view shows of a job. Jobs are never changed once made, so a job object that is the one
// shown before is unchanged, and what a view shows of a job is worked out once per object.
import { jobKey } from '../vocab/keys';
import type { Job } from '../vocab/types';
import type { FolderDiff, FolderState } from './modelTypes';

/** What changed from one list of folder states to the next, by job identity and content. */
export function diffFolders(before: readonly FolderState[], after: readonly FolderState[]): FolderDiff[] {
  return after.map((f) => {
    const old = before.find((b) => b.folder.path === f.folder.path);
    const warningsChanged =
      old?.warnings !== f.warnings && JSON.stringify(old?.warnings ?? []) !== JSON.stringify(f.warnings);
    // The same jobs in the same order (a log line made one job again): compared place by place.
    if (old && sameOrder(old.jobs, f.jobs)) {
      const changed = f.jobs.filter((j, i) => j !== old.jobs[i] && shownOf(old.jobs[i]) !== shownOf(j));
      return { folder: f.folder, added: [], removed: [], changed, warningsChanged };
    }
    const prev = new Map((old?.jobs ?? []).map((j) => [jobKey(j), j]));
    const added: Job[] = [];
    const changed: Job[] = [];
    for (const j of f.jobs) {
      const k = jobKey(j);
      const p = prev.get(k);
      prev.delete(k);
      if (!p) added.push(j);
      else if (p !== j && shownOf(p) !== shownOf(j)) changed.push(j);
    }
    return {
      folder: f.folder,
      added,
      removed: [...prev.values()],
      changed,
      warningsChanged,
    };
  });
}

/** Whether two lists hold the same jobs (by state dir and id) in the same order. */
function sameOrder(a: readonly Job[], b: readonly Job[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i] && (a[i].id !== b[i].id || a[i].stateDir !== b[i].stateDir)) return false;
  return true;
}

/** What a view shows of each job object, worked out once. */
const shownAs = new WeakMap<Job, string>();

/** What a view shows of a job, to tell a changed job from a new object with the same content. */
function shownOf(j: Job): string {
  const known = shownAs.get(j);
  if (known !== undefined) return known;
  const d = j.display;
  const shown = JSON.stringify([
    j.status,
    j.flags,
    d.status,
    d.phase,
    d.title,
    d.summary,
    d.pid,
    d.updatedAt,
    d.completedAt,
    j.log.size,
    j.log.mtimeMs,
    j.log.progress.length ? j.log.progress[j.log.progress.length - 1] : undefined,
    j.verification?.outcome,
    j.verification?.detail,
    j.archived?.logBytes,
    j.history?.length,
    j.recordMtimeMs,
  ]);
  shownAs.set(j, shown);
  return shown;
}

/** Same files read, same verdict: nothing a view shows can differ. */
export function sameJob(a: Job, b: Job): boolean {
  return (
    a.record === b.record &&
    a.index === b.index &&
    a.log === b.log &&
    a.status === b.status &&
    a.archived?.logBytes === b.archived?.logBytes &&
    a.history === b.history &&
    a.verification?.outcome === b.verification?.outcome &&
    a.verification?.detail === b.verification?.detail &&
    a.flags.join() === b.flags.join() &&
    a.display.rendered === b.display.rendered
  );
}

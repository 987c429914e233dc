// A job's time, the one sort order of every job list (folders, the CLI, All Workspaces, a snapshot):
// newest first. The time is the first of the display's updatedAt, completedAt, startedAt and
// createdAt that parses, else the record file's mtime, else 0.
import type { Job } from './types';

/** Worked out once per job object: jobs are never changed once made. */
const times = new WeakMap<Job, number>();

export function jobTime(job: Job): number {
  let t = times.get(job);
  if (t === undefined) times.set(job, (t = timeFromFields(job)));
  return t;
}

function timeFromFields(job: Job): number {
  const d = job.display;
  for (const t of [d.updatedAt, d.completedAt, d.startedAt, d.createdAt]) {
    const ms = t ? Date.parse(t) : NaN;
    if (!Number.isNaN(ms)) return ms;
  }
  return job.recordMtimeMs ?? 0;
}

/** A new array of `jobs`, newest first; jobs of the same time keep their order. */
export function newestFirst(jobs: readonly Job[]): Job[] {
  const keyed = jobs.map((j) => ({ j, t: jobTime(j) }));
  return keyed.sort((a, b) => b.t - a.t).map((k) => k.j);
}

// How a job is grouped and counted, shared by the tree, the status bar and the CLI.
import type { DerivedStatus, Job, JobFlag } from './types';

export type JobGroup = 'attention' | 'running' | 'recent';

const ATTENTION_STATUSES: ReadonlySet<DerivedStatus> = new Set(['stale', 'pid-reused', 'stalled', 'unknown']);
const ATTENTION_FLAGS: ReadonlySet<JobFlag> = new Set([
  'unindexed',
  'record-missing',
  'deleted-while-running',
  'deleted-by-concurrent-writer',
]);
const LIVE_STATUSES: ReadonlySet<DerivedStatus> = new Set(['running', 'queued', 'stalled', 'unverified']);

export function needsAttention(job: Job): boolean {
  return ATTENTION_STATUSES.has(job.status) || job.flags.some((f) => ATTENTION_FLAGS.has(f));
}

/** A process may still be doing work for this job. */
export function isLive(job: Job): boolean {
  return LIVE_STATUSES.has(job.status);
}

/** Its process was verified running (or queued): what a cancel can end. */
export function isVerifiedLive(job: Job): boolean {
  return job.status === 'running' || job.status === 'queued' || job.status === 'stalled';
}

/** Recorded queued/running: the only jobs whose pids are worth re-verifying. */
export function claimsActive(job: Job): boolean {
  return job.recordedStatus === 'queued' || job.recordedStatus === 'running';
}

export function groupOf(job: Job): JobGroup {
  if (needsAttention(job)) return 'attention';
  if (isLive(job)) return 'running';
  return 'recent';
}

export interface JobCounts {
  total: number;
  running: number;
  queued: number;
  attention: number;
}

export function countJobs(jobs: Iterable<Job>): JobCounts {
  const c: JobCounts = { total: 0, running: 0, queued: 0, attention: 0 };
  for (const j of jobs) {
    c.total++;
    if (j.status === 'running' || j.status === 'stalled' || j.status === 'unverified') c.running++;
    if (j.status === 'queued') c.queued++;
    if (needsAttention(j)) c.attention++;
  }
  return c;
}

/** A stable key for a job across reloads (the same id may exist under two state roots). */
export function jobKey(job: Pick<Job, 'stateDir' | 'id'>): string {
  return `${job.stateDir}\u0000${job.id}`;
}

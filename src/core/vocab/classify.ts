// How a job is grouped and counted, shared by the tree, the status bar and the CLI. What each status
// means is in status.ts; this file only combines those answers per job.
import type { Job } from './types';
import { isActiveRecorded, isAttentionFlag, isTerminalStatus, STATUS } from './status';

export type JobGroup = 'attention' | 'running' | 'recent';

export function needsAttention(job: Job): boolean {
  return STATUS[job.status].attention || job.flags.some(isAttentionFlag);
}

/** A process may still be doing work for this job. */
export function isLive(job: Job): boolean {
  return STATUS[job.status].live;
}

/** Its process was verified running (or queued): what a cancel can end. */
export function isVerifiedLive(job: Job): boolean {
  return STATUS[job.status].verifiedLive;
}

/** Recorded queued/running: the only jobs whose pids are worth re-verifying. */
export function claimsActive(job: Job): boolean {
  return isActiveRecorded(job.recordedStatus);
}

/**
 * Mark as Failed applies: its process is gone (stale, pid reused) and its record does not say it
 * finished (such a record's result is kept; its index entry is updated from it instead).
 */
export function canMarkFailed(job: Job): boolean {
  return (job.status === 'stale' || job.status === 'pid-reused') && !isTerminalStatus(job.record?.status);
}

/** Finished with a result to show (the companion's `rendered` text). */
export function hasResult(job: Job): boolean {
  return typeof job.display.rendered === 'string' && job.display.rendered.length > 0;
}

export function groupOf(job: Job): JobGroup {
  if (needsAttention(job)) return 'attention';
  if (isLive(job)) return 'running';
  return 'recent';
}

/**
 * Counts by group, so the status bar, the view badge, the groups and the CLI agree: every job is in
 * exactly one group. `running` and `queued` split the Running group (a stalled job needs attention
 * and is counted there only).
 */
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
    const g = groupOf(j);
    if (g === 'attention') c.attention++;
    else if (g === 'running') {
      if (j.status === 'queued') c.queued++;
      else c.running++;
    }
  }
  return c;
}

/** A stable key for a job across reloads (keys.ts). */

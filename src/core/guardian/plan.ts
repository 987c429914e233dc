// What the guardian would mend in one state dir, worked out from the jobs as the model shows them:
// each mend is one of the repairs a user could have asked for. Pure: no disk, no processes, no clock.
import type { Job } from '../vocab/types';
import { isActiveRecorded, isTerminalStatus } from '../vocab/status';

/** The companion's index cap: a finished job dropped while the index was full was pruned on purpose. */
export const INDEX_CAP = 50;

export type MendKind = 'index' | 'record' | 'log' | 'sync' | 'fail';

export interface Mend {
  kind: MendKind;
  job: Job;
  /** Why, in a few words, for the line that says what was done. */
  why: string;
}

export interface PlanInput {
  jobs: readonly Job[];
  /** Entries in state.json now. */
  indexSize: number;
  now: number;
  /** A job found with its process gone is marked failed only after this long. */
  graceMs: number;
  /** When each job (by id) was first seen with its process gone. */
  goneSince: ReadonlyMap<string, number>;
  /** Whether the archive holds a record (and log bytes) of a job. */
  kept: (job: Job) => { record: boolean; logBytes: number };
}

/** What the files say the job's status is: the record's when there is one, else the index's. */
function recorded(job: Job): string | undefined {
  return job.record?.status ?? job.index?.status ?? job.display.status;
}

/** Its process was verified gone (or the pid is another program's): what Mark Stale Job as Failed is for. */
export function processGone(job: Job): boolean {
  return job.status === 'stale' || job.status === 'pid-reused';
}

/** The mends one state dir needs now, at most one per job (the next round sees what is left). */
export function planMends(p: PlanInput): Mend[] {
  const out: Mend[] = [];
  for (const job of p.jobs) {
    const m = mendFor(job, p);
    if (m) out.push({ ...m, job });
  }
  return out;
}

function mendFor(job: Job, p: PlanInput): Omit<Mend, 'job'> | undefined {
  const status = recorded(job);
  const active = isActiveRecorded(status);
  const roomInIndex = p.indexSize < INDEX_CAP;
  if (job.archived) {
    // Pruned on purpose stays pruned; a deleted one comes back while it runs, or while there is room.
    if (job.archived.how === 'pruned' || !p.kept(job).record) return undefined;
    if (active || job.flags.includes('deleted-while-running') || roomInIndex)
      return { kind: 'record', why: `its files were deleted (${job.archived.how})` };
    return undefined;
  }
  if (job.flags.includes('log-only')) return undefined;
  if (job.flags.includes('record-missing') && p.kept(job).record && !isTerminalStatus(job.index?.status))
    return { kind: 'record', why: 'its record was deleted while it was queued or running' };
  if (job.flags.includes('record-missing') && p.kept(job).record)
    return { kind: 'record', why: 'its record was deleted; its index entry came back without it' };
  if (job.flags.includes('unindexed') && (active || roomInIndex))
    return { kind: 'index', why: active ? `dropped from state.json while ${status}` : 'dropped from state.json' };
  if (isActiveRecorded(job.index?.status) && isTerminalStatus(job.record?.status))
    return { kind: 'sync', why: `its record says ${job.record?.status} while state.json says ${job.index?.status}` };
  if (job.status === 'running' && !job.log.exists && p.kept(job).logBytes > 0 && !job.flags.includes('recreated'))
    return { kind: 'log', why: 'its log was deleted while it runs' };
  if (active && processGone(job)) {
    const since = p.goneSince.get(job.id);
    if (since !== undefined && p.now - since >= p.graceMs)
      return { kind: 'fail', why: `its process was gone for ${Math.round((p.now - since) / 1000)} s` };
  }
  return undefined;
}

/** When the next job found gone reaches its grace period, if one is waiting for it. */
export function nextGraceEnd(p: Pick<PlanInput, 'jobs' | 'graceMs' | 'goneSince'>): number | undefined {
  let next: number | undefined;
  for (const job of p.jobs) {
    const since = p.goneSince.get(job.id);
    if (since === undefined || !isActiveRecorded(recorded(job)) || !processGone(job)) continue;
    const at = since + p.graceMs;
    next = next === undefined ? at : Math.min(next, at);
  }
  return next;
}

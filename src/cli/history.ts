// How much of the archive's history `status` shows: by default the archived jobs of the last 7 days,
// at most 100 per workspace (the live ones always); `--since`, `--limit` and `--all-history` change
// that. The archive reads only the entries shown: its index says which (core/archive/archiveIndex.ts).
import type { ArchiveWindow } from '../core/archive/archive';
import { jobTime } from '../core/vocab/jobTime';
import type { Job } from '../core/vocab/types';
import type { Args } from './args';

const DAY_MS = 24 * 3_600_000;
export const DEFAULT_SHOWN: ArchiveWindow = { maxGone: 100, maxAgeMs: 7 * DAY_MS };

/** Which archived jobs the archive is to read for this command line. */
export function historyWindow(a: Args, now = Date.now()): ArchiveWindow {
  if (a.allHistory) return { maxGone: Infinity, maxAgeMs: Infinity };
  return {
    maxGone: a.limit ?? DEFAULT_SHOWN.maxGone,
    maxAgeMs: a.sinceMs !== undefined ? Math.max(0, now - a.sinceMs) : DEFAULT_SHOWN.maxAgeMs,
  };
}

/** The jobs to print (newest first, as given): from `--since` on, at most `--limit`. */
export function shownJobs(jobs: readonly Job[], a: Args): Job[] {
  const since = a.sinceMs;
  const kept = since === undefined ? [...jobs] : jobs.filter((j) => jobTime(j) >= since);
  return a.limit !== undefined ? kept.slice(0, a.limit) : kept;
}

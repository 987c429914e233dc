// Reading the logs of the jobs a timeline draws, for their phases (logPhases.ts): each through the
// safe opens (nothing followed below the state dir, no FIFO or device opened), at most a head and a
// tail of each, for a bounded number of jobs, and remembered by key, size and mtime so a picture
// redrawn every few seconds reads only the logs that changed.
import { openRegular, readAt } from '../io/safeFs';
import { jobKey } from '../vocab/keys';
import type { Job } from '../vocab/types';
import { parseLogPhases, type LogPhases } from './logPhases';

/** Bytes read from each end of a log: the start, the thread and first turns; the end, the last turns. */
export const PHASE_READ_BYTES = 256 * 1024;
/** Logs read for one picture at most (the newest jobs first). */
export const PHASE_JOBS_MAX = 500;

interface Cached {
  /** The model's size and mtime of the log when it was read: a change in either reads it again. */
  size?: number;
  mtimeMs?: number;
  phases: LogPhases | undefined;
}

export class LogPhaseCache {
  private readonly cache = new Map<string, Cached>();

  /** The phases of the newest `PHASE_JOBS_MAX` jobs with a log; a log that cannot be read has none. */
  async phasesOf(jobs: readonly Job[], nowMs = Date.now()): Promise<Map<string, LogPhases>> {
    const shown = [...jobs]
      .filter((j) => j.log.exists)
      .sort((a, b) => (b.log.mtimeMs ?? 0) - (a.log.mtimeMs ?? 0))
      .slice(0, PHASE_JOBS_MAX);
    const out = new Map<string, LogPhases>();
    const keep = new Set<string>();
    for (const j of shown) {
      const key = jobKey(j);
      keep.add(key);
      const p = await this.one(key, j, nowMs);
      if (p) out.set(key, p);
    }
    for (const k of [...this.cache.keys()]) if (!keep.has(k)) this.cache.delete(k);
    return out;
  }

  private async one(key: string, job: Job, nowMs: number): Promise<LogPhases | undefined> {
    const hit = this.cache.get(key);
    const { size, mtimeMs } = job.log;
    if (hit && size !== undefined && hit.size === size && hit.mtimeMs === mtimeMs) return hit.phases;
    const read = await readLogPhases(job.logPath, job.stateDir, nowMs).catch(() => undefined);
    this.cache.set(key, { size, mtimeMs, phases: read?.phases });
    return read?.phases;
  }
}

/** One log's phases from its first and last `PHASE_READ_BYTES` (whole when smaller than both). */
export async function readLogPhases(
  file: string,
  root: string,
  nowMs = Date.now(),
  bytes = PHASE_READ_BYTES,
): Promise<{ phases: LogPhases; size: number; mtimeMs: number }> {
  const { fh, stats } = await openRegular(file, root);
  try {
    const size = stats.size;
    let text: string;
    const partial = size > 2 * bytes;
    if (!partial) text = (await readAt(fh, 0, size, size)).toString('utf8');
    else {
      const head = (await readAt(fh, 0, bytes, size)).toString('utf8');
      const tail = (await readAt(fh, size - bytes, bytes, size)).toString('utf8');
      // The head's last line and the tail's first are cut: a newline keeps each a line of its own
      // (neither ends in a stamp's pattern as a whole line, so they are skipped).
      text = `${head.slice(0, head.lastIndexOf('\n') + 1)}${tail.slice(tail.indexOf('\n') + 1)}`;
    }
    return { phases: parseLogPhases(text, nowMs, partial), size, mtimeMs: stats.mtimeMs };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

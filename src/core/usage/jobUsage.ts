// A job's usage from its thread's token_count events: what it spent between its start and its end
// (a resumed thread holds earlier jobs' turns too), its cache ratio, its peak share of the context
// window, and the rise of the 5-hour window across it.
import type { Job } from '../vocab/types';
import { parseTime } from '../vocab/format';
import { isAccountReading } from './tokenEvents';
import type { JobUsage, TokenCounts, TokenEvent } from './usageTypes';

/** Events a little before the recorded start or after the end still belong to the job (clocks, flushes). */
const SLACK_MS = 5_000;

export const REVIEW_REASON = 'review threads are not saved by Codex';

const ZERO: TokenCounts = { input: 0, cached: 0, output: 0, reasoning: 0, total: 0 };

/** The job's time: from its start (or creation) to its end (open while it runs). */
export function jobSpan(job: Job): { fromMs?: number; toMs?: number } {
  const d = job.display;
  const from = parseTime(d.startedAt) ?? parseTime(d.createdAt);
  const ended = job.status !== 'running' && job.status !== 'queued';
  const to = ended ? (parseTime(d.completedAt) ?? parseTime(d.updatedAt)) : undefined;
  return { fromMs: from, toMs: to };
}

/** Whether the job's thread is one Codex saves (a rescue task); reviews run ephemeral threads. */
export function isReviewJob(job: Job): boolean {
  const k = job.display.kind ?? job.display.jobClass;
  return k !== undefined && /review/i.test(k);
}

const minus = (a: TokenCounts, b: TokenCounts): TokenCounts => ({
  input: Math.max(0, a.input - b.input),
  cached: Math.max(0, a.cached - b.cached),
  output: Math.max(0, a.output - b.output),
  reasoning: Math.max(0, a.reasoning - b.reasoning),
  total: Math.max(0, a.total - b.total),
});

const plus = (a: TokenCounts, b: TokenCounts): TokenCounts => ({
  input: a.input + b.input,
  cached: a.cached + b.cached,
  output: a.output + b.output,
  reasoning: a.reasoning + b.reasoning,
  total: a.total + b.total,
});

/** Tokens spent over `inside`, given what came before: cumulative totals, or (oldest shape) each turn's own. */
function spent(inside: TokenEvent[], before: TokenEvent[]): TokenCounts {
  const withTotal = inside.filter((e) => e.total);
  if (withTotal.length) {
    const base = [...before].reverse().find((e) => e.total)?.total ?? ZERO;
    const end = withTotal[withTotal.length - 1].total!;
    return end.total >= base.total ? minus(end, base) : end;
  }
  return inside.reduce((sum, e) => (e.last ? plus(sum, e.last) : sum), ZERO);
}

/** The rise of the 5-hour window's used share over the readings (a reset in between starts again from 0). */
function burnOf(inside: TokenEvent[]): number | null {
  const readings = inside
    .filter(isAccountReading)
    .map((e) => e.limits?.primary?.usedPercent)
    .filter((p): p is number => p !== undefined);
  if (readings.length < 2) return null;
  let rise = 0;
  for (let i = 1; i < readings.length; i++) {
    const d = readings[i] - readings[i - 1];
    rise += d > 0 ? d : 0;
  }
  return Math.round(rise * 10) / 10;
}

/**
 * The usage of `job` from its session file's events, or why there is none. `overlapping` counts
 * other sessions that ran during the job (the burn is then an estimate: they spent from the window too).
 */
export function usageFromEvents(
  job: Job,
  events: readonly TokenEvent[],
  o: { file: string; partial: boolean; overlapping: number },
): { usage: JobUsage; reason: null } | { usage: null; reason: string } {
  const { fromMs, toMs } = jobSpan(job);
  const inSpan = (e: TokenEvent) =>
    e.atMs === undefined ||
    ((fromMs === undefined || e.atMs >= fromMs - SLACK_MS) && (toMs === undefined || e.atMs <= toMs + SLACK_MS));
  const before: TokenEvent[] = [];
  const inside: TokenEvent[] = [];
  for (const e of events) {
    if (inSpan(e)) inside.push(e);
    else if (e.atMs !== undefined && fromMs !== undefined && e.atMs < fromMs) before.push(e);
  }
  const counted = inside.filter((e) => e.total || e.last);
  if (!counted.length)
    return {
      usage: null,
      reason:
        toMs === undefined ? 'no turn has reported its tokens yet' : 'its session file has no token counts for it',
    };
  const tokens = spent(counted, before);
  let peak: number | null = null;
  let windowSize: number | null = null;
  for (const e of counted) {
    if (!e.contextWindow || !e.last) continue;
    windowSize = e.contextWindow;
    peak = Math.max(peak ?? 0, Math.min(1, e.last.total / e.contextWindow));
  }
  const burn = burnOf(inside);
  const times = counted.map((e) => e.atMs).filter((t): t is number => t !== undefined);
  return {
    usage: {
      sessionFile: o.file,
      tokens,
      cacheRatio: tokens.input > 0 ? Math.min(1, tokens.cached / tokens.input) : null,
      peakContextShare: peak,
      contextWindow: windowSize,
      burn5h: burn === null ? null : { percent: burn, estimate: o.overlapping > 0, overlapping: o.overlapping },
      events: counted.length,
      firstAtMs: times.length ? Math.min(...times) : null,
      lastAtMs: times.length ? Math.max(...times) : null,
      partial: o.partial,
    },
    reason: null,
  };
}

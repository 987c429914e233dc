// Human-readable figures shared by the tree, the status bar and the CLI.
import type { Job } from './types';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function parseTime(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Running: time since start. Finished: how long it ran. Unknown: undefined. */
export function elapsedMs(job: Job, now: number): number | undefined {
  const d = job.display;
  const start = parseTime(d.startedAt) ?? parseTime(d.createdAt);
  if (start === undefined) return undefined;
  const end = parseTime(d.completedAt) ?? parseTime(d.cancelledAt);
  if (end !== undefined) return Math.max(0, end - start);
  if (job.recordedStatus === 'queued' || job.recordedStatus === 'running') return Math.max(0, now - start);
  return undefined;
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

/** "rescue", "review", "adversarial-review", from whichever field is there. */
export function kindLabelOf(job: Job): string {
  const d = job.display;
  return d.kindLabel ?? (d.kind === 'task' ? 'rescue' : d.kind) ?? (job.id.startsWith('review-') ? 'review' : 'rescue');
}

export function titleOf(job: Job): string {
  const d = job.display;
  return (
    d.title ??
    (d.kind === 'task'
      ? 'Codex Task'
      : d.kind === 'adversarial-review'
        ? 'Codex Adversarial Review'
        : d.kind === 'review'
          ? 'Codex Review'
          : job.id)
  );
}

/** What a status means, in a few words, for tooltips and the CLI. */
export const STATUS_TEXT: Record<Job['status'], string> = {
  running: 'Running (process verified)',
  queued: 'Queued',
  stalled: 'Stalled: process alive, log silent',
  stale: 'Stale: recorded as running, but its process is gone',
  'pid-reused': 'PID reused: the recorded pid now belongs to another program',
  unverified: 'Unverified: its process could not be checked',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  unknown: 'Unknown: no usable status in its files',
};

export const FLAG_TEXT: Record<string, string> = {
  unindexed: 'Missing from state.json (dropped by a concurrent writer); its record is still on disk',
  'record-missing': 'Listed in state.json, but jobs/<id>.json is gone (deleted by a concurrent writer)',
  'log-missing': 'No log file',
  disagreement: 'state.json and the job record disagree on its status; the newer one is shown',
  'partial-index': 'Its state.json entry is partial; the rest comes from the record',
  archived: 'Its files are gone from the state dir; shown from the Codex Jobs archive, with its log',
  pruned: 'Removed by the companion pruning old finished jobs',
  'deleted-while-running': 'Its files were deleted while its process still ran (a concurrent writer lost it)',
  'blocks-stop': "Still queued/running in state.json with its process gone: the companion's Stop hook nags about it",
  'deleted-by-concurrent-writer': 'Its files were deleted by a concurrent writer that dropped it from state.json',
};

// What one job's row says, in the tree's order: what it is about, its status, when it started, how
// long it ran (a failed job: its error instead). The table imports only rowText from here, so it can
// move to the shared core formatter by changing that one import.
import { elapsedMs, formatDuration, parseTime, titleOf } from '../core/format';
import type { Job } from '../core/types';

export const ROW_SEPARATOR = ' · ';

export function rowText(job: Job, now: number): string {
  const d = job.display;
  const parts = [firstLine(d.summary) || titleOf(job), statusWord(job)];
  const started = parseTime(d.startedAt) ?? parseTime(d.createdAt);
  if (started !== undefined) parts.push(`started ${whenText(started, now)}`);
  const error = job.status === 'failed' ? firstLine(d.errorMessage) : '';
  const el = elapsedMs(job, now);
  if (error) parts.push(error);
  else if (el !== undefined) parts.push(formatDuration(el));
  for (const f of job.flags) parts.push(f);
  if (job.archived && !job.flags.includes(job.archived.how)) parts.push(job.archived.how);
  return parts.join(ROW_SEPARATOR);
}

function statusWord(job: Job): string {
  const phase = job.display.phase;
  const live = job.status === 'running' || job.status === 'queued' || job.status === 'stalled';
  return live && phase && phase !== job.status ? `${job.status} (${phase})` : job.status;
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n', 1)[0].trim();
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "just now", "12 min ago", "today 14:05", "yesterday 14:05", "2026-11-28 14:05" (local time). */
export function whenText(ms: number, now: number): string {
  const ago = now - ms;
  if (ago >= 0 && ago < 60_000) return 'just now';
  if (ago >= 0 && ago < 3_600_000) return `${Math.floor(ago / 60_000)} min ago`;
  const t = new Date(ms);
  const clock = `${pad(t.getHours())}:${pad(t.getMinutes())}`;
  const day = (x: Date) => `${x.getFullYear()}-${pad(x.getMonth() + 1)}-${pad(x.getDate())}`;
  const today = new Date(now);
  if (day(t) === day(today)) return `today ${clock}`;
  const yesterday = new Date(now);
  yesterday.setDate(yesterday.getDate() - 1);
  if (day(t) === day(yesterday)) return `yesterday ${clock}`;
  return `${day(t)} ${clock}`;
}

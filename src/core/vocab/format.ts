// Human-readable figures and row texts shared by the tree, the status bar and the CLI. Texts a person
// reads go through a `Translate` function: the editor passes `vscode.l10n.t`, the CLI the English default.
import type { Job } from './types';
import { FLAGS, flagWord, STATUS } from './status';
import { nonBlank } from './values';
import { isShowable, localTime, pad2, parseIsoTime, UNKNOWN_TIME, yearText } from './dates';

export { localTime };

/** `vscode.l10n.t`'s shape: a message with `{0}`-style placeholders. */
export type Translate = (message: string, ...args: (string | number)[]) => string;

export const english: Translate = (message, ...args) =>
  message.replace(/\{(\d+)\}/g, (m, i: string) => (args[Number(i)] !== undefined ? String(args[Number(i)]) : m));

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad2(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad2(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A record's ISO time as epoch ms; undefined when it is not one or not a plausible moment (dates.ts). */
export function parseTime(iso: string | undefined): number | undefined {
  return parseIsoTime(iso);
}

/** When the job started (or, not started yet, was created), epoch ms. */
export function startedMs(job: Job): number | undefined {
  return parseTime(job.display.startedAt) ?? parseTime(job.display.createdAt);
}

/** Running: time since start. Finished: how long it ran. Unknown: undefined. */
export function elapsedMs(job: Job, now: number): number | undefined {
  const d = job.display;
  const start = startedMs(job);
  if (start === undefined) return undefined;
  const end = parseTime(d.completedAt) ?? parseTime(d.cancelledAt);
  if (end !== undefined) return Math.max(0, end - start);
  if (STATUS[job.status].live) return Math.max(0, now - start);
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

/** The kind as a row prefix: short, so the summary gets the width. */
export function kindPrefixOf(job: Job): string {
  const k = kindLabelOf(job);
  return k === 'adversarial-review' ? 'adversarial' : k;
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

/** The first non-empty line of a text, cut to `max` characters. */
export function firstLine(text: unknown, max = 120): string | undefined {
  if (typeof text !== 'string') return undefined;
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  if (!line) return undefined;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * What the job is about: a task's prompt (first line), a review's target ("working tree diff",
 * "branch main…HEAD") with an adversarial review's focus. The record's summary is preferred over the
 * index's: the companion replaces the index's with the first line of the output on completion.
 */
export function summaryOf(job: Job): string {
  const rec = job.record ?? job.display;
  const request = (job.record?.request ?? job.display.request) as Record<string, unknown> | undefined;
  const kind = job.display.kind ?? (job.id.startsWith('review-') ? 'review' : 'task');
  if (kind === 'task') {
    const s = firstLine(nonBlank(request?.prompt)) ?? firstLine(rec.summary) ?? firstLine(job.display.summary);
    return s ?? titleOf(job);
  }
  const result = (job.record?.result ?? job.display.result) as { target?: { label?: unknown } } | undefined;
  const focus = firstLine(nonBlank(request?.focus) ?? nonBlank(request?.focusText), 80);
  // "Adversarial Review working tree diff" → "working tree diff"
  const fromSummary = firstLine(rec.summary ?? job.display.summary)?.replace(/^(adversarial\s+)?review\b[:\s]*/i, '');
  const target = firstLine(nonBlank(result?.target?.label)) ?? (fromSummary || undefined);
  const text = [target, focus && `focus: ${focus}`].filter(Boolean).join(' — ');
  return text || titleOf(job);
}

/** The first line of a failed job's error (only failures: a cancel's "Cancelled by user." is no error). */
export function errorLineOf(job: Job): string | undefined {
  return job.status === 'failed' ? firstLine(job.display.errorMessage, 80) : undefined;
}

/** A Date's local clock time, 24-hour: "14:05". */
export const hhmm = (d: Date) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Short and relative: "just now", "3 min ago", "today 14:05", "yesterday 14:05", "Mon 14:05",
 * "Nov 24", "Nov 24 1900" (the year whenever it is not this one); "unknown time" for no time.
 */
export function relativeTime(ms: number, now: number, t: Translate = english): string {
  if (!isShowable(ms) || !Number.isFinite(now)) return t(UNKNOWN_TIME);
  const ago = now - ms;
  if (ago < 60_000 && ago > -60_000) return t('just now');
  if (ago > 0 && ago < 3_600_000) return t('{0} min ago', Math.floor(ago / 60_000));
  const d = new Date(ms);
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  const day = 86_400_000;
  if (ms >= midnight.getTime() && ms < midnight.getTime() + day) return t('today {0}', hhmm(d));
  if (ms >= midnight.getTime() - day && ms < midnight.getTime()) return t('yesterday {0}', hhmm(d));
  if (ms >= midnight.getTime() - 6 * day && ms < midnight.getTime()) return t(`${DAYS[d.getDay()]} {0}`, hhmm(d));
  const date = `${MONTHS[d.getMonth()]} ${d.getDate()}`;
  return d.getFullYear() === new Date(now).getFullYear() ? date : `${date} ${yearText(d.getFullYear())}`;
}

/**
 * How long ago, in at most two characters (VS Code's limit for a decoration badge), never more than
 * the truth: every step rounds down. "0m".."9m", then minutes as bare digits ("10".."59", beside the
 * description's "12 min ago"), "1h".."9h", "½d" from 12 hours, "1d".."6d", "1w".."9w"; "9w" also
 * stands for anything older (the tooltip has the date). The badge stays visible at any sidebar width,
 * where the description is cut first.
 */
export function ageBadge(ms: number, now: number): string {
  const min = Math.floor(Math.max(0, now - ms) / 60_000);
  if (min < 60) return min < 10 ? `${min}m` : String(min);
  const h = Math.floor(min / 60);
  if (h < 10) return `${h}h`;
  if (h < 12) return '9h';
  if (h < 24) return '½d';
  const d = Math.floor(h / 24);
  if (d < 7) return `${d}d`;
  return `${Math.min(9, Math.floor(d / 7))}w`;
}

/** "2026-11-24 14:05:09 (yesterday 14:05)", for tooltips. */
export function timeWithRelative(iso: string | undefined, now: number, t: Translate = english): string | undefined {
  const ms = parseTime(iso);
  return ms === undefined ? undefined : `${localTime(ms)} (${relativeTime(ms, now, t)})`;
}

export interface RowText {
  /** What the job is about, with its kind as a prefix: "review: working tree diff". */
  label: string;
  /** Status · started · duration (or a failure's error): "failed · yesterday 14:05 · rate limited". */
  description: string;
  /** The same for a screen reader, in a sentence. */
  accessibility: string;
}

/** One job's row, the same in the Jobs view, the job pickers and the CLI's `status`/`watch`. */
export function rowText(job: Job, now: number, t: Translate = english): RowText {
  const label = `${kindPrefixOf(job)}: ${summaryOf(job)}`;
  const status = t(STATUS[job.status].word);
  const start = startedMs(job);
  const when = start !== undefined ? relativeTime(start, now, t) : undefined;
  const el = elapsedMs(job, now);
  const error = errorLineOf(job);
  const tail = error ?? (el !== undefined ? formatDuration(el) : undefined);
  const flags = job.flags.map(flagWord).filter(Boolean);
  if (job.archived && !flags.includes(job.archived.how)) flags.push(flagWord(job.archived.how));
  const description = [status, when, tail, ...flags.map((f) => t(f))].filter(Boolean).join(' · ');
  const accessibility = [
    t('{0} {1} job: {2}', status, kindLabelOf(job), summaryOf(job)),
    when ? t('started {0}', when) : undefined,
    error
      ? t('error: {0}', error)
      : el !== undefined
        ? job.status === 'queued'
          ? t('queued for {0}', formatDuration(el))
          : STATUS[job.status].live
            ? t('running for {0}', formatDuration(el))
            : t('ran {0}', formatDuration(el))
        : undefined,
    ...flags.map((f) => t(f)),
  ]
    .filter(Boolean)
    .join(', ');
  return { label, description, accessibility };
}

/** What a status means, in a few words, for tooltips and the CLI (from status.ts). */
export const STATUS_TEXT: Record<Job['status'], string> = Object.fromEntries(
  Object.entries(STATUS).map(([k, v]) => [k, v.text]),
) as Record<Job['status'], string>;

/** Flag texts by flag (from status.ts); `flagText` also reads a flag this build does not know. */
export const FLAG_TEXT: Record<string, string> = Object.fromEntries(Object.entries(FLAGS).map(([k, v]) => [k, v.text]));

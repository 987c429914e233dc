// The text table of `status` and `watch`: a header row, one row per job. On a terminal each row is
// cut to its width by shortening the job's summary first, so its status, time and duration stay.
// Every text from a file is made safe (core/vocab/terminalText.ts) before it is measured or cut, so widths
// count what the terminal shows and a cut never splits an escape shown visibly.
import { countJobs, isLive, needsAttention } from '../core/vocab/classify';
import { kindLabelOf, rowText, summaryOf } from '../core/vocab/format';
import { STATUS } from '../core/vocab/status';
import { displayWidth, ellipsize, padEnd, safeLine } from '../core/vocab/terminalText';
import type { Job, ReadWarning } from '../core/vocab/types';
import type { Style } from './output';

const SEP = ' · ';
const GAP = '  ';
/** A summary is never cut shorter than this; past that the row's end goes. */
const MIN_SUMMARY = 12;
/** Narrower than this, the KIND column is left out (the id's prefix still says task or review). */
const KIND_MIN_WIDTH = 100;

export interface TableOptions {
  now: number;
  /** Cut rows to this many columns; undefined: never cut. */
  width?: number;
  paint?: (text: string, style: Style | undefined) => string;
  /** A last word for a job's row (its tokens), when there is one. */
  extra?: (job: Job) => string | undefined;
}

const STATUS_STYLE: Partial<Record<Job['status'], Style>> = {
  running: 'green',
  queued: 'cyan',
  stalled: 'yellow',
  unverified: 'yellow',
  stale: 'red',
  'pid-reused': 'red',
  failed: 'red',
  completed: 'dim',
  cancelled: 'dim',
};

/**
 * A row's texts, made safe: the status word (its own column), what the job is about (with its kind
 * as a prefix only when no KIND column says it), and the rest of the tree's description (when,
 * duration or error, flags): the CLI says what the tree says, each thing once.
 */
function rowParts(
  job: Job,
  now: number,
  showKind: boolean,
  extra?: string,
): { status: string; parts: [string, string] } {
  const r = rowText(job, now);
  const word = STATUS[job.status].word;
  let rest = r.description.startsWith(word) ? r.description.slice(word.length).replace(/^ · /, '') : r.description;
  if (extra) rest = rest ? `${rest}${SEP}${extra}` : extra;
  return { status: word, parts: [safeLine(showKind ? summaryOf(job) : r.label), safeLine(rest)] };
}

export function jobsTable(jobs: Job[], opts: TableOptions): string[] {
  const paint = opts.paint ?? ((t: string) => t);
  const showKind = opts.width === undefined || opts.width >= KIND_MIN_WIDTH;
  const rows = jobs.map((j) => ({
    job: j,
    id: safeLine(j.id),
    kind: safeLine(kindLabelOf(j)),
    ...rowParts(j, opts.now, showKind, opts.extra?.(j)),
  }));
  const idW = Math.max(2, ...rows.map((r) => displayWidth(r.id)));
  const kindW = showKind ? Math.max(4, ...rows.map((r) => displayWidth(r.kind))) : 0;
  const statusW = Math.max(6, ...rows.map((r) => displayWidth(r.status)));
  const lead = (id: string, kind: string) =>
    `${padEnd(id, idW)}${GAP}${showKind ? `${padEnd(kind, kindW)}${GAP}` : ''}`;
  const room = opts.width === undefined ? undefined : opts.width - displayWidth(lead('', '')) - statusW - GAP.length;
  const header = cut(`${lead('ID', 'KIND')}${padEnd('STATUS', statusW)}${GAP}JOB`, opts.width);
  const lines = [paint(header, 'bold')];
  for (const r of rows) {
    const before = lead(r.id, r.kind);
    const line = cut(`${before}${padEnd(r.status, statusW)}${GAP}${fitRow(r.parts, room)}`, opts.width);
    // Color goes on after cutting (escape codes take no columns), on the status word when it is whole.
    const at = before.length;
    lines.push(
      line.startsWith(r.status, at)
        ? line.slice(0, at) + paint(r.status, STATUS_STYLE[r.job.status]) + line.slice(at + r.status.length)
        : line,
    );
  }
  return lines;
}

/** The table, its totals line, and what could not be read (for `watch`, which shows them in the view). */
export function jobsView(jobs: Job[], warnings: ReadWarning[], opts: TableOptions): string {
  const lines = jobs.length ? jobsTable(jobs, opts) : [];
  lines.push(totalsLine(jobs));
  for (const w of warnings) lines.push(cut(warningText(w), opts.width));
  return lines.join('\n');
}

/**
 * What fits a screen of `rows` lines, as `top` shows it: the table's header, then the jobs that need
 * attention and the running ones, then the most recent others (`jobs` comes newest first), a
 * "… N more" line for the rest, the totals line and as many warnings as fit ("… N more warnings").
 */
export function jobsScreen(jobs: Job[], warnings: ReadWarning[], opts: TableOptions & { rows: number }): string[] {
  const urgent = jobs.filter((j) => needsAttention(j) || isLive(j));
  const others = jobs.filter((j) => !(needsAttention(j) || isLive(j)));
  const ordered = [...urgent, ...others];
  // Totals always; warnings only in what is left after at least a few jobs.
  const room = Math.max(1, opts.rows);
  // Warnings take at most a quarter of the screen: the jobs that need attention come first.
  const shownWarnings = warnings.slice(0, Math.floor(room / 4));
  const warningLines = shownWarnings.map((w) => cut(warningText(w), opts.width));
  if (shownWarnings.length < warnings.length)
    warningLines.push(`… ${warnings.length - shownWarnings.length} more warnings`);
  const forTable = room - 1 - warningLines.length;
  let table: string[] = [];
  if (ordered.length && forTable >= 2) {
    const fitsAll = ordered.length + 1 <= forTable;
    const count = fitsAll ? ordered.length : Math.max(0, forTable - 2);
    table = jobsTable(ordered.slice(0, count), opts);
    if (!fitsAll) table.push(cut(`… ${ordered.length - count} more`, opts.width));
  }
  return [...table, totalsLine(jobs), ...warningLines].slice(0, room);
}

export function totalsLine(jobs: Job[]): string {
  const c = countJobs(jobs);
  return `${c.total} jobs: ${c.running} running, ${c.queued} queued, ${c.attention} need attention`;
}

/** A read warning on one line: its file and message made safe (a file name may hold anything). */
export function warningText(w: ReadWarning): string {
  return `warning: ${safeLine(w.file)}: ${safeLine(w.message)}`;
}

/**
 * Fits "summary · status · when · duration" (safe texts: the summary, then the rest) into `room`
 * columns: the summary is shortened first, down to MIN_SUMMARY; if still too long, the end is cut.
 */
export function fitRow([head, tail]: [string, string], room: number | undefined): string {
  const rest = tail ? `${SEP}${tail}` : '';
  const whole = head + rest;
  if (room === undefined || displayWidth(whole) <= room) return whole;
  const headW = displayWidth(head);
  const keep = room - displayWidth(rest);
  if (keep >= Math.min(MIN_SUMMARY, headW)) return ellipsize(head, keep) + rest;
  return ellipsize(ellipsize(head, Math.min(MIN_SUMMARY, headW)) + rest, room);
}

function cut(line: string, width: number | undefined): string {
  return width === undefined ? line : ellipsize(line, width);
}

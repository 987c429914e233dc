// The text table of `status` and `watch`: a header row, one row per job. On a terminal each row is
// cut to its width by shortening the job's summary first, so its status, time and duration stay.
// Every text from a file is made safe (core/terminalText.ts) before it is measured or cut, so widths
// count what the terminal shows and a cut never splits an escape shown visibly.
import { countJobs } from '../core/classify';
import { kindLabelOf, rowText } from '../core/format';
import { displayWidth, ellipsize, padEnd, safeLine } from '../core/terminalText';
import type { Job, ReadWarning } from '../core/types';
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

/** The tree's label and description, made safe: the CLI says what the tree says. */
function rowParts(job: Job, now: number): [string, string] {
  const r = rowText(job, now);
  return [safeLine(r.label), safeLine(r.description)];
}

export function jobsTable(jobs: Job[], opts: TableOptions): string[] {
  const paint = opts.paint ?? ((t: string) => t);
  const rows = jobs.map((j) => ({
    job: j,
    id: safeLine(j.id),
    kind: safeLine(kindLabelOf(j)),
    parts: rowParts(j, opts.now),
  }));
  const idW = Math.max(2, ...rows.map((r) => displayWidth(r.id)));
  const showKind = opts.width === undefined || opts.width >= KIND_MIN_WIDTH;
  const kindW = showKind ? Math.max(4, ...rows.map((r) => displayWidth(r.kind))) : 0;
  const kindCell = (k: string) => (showKind ? `${padEnd(k, kindW)}${GAP}` : '');
  const lead = idW + GAP.length + (showKind ? kindW + GAP.length : 0);
  const room = opts.width === undefined ? undefined : opts.width - lead;
  const header = cut(`${padEnd('ID', idW)}${GAP}${kindCell('KIND')}JOB`, opts.width);
  const lines = [paint(header, 'bold')];
  for (const r of rows) {
    const line = cut(`${padEnd(r.id, idW)}${GAP}${kindCell(r.kind)}${fitRow(r.parts, room)}`, opts.width);
    // Color goes on after cutting: escape codes take no columns.
    lines.push(paint(line.slice(0, r.id.length), STATUS_STYLE[r.job.status]) + line.slice(r.id.length));
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

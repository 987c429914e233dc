// The text table of `status` and `watch`: a header row, one row per job. On a terminal each row is
// cut to its width by shortening the job's summary first, so its status, time and duration stay.
import { countJobs } from '../core/classify';
import { kindLabelOf, rowText } from '../core/format';
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

/** The tree's label and description on one line: the CLI says what the tree says. */
function rowLine(job: Job, now: number): string {
  const r = rowText(job, now);
  return `${r.label}${SEP}${r.description}`;
}

export function jobsTable(jobs: Job[], opts: TableOptions): string[] {
  const paint = opts.paint ?? ((t: string) => t);
  const rows = jobs.map((j) => ({ job: j, id: j.id, kind: kindLabelOf(j), text: rowLine(j, opts.now) }));
  const idW = Math.max(2, ...rows.map((r) => r.id.length));
  const showKind = opts.width === undefined || opts.width >= KIND_MIN_WIDTH;
  const kindW = showKind ? Math.max(4, ...rows.map((r) => r.kind.length)) : 0;
  const kindCell = (k: string) => (showKind ? `${k.padEnd(kindW)}${GAP}` : '');
  const lead = idW + GAP.length + (showKind ? kindW + GAP.length : 0);
  const room = opts.width === undefined ? undefined : opts.width - lead;
  const header = cut(`${'ID'.padEnd(idW)}${GAP}${kindCell('KIND')}JOB`, opts.width);
  const lines = [paint(header, 'bold')];
  for (const r of rows) {
    const line = `${r.id.padEnd(idW)}${GAP}${kindCell(r.kind)}${fitRow(r.text, room)}`;
    const cutLine = cut(line, opts.width);
    // Color goes on after cutting: escape codes take no columns.
    lines.push(paint(cutLine.slice(0, idW), STATUS_STYLE[r.job.status]) + cutLine.slice(idW));
  }
  return lines;
}

/** The table, its totals line, and what could not be read (for `watch`, which shows them in the view). */
export function jobsView(jobs: Job[], warnings: ReadWarning[], opts: TableOptions): string {
  const lines = jobs.length ? jobsTable(jobs, opts) : [];
  lines.push(totalsLine(jobs));
  for (const w of warnings) lines.push(cut(`warning: ${w.file}: ${w.message}`, opts.width));
  return lines.join('\n');
}

export function totalsLine(jobs: Job[]): string {
  const c = countJobs(jobs);
  return `${c.total} jobs: ${c.running} running, ${c.queued} queued, ${c.attention} need attention`;
}

/**
 * Fits "summary · status · when · duration" into `room` columns: the first part (the summary) is
 * shortened first, down to MIN_SUMMARY; if still too long, the end is cut.
 */
export function fitRow(text: string, room: number | undefined): string {
  if (room === undefined || text.length <= room) return text;
  const i = text.indexOf(SEP);
  if (i > 0) {
    const rest = text.slice(i);
    const keep = room - rest.length;
    if (keep >= Math.min(MIN_SUMMARY, i)) return ellipsize(text.slice(0, i), keep) + rest;
    text = ellipsize(text.slice(0, i), Math.min(MIN_SUMMARY, i)) + rest;
  }
  return ellipsize(text, room);
}

function cut(line: string, width: number | undefined): string {
  return width === undefined ? line : ellipsize(line, width);
}

function ellipsize(text: string, n: number): string {
  if (text.length <= n) return text;
  if (n <= 0) return '';
  return `${text.slice(0, n - 1)}…`;
}

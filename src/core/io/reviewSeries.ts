// Reviews of the same target form a series, and the newest review's findings are compared with the
// previous one's: each finding is new or still open, and the previous findings not seen again are
// listed as fixed. "Fixed" is what a reader wants to know but not what the data says: a finding the
// reviewer did not report again may be fixed, reworded past recognition, or simply missed this time,
// so its label says "not reported again".
//
// Pure: values in, values out. Bounded: at most MAX_FINDINGS findings of each review are compared
// (more are counted as left out), and candidate pairs are only formed within one file.
import { MAX_FINDINGS } from './findings';
import type { Finding } from './findings';
import { parseIsoTime } from '../vocab/dates';
import type { Job } from '../vocab/types';

// ---------------------------------------------------------------------------------------------
// The series a review belongs to
// ---------------------------------------------------------------------------------------------

/**
 * What a review looked at, from its record. The companion writes `result.target` as `{mode, label,
 * baseRef?, explicit}` with mode `working-tree` or `branch` (`baseRef` the base branch); Codex's own
 * reviewer also knows commits, so a `commit` mode with a `sha` (or `commit`) is read too. A record
 * with no result yet (running, failed, or only an index entry) still has the target in its summary
 * (`Review working tree diff`, `Adversarial Review branch diff against main`).
 */
export interface ReviewTarget {
  mode: 'working-tree' | 'branch' | 'commit' | 'unknown';
  /** As the companion words it: `working tree diff`, `branch diff against main`. */
  label?: string;
  baseRef?: string;
  sha?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const MAX_KEY_PART = 512;

/** The target of a review record (result.target, else its summary); undefined when neither says. */
export function reviewTargetOf(fields: { result?: unknown; summary?: string }): ReviewTarget | undefined {
  const t = isObj(fields.result) && isObj(fields.result.target) ? fields.result.target : undefined;
  if (t) {
    const mode = str(t.mode);
    const label = str(t.label);
    const baseRef = str(t.baseRef);
    const sha = str(t.sha) ?? str(t.commit);
    if (mode === 'working-tree') return { mode, label };
    if (mode === 'branch' && (baseRef || label)) return { mode, label, baseRef: baseRef ?? baseOfLabel(label) };
    if (mode === 'commit' && sha) return { mode, label, sha };
    if (label) return targetOfLabel(label) ?? { mode: 'unknown', label };
  }
  const summary = str(fields.summary);
  if (!summary) return undefined;
  const m = /^(?:Adversarial )?Review (.+)$/.exec(summary.slice(0, MAX_KEY_PART));
  return m ? targetOfLabel(m[1]) : undefined;
}

function baseOfLabel(label: string | undefined): string | undefined {
  const m = label ? /^branch diff against (.+)$/.exec(label) : null;
  return m ? m[1].trim() : undefined;
}

function targetOfLabel(label: string): ReviewTarget | undefined {
  if (label === 'working tree diff') return { mode: 'working-tree', label };
  const base = baseOfLabel(label);
  return base ? { mode: 'branch', label, baseRef: base } : undefined;
}

/**
 * The key of a review's series: its workspace, which reviewer (the native `review` and the
 * `adversarial-review` word findings differently, so they are separate series), and its target (mode
 * and base branch or commit). Undefined for a job that is not a review or names no target.
 */
export function reviewSeriesKey(job: Pick<Job, 'display' | 'stateDir'>): string | undefined {
  const d = job.display;
  const reviewer = d.kind === 'adversarial-review' ? 'adversarial-review' : d.kind === 'review' ? 'review' : undefined;
  if (!reviewer && !(d.kind === undefined && d.jobClass === 'review')) return undefined;
  const target = reviewTargetOf(d);
  if (!target || target.mode === 'unknown') return undefined;
  const where = (d.workspaceRoot ?? job.stateDir).slice(0, 4096);
  const what = target.mode === 'branch' ? target.baseRef : target.mode === 'commit' ? target.sha : '';
  return JSON.stringify([where, reviewer ?? 'review', target.mode, (what ?? '').slice(0, MAX_KEY_PART)]);
}

// ---------------------------------------------------------------------------------------------
// Matching the newest review's findings to the previous one's
// ---------------------------------------------------------------------------------------------

export type SeriesMark = 'new' | 'still-open' | 'fixed';

/** The words shown for each mark: "fixed" only ever claims that the reviewer did not report it again. */
export const SERIES_LABELS: Readonly<Record<SeriesMark, string>> = {
  new: 'new',
  'still-open': 'still open',
  fixed: 'not reported again',
};

export interface CurrentFinding<F extends Finding = Finding> {
  mark: 'new' | 'still-open';
  label: string;
  finding: F;
  /** For a still-open finding: the previous review's finding it was matched to. */
  previous?: F;
  /** For a still-open finding with lines on both sides: how far its start moved (positive: down). */
  lineShift?: number;
}

export interface FixedFinding<F extends Finding = Finding> {
  mark: 'fixed';
  /** "not reported again" */
  label: string;
  finding: F;
}

export interface SeriesComparison<F extends Finding = Finding> {
  /** The newest review's findings, in its order, each new or still open. */
  current: CurrentFinding<F>[];
  /** The previous review's findings not matched to any of the newest one's, in its order. */
  fixed: FixedFinding<F>[];
  counts: { new: number; stillOpen: number; fixed: number };
  /** Findings beyond `limit` on either side, not compared (then some marks may be wrong). */
  leftOut: number;
}

export interface CompareOptions {
  /** Paths under this root are compared relative to it (Codex writes absolute paths, the JSON relative ones). */
  workspaceRoot?: string;
  /** At most this many findings of each review are compared. */
  limit?: number;
}

/** Two findings' titles this alike (Dice over their words) may be one finding reworded, if near. */
const SIMILAR = 0.6;
/** A weaker likeness counts only when the lines all but coincide. */
const WEAKLY_SIMILAR = 0.34;
/** How far (after the file's typical shift) a reworded finding may have moved. */
const NEAR_LINES = 40;
const CLOSE_LINES = 3;

/**
 * A title as compared: the priority tag and severity words in brackets dropped, case folded, accents
 * and punctuation gone, runs of space as one.
 */
export function normalizeTitle(title: string): string {
  return title
    .slice(0, 1000)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/^\s*\[[^\]]{0,16}\]\s*/, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** A file name as compared: `/` for `\`, no `./`, relative to the workspace when under it. */
export function normalizeFile(file: string | undefined, workspaceRoot?: string): string {
  if (!file) return '';
  let f = file.slice(0, 4097).replace(/\\/g, '/');
  const root = workspaceRoot?.replace(/\\/g, '/').replace(/\/+$/, '');
  if (root && f.startsWith(`${root}/`)) f = f.slice(root.length + 1);
  while (f.startsWith('./')) f = f.slice(2);
  return f.replace(/\/{2,}/g, '/');
}

interface Side<F extends Finding> {
  f: F;
  i: number;
  file: string;
  title: string;
  words: Set<string>;
  line?: number;
}

function sideOf<F extends Finding>(f: F, i: number, root: string | undefined): Side<F> {
  const title = normalizeTitle(f.title ?? '');
  return {
    f,
    i,
    file: normalizeFile(f.file, root),
    title,
    words: new Set(title.split(' ').filter(Boolean)),
    line: f.lineStart,
  };
}

function dice(a: Set<string>, b: Set<string>): number {
  if (!a.size || !b.size) return 0;
  let common = 0;
  for (const w of a) if (b.has(w)) common++;
  return (2 * common) / (a.size + b.size);
}

interface Pair {
  prev: number;
  cur: number;
  /** 0: same title; 1: similar title, near; 2: weakly similar title, close. */
  tier: number;
  distance: number;
  likeness: number;
}

/** Pairs are taken best first; each finding of either side is used once. */
function takePairs(pairs: Pair[], prevUsed: Int32Array, curUsed: Int32Array): void {
  pairs.sort(
    (a, b) => a.tier - b.tier || a.distance - b.distance || b.likeness - a.likeness || a.cur - b.cur || a.prev - b.prev,
  );
  for (const p of pairs) {
    if (prevUsed[p.prev] >= 0 || curUsed[p.cur] >= 0) continue;
    prevUsed[p.prev] = p.cur;
    curUsed[p.cur] = p.prev;
  }
}

const groupByFile = <F extends Finding>(sides: Side<F>[]): Map<string, Side<F>[]> => {
  const m = new Map<string, Side<F>[]>();
  for (const s of sides) {
    const g = m.get(s.file);
    if (g) g.push(s);
    else m.set(s.file, [s]);
  }
  return m;
};

const lineDistance = (a: number | undefined, b: number | undefined, shift: number): number =>
  a === undefined || b === undefined ? 0 : Math.min(Math.abs(b - a), Math.abs(b - (a + shift)));

/** Per finding, only its best few candidates are kept: a hostile review of one title a thousand times stays bounded. */
const MAX_CANDIDATES = 16;

function keepBest(pairs: Pair[], candidates: Pair[]): void {
  if (candidates.length > MAX_CANDIDATES) {
    candidates.sort((a, b) => a.tier - b.tier || a.distance - b.distance || b.likeness - a.likeness || a.prev - b.prev);
    candidates.length = MAX_CANDIDATES;
  }
  for (const c of candidates) pairs.push(c);
}

/** Exact titles first, in the same file, nearest lines first. */
function exactPairs<F extends Finding>(prev: Side<F>[], cur: Side<F>[]): Pair[] {
  const byKey = new Map<string, Side<F>[]>();
  for (const p of prev) {
    const k = `${p.file}\u0000${p.title}`;
    const g = byKey.get(k);
    if (g) g.push(p);
    else byKey.set(k, [p]);
  }
  const pairs: Pair[] = [];
  for (const c of cur) {
    const candidates = (byKey.get(`${c.file}\u0000${c.title}`) ?? []).map((p) => ({
      prev: p.i,
      cur: c.i,
      tier: 0,
      distance: lineDistance(p.line, c.line, 0),
      likeness: 1,
    }));
    keepBest(pairs, candidates);
  }
  return pairs;
}

/** The typical shift of each file's matched findings (the median), from the pairs taken so far. */
function shiftsOf<F extends Finding>(prev: Side<F>[], cur: Side<F>[], curUsed: Int32Array): Map<string, number> {
  const deltas = new Map<string, number[]>();
  for (const c of cur) {
    const p = curUsed[c.i] >= 0 ? prev[curUsed[c.i]] : undefined;
    if (!p || p.line === undefined || c.line === undefined) continue;
    const d = deltas.get(c.file) ?? [];
    d.push(c.line - p.line);
    deltas.set(c.file, d);
  }
  const out = new Map<string, number>();
  for (const [file, d] of deltas) out.set(file, d.sort((a, b) => a - b)[Math.floor(d.length / 2)]);
  return out;
}

/** Reworded findings: similar titles in the same file, near (after the file's typical shift). */
function similarPairs<F extends Finding>(
  prev: Side<F>[],
  cur: Side<F>[],
  prevUsed: Int32Array,
  curUsed: Int32Array,
  shifts: Map<string, number>,
): Pair[] {
  const pairs: Pair[] = [];
  const prevByFile = groupByFile(prev.filter((p) => prevUsed[p.i] < 0));
  for (const c of cur) {
    if (curUsed[c.i] >= 0) continue;
    const shift = shifts.get(c.file) ?? 0;
    const candidates: Pair[] = [];
    for (const p of prevByFile.get(c.file) ?? []) {
      const distance = lineDistance(p.line, c.line, shift);
      if (distance > NEAR_LINES) continue;
      const likeness = dice(p.words, c.words);
      if (likeness >= SIMILAR) candidates.push({ prev: p.i, cur: c.i, tier: 1, distance, likeness });
      else if (likeness >= WEAKLY_SIMILAR && distance <= CLOSE_LINES && p.line !== undefined && c.line !== undefined)
        candidates.push({ prev: p.i, cur: c.i, tier: 2, distance, likeness });
    }
    keepBest(pairs, candidates);
  }
  return pairs;
}

/**
 * Compares the newest review's findings with the previous review's. A finding is still open when it
 * is matched one-to-one to a previous one in the same file: by the same normalized title (nearest
 * lines first, however far it moved), or by a similar title within NEAR_LINES lines of where the
 * file's other matched findings say it moved to, or by a weakly similar title at all but the same
 * lines. Every other finding of the newest review is new; every unmatched previous one is listed as
 * fixed, labelled "not reported again".
 */
export function compareReviews<F extends Finding>(
  previous: readonly F[],
  current: readonly F[],
  options: CompareOptions = {},
): SeriesComparison<F> {
  const limit = Math.max(0, options.limit ?? MAX_FINDINGS);
  const prev = previous.slice(0, limit).map((f, i) => sideOf(f, i, options.workspaceRoot));
  const cur = current.slice(0, limit).map((f, i) => sideOf(f, i, options.workspaceRoot));
  const prevUsed = new Int32Array(prev.length).fill(-1);
  const curUsed = new Int32Array(cur.length).fill(-1);
  takePairs(exactPairs(prev, cur), prevUsed, curUsed);
  takePairs(similarPairs(prev, cur, prevUsed, curUsed, shiftsOf(prev, cur, curUsed)), prevUsed, curUsed);

  const out: SeriesComparison<F> = {
    current: [],
    fixed: [],
    counts: { new: 0, stillOpen: 0, fixed: 0 },
    leftOut: Math.max(0, previous.length - limit) + Math.max(0, current.length - limit),
  };
  for (const c of cur) {
    const p = curUsed[c.i] >= 0 ? prev[curUsed[c.i]] : undefined;
    if (!p) {
      out.current.push({ mark: 'new', label: SERIES_LABELS.new, finding: c.f });
      out.counts.new++;
      continue;
    }
    const shift = p.line !== undefined && c.line !== undefined ? c.line - p.line : undefined;
    out.current.push({
      mark: 'still-open',
      label: SERIES_LABELS['still-open'],
      finding: c.f,
      previous: p.f,
      lineShift: shift,
    });
    out.counts.stillOpen++;
  }
  for (const p of prev) {
    if (prevUsed[p.i] >= 0) continue;
    out.fixed.push({ mark: 'fixed', label: SERIES_LABELS.fixed, finding: p.f });
    out.counts.fixed++;
  }
  return out;
}

/** One review of a series, as the comparison needs it. */
export interface SeriesReview<F extends Finding = Finding> {
  jobId: string;
  /** When it completed (epoch ms); the newest is compared with the one before it. */
  at: number;
  findings: readonly F[];
}

/**
 * The newest review of a series compared with the one before it (by `at`, then by job id for a
 * tie); undefined with fewer than two reviews.
 */
export function compareLatest<F extends Finding>(
  series: readonly SeriesReview<F>[],
  options: CompareOptions = {},
): (SeriesComparison<F> & { newest: string; previous: string }) | undefined {
  if (series.length < 2) return undefined;
  const sorted = [...series].sort((a, b) => b.at - a.at || (a.jobId < b.jobId ? 1 : a.jobId > b.jobId ? -1 : 0));
  const [newest, before] = sorted;
  return { ...compareReviews(before.findings, newest.findings, options), newest: newest.jobId, previous: before.jobId };
}

/**
 * The completed reviews among `jobs` grouped into series (by reviewSeriesKey), each newest first by
 * completion time. `findingsOf` gives a job's findings (the adversarial JSON or the native text);
 * a job for which it gives undefined (no readable result) is left out, so it is never taken for a
 * review that found nothing.
 */
export function groupReviewSeries<F extends Finding>(
  jobs: readonly Job[],
  findingsOf: (job: Job) => readonly F[] | undefined,
): Map<string, SeriesReview<F>[]> {
  const out = new Map<string, SeriesReview<F>[]>();
  for (const job of jobs) {
    if (job.status !== 'completed') continue;
    const key = reviewSeriesKey(job);
    if (key === undefined) continue;
    const findings = findingsOf(job);
    if (!findings) continue;
    const d = job.display;
    const at = parseIsoTime(d.completedAt) ?? parseIsoTime(d.updatedAt) ?? parseIsoTime(d.createdAt) ?? 0;
    const list = out.get(key) ?? [];
    list.push({ jobId: job.id, at, findings });
    out.set(key, list);
  }
  for (const list of out.values())
    list.sort((a, b) => b.at - a.at || (a.jobId < b.jobId ? 1 : a.jobId > b.jobId ? -1 : 0));
  return out;
}

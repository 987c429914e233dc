// A review's findings whichever reviewer ran it (the adversarial review's JSON or the native review's
// text), parsed once per job, and the completed reviews of a list of jobs grouped into series, each
// review compared with the one before it in its series. For whatever shows findings across reviews
// (the editor's rows, Show Result and Problems panel).
//
// Pure and cached by object identity: jobs are values, so an unchanged job is the same object and is
// never parsed twice, and two reviews' findings are compared once. The index of a list of jobs is
// rebuilt only when its completed reviews are other objects than last time.
import { anyReviewResultOf, type NativeReview } from './reviewText';
import type { Finding, ReviewResult } from './findings';
import { compareReviews, groupReviewSeries, reviewSeriesKey, type SeriesComparison } from './reviewSeries';
import { parseIsoTime } from '../vocab/dates';
import { jobKey } from '../vocab/keys';
import type { Job } from '../vocab/types';

export type AnyReview = ReviewResult | NativeReview;

const parsed = new WeakMap<Job, AnyReview | null>();

/** A review job's findings (JSON or text), parsed once per job object; undefined for any other job. */
export function reviewFindingsOf(job: Job): AnyReview | undefined {
  let r = parsed.get(job);
  if (r === undefined) {
    r = anyReviewResultOf(job) ?? null;
    parsed.set(job, r);
  }
  return r ?? undefined;
}

/** A native review's text with no findings block: it is shown as the text it is, not as findings. */
export function isPlainText(r: AnyReview): boolean {
  return 'structured' in r && !r.structured;
}

/** A completed review whose result can be read (JSON, or text: text without findings found nothing). */
export function isReadableReview(job: Job): boolean {
  return job.status === 'completed' && reviewFindingsOf(job) !== undefined;
}

/** Where a review sits in its series. */
export interface SeriesPlace {
  job: Job;
  /** The review of the same target completed before it, if any. */
  previous?: Job;
  /** The newest review of its series. */
  newest: boolean;
}

/** Each pair of findings lists compared once (the lists are cached per job, so per review). */
const compared = new WeakMap<readonly Finding[], WeakMap<readonly Finding[], SeriesComparison>>();

function compareOnce(previous: readonly Finding[], current: readonly Finding[], root?: string): SeriesComparison {
  let inner = compared.get(previous);
  if (!inner) {
    inner = new WeakMap();
    compared.set(previous, inner);
  }
  let c = inner.get(current);
  if (!c) {
    c = compareReviews(previous, current, { workspaceRoot: root });
    inner.set(current, c);
  }
  return c;
}

export class ReviewSeriesIndex {
  constructor(
    private readonly places: ReadonlyMap<string, SeriesPlace>,
    /** The newest review of every series, and the newest review that names no target. */
    readonly newest: readonly Job[],
  ) {}

  /** The review's place, when `job` is the very object this index was made from. */
  placeOf(job: Job): SeriesPlace | undefined {
    const p = this.places.get(jobKey(job));
    return p && p.job === job ? p : undefined;
  }

  /** The review compared with the one before it in its series (undefined for the first, or any other job). */
  compare(job: Job): (SeriesComparison & { previous: Job }) | undefined {
    const p = this.placeOf(job);
    const prev = p?.previous && reviewFindingsOf(p.previous);
    const cur = prev && reviewFindingsOf(job);
    if (!p?.previous || !prev || !cur) return undefined;
    const root = job.display.workspaceRoot ?? p.previous.display.workspaceRoot;
    return { ...compareOnce(prev.findings, cur.findings, root), previous: p.previous };
  }
}

/**
 * The series of the completed, readable reviews among `reviews`. Each review's findings list stands
 * for its job through the grouping (groupReviewSeries keeps the list, not the job): every job's list
 * is its own object.
 */
function buildIndex(reviews: readonly Job[]): ReviewSeriesIndex {
  const jobOfList = new Map<readonly Finding[], Job>();
  const series = groupReviewSeries(reviews, (job) => {
    const findings = reviewFindingsOf(job)?.findings;
    if (findings) jobOfList.set(findings, job);
    return findings;
  });
  const places = new Map<string, SeriesPlace>();
  const newest: Job[] = [];
  for (const list of series.values()) {
    const jobs = list.map((r) => jobOfList.get(r.findings)!);
    jobs.forEach((job, i) => places.set(jobKey(job), { job, previous: jobs[i + 1], newest: i === 0 }));
    newest.push(jobs[0]);
  }
  // Reviews that name no target form no series; the newest of them is shown as before.
  let loose: Job | undefined;
  let looseAt = -Infinity;
  for (const job of reviews) {
    if (reviewSeriesKey(job) !== undefined) continue;
    const d = job.display;
    const at = parseIsoTime(d.completedAt) ?? parseIsoTime(d.updatedAt) ?? parseIsoTime(d.createdAt) ?? 0;
    if (!loose || at > looseAt) [loose, looseAt] = [job, at];
  }
  if (loose) newest.push(loose);
  return new ReviewSeriesIndex(places, newest);
}

const sameJobs = (a: readonly Job[], b: readonly Job[]): boolean =>
  a.length === b.length && a.every((j, i) => j === b[i]);

/**
 * Keeps the series index of each list of jobs it is asked about. A list seen before answers at once;
 * a new list whose completed reviews are the same objects as a recent one's reuses that index, so
 * a running job's new log lines (a new list, the same reviews) cost one pass over the list.
 */
export class ReviewSeriesCache {
  private readonly byList = new WeakMap<readonly Job[], ReviewSeriesIndex>();
  private recent: { reviews: Job[]; index: ReviewSeriesIndex }[] = [];

  constructor(private readonly keep = 8) {}

  of(jobs: readonly Job[]): ReviewSeriesIndex {
    const known = this.byList.get(jobs);
    if (known) return known;
    const reviews = jobs.filter(isReadableReview);
    let hit = this.recent.find((r) => sameJobs(r.reviews, reviews));
    if (!hit) {
      hit = { reviews, index: buildIndex(reviews) };
      this.recent = [hit, ...this.recent].slice(0, this.keep);
    }
    this.byList.set(jobs, hit.index);
    return hit.index;
  }
}

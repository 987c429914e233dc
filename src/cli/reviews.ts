// A review's findings as `result --json` and `findings` give them: the adversarial review's JSON or
// the native review's text (core/io/reviewText.ts), each finding marked new or still open against the
// previous completed review of the same target (core/io/reviewSeries.ts), with the previous review's
// findings not reported again. Values only: the caller prints them.
import { MAX_FINDINGS, type Finding } from '../core/io/findings';
import { anyReviewResultOf, type NativeFinding } from '../core/io/reviewText';
import { compareReviews, groupReviewSeries, reviewTargetOf, type SeriesComparison } from '../core/io/reviewSeries';
import type { Job } from '../core/vocab/types';

type AnyFinding = Finding & Partial<Pick<NativeFinding, 'priority'>>;

export interface ReviewReport {
  jobId: string;
  reviewer: 'adversarial-review' | 'review';
  verdict?: string;
  summary?: string;
  findings: AnyFinding[];
  total: number;
  warnings: string[];
  /** The comparison with the previous review of the series, when there is one. */
  series?: SeriesComparison<AnyFinding> & { previous: string };
}

function reviewerOf(job: Job, structured: boolean): ReviewReport['reviewer'] {
  return job.display.kind === 'adversarial-review' || (job.display.kind === undefined && structured)
    ? 'adversarial-review'
    : 'review';
}

/**
 * The review's findings and its series comparison; undefined when the job holds no review to read.
 * `workspaceRoot` is ours (from the folder the user is in), never the record's own claim.
 */
export function reviewReport(job: Job, all: readonly Job[], workspaceRoot: string): ReviewReport | undefined {
  const r = anyReviewResultOf(job);
  if (!r) return undefined;
  const native = 'structured' in r;
  const report: ReviewReport = {
    jobId: job.id,
    reviewer: reviewerOf(job, !native),
    verdict: r.verdict,
    summary: r.summary,
    findings: r.findings,
    total: r.total,
    warnings: r.warnings,
  };
  const previous = previousInSeries(job, all);
  if (previous) {
    const cmp = compareReviews<AnyFinding>(previous.findings, r.findings, { workspaceRoot });
    report.series = { ...cmp, previous: previous.jobId };
  }
  return report;
}

/** The completed review of the same target just before this one, with its findings. */
function previousInSeries(
  job: Job,
  all: readonly Job[],
): { jobId: string; findings: readonly AnyFinding[] } | undefined {
  const series = groupReviewSeries(all, (j) => anyReviewResultOf(j, MAX_FINDINGS)?.findings);
  for (const list of series.values()) {
    const i = list.findIndex((s) => s.jobId === job.id);
    if (i >= 0) return list[i + 1];
  }
  return undefined;
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

function findingJson(f: AnyFinding) {
  return {
    severity: f.severity,
    priority: orNull(f.priority),
    title: f.title,
    body: orNull(f.body),
    file: orNull(f.file),
    lineStart: orNull(f.lineStart),
    lineEnd: orNull(f.lineEnd),
    confidence: orNull(f.confidence),
    recommendation: orNull(f.recommendation),
  };
}

/** The report as JSON: fields may be added, never renamed or removed. */
export function reviewReportJson(job: Job, r: ReviewReport) {
  const marks = new Map(r.series?.current.map((c) => [c.finding, c]));
  return {
    reviewer: r.reviewer,
    target: orNull(reviewTargetOf(job.display)),
    verdict: orNull(r.verdict),
    summary: orNull(r.summary),
    total: r.total,
    shown: r.findings.length,
    findings: r.findings.map((f) => {
      const m = marks.get(f);
      return { ...findingJson(f), mark: m?.mark ?? null, lineShift: orNull(m?.lineShift) };
    }),
    previousReview: r.series
      ? {
          id: r.series.previous,
          counts: r.series.counts,
          notReportedAgain: r.series.fixed.map((x) => findingJson(x.finding)),
          leftOut: r.series.leftOut,
        }
      : null,
    warnings: r.warnings,
  };
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareLatest,
  compareReviews,
  groupReviewSeries,
  normalizeFile,
  normalizeTitle,
  reviewSeriesKey,
  reviewTargetOf,
  SERIES_LABELS,
} from '../../src/core/io/reviewSeries';
import type { Finding } from '../../src/core/io/findings';
import { anyReviewResultOf, parseNativeReviewText } from '../../src/core/io/reviewText';
import { exampleRecord, jobOf } from './featureHelpers';

const f = (title: string, file: string | undefined, line?: number, index = 0): Finding => ({
  index,
  severity: 'high',
  title,
  file,
  lineStart: line,
  lineEnd: line === undefined ? undefined : line + 2,
});

test('the target of a review: from result.target, else from the summary; the series key', () => {
  const native = exampleRecord('review.ok.completed');
  assert.deepEqual(reviewTargetOf(native), { mode: 'working-tree', label: 'working tree diff' });
  assert.deepEqual(
    reviewTargetOf({ result: { target: { mode: 'branch', label: 'branch diff against main', baseRef: 'main' } } }),
    { mode: 'branch', label: 'branch diff against main', baseRef: 'main' },
  );
  assert.deepEqual(reviewTargetOf({ result: { target: { mode: 'commit', sha: 'abc123' } } }), {
    mode: 'commit',
    label: undefined,
    sha: 'abc123',
  });
  // A running review (no result yet) and an index entry: from the summary.
  assert.deepEqual(reviewTargetOf({ summary: 'Review working tree diff' }), {
    mode: 'working-tree',
    label: 'working tree diff',
  });
  assert.deepEqual(reviewTargetOf({ summary: 'Adversarial Review branch diff against origin/dev' }), {
    mode: 'branch',
    label: 'branch diff against origin/dev',
    baseRef: 'origin/dev',
  });
  assert.equal(reviewTargetOf({ summary: 'Fix the flaky test' }), undefined);
  assert.equal(reviewTargetOf({}), undefined);

  const running = jobOf(exampleRecord('review.ok.running'));
  const done = jobOf(native);
  assert.ok(reviewSeriesKey(done));
  assert.equal(reviewSeriesKey(running), reviewSeriesKey(done));
  // Another reviewer, another base branch, another workspace: other series. A task: none.
  const adv = jobOf(exampleRecord('adversarial-review.ok.completed'));
  assert.notEqual(reviewSeriesKey(adv), reviewSeriesKey(done));
  const branch = jobOf({ ...native, result: { target: { mode: 'branch', baseRef: 'main' } } });
  const branch2 = jobOf({ ...native, result: { target: { mode: 'branch', baseRef: 'dev' } } });
  assert.notEqual(reviewSeriesKey(branch), reviewSeriesKey(branch2));
  const elsewhere = jobOf({ ...native, workspaceRoot: '/other' });
  assert.notEqual(reviewSeriesKey(elsewhere), reviewSeriesKey(done));
  assert.equal(reviewSeriesKey(jobOf(exampleRecord('task.ok.completed'))), undefined);
});

test('normalized titles and files', () => {
  assert.equal(normalizeTitle('[P1] Guard  against an EMPTY list!'), 'guard against an empty list');
  assert.equal(normalizeTitle('Café: résumé'), 'cafe resume');
  assert.equal(normalizeFile('/w/repo/src/a.ts', '/w/repo'), 'src/a.ts');
  assert.equal(normalizeFile('./src/a.ts', '/w/repo'), 'src/a.ts');
  assert.equal(normalizeFile('C:\\w\\repo\\src\\a.ts', 'C:\\w\\repo\\'), 'src/a.ts');
  assert.equal(normalizeFile(undefined), '');
});

/** Three native reviews of one working tree, as Codex renders them. */
const REVIEW_1 = `Three problems.

Full review comments:

- [P1] Guard against an empty list before indexing — /w/repo/src/app.ts:12-18
  \`items[0]\` throws on an empty response.

- [P2] Close the file handle on the error path — /w/repo/src/io.ts:40-44
  The handle leaks when \`read\` fails.

- [P2] Escape the user name in the HTML — /w/repo/src/view.ts:7-7
  An injected name runs script.`;

/** The empty-list fix landed (finding 1 gone); 12 lines were added above the handle leak; a new one. */
const REVIEW_2 = `Two problems remain and one is new.

Full review comments:

- [P2] Close the file handle on the error path — /w/repo/src/io.ts:52-56
  The handle leaks when \`read\` fails.

- [P2] Escape the user name in the HTML — /w/repo/src/view.ts:7-7
  An injected name runs script.

- [P1] Do not retry non-idempotent POST requests — /w/repo/src/http.ts:88-90
  A retried POST can charge twice.`;

/** Reworded and moved again, and the XSS finding not reported. */
const REVIEW_3 = `Review comment:

- [P1] File handle is not closed on the error path — /w/repo/src/io.ts:58-60
  Still leaking.`;

test('a series of three reviews: one fixed, one moved by 12 lines, one new', () => {
  const [r1, r2, r3] = [REVIEW_1, REVIEW_2, REVIEW_3].map((t) => parseNativeReviewText(t).findings);
  const c = compareReviews(r1, r2, { workspaceRoot: '/w/repo' });
  assert.deepEqual(
    c.current.map((x) => [x.finding.title, x.mark, x.label, x.lineShift ?? null]),
    [
      ['Close the file handle on the error path', 'still-open', 'still open', 12],
      ['Escape the user name in the HTML', 'still-open', 'still open', 0],
      ['Do not retry non-idempotent POST requests', 'new', 'new', null],
    ],
  );
  assert.deepEqual(
    c.fixed.map((x) => [x.finding.title, x.mark, x.label]),
    [['Guard against an empty list before indexing', 'fixed', 'not reported again']],
  );
  assert.deepEqual(c.counts, { new: 1, stillOpen: 2, fixed: 1 });
  assert.equal(c.current[0].previous, r1[1]);
  assert.equal(c.leftOut, 0);

  // Third review: the handle leak reworded and moved by 6 more lines is still open; XSS and the POST
  // retry are not reported again.
  const series = [
    { jobId: 'review-1', at: 1000, findings: r1 },
    { jobId: 'review-3', at: 3000, findings: r3 },
    { jobId: 'review-2', at: 2000, findings: r2 },
  ];
  const latest = compareLatest(series, { workspaceRoot: '/w/repo' })!;
  assert.equal(latest.newest, 'review-3');
  assert.equal(latest.previous, 'review-2');
  assert.deepEqual(
    latest.current.map((x) => [x.mark, x.lineShift]),
    [['still-open', 6]],
  );
  assert.deepEqual(
    latest.fixed.map((x) => x.finding.title),
    ['Escape the user name in the HTML', 'Do not retry non-idempotent POST requests'],
  );
  assert.equal(compareLatest(series.slice(0, 1)), undefined);
  assert.equal(SERIES_LABELS.fixed, 'not reported again');
});

test('matching is one-to-one: two identical findings against one, nearest lines win', () => {
  const prev = [f('Missing null check', 'a.ts', 100, 0)];
  const cur = [f('Missing null check', 'a.ts', 20, 0), f('Missing null check', 'a.ts', 104, 1)];
  const c = compareReviews(prev, cur);
  assert.deepEqual(
    c.current.map((x) => x.mark),
    ['new', 'still-open'],
  );
  assert.equal(c.fixed.length, 0);
});

test('same title in another file is another finding; a reworded title far away is new', () => {
  const prev = [f('Missing null check', 'a.ts', 10), f('Race on the cache map when two requests miss', 'b.ts', 10)];
  const cur = [f('Missing null check', 'c.ts', 10), f('Race on cache map when two requests miss at once', 'b.ts', 300)];
  const c = compareReviews(prev, cur);
  assert.deepEqual(
    c.current.map((x) => x.mark),
    ['new', 'new'],
  );
  assert.equal(c.fixed.length, 2);
  // Near, it is the same one reworded.
  const near = compareReviews(prev, [f('Race on cache map when two requests miss at once', 'b.ts', 25)]);
  assert.equal(near.current[0].mark, 'still-open');
});

test('a reworded finding follows the shift of the other findings of its file', () => {
  // Everything in a.ts moved down by 100 lines; the reworded one must be looked for there.
  const prev = [
    f('Alpha problem', 'a.ts', 10, 0),
    f('Beta problem', 'a.ts', 30, 1),
    f('Cache entries never expire', 'a.ts', 50, 2),
  ];
  const cur = [
    f('Alpha problem', 'a.ts', 110, 0),
    f('Beta problem', 'a.ts', 130, 1),
    f('Cache entries do not expire', 'a.ts', 151, 2),
  ];
  const c = compareReviews(prev, cur);
  assert.deepEqual(
    c.current.map((x) => [x.mark, x.lineShift]),
    [
      ['still-open', 100],
      ['still-open', 100],
      ['still-open', 101],
    ],
  );
});

test('absolute and relative paths of one file match; findings with no file match by title', () => {
  const c = compareReviews(
    [f('Leak', '/w/repo/src/a.ts', 3), f('General concern', undefined)],
    [f('Leak', 'src/a.ts', 3), f('General concern', undefined)],
    {
      workspaceRoot: '/w/repo',
    },
  );
  assert.deepEqual(
    c.current.map((x) => x.mark),
    ['still-open', 'still-open'],
  );
});

test('empty sides: all new, or all not reported again', () => {
  const some = [f('A', 'a.ts', 1), f('B', 'b.ts', 2)];
  assert.deepEqual(compareReviews([], some).counts, { new: 2, stillOpen: 0, fixed: 0 });
  assert.deepEqual(compareReviews(some, []).counts, { new: 0, stillOpen: 0, fixed: 2 });
  assert.deepEqual(compareReviews([], []).counts, { new: 0, stillOpen: 0, fixed: 0 });
});

test('hostile: 1,000 findings of one title in one file each side, and more than the limit', () => {
  const prev = Array.from({ length: 5000 }, (_, i) => f('Same title', 'a.ts', i * 3, i));
  const cur = Array.from({ length: 5000 }, (_, i) => f('Same title', 'a.ts', i * 3 + 12, i));
  const t0 = performance.now();
  const c = compareReviews(prev, cur);
  const ms = performance.now() - t0;
  assert.equal(c.current.length, 1000);
  assert.equal(c.leftOut, 8000);
  assert.equal(c.counts.new + c.counts.stillOpen, 1000);
  assert.equal(c.counts.stillOpen + c.counts.fixed, 1000);
  assert.ok(ms < 10_000, `took ${ms} ms`);
  console.log(`1,000 x 1,000 findings of one title compared in ${ms.toFixed(0)} ms`);
});

test('series from jobs: completed reviews grouped by target, newest first, compared', () => {
  const base = exampleRecord('review.ok.completed');
  const native = (id: string, completedAt: string, stdout: string) =>
    jobOf({
      ...base,
      id,
      workspaceRoot: '/w/repo',
      completedAt,
      result: { ...(base.result as object), codex: { status: 0, stderr: '', stdout } },
    });
  const jobs = [
    native('review-a-000001', '2026-11-24T01:00:00.000Z', REVIEW_1),
    native('review-c-000003', '2026-11-24T03:00:00.000Z', REVIEW_3),
    native('review-b-000002', '2026-11-24T02:00:00.000Z', REVIEW_2),
    // Another target, another reviewer, a running review, a task: not in the series.
    jobOf({
      ...base,
      id: 'review-d',
      workspaceRoot: '/w/repo',
      result: { target: { mode: 'branch', baseRef: 'main' } },
    }),
    jobOf(exampleRecord('adversarial-review.ok.completed')),
    jobOf(exampleRecord('review.ok.running')),
    jobOf(exampleRecord('task.ok.completed')),
  ];
  const groups = groupReviewSeries(jobs, (j) => anyReviewResultOf(j)?.findings);
  const series = groups.get(reviewSeriesKey(jobs[0])!)!;
  assert.deepEqual(
    series.map((r) => [r.jobId, r.findings.length]),
    [
      ['review-c-000003', 1],
      ['review-b-000002', 3],
      ['review-a-000001', 3],
    ],
  );
  assert.equal(groups.size, 3); // this series, the branch review, the adversarial review
  const c = compareLatest(series, { workspaceRoot: '/w/repo' })!;
  assert.equal(c.newest, 'review-c-000003');
  assert.deepEqual(c.counts, { new: 0, stillOpen: 1, fixed: 2 });
  // The adversarial review's findings come from its JSON.
  assert.equal(anyReviewResultOf(jobs[4])!.findings[0].title, 'Missing empty-state guard');
  assert.equal(anyReviewResultOf(jobs[6]), undefined);
});

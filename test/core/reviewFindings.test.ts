// Findings of either reviewer, parsed once per job, and the series index the editor shows marks from:
// three native reviews of one target, with a finding fixed, one moved by 12 lines and one new.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPlainText, isReadableReview, ReviewSeriesCache, reviewFindingsOf } from '../../src/core/io/reviewFindings';
import { exampleRecord, jobOf } from './featureHelpers';
import type { Job } from '../../src/core/vocab/types';
import { nativeReviewText } from '../fixtures/nativeReviews';

const WS = '/w/repo';

const nativeText = (entries: [string, string, number][]): string =>
  nativeReviewText(
    WS,
    entries.map(([prio, title, line]) => [prio, title, 'src/app.js', line]),
  );

function nativeReview(
  id: string,
  completedAt: string,
  entries: [string, string, number][],
  over: Record<string, unknown> = {},
): Job {
  const rec = exampleRecord('review.ok.completed');
  const text = nativeText(entries);
  return jobOf({
    ...rec,
    id,
    workspaceRoot: WS,
    completedAt,
    updatedAt: completedAt,
    result: { ...(rec.result as object), codex: { status: 0, stderr: '', stdout: text, reasoning: [] } },
    rendered: `# Codex Review\n\nTarget: working tree diff\n\n${text}\n`,
    ...over,
  });
}

const SERIES: [string, string, [string, string, number][]][] = [
  [
    'review-a',
    '2026-11-24T01:00:00.000Z',
    [
      ['P1', 'Unchecked null in the loader', 10],
      ['P2', 'Cache never evicts', 40],
    ],
  ],
  [
    'review-b',
    '2026-11-24T02:00:00.000Z',
    [
      ['P1', 'Unchecked null in the loader', 10],
      ['P2', 'Cache never evicts', 40],
      ['P3', 'Log line says the wrong file', 70],
    ],
  ],
  [
    'review-c',
    '2026-11-24T03:00:00.000Z',
    [
      // Fixed: "Unchecked null"; moved by 12 lines: the cache; new: the timeout.
      ['P2', 'Cache never evicts', 52],
      ['P1', 'Timeout is ignored on retry', 5],
      ['P3', 'Log line says the wrong file', 82],
    ],
  ],
];

const series = () => SERIES.map(([id, at, e]) => nativeReview(id, at, e));

test("a native review's findings are read once per job; a clean review is plain text with no findings", () => {
  const [a] = series();
  const r = reviewFindingsOf(a)!;
  assert.equal(r.findings.length, 2);
  assert.equal(r.findings[0].severity, 'high');
  assert.equal(r.findings[0].file, `${WS}/src/app.js`);
  assert.equal(reviewFindingsOf(a), r, 'the same object for the same job');
  const clean = nativeReview('review-clean', '2026-11-24T04:00:00.000Z', []);
  const c = reviewFindingsOf(clean)!;
  assert.equal(isPlainText(c), true);
  assert.equal(c.total, 0);
  assert.deepEqual(c.warnings, [], 'no warning noise for text');
  assert.equal(isReadableReview(clean), true);
  const task = jobOf(exampleRecord('task.ok.completed'));
  assert.equal(reviewFindingsOf(task), undefined);
  assert.equal(isReadableReview(task), false);
});

test('a series of three: each review compared with the one before it; new, still open, not reported again', () => {
  const jobs = series();
  const [a, b, c] = jobs;
  // Out of order, with a task between: the order of the list does not matter, the completion time does.
  const index = new ReviewSeriesCache().of([c, jobOf(exampleRecord('task.ok.completed')), a, b]);
  assert.deepEqual(
    index.newest.map((j) => j.id),
    ['review-c'],
  );
  assert.equal(index.compare(a), undefined, 'the first review has nothing to compare with');
  const bc = index.compare(b)!;
  assert.equal(bc.previous, a);
  assert.deepEqual(bc.counts, { new: 1, stillOpen: 2, fixed: 0 });
  const cc = index.compare(c)!;
  assert.equal(cc.previous, b);
  assert.deepEqual(
    cc.current.map((x) => [x.finding.title, x.label, x.lineShift]),
    [
      ['Cache never evicts', 'still open', 12],
      ['Timeout is ignored on retry', 'new', undefined],
      ['Log line says the wrong file', 'still open', 12],
    ],
  );
  assert.deepEqual(
    cc.fixed.map((x) => [x.finding.title, x.label]),
    [['Unchecked null in the loader', 'not reported again']],
  );
  assert.equal(index.placeOf(c)?.newest, true);
  assert.equal(index.placeOf(b)?.newest, false);
});

test('the index is rebuilt only when the completed reviews are other objects; other reviewers and targets are other series', () => {
  const cache = new ReviewSeriesCache();
  const jobs = series();
  const running = jobOf({ ...exampleRecord('task.ok.completed'), id: 'task-x', status: 'running' });
  const first = cache.of([...jobs, running]);
  assert.equal(cache.of([...jobs, running]), first, 'a new list with the same reviews: the same index');
  const moved = jobOf({ ...exampleRecord('task.ok.completed'), id: 'task-x', status: 'running' });
  assert.equal(cache.of([...jobs, moved]), first, 'a running job changed: the same index');
  const again = nativeReview(...SERIES[2]);
  const second = cache.of([jobs[0], jobs[1], again]);
  assert.notEqual(second, first, 'a review changed: a new index');
  assert.equal(second.placeOf(jobs[2]), undefined, 'a job object the index was not made from has no place');
  assert.ok(second.compare(again));

  const branch = nativeReview(
    'review-branch',
    '2026-11-24T05:00:00.000Z',
    [['P1', 'Unchecked null in the loader', 10]],
    {
      summary: 'Review branch diff against main',
      result: {
        review: 'Review',
        target: { mode: 'branch', label: 'branch diff against main', baseRef: 'main' },
        codex: { stdout: nativeText([['P1', 'Unchecked null in the loader', 10]]) },
      },
    },
  );
  const both = cache.of([...jobs, branch]);
  assert.deepEqual(both.newest.map((j) => j.id).sort(), ['review-branch', 'review-c']);
  assert.equal(both.compare(branch), undefined, 'the first of its own series');
});

test('hostile: ids with ../, a review of 100,000 findings, a series of 300 reviews', () => {
  const big: [string, string, number][] = Array.from({ length: 100_000 }, (_, i) => [
    'P2',
    `Finding number ${i}`,
    (i % 5000) + 1,
  ]);
  // The reader refuses such ids in a record; a job made otherwise (the archive) still groups by its key.
  const a = { ...nativeReview('review-big1', '2026-11-24T01:00:00.000Z', big.slice(0, 2000)), id: '../../etc/passwd' };
  const b = { ...nativeReview('review-big2', '2026-11-24T02:00:00.000Z', big), id: '..\\x' };
  let t0 = performance.now();
  const index = new ReviewSeriesCache().of([a, b]);
  const cmp = index.compare(b)!;
  const ms = performance.now() - t0;
  assert.equal(reviewFindingsOf(b)!.total, 100_000);
  assert.equal(reviewFindingsOf(b)!.findings.length, 1000, 'at most MAX_FINDINGS kept');
  assert.equal(cmp.counts.stillOpen, 1000);
  assert.ok(ms < 5000, `${ms} ms`);
  console.log(`100,000-finding review parsed and compared in ${ms.toFixed(0)} ms`);

  const many = Array.from({ length: 300 }, (_, i) =>
    nativeReview(`review-${i}`, new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(), [
      ['P2', `Issue ${i % 7}`, 10 + i],
    ]),
  );
  t0 = performance.now();
  const idx = new ReviewSeriesCache().of(many);
  const built = performance.now() - t0;
  assert.equal(idx.newest.length, 1);
  assert.equal(idx.newest[0].id, 'review-299');
  assert.equal(idx.compare(many[299])!.previous.id, 'review-298');
  assert.ok(built < 2000, `${built} ms`);
});

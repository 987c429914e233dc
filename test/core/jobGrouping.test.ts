// How the Jobs view arranges jobs: Hide Finished, the four groupings (status, session, date, none),
// the four orders, group keys that stay the same across refreshes, and stored filters read back.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  applyPreset,
  dateBucketOf,
  groupJobs,
  isDefaultFilter,
  isFiltering,
  NO_FILTER,
  placeOf,
  sanitizeFilter,
  sortJobs,
  visibleJobs,
  type GroupBy,
  type JobBucket,
  type SortBy,
} from '../../src/ui/jobGrouping';
import type { DerivedStatus, Job, JobFlag } from '../../src/core/vocab/types';
import { jobOf } from './featureHelpers';

// Tuesday 24 November 2026, 15:00 local: the day boundaries are the local ones, as in the view.
const NOW = new Date(2026, 10, 24, 15, 0, 0).getTime();
const at = (day: number, h: number, m = 0) => new Date(2026, 10, day, h, m, 0).toISOString();
const S1 = 'ae66e01d-afa4-452e-9b61-b0d0412ac382';
const S2 = '5b1c9f00-0000-4000-8000-000000000002';

function job(
  id: string,
  status: DerivedStatus,
  o: { session?: string; started?: string; prompt: string; flags?: JobFlag[] },
): Job {
  const recorded = status === 'stale' || status === 'stalled' ? 'running' : status;
  const j = jobOf(
    {
      id,
      kind: 'task',
      kindLabel: 'rescue',
      title: 'Codex Task',
      status: recorded,
      request: { prompt: o.prompt },
      ...(o.session ? { sessionId: o.session } : {}),
      ...(o.started ? { createdAt: o.started, startedAt: o.started } : {}),
    },
    { status },
  );
  return { ...j, flags: o.flags ?? [] };
}

// One job of each kind of place: live, needing attention, finished; today, yesterday, this week,
// older and undated; two sessions and none.
const RUN = job('task-run', 'running', { session: S1, started: at(24, 14), prompt: 'Migrate the archive' });
const FAIL = job('task-fail', 'failed', { session: S1, started: at(24, 10), prompt: 'add a --json flag' });
const STALE = job('task-stale', 'stale', { session: S2, started: at(23, 9), prompt: 'Upgrade TypeScript' });
const DONE = job('task-done', 'completed', { started: at(20, 16), prompt: 'Bump chokidar' });
const CANC = job('task-canc', 'cancelled', { session: S2, started: at(1, 8), prompt: 'Split the settings page' });
const QUEUED = job('task-queued', 'queued', { session: S1, prompt: 'Profile the slow startup' });
// Finished, but a flag that needs attention: Hide Finished keeps it.
const UNINDEXED = job('task-unidx', 'completed', {
  started: at(24, 12),
  prompt: 'Recovered output',
  flags: ['unindexed'],
});
const ALL = [RUN, FAIL, STALE, DONE, CANC, QUEUED, UNINDEXED];

const ids = (jobs: readonly Job[]) => jobs.map((j) => j.id.replace('task-', ''));
const shape = (buckets: JobBucket[]) => buckets.map((b) => [b.key, b.label, ids(b.jobs)]);
const arrange = (groupBy: GroupBy, sortBy: SortBy = 'newest', jobs = ALL, now = NOW) =>
  groupJobs(jobs, { groupBy, sortBy }, { now });

test('Hide Finished hides finished jobs that need nothing, and only those; it is a filter', () => {
  const f = { ...NO_FILTER, hideFinished: true };
  assert.ok(isFiltering(f));
  assert.deepEqual(ids(visibleJobs(f, ALL)), ['run', 'stale', 'queued', 'unidx']);
  // It hides from the view: the list it was given is untouched.
  assert.equal(ALL.length, 7);
  // With a status filter too, both apply.
  assert.deepEqual(ids(visibleJobs({ ...f, groups: ['running'] }, ALL)), ['run', 'queued']);
  assert.deepEqual(ids(visibleJobs(NO_FILTER, ALL)), ids(ALL));
});

test('group by status: Needs attention, Running, Recent, newest first inside each', () => {
  assert.deepEqual(shape(arrange('status')), [
    ['attention', 'Needs attention', ['unidx', 'stale']],
    ['running', 'Running', ['run', 'queued']],
    ['recent', 'Recent', ['fail', 'done', 'canc']],
  ]);
  // Empty groups are left out.
  assert.deepEqual(
    arrange('status', 'newest', [RUN]).map((b) => b.key),
    ['running'],
  );
});

test('group by session: newest session first, labelled by its short id and when it started; No session last', () => {
  assert.deepEqual(shape(arrange('session')), [
    // S1's first job started today at 10:00 (the queued one has no time yet and sorts last).
    [`session:id:${S1}`, 'Session ae66e01d · started today 10:00', ['run', 'fail', 'queued']],
    [`session:id:${S2}`, 'Session 5b1c9f00 · started Nov 1', ['stale', 'canc']],
    ['session:none', 'No session', ['unidx', 'done']],
  ]);
  // A session whose only job has no time says no time.
  assert.deepEqual(shape(arrange('session', 'newest', [QUEUED])), [
    [`session:id:${S1}`, 'Session ae66e01d', ['queued']],
  ]);
  // Yesterday's session reads "yesterday", not "N hours ago": the label changes only at midnight.
  assert.equal(arrange('session', 'newest', [STALE])[0].label, 'Session 5b1c9f00 · started yesterday 09:00');
});

test('group by date: Today, Yesterday, This week, Older, by start time; undated last', () => {
  assert.deepEqual(shape(arrange('date')), [
    ['date:today', 'Today', ['run', 'unidx', 'fail']],
    ['date:yesterday', 'Yesterday', ['stale']],
    ['date:week', 'This week', ['done']],
    ['date:older', 'Older', ['canc']],
    ['date:unknown', 'Date unknown', ['queued']],
  ]);
  // The week is the five days before yesterday, the days a row names by weekday.
  assert.equal(dateBucketOf(new Date(2026, 10, 18, 0, 0).getTime(), NOW), 'week');
  assert.equal(dateBucketOf(new Date(2026, 10, 17, 23, 59).getTime(), NOW), 'older');
  assert.equal(dateBucketOf(new Date(2026, 10, 24, 0, 0).getTime(), NOW), 'today');
  assert.equal(dateBucketOf(new Date(2026, 10, 23, 23, 59).getTime(), NOW), 'yesterday');
  assert.equal(dateBucketOf(NOW + 3_600_000, NOW), 'today', 'a clock ahead of ours is today');
});

test('group by none: one list with no group row', () => {
  assert.deepEqual(shape(arrange('none')), [['', '', ['run', 'unidx', 'fail', 'stale', 'done', 'canc', 'queued']]]);
  assert.deepEqual(arrange('none', 'newest', []), []);
});

test('every order, inside every group', () => {
  assert.deepEqual(ids(sortJobs(ALL, 'newest')), ['run', 'unidx', 'fail', 'stale', 'done', 'canc', 'queued']);
  assert.deepEqual(ids(sortJobs(ALL, 'oldest')), ['canc', 'done', 'stale', 'fail', 'unidx', 'run', 'queued']);
  // Needs attention, then live, then finished; newest first among equals.
  assert.deepEqual(ids(sortJobs(ALL, 'status')), ['unidx', 'stale', 'run', 'queued', 'fail', 'done', 'canc']);
  // By the row's label ("rescue: …"), A to Z whatever the case.
  assert.deepEqual(ids(sortJobs(ALL, 'name')), ['fail', 'done', 'run', 'queued', 'unidx', 'canc', 'stale']);
  // The order applies inside each group, the groups keep theirs.
  assert.deepEqual(shape(arrange('status', 'oldest')), [
    ['attention', 'Needs attention', ['stale', 'unidx']],
    ['running', 'Running', ['run', 'queued']],
    ['recent', 'Recent', ['canc', 'done', 'fail']],
  ]);
  assert.deepEqual(
    arrange('date', 'name').map((b) => ids(b.jobs)),
    [['fail', 'run', 'unidx'], ['stale'], ['done'], ['canc'], ['queued']],
  );
  assert.deepEqual(
    arrange('session', 'status').map((b) => ids(b.jobs)),
    [
      ['run', 'queued', 'fail'],
      ['stale', 'canc'],
      ['unidx', 'done'],
    ],
  );
});

test('group keys hold no time and no count: the same groups keep their ids as time passes and jobs change', () => {
  for (const by of ['status', 'session', 'date', 'none'] as GroupBy[]) {
    const before = arrange(by).map((b) => b.key);
    // Later the same day, with the running job finished and one job fewer.
    const done = { ...RUN, status: 'completed' as const };
    const after = arrange(by, 'newest', [done, ...ALL.slice(1, -1)], NOW + 3_600_000).map((b) => b.key);
    for (const k of after) assert.ok(before.includes(k), `${by}: ${k} is one of ${before.join(', ')}`);
    for (const k of before)
      assert.match(
        k,
        /^(attention|running|recent|session:id:[-\w]+|session:none|date:(today|yesterday|week|older|unknown)|)$/,
      );
  }
});

test("a job's place: unchanged by a new log line, changed by what moves its row", () => {
  const f = { sortBy: 'newest' as const };
  const logged = { ...RUN, log: { ...RUN.log, progress: [{ text: 'Running command: npm test' }] } };
  assert.equal(placeOf(logged, f), placeOf(RUN, f));
  assert.notEqual(placeOf({ ...RUN, status: 'completed' }, f), placeOf(RUN, f), 'finished: another group');
  assert.notEqual(placeOf({ ...RUN, status: 'queued' }, f), placeOf(RUN, f), 'the Running group counts it anew');
  const renamed = { ...RUN, display: { ...RUN.display, request: { prompt: 'Another prompt' } }, record: undefined };
  assert.equal(placeOf(renamed, f), placeOf(RUN, f), 'a new label moves nothing when sorted by time');
  assert.notEqual(placeOf(renamed, { sortBy: 'name' }), placeOf(RUN, { sortBy: 'name' }), 'but does by name');
  const moved = { ...RUN, display: { ...RUN.display, sessionId: S2 } };
  assert.notEqual(placeOf(moved, f), placeOf(RUN, f), 'another session');
});

test('a stored filter is read back valid: old values keep their meaning, grouping defaults to status', () => {
  // What the version before grouping stored.
  assert.deepEqual(sanitizeFilter({ groups: ['running'], kinds: ['review'], latestSession: true }), {
    groups: ['running'],
    kinds: ['review'],
    latestSession: true,
    hideFinished: false,
    groupBy: 'status',
    sortBy: 'newest',
  });
  assert.deepEqual(sanitizeFilter(undefined), NO_FILTER);
  assert.deepEqual(sanitizeFilter('junk'), NO_FILTER);
  assert.deepEqual(
    sanitizeFilter({
      groups: ['running', 'running', 'bogus', 3],
      kinds: 'review',
      hideFinished: 'yes',
      groupBy: 'planet',
      sortBy: { x: 1 },
    }),
    { ...NO_FILTER, groups: ['running'] },
  );
  assert.deepEqual(sanitizeFilter({ hideFinished: true, groupBy: 'session', sortBy: 'name' }), {
    ...NO_FILTER,
    hideFinished: true,
    groupBy: 'session',
    sortBy: 'name',
  });
});

test('grouping and sorting hide nothing: not a filter, but remembered; a preset or Clear keeps them', () => {
  const grouped = { ...NO_FILTER, groupBy: 'date' as const, sortBy: 'oldest' as const };
  assert.ok(!isFiltering(grouped));
  assert.ok(!isDefaultFilter(grouped), 'still worth remembering');
  assert.ok(isDefaultFilter(NO_FILTER));
  const filtered = { ...grouped, groups: ['running' as const], hideFinished: true };
  assert.deepEqual(applyPreset(filtered, {}), grouped, 'Clear Filter shows every job, still by date');
  assert.deepEqual(applyPreset(filtered, { kinds: ['review'] }), { ...grouped, kinds: ['review'] });
  assert.deepEqual(applyPreset(filtered, { groupBy: 'session' }), { ...grouped, groupBy: 'session' });
});

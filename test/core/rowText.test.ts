// Row texts (label, description, accessibility) from records shaped like the companion's own
// (/work/shared/companion-examples): a person tells jobs apart by what they are about and when.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ageBadge, firstLine, relativeTime, rowText, summaryOf } from '../../src/core/vocab/format';
import { ALL_STATUSES, FLAGS, STATUS } from '../../src/core/vocab/status';
import { canMarkFailed, countJobs, groupOf } from '../../src/core/vocab/classify';
import type { DerivedStatus, Job, JobFields } from '../../src/core/vocab/types';

const NOW = new Date(2026, 10, 24, 15, 0, 0).getTime(); // local time, so the day boundaries are local too
const at = (h: number, m: number, day = 24) => new Date(2026, 10, day, h, m, 0).toISOString();

function job(rec: Partial<JobFields> & { id: string }, status: DerivedStatus, index: Partial<JobFields> = {}): Job {
  const record = { raw: {}, ...rec } as JobFields;
  return {
    id: rec.id,
    stateDir: '/state/repo-0c8fef556cf875ce',
    record,
    index: { ...record, ...index },
    display: { ...record, ...index },
    recordedStatus: rec.status,
    status,
    flags: [],
    logPath: '',
    recordPath: '',
    log: { exists: true, progress: [] },
  };
}

const task = (id: string, prompt: string, status: DerivedStatus, extra: Partial<JobFields> = {}) =>
  job(
    {
      id,
      kind: 'task',
      kindLabel: 'rescue',
      title: 'Codex Task',
      summary: prompt.slice(0, 96),
      request: { prompt, model: 'gpt-5-codex', effort: 'high' },
      status: status === 'stale' || status === 'pid-reused' || status === 'running' ? 'running' : (status as never),
      createdAt: at(14, 2),
      startedAt: at(14, 2),
      ...extra,
    },
    status,
  );

test('three rescue tasks and three reviews no longer read alike', () => {
  const jobs = [
    task('task-a', 'Fix the flaky reader test on CI\nIt fails one run in ten.', 'completed', {
      completedAt: at(14, 5),
    }),
    task('task-b', 'Add a --json flag to status', 'failed', {
      completedAt: at(14, 3),
      errorMessage: 'turn/start failed: rate limited\nretry later',
    }),
    task('task-c', 'Bump chokidar', 'stale'),
    job(
      {
        id: 'review-a',
        kind: 'review',
        kindLabel: 'review',
        title: 'Codex Review',
        summary: 'Review working tree diff',
        status: 'completed',
        startedAt: at(9, 30),
        completedAt: at(9, 31),
      },
      'completed',
      // The companion replaces the index's summary with the output's first line on completion.
      { summary: 'Reviewed uncommitted changes.' },
    ),
    job(
      {
        id: 'review-b',
        kind: 'review',
        kindLabel: 'review',
        title: 'Codex Review',
        summary: 'Review branch main…HEAD',
        status: 'running',
        startedAt: at(14, 57),
      },
      'pid-reused',
    ),
    job(
      {
        id: 'review-c',
        kind: 'adversarial-review',
        kindLabel: 'adversarial-review',
        title: 'Codex Adversarial Review',
        summary: 'Adversarial Review working tree diff',
        status: 'cancelled',
        startedAt: at(18, 0, 23),
        cancelledAt: at(18, 1, 23),
        errorMessage: 'Cancelled by user.',
      },
      'cancelled',
    ),
  ];
  const rows = jobs.map((j) => rowText(j, NOW));
  assert.equal(new Set(rows.map((r) => r.label)).size, jobs.length, rows.map((r) => r.label).join(' | '));
  assert.deepEqual(
    rows.map((r) => r.label),
    [
      'rescue: Fix the flaky reader test on CI',
      'rescue: Add a --json flag to status',
      'rescue: Bump chokidar',
      'review: working tree diff',
      'review: branch main…HEAD',
      'adversarial: working tree diff',
    ],
  );
  assert.equal(rows[0].description, 'completed · 58 min ago · 3m 00s');
  assert.equal(rows[1].description, 'failed · 58 min ago · turn/start failed: rate limited');
  assert.equal(rows[2].description, 'stale · 58 min ago');
  assert.equal(rows[3].description, 'completed · today 09:30 · 1m 00s');
  assert.equal(rows[4].description, 'pid reused · 3 min ago');
  assert.equal(rows[5].description, 'cancelled · yesterday 18:00 · 1m 00s', 'a cancel is not an error');
  assert.equal(
    rows[1].accessibility,
    'failed rescue job: Add a --json flag to status, started 58 min ago, error: turn/start failed: rate limited',
  );
});

test('a running job says how long it has run; its row has the status word', () => {
  const r = rowText(task('task-r', 'Migrate the archive', 'running'), NOW);
  assert.equal(r.description, 'running · 58 min ago · 58m 00s');
  assert.match(r.accessibility, /^running rescue job: Migrate the archive, started 58 min ago, running for 58m 00s$/);
});

test('every status has a word in its row, and flags words where they matter', () => {
  for (const s of ALL_STATUSES) {
    const r = rowText(task('task-s', 'x', s), NOW);
    assert.ok(r.description.startsWith(STATUS[s].word), `${s}: ${r.description}`);
    assert.ok(r.accessibility.startsWith(STATUS[s].word), `${s}: ${r.accessibility}`);
  }
  const j = task('task-u', 'x', 'completed');
  j.flags = ['unindexed', 'log-only'];
  assert.match(rowText(j, NOW).description, / · unindexed · log only$/);
  for (const f of Object.keys(FLAGS)) assert.ok(FLAGS[f as keyof typeof FLAGS].text.length > 0, f);
});

test('relative times', () => {
  assert.equal(relativeTime(NOW - 20_000, NOW), 'just now');
  assert.equal(relativeTime(NOW - 3 * 60_000, NOW), '3 min ago');
  assert.equal(relativeTime(new Date(2026, 10, 24, 1, 5).getTime(), NOW), 'today 01:05');
  assert.equal(relativeTime(new Date(2026, 10, 23, 14, 5).getTime(), NOW), 'yesterday 14:05');
  assert.equal(relativeTime(new Date(2026, 10, 20, 8, 0).getTime(), NOW), 'Fri 08:00');
  assert.equal(relativeTime(new Date(2026, 9, 2, 8, 0).getTime(), NOW), 'Oct 2');
  assert.equal(relativeTime(new Date(2025, 9, 2, 8, 0).getTime(), NOW), 'Oct 2 2025');
});

test('summaries: the record wins over the rewritten index; missing fields fall back', () => {
  const j = job({ id: 'task-x', kind: 'task', summary: 'the prompt', status: 'completed' }, 'completed', {
    summary: 'Handled the requested task.',
  });
  assert.equal(summaryOf(j), 'the prompt');
  const bare = job({ id: 'review-y' }, 'unknown');
  delete bare.record;
  bare.display = { id: 'review-y', raw: {} };
  assert.equal(summaryOf(bare), 'review-y');
  assert.equal(firstLine('\n\n  second  \nthird'), 'second');
  assert.equal(firstLine('x'.repeat(200), 10), `${'x'.repeat(9)}…`);
});

test('groups and counts read the status table', () => {
  const live = (s: DerivedStatus) => task('task-l', 'x', s);
  assert.equal(groupOf(live('stalled')), 'attention');
  assert.equal(groupOf(live('unverified')), 'running');
  assert.equal(groupOf(live('completed')), 'recent');
  assert.deepEqual(
    countJobs(
      ['running', 'queued', 'stalled', 'unverified', 'stale', 'completed'].map((s) => live(s as DerivedStatus)),
    ),
    { total: 6, running: 2, queued: 1, attention: 2 },
  );
});

test('Mark as Failed applies to a gone process, never over a record that says it finished', () => {
  assert.ok(canMarkFailed(task('task-a', 'x', 'stale')));
  assert.ok(canMarkFailed(task('task-b', 'x', 'pid-reused')));
  assert.ok(!canMarkFailed(task('task-c', 'x', 'stale', { status: 'completed' })), 'its result is kept');
  assert.ok(!canMarkFailed(task('task-d', 'x', 'running')));
});

test('age badges fit in two characters and never say more than the truth', () => {
  const ago = (ms: number) => ageBadge(NOW - ms, NOW);
  assert.equal(ago(5_000), '0m');
  assert.equal(ago(4 * 60_000), '4m');
  // 11, 45 and 89 minutes: never rounded up to an hour.
  assert.equal(ago(11 * 60_000 + 1_000), '11');
  assert.equal(ago(45 * 60_000), '45');
  assert.equal(ago(59 * 60_000 + 59_000), '59');
  assert.equal(ago(89 * 60_000), '1h');
  assert.equal(ago(3 * 3_600_000), '3h');
  assert.equal(ago(11 * 3_600_000), '9h');
  assert.equal(ago(17 * 3_600_000), '½d');
  assert.equal(ago(47 * 3_600_000), '1d');
  assert.equal(ago(3 * 86_400_000), '3d');
  assert.equal(ago(30 * 86_400_000), '4w');
  assert.equal(ago(400 * 86_400_000), '9w');
  const lowerBound: Record<string, number> = { m: 1, h: 60, d: 1440, w: 10080 };
  for (let m = 0; m < 500 * 24 * 60; m += 37) {
    const b = ago(m * 60_000);
    assert.ok(b.length <= 2, `${m} min`);
    const said = b === '½d' ? 720 : /^\d+$/.test(b) ? Number(b) : Number(b.slice(0, -1)) * lowerBound[b.slice(-1)];
    assert.ok(said <= m, `${m} min shown as ${b}`);
  }
});

test('relative times: other years say their year (0, 1900, 275760), a time that is none says so', () => {
  const year0 = new Date(2026, 0, 1, 12, 0);
  year0.setFullYear(0);
  assert.equal(relativeTime(year0.getTime(), NOW), 'Jan 1 0000');
  assert.equal(relativeTime(new Date(1900, 5, 1, 12, 0).getTime(), NOW), 'Jun 1 1900');
  assert.match(relativeTime(8.64e15, NOW), / 27576\d$/);
  for (const ms of [NaN, Infinity, 9e15]) assert.equal(relativeTime(ms, NOW), 'unknown time');
  // A record's time that is not a plausible moment is no start: no "Jan 1 0000" in the row.
  const y0 = '0000-01-01T00:00:00.000Z';
  const r = rowText(task('task-mwu9a001-yr0000', 'a prompt', 'completed', { createdAt: y0, startedAt: y0 }), NOW);
  assert.equal(r.description, 'completed');
});

test('on two folders the three counts agree: the status bar sums the folders, the badge is the Running groups', () => {
  const folderA = (['running', 'queued', 'stalled', 'completed'] as DerivedStatus[]).map((s, i) =>
    task(`task-a${i}`, 'a', s),
  );
  const folderB = (['unverified', 'stale', 'queued', 'failed'] as DerivedStatus[]).map((s, i) =>
    task(`task-b${i}`, 'b', s),
  );
  const all = countJobs([...folderA, ...folderB]);
  const a = countJobs(folderA);
  const b = countJobs(folderB);
  // The status bar counts every folder; each folder row and its groups count their own.
  assert.deepEqual(all, {
    total: a.total + b.total,
    running: a.running + b.running,
    queued: a.queued + b.queued,
    attention: a.attention + b.attention,
  });
  const runningGroups = [...folderA, ...folderB].filter((j) => groupOf(j) === 'running').length;
  const attentionGroups = [...folderA, ...folderB].filter((j) => groupOf(j) === 'attention').length;
  assert.equal(all.running + all.queued, runningGroups, 'the badge is the Running groups');
  assert.equal(all.attention, attentionGroups, 'a stalled job is counted once, needing attention');
  assert.deepEqual(all, { total: 8, running: 2, queued: 2, attention: 2 });
});

// One job time and one sort order: a snapshot's jobs (reconcile) are in the order every list shows.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { reconcile } from '../../src/core/state/reconcile';
import { jobTime, newestFirst } from '../../src/core/vocab/jobTime';
import type { JobFields } from '../../src/core/vocab/types';

const fields = (id: string, f: Partial<JobFields>): JobFields => ({ id, status: 'completed', raw: { id }, ...f });

test("a job's time is the first of updatedAt, completedAt, startedAt, createdAt that parses, else its record's mtime", () => {
  const records = new Map([
    // Updated long ago, its record file written just now: the updatedAt counts, not the mtime.
    ['old', { fields: fields('old', { updatedAt: '2026-01-01T00:00:00.000Z' }), mtimeMs: Date.parse('2026-06-01') }],
    ['mid', { fields: fields('mid', { completedAt: '2026-03-01T00:00:00.000Z' }) }],
    ['bare', { fields: fields('bare', {}), mtimeMs: Date.parse('2026-02-01') }],
  ]);
  const jobs = reconcile({ stateDir: '/s', records, logs: new Map() });
  assert.deepEqual(
    jobs.map((j) => j.id),
    ['mid', 'bare', 'old'],
  );
  assert.equal(jobTime(jobs[2]), Date.parse('2026-01-01T00:00:00.000Z'));
  assert.deepEqual(newestFirst([...jobs].reverse()), jobs, 'the same order from any order');
});

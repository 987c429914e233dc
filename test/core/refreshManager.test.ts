// The one refresh owner: requests within the debounce window share one run, each run keeps its
// reasons, a target whose view is hidden waits until shown, and `now` folds in what was pending.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { RefreshManager, type RefreshTarget } from '../../src/ui/refreshManager';

function setup(visible = { others: true }) {
  const runs: RefreshTarget[] = [];
  const run = (t: RefreshTarget) => async () => void runs.push(t);
  const m = new RefreshManager(
    {
      run: { jobs: run('jobs'), verify: run('verify'), brokers: run('brokers'), others: run('others') },
      visible: { others: () => visible.others },
    },
    () => {},
    20,
  );
  return { m, runs, visible };
}

const settle = (ms = 80) => new Promise((r) => setTimeout(r, ms));

test('a burst of requests is one run per target, with every reason', async () => {
  const { m, runs } = setup();
  for (let i = 0; i < 50; i++) m.request('jobs', i % 2 ? 'settings changed' : 'folders changed');
  m.request('brokers', 'jobs model rebuilt');
  await settle();
  assert.deepEqual(runs.sort(), ['brokers', 'jobs']);
  const jobs = m.history.find((h) => h.target === 'jobs')!;
  assert.deepEqual([...jobs.reasons].sort(), ['folders changed', 'settings changed']);
  m.dispose();
});

test('a hidden view defers its target until it is shown', async () => {
  const { m, runs, visible } = setup({ others: false });
  m.request('others', 'jobs model rebuilt');
  await settle();
  assert.deepEqual(runs, []);
  visible.others = true;
  m.shown('others');
  await settle();
  assert.deepEqual(runs, ['others']);
  m.shown('others');
  await settle();
  assert.deepEqual(runs, ['others'], 'shown again with nothing waiting: no run');
  m.dispose();
});

test('now() runs at once and takes over what was pending', async () => {
  const { m, runs } = setup();
  m.request('jobs', 'file event');
  await m.now('jobs', 'Refresh command');
  assert.deepEqual(runs, ['jobs']);
  assert.deepEqual(m.history[0].reasons, ['file event', 'Refresh command']);
  await settle();
  assert.deepEqual(runs, ['jobs'], 'the pending request was folded in, not run again');
  m.dispose();
});

test('after dispose nothing runs', async () => {
  const { m, runs } = setup();
  m.request('jobs', 'late');
  m.dispose();
  await settle();
  assert.deepEqual(runs, []);
});

test('every trigger goes through it: now() gives what the run gave, a quiet run is counted not logged, batches go on at once', async () => {
  const logged: string[] = [];
  const batches: unknown[] = [];
  const m = new RefreshManager(
    {
      run: {
        jobs: async () => undefined,
        verify: async () => undefined,
        brokers: async () => ({ entries: ['a fresh scan'] }),
        others: async () => undefined,
      },
      files: async (b) => void batches.push(b),
    },
    (line) => logged.push(line),
    20,
  );
  assert.deepEqual(await m.now('brokers', 'stop broker: a fresh scan'), { entries: ['a fresh scan'] });
  await m.now('verify', 're-verify timer', { quiet: true });
  await m.now('verify', 're-verify timer', { quiet: true });
  assert.equal(m.quietRuns.get('re-verify timer'), 2);
  assert.deepEqual(
    m.history.map((h) => h.target),
    ['brokers'],
  );
  assert.deepEqual(logged, ['refresh brokers: stop broker: a fresh scan']);
  const batch = { dirs: new Map(), layout: false };
  await m.files(batch);
  assert.deepEqual(batches, [batch]);
  m.dispose();
  await m.files(batch);
  assert.equal(batches.length, 1, 'after dispose nothing goes on');
});

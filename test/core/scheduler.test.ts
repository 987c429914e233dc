// The model's one work queue and its one coalescing rule (src/core/model/scheduler.ts).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { WorkQueue } from '../../src/core/model/scheduler';
import type { ChangeBatch, StateDirChange } from '../../src/core/state/watcher';

const change = (jobs: string[], records?: string[]): StateDirChange => ({
  index: false,
  broker: false,
  jobs: new Set(jobs),
  records: records && new Set(records),
  rescan: false,
});
const batch = (dir: string, c: StateDirChange): ChangeBatch => ({ dirs: new Map([[dir, c]]), layout: false });

/** A task that waits for `release` before it ends, so that what is queued meanwhile waits. */
function gate(): { wait: Promise<void>; release: () => void } {
  let release = () => {};
  const wait = new Promise<void>((r) => (release = r));
  return { wait, release };
}

test('a task asked for while one of its kind and key waits joins it; a started one is never joined', async () => {
  const q = new WorkQueue((err) => assert.fail(String(err)));
  const ran: string[] = [];
  const first = gate();
  const running = q.add('refresh', '', async () => {
    ran.push('refresh 1');
    await first.wait;
  });
  await new Promise((r) => setImmediate(r));
  // The first refresh has started: a second one is queued behind it, and a third joins the second.
  const second = q.add('refresh', '', async () => void ran.push('refresh 2'));
  const third = q.add('refresh', '', async () => void ran.push('refresh 3'));
  assert.equal(second, third);
  const a = q.add('archived', '/a', async () => void ran.push('archived /a'));
  const b = q.add('archived', '/b', async () => void ran.push('archived /b'));
  assert.notEqual(a, b, 'another key is another task');
  first.release();
  await Promise.all([running, second, a, b]);
  assert.deepEqual(ran, ['refresh 1', 'refresh 2', 'archived /a', 'archived /b']);
});

test('batches that wait merge into one, and the batches handed in are not changed', async () => {
  const q = new WorkQueue((err) => assert.fail(String(err)));
  const seen: ChangeBatch[] = [];
  const first = gate();
  void q.add('verify', '', () => first.wait);
  const one = batch('/s', change(['a'], ['a']));
  const two = batch('/s', change(['b']));
  const three = batch('/t', change(['c'], ['c']));
  const p1 = q.addBatch(one, async (b) => void seen.push(b));
  const p2 = q.addBatch(two, async (b) => void seen.push(b));
  const p3 = q.addBatch(three, async (b) => void seen.push(b));
  assert.equal(p1, p2);
  assert.equal(p2, p3);
  first.release();
  await p3;
  assert.equal(seen.length, 1);
  const s = seen[0].dirs.get('/s')!;
  assert.deepEqual([...s.jobs].sort(), ['a', 'b']);
  assert.equal(s.records, undefined, 'one side reading every record: every record is read');
  assert.deepEqual([...seen[0].dirs.get('/t')!.jobs], ['c']);
  assert.deepEqual([...one.dirs.get('/s')!.jobs], ['a']);
  assert.deepEqual([...one.dirs.get('/s')!.records!], ['a']);
  assert.equal(one.dirs.size, 1);
});

test('a refresh that starts takes over the batch waiting behind it; a stopped queue starts nothing', async () => {
  const q = new WorkQueue((err) => assert.fail(String(err)));
  const ran: string[] = [];
  const first = gate();
  void q.add('verify', '', () => first.wait);
  const refresh = q.add('refresh', '', async () => {
    q.drop('files');
    ran.push('refresh');
  });
  const files = q.addBatch(batch('/s', change(['a'])), async () => void ran.push('files'));
  first.release();
  await Promise.all([refresh, files]);
  assert.deepEqual(ran, ['refresh']);
  q.stop();
  await q.add('verify', '', async () => void ran.push('verify'));
  assert.deepEqual(ran, ['refresh']);
});

// The archive never changes an entry it has handed out: every change is a new entry in the old
// one's place, and a change event says which entries changed, before and after. Its one work queue
// lets the newest of waiting work of a key replace the older.
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as path from 'path';
import { changesGone, JobArchive, type ArchiveChange } from '../../src/core/archive/archive';
import { WorkQueue } from '../../src/core/archive/scheduler';
import { freezing } from '../../src/core/vocab/freeze';
import { jobWithLog, sandbox, type Sandbox } from './helpers';

describe('archive entries handed out', () => {
  let sb: Sandbox;
  let a: JobArchive;
  beforeEach(async () => {
    sb = await sandbox();
    await fs.mkdir(path.join(sb.stateDir, 'jobs'), { recursive: true });
    a = new JobArchive(path.join(sb.tmp, 'archive'));
  });
  afterEach(async () => {
    await a.dispose();
    await sb.cleanup();
  });
  const logOf = (id: string) => path.join(sb.stateDir, 'jobs', `${id}.log`);
  const finished = (id: string) => jobWithLog(sb.stateDir, id, logOf(id), 'completed');

  test('an entry handed out is as it was after every later change; each change is a new entry', async () => {
    const id = 'task-mwu7a001-keep01';
    await fs.writeFile(logOf(id), 'first line\n');
    await a.observe(sb.stateDir, [await finished(id)], 1);
    const steps: [string, () => Promise<void>][] = [
      [
        'its log grew',
        async () => {
          await fs.appendFile(logOf(id), 'second line\n');
          await a.observe(sb.stateDir, [await finished(id)], 1);
        },
      ],
      ['a repair wrote it back', () => a.noteRestored(sb.stateDir, id)],
      ['its files were deleted', () => a.observe(sb.stateDir, [], 0)],
    ];
    for (const [what, change] of steps) {
      const before = a.get(sb.stateDir, id)!;
      const clone = structuredClone(before);
      const gone = a.gone(sb.stateDir);
      const goneClone = structuredClone(gone);
      if (freezing) assert.ok(Object.isFrozen(before) && Object.isFrozen(before.history), `${what}: frozen`);
      await change();
      await a.flush();
      assert.deepEqual(before, clone, `${what}: the entry handed out before is unchanged`);
      assert.deepEqual(gone, goneClone, `${what}: the deleted jobs handed out before are unchanged`);
      const after = a.get(sb.stateDir, id)!;
      assert.notEqual(after, before, `${what}: a new entry`);
      assert.notDeepEqual(after, clone, `${what}: the new entry has the change`);
    }
    assert.deepEqual(
      a.get(sb.stateDir, id)!.history.map((h) => h.what),
      ['created', 'status', 'restored', 'deleted'],
    );
  });

  test('the change event names the state dirs and entries a piece of work changed, before and after', async () => {
    const id = 'task-mwu7a002-event2';
    await fs.writeFile(logOf(id), 'a line\n');
    const changes: ArchiveChange[] = [];
    const sub = a.onDidChange((c) => changes.push(c));
    const job = await finished(id);
    await a.observe(sb.stateDir, [job], 1);
    assert.equal(changes.length, 1, 'one event for one observe');
    assert.deepEqual(changes[0].stateDirs, [sb.stateDir]);
    assert.equal(changes[0].entries.length, 1);
    assert.equal(changes[0].entries[0].before, undefined, 'added');
    assert.equal(changes[0].entries[0].after, a.get(sb.stateDir, id));
    assert.equal(changesGone(changes[0].entries[0]), false);

    changes.length = 0;
    await a.observe(sb.stateDir, [job], 1);
    assert.equal(changes.length, 0, 'nothing changed, nothing said');

    const shown = a.get(sb.stateDir, id);
    await a.observe(sb.stateDir, [], 0);
    assert.equal(changes.length, 1);
    const [c] = changes[0].entries;
    assert.equal(c.before, shown, 'before: the entry handed out');
    assert.equal(c.after, a.get(sb.stateDir, id), 'after: the entry now');
    assert.ok(changesGone(c), 'it is among the deleted jobs now');
    assert.equal(c.after?.goneHow, 'deleted-by-concurrent-writer');

    changes.length = 0;
    await a.noteRestored(sb.stateDir, id);
    assert.equal(changes.length, 1);
    assert.equal(changesGone(changes[0].entries[0]), false, 'still deleted: only its history moved');
    assert.notEqual(changes[0].entries[0].after?.history, c.after?.history);
    sub.dispose();
  });
});

describe("the archive's work queue", () => {
  test('work of a key waiting its turn is replaced by newer work of that key; the rest runs in order', async () => {
    const q = new WorkQueue(() => assert.fail('nothing fails'));
    const ran: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    void q.run(async () => {
      await gate;
      ran.push('first');
    });
    const older = q.runLatest('observe a', () => Promise.resolve(void ran.push('a, older')));
    void q.run(() => Promise.resolve(void ran.push('other')));
    const newer = q.runLatest('observe a', () => Promise.resolve(void ran.push('a, newer')));
    assert.equal(newer, older, 'one promise for both');
    open();
    await newer;
    await q.idle();
    assert.deepEqual(ran, ['first', 'a, newer', 'other']);
    // Once it runs, new work of the key is queued after it, not folded into it.
    let inside: Promise<void> | undefined;
    await q.runLatest('observe a', () => {
      inside = q.runLatest('observe a', () => Promise.resolve(void ran.push('after')));
      return Promise.resolve();
    });
    await inside;
    assert.equal(ran.at(-1), 'after');
  });

  test('a failure is reported and does not stop the work after it; a disposed queue sets no timer', async () => {
    const failures: unknown[] = [];
    const q = new WorkQueue((err) => failures.push(err));
    const ran: string[] = [];
    await q.run(() => Promise.reject(new Error('disk full')));
    await q.run(() => Promise.resolve(void ran.push('next')));
    assert.equal(failures.length, 1);
    assert.deepEqual(ran, ['next']);
    q.dispose();
    q.after('t', 1, () => ran.push('timer'));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(ran, ['next']);
  });
});

// Lifetimes owned: a listener's exception is never swallowed, and shutdown waits for the archive's
// last writes within the time the editor gives.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as path from 'path';
import { Emitter, onListenerError } from '../../src/core/vocab/emitter';
import { JobArchive } from '../../src/core/archive/archive';
import { within } from '../../src/core/vocab/async';
import { jobWithLog, sandbox } from './helpers';

test("a listener's exception reaches the reporter, and the other listeners still run", () => {
  const seen: unknown[] = [];
  const before = onListenerError((err) => seen.push(err));
  try {
    const e = new Emitter<number>();
    const got: number[] = [];
    e.event(() => {
      throw new Error('listener broke');
    });
    e.event((n) => got.push(n));
    e.fire(7);
    assert.deepEqual(got, [7]);
    assert.equal(seen.length, 1);
    assert.match(String(seen[0]), /listener broke/);
  } finally {
    onListenerError(before);
  }
});

test("shutdown writes the archive's pending entry within its deadline", async () => {
  const sb = await sandbox();
  try {
    const id = 'task-mwu2g001-shut01';
    const logFile = path.join(sb.stateDir, 'jobs', `${id}.log`);
    await fs.mkdir(path.dirname(logFile), { recursive: true });
    await fs.writeFile(logFile, 'one\n');
    const archive = new JobArchive(path.join(sb.tmp, 'archive'));
    const running = () => jobWithLog(sb.stateDir, id, logFile);
    await archive.observe(sb.stateDir, [await running()], 1);
    await archive.flush();
    await fs.appendFile(logFile, 'two\n');
    // A log line: copied at once, its entry's write deferred (written at most every few seconds).
    await archive.observe(sb.stateDir, [await running()], 1);
    const meta = archive.entryPaths(sb.stateDir, id).meta;
    assert.equal(JSON.parse(await fs.readFile(meta, 'utf8')).logOffset, 4, 'not written yet');
    assert.equal(await within(archive.dispose(), 4000), true, 'done within the deadline');
    assert.equal(JSON.parse(await fs.readFile(meta, 'utf8')).logOffset, 8, 'written at shutdown');
  } finally {
    await sb.cleanup();
  }
});

test('within gives up waiting at its deadline, and says so', async () => {
  assert.equal(await within(new Promise(() => undefined), 20), false);
  assert.equal(await within(Promise.resolve(), 1000), true);
});

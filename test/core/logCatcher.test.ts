// The log catcher: a real worker thread with a real directory watch hands over descriptors of new
// logs, which still read after the log is deleted.
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LogCatcher, type OpenedLog } from '../../src/core/state/logCatcher';
import { sandbox, type Sandbox } from './helpers';

describe('the log catcher', () => {
  let sb: Sandbox;
  let catcher: LogCatcher;
  let caught: OpenedLog[];
  let waiters: (() => void)[];

  beforeEach(async () => {
    sb = await sandbox();
    fs.mkdirSync(path.join(sb.stateDir, 'jobs'), { recursive: true });
    caught = [];
    waiters = [];
    catcher = new LogCatcher((log) => {
      caught.push(log);
      waiters.splice(0).forEach((w) => w());
    });
  });
  afterEach(async () => {
    await catcher.dispose();
    for (const c of caught) await c.fh.close().catch(() => undefined);
    await sb.cleanup();
  });

  const next = (n: number, ms = 5000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${caught.length} of ${n} logs caught`)), ms);
      const check = () => (caught.length >= n ? (clearTimeout(timer), resolve()) : waiters.push(check));
      check();
    });

  test('a new log is opened at once; the handle reads it after it is deleted, and after the thread has ended', async () => {
    catcher.watch(sb.stateDir);
    await catcher.whenArmed(sb.stateDir);
    const file = path.join(sb.stateDir, 'jobs', 'task-mwu9a001-catch1.log');
    fs.writeFileSync(file, 'first words\n');
    await next(1);
    const st = fs.statSync(file);
    assert.deepEqual(
      { id: caught[0].id, stateDir: caught[0].stateDir, ino: caught[0].ino },
      { id: 'task-mwu9a001-catch1', stateDir: sb.stateDir, ino: st.ino },
    );
    fs.appendFileSync(file, 'last words\n');
    fs.rmSync(file);
    const buf = Buffer.alloc(64);
    const { bytesRead } = await caught[0].fh.read(buf, 0, buf.length, 0);
    assert.equal(buf.subarray(0, bytesRead).toString(), 'first words\nlast words\n');
    // Records and other files are not opened.
    fs.writeFileSync(path.join(sb.stateDir, 'jobs', 'task-mwu9a001-catch1.json'), '{}');
    fs.writeFileSync(path.join(sb.stateDir, 'jobs', 'task-mwu9a002-catch2.log'), '');
    await next(2);
    assert.deepEqual(
      caught.map((c) => c.id),
      ['task-mwu9a001-catch1', 'task-mwu9a002-catch2'],
    );
    // The handle is the main thread's own: the thread's end (which closes its descriptors) leaves it be.
    await catcher.dispose();
    await new Promise((r) => setTimeout(r, 100));
    const again = await caught[0].fh.read(buf, 0, buf.length, 0);
    assert.equal(again.bytesRead, 23);
  });

  test('a re-created jobs dir is watched again once re-armed; unwatched dirs and a disposed catcher hand nothing over', async () => {
    catcher.watch(sb.stateDir);
    await catcher.whenArmed(sb.stateDir);
    fs.rmSync(path.join(sb.stateDir, 'jobs'), { recursive: true });
    fs.mkdirSync(path.join(sb.stateDir, 'jobs'));
    catcher.watch(sb.stateDir);
    await catcher.whenArmed(sb.stateDir);
    fs.writeFileSync(path.join(sb.stateDir, 'jobs', 'task-mwu9a003-catch3.log'), 'x');
    await next(1);
    assert.equal(caught[0].id, 'task-mwu9a003-catch3');
    catcher.unwatch(sb.stateDir);
    // The unwatch travels to the worker like the watch did: a watch of another dir, armed, is after it.
    const other = path.join(sb.tmp, 'other-state');
    fs.mkdirSync(path.join(other, 'jobs'), { recursive: true });
    catcher.watch(other);
    await catcher.whenArmed(other);
    fs.writeFileSync(path.join(sb.stateDir, 'jobs', 'task-mwu9a004-catch4.log'), 'x');
    fs.writeFileSync(path.join(other, 'jobs', 'task-mwu9a005-catch5.log'), 'x');
    await next(2);
    assert.deepEqual(
      caught.map((c) => c.id),
      ['task-mwu9a003-catch3', 'task-mwu9a005-catch5'],
    );
    await catcher.dispose();
    fs.writeFileSync(path.join(other, 'jobs', 'task-mwu9a006-catch6.log'), 'x');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(caught.length, 2);
  });

  test('a FIFO or a link named like a log is never opened; the next real log still is', async () => {
    catcher.watch(sb.stateDir);
    await catcher.whenArmed(sb.stateDir);
    const jobs = path.join(sb.stateDir, 'jobs');
    const outside = path.join(sb.tmp, 'outside.log');
    fs.writeFileSync(outside, 'outside\n');
    execFileSync('mkfifo', [path.join(jobs, 'task-mwu9a003-fifo03.log')]);
    fs.symlinkSync(outside, path.join(jobs, 'task-mwu9a004-link04.log'));
    fs.writeFileSync(path.join(jobs, 'task-mwu9a005-real05.log'), 'real\n');
    await next(1);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(
      caught.map((c) => c.id),
      ['task-mwu9a005-real05'],
    );
  });
});

// The workspace launch lock: exclusion, a holder killed outright, a holder that keeps it, a lost lock.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { launchJob } from '../../src/core/actions/launcher';
import { DEFAULT_STALE_MS, launchLockPath, withWorkspaceLock } from '../../src/core/actions/lock';
import { DRIVER, FAKE_COMPANION, launchSandbox, type LaunchSandbox } from './launchHelpers';

const sandboxes: LaunchSandbox[] = [];
const holders: ChildProcess[] = [];
async function sandbox(): Promise<LaunchSandbox> {
  const sb = await launchSandbox();
  sandboxes.push(sb);
  return sb;
}
after(async () => {
  for (const h of holders) h.kill('SIGKILL');
  await Promise.all(sandboxes.map((sb) => sb.cleanup()));
});

/** Another process holding the lock: resolves once it has it. */
function holdLock(stateDir: string): Promise<ChildProcess> {
  const c = spawn(process.execPath, [DRIVER, JSON.stringify({ mode: 'hold', stateDir })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  holders.push(c);
  return new Promise((resolve, reject) => {
    c.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve(c));
    c.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
}

describe('the workspace launch lock', () => {
  test('the lock is <stateDir>/launch.lock, the state dir is created for it, and it is gone after', async () => {
    const sb = await sandbox();
    await assert.rejects(fs.stat(sb.stateDir));
    const r = await withWorkspaceLock(sb.stateDir, async (ctx) => {
      assert.equal(ctx.lockPath, path.join(sb.stateDir, 'launch.lock'));
      assert.ok((await fs.stat(ctx.lockPath)).isDirectory());
      return 42;
    });
    assert.ok(r.ok);
    assert.equal(r.value, 42);
    await assert.rejects(fs.stat(launchLockPath(sb.stateDir)));
    assert.deepEqual(await fs.readdir(sb.stateDir), [], 'nothing else is created');
  });

  test('a state dir that is a link: no lock is made where it points, and the message says why', async () => {
    const sb = await sandbox();
    const elsewhere = `${sb.stateDir}-elsewhere`;
    await fs.mkdir(elsewhere, { recursive: true });
    await fs.symlink(elsewhere, sb.stateDir);
    let ran = false;
    const r = await withWorkspaceLock(sb.stateDir, async () => (ran = true));
    assert.equal(r.ok, false);
    assert.equal(ran, false);
    assert.match(r.ok ? '' : r.message, /is a symbolic link; not followed; no launch lock taken there/);
    assert.deepEqual(await fs.readdir(elsewhere), [], 'nothing is created where the link points');
  });

  test('one holder at a time within a process', async () => {
    const sb = await sandbox();
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        withWorkspaceLock(sb.stateDir, async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 10));
          order.push(i);
          inside--;
        }),
      ),
    );
    assert.ok(results.every((r) => r.ok));
    assert.equal(most, 1);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7], 'in the order asked');
  });

  test('an error thrown inside still releases the lock', async () => {
    const sb = await sandbox();
    await assert.rejects(
      withWorkspaceLock(sb.stateDir, async () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    const r = await withWorkspaceLock(sb.stateDir, async () => 'next', { timeoutMs: 500 });
    assert.ok(r.ok);
  });

  test('a holder that keeps the lock: a clear message after the deadline', async () => {
    const sb = await sandbox();
    const holder = await holdLock(sb.stateDir);
    const r = await withWorkspaceLock(sb.stateDir, async () => 'never', { timeoutMs: 800 });
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.reason === 'busy');
    assert.match(
      !r.ok ? r.message : '',
      /another launch holds .*launch\.lock( since \d{4}-\d\d-\d\dT[^ ]+)? \(last refreshed \d+ s ago\)/,
    );
    holder.kill('SIGTERM');
    await new Promise((r2) => holder.once('exit', r2));
    // SIGTERM: the holder's exit handler removed the lock.
    const again = await withWorkspaceLock(sb.stateDir, async () => 'free', { timeoutMs: 1000 });
    assert.ok(again.ok);
  });

  test('(c) the holder killed with SIGKILL: the next launch proceeds within the stale window', async (t) => {
    const sb = await sandbox();
    const holder = await holdLock(sb.stateDir);
    const exited = new Promise((r) => holder.once('exit', r));
    holder.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    assert.ok((await fs.stat(launchLockPath(sb.stateDir))).isDirectory(), 'SIGKILL left the lock behind');
    const asked = Date.now();
    const r = await launchJob({
      companion: FAKE_COMPANION,
      node: process.execPath,
      workspaceFolder: sb.workspace,
      kind: 'task',
      prompt: 'after a crash',
      pluginData: sb.pluginData,
      env: sb.env,
    });
    const proceededAfter = asked - killedAt + r.lockWaitMs;
    t.diagnostic(
      `holder SIGKILLed; the next launch took the lock ${proceededAfter} ms after the kill (stale window ${DEFAULT_STALE_MS} ms) and registered ${r.jobId} ${r.waitedMs} ms later`,
    );
    assert.equal(r.ok, true, r.message);
    // Stale at most DEFAULT_STALE_MS after the kill (the last refresh came before it); the slack is for
    // the retry interval on a loaded machine. Without a takeover it would wait out its whole deadline.
    assert.ok(
      proceededAfter <= DEFAULT_STALE_MS + 3000,
      `took the lock within the stale window (${proceededAfter} ms)`,
    );
  });

  test("a holder whose lock was taken over never removes the new holder's lock", async () => {
    const sb = await sandbox();
    const r = await withWorkspaceLock(sb.stateDir, async (ctx) => {
      // Another launcher found it stale (this holder starved) and took it: remove, make anew.
      await fs.rmdir(ctx.lockPath);
      await fs.mkdir(ctx.lockPath);
      const t = new Date(Date.now() + 5000);
      await fs.utimes(ctx.lockPath, t, t);
    });
    assert.ok(r.ok);
    assert.ok((await fs.stat(launchLockPath(sb.stateDir))).isDirectory(), "the new holder's lock is still there");
    assert.ok(r.ok && r.compromised, 'the takeover is reported');
    assert.match(r.ok ? (r.releaseError ?? '') : '', /not ours/);
    await fs.rmdir(launchLockPath(sb.stateDir));
  });

  test('a lock lost while held is reported, never thrown', async () => {
    const sb = await sandbox();
    const logged: string[] = [];
    const r = await withWorkspaceLock(
      sb.stateDir,
      async (ctx) => {
        await fs.rmdir(ctx.lockPath); // someone removed it (or took it over as stale)
        await new Promise((res) => setTimeout(res, 1600));
        return ctx.compromised;
      },
      { staleMs: 2000, updateMs: 1000, log: (m) => logged.push(m) },
    );
    assert.ok(r.ok);
    assert.equal(r.value, true, 'the holder saw it was compromised');
    assert.ok(r.ok && r.compromised);
    assert.match(logged.join('\n'), /compromised/);
  });
});

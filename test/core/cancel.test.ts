// Cancelling jobs with real processes: the companion's cancel, a review it cannot reach, a reused pid.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import { cancelJob, descendantsOf } from '../../src/core/actions/cancel';
import { launchJob } from '../../src/core/actions/launcher';
import { loadStateDir } from '../../src/core/state/snapshot';
import { DEFAULT_SETTINGS, type Job, type ProcInfo } from '../../src/core/vocab/types';
import { record, writeIndex, writeJob } from './helpers';
import { FAKE_COMPANION, launchSandbox, run, table, until, type LaunchSandbox } from './launchHelpers';

const sandboxes: LaunchSandbox[] = [];
const children: ChildProcess[] = [];
async function sandbox(): Promise<LaunchSandbox> {
  const sb = await launchSandbox();
  sandboxes.push(sb);
  return sb;
}
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(sandboxes.map((sb) => sb.cleanup()));
});

async function jobIn(sb: LaunchSandbox, id: string): Promise<Job> {
  const snap = await loadStateDir(
    { path: path.dirname(sb.stateDir), source: 'setting' },
    sb.stateDir,
    DEFAULT_SETTINGS,
  );
  const job = snap.jobs.find((j) => j.id === id);
  assert.ok(job, `${id} is in ${sb.stateDir}`);
  return job;
}

async function alive(pid: number): Promise<boolean> {
  return (await table.inspect([pid])).get(pid)?.state === 'alive';
}

/** A process started by the test itself (in the test runner's process group unless detached). */
function start(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; detached?: boolean } = {},
): Promise<ChildProcess> {
  const c = spawn(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'ignore'], ...opts });
  children.push(c);
  return new Promise((resolve, reject) => {
    c.once('spawn', () => resolve(c));
    c.once('error', reject);
  });
}

describe('cancelling jobs', () => {
  test('(d) a pid reused by a decoy: nothing is signalled, the decoy lives', async () => {
    const sb = await sandbox();
    // Detached, so the decoy leads its own group: exactly what the companion's `kill -pid` would hit.
    const decoy = await start(['sleep', '300'], { detached: true });
    const id = 'task-mwdecoy-aaaaaa';
    const rec = record(id, {
      status: 'running',
      phase: 'investigating',
      pid: decoy.pid,
      workspaceRoot: sb.workspace,
      completedAt: undefined,
    });
    await writeJob(sb.stateDir, rec);
    await writeIndex(sb.stateDir, [rec]);
    const job = await jobIn(sb, id);
    const out = await cancelJob(job, { table, companion: FAKE_COMPANION, node: process.execPath, env: sb.env });
    assert.equal(out.ok, false);
    assert.equal(out.before, 'reused');
    assert.equal(out.signals.length, 0);
    assert.equal(out.companion.ran, false, "the companion's cancel is not run: it would signal the decoy's group");
    assert.match(out.message, /Refused/);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(await alive(decoy.pid!), 'the decoy is still alive');
  });

  test('(d) a companion process that started before the job is not the job: refused too', async () => {
    const sb = await sandbox();
    const id = 'task-mwearly-bbbbbb';
    const worker = await start(
      [process.execPath, FAKE_COMPANION, 'task-worker', '--cwd', sb.workspace, '--job-id', id],
      { detached: true },
    );
    await new Promise((r) => setTimeout(r, 200));
    const later = new Date(Date.now() + 60_000).toISOString();
    const rec = record(id, {
      status: 'running',
      pid: worker.pid,
      workspaceRoot: sb.workspace,
      createdAt: later,
      startedAt: later,
      completedAt: undefined,
    });
    await writeJob(sb.stateDir, rec);
    await writeIndex(sb.stateDir, [rec]);
    const out = await cancelJob(await jobIn(sb, id), { table });
    assert.equal(out.before, 'reused');
    assert.deepEqual(out.signals, []);
    assert.ok(await alive(worker.pid!));
  });

  test("(e) a foreground review that is not a group leader: the companion's cancel misses it, codex-jobs ends it and its child", async (t) => {
    const sb = await sandbox();
    const review = await start([process.execPath, FAKE_COMPANION, 'review', '--json'], {
      cwd: sb.workspace,
      env: { ...sb.env, FAKE_COMPANION_CHILD: '1' },
    });
    const pid = review.pid!;
    await ready(review);
    const id = await until(() => reviewId(sb), 'the review to record itself');
    const child = await until(async () => (await table.list()).find((p) => p.ppid === pid), "the review's child");
    const info = (await table.inspect([pid])).get(pid)!;
    assert.notEqual(info.pgid, pid, 'not a group leader (it shares the test runner group)');

    const out = await cancelJob(await jobIn(sb, id), {
      table,
      companion: FAKE_COMPANION,
      node: process.execPath,
      env: sb.env,
    });
    t.diagnostic(out.message);
    assert.equal(out.before, 'verified');
    assert.equal(out.companion.ran, true);
    assert.equal(out.companion.ok, true, out.companion.output);
    assert.equal(out.survivedCompanion, true, "the companion's own cancel left it running");
    assert.ok(
      out.signals.some((s) => s.pid === pid && s.target === 'process' && s.signal === 'SIGTERM'),
      'SIGTERM to the pid, not to a group',
    );
    assert.ok(
      out.signals.some((s) => s.pid === child.pid),
      'and to its child',
    );
    assert.equal(out.ok, true, out.message);
    assert.deepEqual(out.remaining, []);
    assert.equal(await alive(pid), false);
    assert.equal(await alive(child.pid), false);
    assert.equal((await jobIn(sb, id)).record?.status, 'cancelled', 'recorded cancelled by the companion');
  });

  test('a review that ignores SIGTERM gets SIGKILL after the timeout, identity re-checked', async () => {
    const sb = await sandbox();
    const review = await start([process.execPath, FAKE_COMPANION, 'adversarial-review', '--json'], {
      cwd: sb.workspace,
      env: { ...sb.env, FAKE_COMPANION_MODE: 'hang' },
    });
    await ready(review); // its SIGTERM handler is in place once it says so
    const id = await until(() => reviewId(sb), 'the review to record itself');
    const out = await cancelJob(await jobIn(sb, id), { table, termTimeoutMs: 500 });
    assert.equal(out.companion.ran, false);
    assert.deepEqual(
      out.signals.map((s) => s.signal),
      ['SIGTERM', 'SIGKILL'],
    );
    assert.equal(out.ok, true, out.message);
    assert.equal(await alive(review.pid!), false);
  });

  test('a background task launched with the lock: the companion cancels its group', async () => {
    const sb = await sandbox();
    const launched = await launchJob({
      companion: FAKE_COMPANION,
      node: process.execPath,
      workspaceFolder: sb.workspace,
      kind: 'task',
      prompt: 'to cancel',
      pluginData: sb.pluginData,
      env: { ...sb.env, FAKE_COMPANION_CHILD: '1' },
    });
    assert.equal(launched.ok, true, launched.message);
    const out = await cancelJob(await jobIn(sb, launched.jobId!), {
      table,
      companion: FAKE_COMPANION,
      node: process.execPath,
      env: sb.env,
    });
    assert.equal(out.companion.ok, true, out.companion.output);
    assert.equal(out.survivedCompanion, false);
    assert.equal(out.ok, true, out.message);
    assert.equal(await alive(launched.pid!), false);
    assert.equal((await jobIn(sb, launched.jobId!)).record?.status, 'cancelled');
  });

  test('without a companion the verified worker is signalled directly (its group: it leads it)', async () => {
    const sb = await sandbox();
    const launched = await launchJob({
      companion: FAKE_COMPANION,
      node: process.execPath,
      workspaceFolder: sb.workspace,
      kind: 'task',
      prompt: 'no companion',
      pluginData: sb.pluginData,
      env: sb.env,
    });
    assert.equal(launched.ok, true, launched.message);
    const out = await cancelJob(await jobIn(sb, launched.jobId!), { table });
    assert.equal(out.companion.ran, false);
    assert.deepEqual(
      out.signals.map((s) => [s.pid, s.target, s.signal]),
      [[launched.pid, 'group', 'SIGTERM']],
    );
    assert.equal(out.ok, true);
  });

  test('a job whose process is already gone: the companion records the cancel, nothing is signalled', async () => {
    const sb = await sandbox();
    const dead = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((r) => dead.once('exit', r));
    const id = 'task-mwdead0-cccccc';
    const rec = record(id, {
      status: 'running',
      pid: dead.pid,
      workspaceRoot: sb.workspace,
      completedAt: undefined,
      logFile: path.join(sb.stateDir, 'jobs', `${id}.log`),
    });
    await writeJob(sb.stateDir, rec);
    await writeIndex(sb.stateDir, [rec]);
    const out = await cancelJob(await jobIn(sb, id), {
      table,
      companion: FAKE_COMPANION,
      node: process.execPath,
      env: sb.env,
    });
    assert.equal(out.before, 'gone');
    assert.equal(out.companion.ok, true, out.companion.output);
    assert.deepEqual(out.signals, []);
    assert.equal(out.ok, true);
    assert.equal((await jobIn(sb, id)).record?.status, 'cancelled');
  });

  test('descendants: by parent pid, leaving detached session leaders (shared brokers) alone', () => {
    const p = (pid: number, ppid: number, sid = 1): ProcInfo => ({ pid, ppid, sid, state: 'alive' });
    const all = [p(10, 1), p(11, 10), p(12, 11), p(13, 10, 13), p(14, 13), p(20, 1)];
    assert.deepEqual(
      descendantsOf(10, all)
        .map((x) => x.pid)
        .sort(),
      [11, 12],
    );
  });
});

function ready(c: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    c.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    });
    c.once('exit', (code) => reject(new Error(`exited with ${code} before it was ready`)));
  });
}

async function reviewId(sb: LaunchSandbox): Promise<string | undefined> {
  const r = await run(process.execPath, [FAKE_COMPANION, 'status', '--json'], { cwd: sb.workspace, env: sb.env });
  const running = (JSON.parse(r.stdout) as { running: { id: string; status: string }[] }).running;
  return running.find((j) => j.id.startsWith('review-') && j.status === 'running')?.id;
}

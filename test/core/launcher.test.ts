// Launching through the companion with the workspace lock, against the fake companion whose state
// writes race exactly like the real one's.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as path from 'path';
import { companionArgs, launchJob, parseLaunchOutput } from '../../src/core/launcher';
import {
  DRIVER,
  FAKE_COMPANION,
  launchSandbox,
  run,
  settle,
  table,
  trackedIds,
  type LaunchSandbox,
} from './launchHelpers';
import type { LaunchResult } from '../../src/core/launcher';

const sandboxes: LaunchSandbox[] = [];
async function sandbox(): Promise<LaunchSandbox> {
  const sb = await launchSandbox();
  sandboxes.push(sb);
  return sb;
}
/** Foreground reviews: their command lines do not name the sandbox, so they are stopped by pid. */
const reviews: number[] = [];
after(async () => {
  for (const pid of reviews) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(sandboxes.map((sb) => sb.cleanup()));
});

const N = 50;

describe('launching jobs', () => {
  test('(a) 50 unlocked parallel `task --background` launches lose jobs', async (t) => {
    const sb = await sandbox();
    const started = Date.now();
    const outs = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        run(process.execPath, [FAKE_COMPANION, 'task', '--background', '--json', '--', `unlocked ${i}`], {
          cwd: sb.workspace,
          env: sb.env,
        }),
      ),
    );
    const launched = outs.map((o) => parseLaunchOutput(o.stdout)).filter((id): id is string => !!id);
    await settle(sb.stateDir);
    const { index, records } = await trackedIds(sb.stateDir);
    const tracked = launched.filter((id) => index.has(id) && records.has(id));
    const lost = N - tracked.length;
    t.diagnostic(
      `unlocked: ${N} launches in ${Date.now() - started} ms; ${launched.length} printed a job id; ${launched.filter((id) => index.has(id)).length} in state.json, ` +
        `${launched.filter((id) => records.has(id)).length} with a record, ${tracked.length} with both: ${lost} lost`,
    );
    assert.equal(launched.length, N, 'every launcher printed its job id');
    assert.ok(lost > 0, 'the race loses jobs on this machine');
  });

  test('(b) 50 launches through launchJob from 5 processes are all tracked', async (t) => {
    const sb = await sandbox();
    const request = {
      companion: FAKE_COMPANION,
      node: process.execPath,
      workspaceFolder: sb.workspace,
      kind: 'task',
      prompt: 'locked',
      pluginData: sb.pluginData,
      env: sb.env,
      registerTimeoutMs: 30_000,
      lock: { timeoutMs: 120_000 },
    };
    const started = Date.now();
    const outs = await Promise.all(
      Array.from({ length: 5 }, () =>
        run(process.execPath, [DRIVER, JSON.stringify({ mode: 'launch', count: N / 5, request })]),
      ),
    );
    const elapsed = Date.now() - started;
    for (const o of outs) assert.equal(o.code, 0, o.stderr);
    const results = outs.flatMap((o) => JSON.parse(o.stdout) as LaunchResult[]);
    const failed = results.filter((r) => !r.ok);
    assert.deepEqual(
      failed.map((r) => r.message),
      [],
      'every launch succeeded',
    );
    const ids = new Set(results.map((r) => r.jobId!));
    assert.equal(ids.size, N, 'fifty distinct jobs');
    await settle(sb.stateDir, 500);
    const { index, records } = await trackedIds(sb.stateDir);
    const inIndex = [...ids].filter((id) => index.has(id)).length;
    const withRecord = [...ids].filter((id) => records.has(id)).length;
    const lockWaits = results.map((r) => r.lockWaitMs);
    const waits = results.map((r) => r.waitedMs);
    t.diagnostic(
      `locked: ${N} launches from 5 processes in ${elapsed} ms; ${inIndex}/${N} in state.json, ${withRecord}/${N} in jobs/; ` +
        `registration wait mean ${Math.round(waits.reduce((a, b) => a + b, 0) / N)} ms (max ${Math.max(...waits)}), lock wait max ${Math.max(...lockWaits)} ms; ` +
        `vanished reported: ${results.reduce((a, r) => a + r.vanished.length, 0)}`,
    );
    assert.equal(inIndex, N);
    assert.equal(withRecord, N);
    assert.ok(
      results.every((r) => r.vanished.length === 0),
      'no launch saw a job vanish',
    );
    // Every worker verified alive at the end, too.
    const infos = await table.inspect(results.map((r) => r.pid!));
    assert.ok(
      [...infos.values()].every((i) => i.state === 'alive'),
      'every worker is alive',
    );
  });

  test('a review runs detached in the foreground of its companion; its pid is the job pid', async () => {
    const sb = await sandbox();
    const r = await launchJob({
      companion: FAKE_COMPANION,
      node: process.execPath,
      workspaceFolder: sb.workspace,
      kind: 'review',
      pluginData: sb.pluginData,
      env: sb.env,
    });
    if (r.pid) reviews.push(r.pid);
    assert.equal(r.ok, true, r.message);
    assert.match(r.jobId!, /^review-[0-9a-z]+-[0-9a-z]{6}$/);
    const info = (await table.inspect([r.pid!])).get(r.pid!)!;
    assert.equal(info.state, 'alive');
    assert.equal(info.pgid, r.pid, 'detached: it leads its own process group');
    assert.deepEqual(info.argv!.slice(1), [FAKE_COMPANION, 'review', '--json']);
    assert.equal(r.stateDir, sb.stateDir);
  });

  test('an adversarial review passes its focus after --', async () => {
    const sb = await sandbox();
    const r = await launchJob({
      companion: FAKE_COMPANION,
      node: process.execPath,
      workspaceFolder: sb.workspace,
      kind: 'adversarial-review',
      focus: '--look at locking',
      pluginData: sb.pluginData,
      env: sb.env,
    });
    if (r.pid) reviews.push(r.pid);
    assert.equal(r.ok, true, r.message);
    const info = (await table.inspect([r.pid!])).get(r.pid!)!;
    assert.deepEqual(info.argv!.slice(2), ['adversarial-review', '--json', '--', '--look at locking']);
  });

  test('a job that finishes at once still counts as registered', async () => {
    const sb = await sandbox();
    // The worker records itself running and completed back to back; a slow poll lands between the
    // two writes 25 times less often than the default one.
    const r = await launchJob({
      companion: FAKE_COMPANION,
      node: process.execPath,
      workspaceFolder: sb.workspace,
      kind: 'task',
      prompt: 'quick',
      pluginData: sb.pluginData,
      env: { ...sb.env, FAKE_COMPANION_MODE: 'exit' },
      pollMs: 1000,
    });
    assert.equal(r.ok, true, r.message);
    assert.match(r.message, /already completed/);
  });

  test('task arguments: options before --, the prompt after it', () => {
    assert.deepEqual(
      companionArgs({
        companion: '/c.mjs',
        kind: 'task',
        prompt: '-rm everything',
        write: true,
        model: 'spark',
        effort: 'high',
      }),
      [
        '/c.mjs',
        'task',
        '--background',
        '--json',
        '--write',
        '--model',
        'spark',
        '--effort',
        'high',
        '--',
        '-rm everything',
      ],
    );
    assert.deepEqual(companionArgs({ companion: '/c.mjs', kind: 'review', focus: 'ignored' }), [
      '/c.mjs',
      'review',
      '--json',
    ]);
  });

  test('a companion that fails before registering: its error is in the result', async () => {
    const sb = await sandbox();
    const broken = path.join(sb.tmp, 'broken.mjs');
    await fs.writeFile(broken, 'process.stderr.write("Codex CLI is not installed.\\n"); process.exit(3);\n');
    for (const kind of ['task', 'review'] as const) {
      const r = await launchJob({
        companion: broken,
        node: process.execPath,
        workspaceFolder: sb.workspace,
        kind,
        prompt: 'x',
        pluginData: sb.pluginData,
        env: sb.env,
      });
      assert.equal(r.ok, false);
      assert.match(r.message, /exited with code 3.*Codex CLI is not installed/s, kind);
    }
  });

  test('no registration within the timeout: the lock is released and the result says so', async () => {
    const sb = await sandbox();
    const silent = path.join(sb.tmp, 'silent.mjs');
    await fs.writeFile(silent, 'setTimeout(() => {}, 60000);\n');
    const r = await launchJob({
      companion: silent,
      node: process.execPath,
      workspaceFolder: sb.workspace,
      kind: 'review',
      pluginData: sb.pluginData,
      env: sb.env,
      registerTimeoutMs: 600,
    });
    assert.equal(r.ok, false);
    assert.equal(r.timedOut, true);
    assert.match(r.message, /not registered within 1 s/);
    await assert.rejects(fs.stat(path.join(sb.stateDir, 'launch.lock')), 'the lock is gone');
  });

  test('a job that drops out of state.json during the launch is reported as vanished', async () => {
    const sb = await sandbox();
    // A companion that, like a racing writer, rewrites state.json without the job that was there.
    const rogue = path.join(sb.tmp, 'rogue.mjs');
    await fs.writeFile(
      rogue,
      `import fs from 'node:fs';
const dir = ${JSON.stringify(sb.stateDir)};
const id = 'task-' + Date.now().toString(36) + '-abc123';
const rec = { id, kind: 'task', status: 'completed', workspaceRoot: process.cwd(), createdAt: new Date().toISOString(), pid: null };
fs.writeFileSync(dir + '/jobs/' + id + '.json', JSON.stringify(rec));
fs.writeFileSync(dir + '/state.json', JSON.stringify({ version: 1, jobs: [rec] }));
console.log(JSON.stringify({ jobId: id }));
`,
    );
    const first = await launchJob({
      companion: FAKE_COMPANION,
      node: process.execPath,
      workspaceFolder: sb.workspace,
      kind: 'task',
      prompt: 'first',
      pluginData: sb.pluginData,
      env: sb.env,
    });
    assert.equal(first.ok, true, first.message);
    const r = await launchJob({
      companion: rogue,
      node: process.execPath,
      workspaceFolder: sb.workspace,
      kind: 'task',
      prompt: 'second',
      pluginData: sb.pluginData,
      env: sb.env,
    });
    assert.equal(r.ok, true, r.message);
    assert.deepEqual(r.vanished, [first.jobId]);
    assert.match(r.message, /vanished from state\.json/);
  });

  test('bad requests are refused without spawning', async () => {
    const sb = await sandbox();
    const noPrompt = await launchJob({
      companion: FAKE_COMPANION,
      node: process.execPath,
      workspaceFolder: sb.workspace,
      kind: 'task',
      prompt: '  ',
    });
    assert.equal(noPrompt.ok, false);
    assert.match(noPrompt.message, /needs a prompt/);
    const noFolder = await launchJob({
      companion: FAKE_COMPANION,
      node: process.execPath,
      workspaceFolder: path.join(sb.tmp, 'nope'),
      kind: 'review',
    });
    assert.equal(noFolder.ok, false);
    assert.match(noFolder.message, /workspace folder/);
    const badNode = await launchJob({
      companion: FAKE_COMPANION,
      node: path.join(sb.tmp, 'no-node'),
      workspaceFolder: sb.workspace,
      kind: 'review',
      pluginData: sb.pluginData,
      env: sb.env,
    });
    assert.equal(badNode.ok, false);
    assert.match(badNode.message, /Could not start the companion/);
  });
});

// Launching through the companion with the workspace lock, against the fake companion whose state
// writes race exactly like the real one's.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { companionArgs, launchJob, parseLaunchOutput } from '../../src/core/actions/launcher';
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
import type { LaunchRequest, LaunchResult } from '../../src/core/actions/launcher';
import { JobArchive } from '../../src/core/archive/archive';
import { LiveUpdates } from '../../src/core/model/live';
import { JobsModel } from '../../src/core/model/model';
import { DEFAULT_SETTINGS, type JobFlag } from '../../src/core/vocab/types';

const sandboxes: LaunchSandbox[] = [];
async function sandbox(): Promise<LaunchSandbox> {
  const sb = await launchSandbox();
  sandboxes.push(sb);
  return sb;
}
/** launchJob through the stand-in companion, in the sandbox's workspace and plugin data. */
function launchIn(
  sb: LaunchSandbox,
  req: Omit<LaunchRequest, 'companion' | 'node' | 'workspaceFolder'> & Partial<LaunchRequest>,
) {
  return launchJob({
    companion: FAKE_COMPANION,
    node: process.execPath,
    workspaceFolder: sb.workspace,
    pluginData: sb.pluginData,
    env: sb.env,
    ...req,
  });
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
/** A launch refused because the lock stayed busy past its deadline (in this process's queue or the file lock). */
const REFUSED = /^Not launched: (Gave up after|timed out waiting for this window's previous launch)/;
/** The companion's own fourth race (companion-format.md): its worker started before its record existed and died. */
const WORKER_DIED = /^Job \S+ was queued, but its worker exited before starting: /;

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

  /** 50 launches through launchJob from 5 processes (10 at once in each), and what is tracked after. */
  async function fiftyLockedLaunches(env: NodeJS.ProcessEnv, beside?: (sb: LaunchSandbox) => Promise<void>) {
    const sb = await sandbox();
    await beside?.(sb);
    const request = {
      companion: FAKE_COMPANION,
      node: process.execPath,
      workspaceFolder: sb.workspace,
      kind: 'task',
      prompt: 'locked',
      pluginData: sb.pluginData,
      env,
      registerTimeoutMs: 30_000,
      lock: { timeoutMs: 180_000 },
    };
    const started = Date.now();
    const outs = await Promise.all(
      Array.from({ length: 5 }, () =>
        run(process.execPath, [
          DRIVER,
          JSON.stringify({ mode: 'launch', count: N / 5, request: { ...request, env: { ...sb.env, ...env } } }),
        ]),
      ),
    );
    const elapsed = Date.now() - started;
    for (const o of outs) assert.equal(o.code, 0, o.stderr);
    const results = outs.flatMap((o) => JSON.parse(o.stdout) as LaunchResult[]);
    await settle(sb.stateDir, 500);
    const { index, records } = await trackedIds(sb.stateDir);
    // Every job a launch started counts, also one whose registration wait ran out.
    const ids = [...new Set(results.flatMap((r) => (r.jobId ? [r.jobId] : [])))];
    const ok = results.filter((r) => r.ok).length;
    const timedOut = results.filter((r) => r.timedOut).length;
    const busy = results.filter((r) => !r.ok && REFUSED.test(r.message)).length;
    const lost = ids.filter((id) => !index.has(id) || !records.has(id));
    const reported = new Set(results.flatMap((r) => r.vanished));
    const waits = results.map((r) => r.waitedMs);
    const summary =
      `${N} launches from 5 processes in ${elapsed} ms (load average ${os.loadavg()[0].toFixed(1)}): ` +
      `${ok} registered, ${timedOut} not registered in time, ${busy} refused (lock busy past its deadline), ` +
      `${results.filter((r) => WORKER_DIED.test(r.message)).length} whose worker died before its record existed; ` +
      `${ids.filter((id) => index.has(id)).length}/${N} in state.json, ${ids.filter((id) => records.has(id)).length}/${N} in jobs/; ` +
      `registration wait mean ${Math.round(waits.reduce((a, b) => a + b, 0) / N)} ms (max ${Math.max(...waits)}), ` +
      `lock wait max ${Math.max(...results.map((r) => r.lockWaitMs))} ms; vanished reported: ${reported.size}; ` +
      `lock compromised: ${results.filter((r) => r.compromised).length}`;
    return { results, ids, lost, reported, summary, ok, sb };
  }

  test('(b) 50 launches through launchJob from 5 processes are all tracked', async (t) => {
    // The stand-in writes state.json atomically here, so the only race left is between launches,
    // which is what the lock is for. (With in-place writes the companion also races itself: see (b2).)
    const { results, ids, lost, summary, ok } = await fiftyLockedLaunches({ FAKE_COMPANION_ATOMIC_STATE: '1' });
    t.diagnostic(`locked, atomic state writes: ${summary}`);
    // On a badly overloaded machine a launch may honestly give up (lock busy past its deadline), or
    // stop waiting for a worker whose running write the companion's own queued write overwrote (the
    // index then says queued, the record running): a refusal or a late job, never a lost one.
    assert.deepEqual(
      results
        .filter((r) => !r.ok && !r.timedOut && !REFUSED.test(r.message) && !WORKER_DIED.test(r.message))
        .map((r) => r.message),
      [],
      "every launch succeeded, timed out waiting, was refused as busy, or reported the companion's dead worker",
    );
    assert.ok(ok >= 1, 'launches got through');
    assert.equal(ids.length, results.filter((r) => r.jobId).length, 'distinct jobs');
    assert.deepEqual(lost, [], 'every job that was started is in state.json and jobs/');
    assert.ok(
      results.every((r) => r.vanished.length === 0),
      'no launch saw a job vanish',
    );
    assert.ok(
      results.every((r) => !r.compromised),
      'the lock was never lost while held',
    );
    // Every worker verified alive at the end, too.
    const infos = await table.inspect(results.filter((r) => r.ok).map((r) => r.pid!));
    assert.ok(
      [...infos.values()].every((i) => i.state === 'alive'),
      'every worker is alive',
    );
  });

  test("(b2) with the companion's in-place writes, whatever its own worker loses is reported or kept, never silent", async (t) => {
    // `task --background` spawns its worker and then writes the queued job with a truncate-then-write;
    // a worker that reads state.json in that gap sees it empty, saves only its own job and deletes the
    // others' files. That happens inside one launch, under the lock: no launcher lock can prevent it.
    // A launch reports what vanished while it held the lock; what an earlier worker wipes later, after
    // every launch has returned, no launch sees: the watcher and archive the extension runs beside
    // them must, so they run here too, and every lost job is either reported or still shown, flagged.
    let model: JobsModel | undefined;
    let live: LiveUpdates | undefined;
    let archive: JobArchive | undefined;
    const watch = async (sb: LaunchSandbox) => {
      archive = new JobArchive(path.join(sb.tmp, 'archive'));
      model = new JobsModel({
        archive,
        host: { env: {}, homedir: sb.tmp, tmpdir: path.join(sb.tmp, 'no-tmp'), platform: process.platform },
        table,
        settings: { ...DEFAULT_SETTINGS, extraRoots: [path.join(sb.pluginData, 'state')] },
      });
      model.setFolders([{ path: sb.workspace, name: path.basename(sb.workspace) }]);
      live = new LiveUpdates(model, { archive });
      await live.start();
      await live.watcher.ready();
    };
    try {
      const { results, lost, reported, summary, sb } = await fiftyLockedLaunches({}, watch);
      await model!.refresh();
      const KEPT: JobFlag[] = ['unindexed', 'record-missing', 'deleted-while-running', 'deleted-by-concurrent-writer'];
      const unreported = lost.filter((id) => !reported.has(id));
      const shown = unreported.map((id) => ({ id, job: model!.findJob(sb.stateDir, id) }));
      t.diagnostic(
        `locked, in-place state writes: ${summary}; lost ${lost.length}, ${lost.length - unreported.length} reported by a launch, ` +
          `${shown.filter((s) => s.job).length} of the other ${unreported.length} shown by the watcher and archive ` +
          `(${shown.map((s) => `${s.id}: ${s.job?.flags.join('+') || 'not shown'}`).join(', ') || 'none'})`,
      );
      assert.deepEqual(
        results
          .filter((r) => !r.ok && !r.timedOut && !REFUSED.test(r.message) && !WORKER_DIED.test(r.message))
          .map((r) => r.message),
        [],
        "every launch succeeded, timed out waiting, was refused as busy, or reported the companion's dead worker",
      );
      assert.deepEqual(
        shown.filter((s) => !s.job || !s.job.flags.some((f) => KEPT.includes(f))).map((s) => s.id),
        [],
        'every lost job was reported as vanished by the launch it vanished in, or is shown, flagged, from what is left and the archive',
      );
      assert.ok(
        results.every((r) => !r.compromised),
        'the lock was never lost while held',
      );
    } finally {
      await live?.dispose();
      model?.dispose();
      await archive?.dispose();
    }
  });

  test('a task whose files still say queued while its verified worker runs is started, said plainly', async () => {
    // The companion's queued write lands after its worker's running one: the files say queued until
    // the worker writes again, which an idle worker never does. Before, the launch timed out.
    const sb = await sandbox();
    const r = await launchIn(sb, {
      kind: 'task',
      prompt: 'requeued',
      env: { ...sb.env, FAKE_COMPANION_REQUEUE_AFTER_MS: '1500' },
      registerTimeoutMs: 60_000,
    });
    assert.equal(r.ok, true, r.message);
    assert.match(r.message, /its worker runs, though its files still say queued/);
    const info = (await table.inspect([r.pid!])).get(r.pid!)!;
    assert.equal(info.state, 'alive');
    assert.deepEqual(info.argv!.slice(1, 3), [FAKE_COMPANION, 'task-worker']);
  });

  test('a review runs detached in the foreground of its companion; its pid is the job pid', async () => {
    const sb = await sandbox();
    const r = await launchIn(sb, {
      kind: 'review',
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
    const r = await launchIn(sb, {
      kind: 'adversarial-review',
      focus: '--look at locking',
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
    const r = await launchIn(sb, {
      kind: 'task',
      prompt: 'quick',
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
      const r = await launchIn(sb, {
        companion: broken,
        kind,
        prompt: 'x',
      });
      assert.equal(r.ok, false);
      assert.match(r.message, /exited with code 3.*Codex CLI is not installed/s, kind);
    }
  });

  test('no registration within the timeout: the lock is released and the result says so', async () => {
    const sb = await sandbox();
    const silent = path.join(sb.tmp, 'silent.mjs');
    await fs.writeFile(silent, 'setTimeout(() => {}, 60000);\n');
    const r = await launchIn(sb, {
      companion: silent,
      kind: 'review',
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
    const first = await launchIn(sb, {
      kind: 'task',
      prompt: 'first',
    });
    assert.equal(first.ok, true, first.message);
    const r = await launchIn(sb, {
      companion: rogue,
      kind: 'task',
      prompt: 'second',
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

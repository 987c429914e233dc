import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import { createProcessTable, parseProcStat, parsePsLine } from '../../src/core/os/processes';
import { checkJobs, matchCompanionCommand, verifyJobs } from '../../src/core/state/verify';
import { stateDirName } from '../../src/core/discovery/discovery';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Job, JobFields, RecordedStatus } from '../../src/core/vocab/types';
import { FAKE_COMPANION, ProcessGroup } from '../fixtures/spawn';

const procs = new ProcessGroup();
after(() => procs.stopAll());
const table = createProcessTable();

function job(
  id: string,
  status: RecordedStatus,
  pid: number | null,
  extra: Partial<JobFields> = {},
  index?: Partial<JobFields>,
): Job {
  const display: JobFields = {
    id,
    status,
    pid,
    kind: id.startsWith('review') ? 'review' : 'task',
    createdAt: new Date(Date.now() - 10_000).toISOString(),
    raw: {},
    ...extra,
  };
  return {
    id,
    stateDir: '/s',
    display,
    record: display,
    index: index ? { ...display, ...index } : undefined,
    recordedStatus: status,
    status: 'unknown',
    flags: [],
    logPath: '/s/jobs/x.log',
    recordPath: '/s/jobs/x.json',
    log: { exists: true, mtimeMs: Date.now(), progress: [] },
  };
}

async function verified(j: Job): Promise<Job> {
  const [v] = await verifyJobs([j], table, { stalledAfterMs: 600_000 });
  return v;
}

describe('process inspection', () => {
  test('a live child: argv, parent, start time; a dead pid is gone', async () => {
    const pid = await procs.start('sleep', ['120']);
    const dead = await procs.deadPid();
    const m = await table.inspect([pid, dead, -1, 0, NaN]);
    assert.equal(m.size, 2);
    const info = m.get(pid)!;
    assert.equal(info.state, 'alive');
    assert.deepEqual(info.argv, ['sleep', '120']);
    assert.equal(info.ppid, process.pid);
    assert.ok(Math.abs(info.startTimeMs! - Date.now()) < 5000, `start ${info.startTimeMs}`);
    assert.equal(m.get(dead)!.state, 'gone');
  });

  test('a zombie is not alive', async () => {
    // The child exits at once; its parent sleeps without reaping it.
    const py = spawn(
      'python3',
      ['-c', 'import os,sys,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid,flush=True)\ntime.sleep(60)'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const zpid = Number(
      await new Promise<string>((r) => py.stdout!.once('data', (d: Buffer) => r(d.toString().trim()))),
    );
    await new Promise((r) => setTimeout(r, 200));
    try {
      assert.equal((await table.inspect([zpid])).get(zpid)!.state, 'zombie');
      const j = await verified(job('task-z-000001', 'running', zpid));
      assert.equal(j.status, 'stale');
      assert.equal(j.verification?.outcome, 'zombie');
    } finally {
      py.kill('SIGKILL');
    }
  });

  test('200 pids in one batch', async () => {
    const live = await Promise.all(Array.from({ length: 20 }, () => procs.start('sleep', ['120'])));
    const pids = [...live, ...Array.from({ length: 180 }, (_, i) => 4_000_000 + i)];
    const t0 = process.hrtime.bigint();
    const m = await table.inspect(pids);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(m.size, 200);
    assert.equal([...m.values()].filter((i) => i.state === 'alive').length, 20);
    console.log(`# inspected 200 pids in ${ms.toFixed(2)} ms`);
  });

  test('a full listing, read in slices (bench: pid), has every process exactly once', async () => {
    // More than two slices of children, so that a slice dropped or read twice shows.
    const live = await Promise.all(Array.from({ length: 80 }, () => procs.start('sleep', ['120'])));
    const pids = (await table.list()).map((p) => p.pid);
    assert.equal(new Set(pids).size, pids.length, 'no process twice');
    for (const pid of [...live, process.pid]) assert.ok(pids.includes(pid), `pid ${pid} listed`);
  });

  test('parsers: a command name with ") " and a ps line', () => {
    const stat = '123 (evil) (name) S 1 123 123 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5000 0 300 18446744073709551615';
    const p = parseProcStat(stat, 1_000_000)!;
    assert.equal(p.ppid, 1);
    assert.equal(p.startTimeMs, 1_000_000 + 50_000);
    assert.equal(p.rssBytes, 300 * 4096);
    const ps = parsePsLine(
      '  501  1 501 501 2048 Ss   Mon Nov 24 00:53:37 2026     node /x/codex-companion.mjs review --json',
    )!;
    assert.deepEqual(ps.argv, ['node', '/x/codex-companion.mjs', 'review', '--json']);
    assert.equal(ps.state, 'alive');
  });
});

describe('identity of job processes', () => {
  test('the task-worker of the job is verified; of another job, reused', async () => {
    const pid = await procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', '/tmp', '--job-id', 'task-v-000001'],
      { waitReady: true },
    );
    assert.equal((await verified(job('task-v-000001', 'running', pid))).status, 'running');
    const other = await verified(job('task-v-000002', 'running', pid));
    assert.equal(other.status, 'pid-reused');
    assert.match(other.verification!.detail, /another job/);
  });

  test('a queued job whose worker lives is queued', async () => {
    const pid = await procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', '/tmp', '--job-id', 'task-q-000001'],
      { waitReady: true },
    );
    assert.equal((await verified(job('task-q-000001', 'queued', pid))).status, 'queued');
  });

  test('a companion that started before the job was created is a reused pid', async () => {
    const pid = await procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', '/tmp', '--job-id', 'task-v-000003'],
      { waitReady: true },
    );
    const future = new Date(Date.now() + 10_000).toISOString();
    const j = await verified(job('task-v-000003', 'running', pid, { createdAt: future }));
    assert.equal(j.status, 'pid-reused');
    assert.match(j.verification!.detail, /before the job was created/);
  });

  test('an index entry re-added with a fresh createdAt does not make a live worker look reused', async () => {
    const pid = await procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', '/tmp', '--job-id', 'task-v-000004'],
      { waitReady: true },
    );
    const j = job(
      'task-v-000004',
      'running',
      pid,
      { createdAt: new Date(Date.now() - 60_000).toISOString() },
      { createdAt: new Date(Date.now() + 10_000).toISOString() },
    );
    j.display = { ...j.display, createdAt: j.index!.createdAt };
    assert.equal((await verified(j)).status, 'running');
  });

  test('a foreground review that created its job long after it started is its process; one started after its pid was recorded is not', async () => {
    const pid = await procs.start(process.execPath, [FAKE_COMPANION, 'review', '--json'], { waitReady: true });
    // The companion's git work before createJobRecord can take many seconds on a large repo.
    const later = new Date(Date.now() + 30_000).toISOString();
    const slow = await verified(
      job('review-f-000003', 'running', pid, { createdAt: later, startedAt: later, workspaceRoot: process.cwd() }),
    );
    assert.equal(slow.status, 'running', slow.verification?.detail);
    const earlier = new Date(Date.now() - 60_000).toISOString();
    const reused = await verified(
      job('review-f-000004', 'running', pid, { createdAt: earlier, startedAt: earlier, workspaceRoot: process.cwd() }),
    );
    assert.equal(reused.status, 'pid-reused');
    assert.match(reused.verification!.detail, /after the job recorded that pid/);
  });

  test('foreground reviews match by subcommand; the wrong kind does not', async () => {
    const pid = await procs.start(process.execPath, [FAKE_COMPANION, 'review', '--json'], { waitReady: true });
    const ws = { workspaceRoot: process.cwd() };
    assert.equal((await verified(job('review-f-000001', 'running', pid, ws))).status, 'running');
    assert.equal(
      (await verified(job('review-f-000002', 'running', pid, { ...ws, kind: 'adversarial-review' }))).status,
      'pid-reused',
    );
    assert.equal(
      matchCompanionCommand(
        ['node', 'C:\\p\\codex\\1.0.4\\scripts\\codex-companion.mjs', 'task-worker', '--job-id=x-1'],
        { id: 'x-1' },
      ).ok,
      true,
    );
  });

  test('stalled, unverified, unknown and terminal statuses', async () => {
    const pid = await procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', '/tmp', '--job-id', 'task-s-000001'],
      { waitReady: true },
    );
    const quiet = job('task-s-000001', 'running', pid);
    quiet.log.mtimeMs = Date.now() - 3_600_000;
    assert.equal((await verified(quiet)).status, 'stalled');
    assert.equal((await verified(job('task-s-000002', 'running', null))).status, 'unverified');
    const none = job('task-s-000003', 'running', 1);
    none.recordedStatus = undefined;
    assert.equal((await verified(none)).status, 'unknown');
    for (const s of ['completed', 'failed', 'cancelled'] as const)
      assert.equal((await verified(job('task-t-000001', s, null))).status, s);
  });
});

describe('a job seen only as its log (no record, no index entry, no pid)', () => {
  const logOnly = (id: string, stateDir: string): Job => {
    const j = job(id, 'running', null);
    return {
      ...j,
      stateDir,
      record: undefined,
      recordedStatus: undefined,
      display: { id, raw: {} },
      flags: ['log-only'],
    };
  };
  const env = { ...process.env, CLAUDE_PLUGIN_DATA: '', FAKE_COMPANION_TRACK: '', FAKE_COMPANION_MODE: 'run' };

  test('its task-worker alive: unknown, naming the process; gone: stale, said plainly', async () => {
    const id = 'task-mwu9r001-solo01';
    const j = logOnly(id, '/nowhere/ws-0123456789abcdef');
    const pid = await procs.start(process.execPath, [FAKE_COMPANION, 'task-worker', '--cwd', '/tmp', '--job-id', id], {
      waitReady: true,
      env,
    });
    const [alive] = (await checkJobs([j], table, { stalledAfterMs: 600_000 })).values();
    assert.equal(alive.status, 'unknown');
    assert.match(alive.verification!.detail, new RegExp(`pid ${pid}`));
    await procs.stop(pid);
    const [dead] = (await checkJobs([j], table, { stalledAfterMs: 600_000 })).values();
    assert.equal(dead.status, 'stale', dead.verification?.detail);
    assert.equal(dead.verification?.outcome, 'gone');
    assert.match(dead.verification!.detail, /no companion process can be running it/);
  });

  test("a foreground review in its workspace may be running it; one in another workspace or another job's worker is not", async () => {
    const ws = await fs.mkdtemp(path.join(os.tmpdir(), 'cj-runner-'));
    try {
      const j = logOnly('review-mwu9r002-solo02', path.join('/state', await stateDirName(ws)));
      const other = await procs.start(
        process.execPath,
        [FAKE_COMPANION, 'task-worker', '--cwd', ws, '--job-id', 'task-mwu9r003-other3'],
        { waitReady: true, env },
      );
      const elsewhere = await procs.start(process.execPath, [FAKE_COMPANION, 'review', '--cwd', os.tmpdir()], {
        waitReady: true,
        env,
      });
      const mine = await procs.start(process.execPath, [FAKE_COMPANION, 'review'], { waitReady: true, env, cwd: ws });
      const [alive] = (await checkJobs([j], table, { stalledAfterMs: 600_000 })).values();
      assert.equal(alive.status, 'unknown');
      assert.match(alive.verification!.detail, new RegExp(`pid ${mine}\\b`));
      await procs.stop(mine);
      const [dead] = (await checkJobs([j], table, { stalledAfterMs: 600_000 })).values();
      assert.equal(dead.status, 'stale', dead.verification?.detail);
      await procs.stop(other);
      await procs.stop(elsewhere);
    } finally {
      await fs.rm(ws, { recursive: true, force: true });
    }
  });
});

test('verifyJobs gives new job objects and leaves the ones it is given as they were', async () => {
  const pid = await procs.start(process.execPath, [FAKE_COMPANION, 'task-worker', '--job-id', 'task-i-000001'], {
    waitReady: true,
  });
  const given = Object.freeze(job('task-i-000001', 'running', pid));
  const before = JSON.stringify(given);
  const [v] = await verifyJobs([given], table, { stalledAfterMs: 600_000 });
  assert.notEqual(v, given);
  assert.equal(v.status, 'running');
  assert.equal(v.verification?.outcome, 'verified');
  assert.equal(JSON.stringify(given), before);
  await procs.stop(pid);
});

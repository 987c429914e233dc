// Brokers and the reaper with real processes, real unix sockets and real session dirs.
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { scanBrokers, type BrokerScan } from '../../src/core/brokers/brokers';
import { planReap, reap } from '../../src/core/brokers/reaper';
import type { BrokerEntry } from '../../src/core/brokers/brokers';
import { createProcessTable } from '../../src/core/os/processes';
import { stateDirName } from '../../src/core/discovery/discovery';
import type { ProcInfo } from '../../src/core/vocab/types';
import { startBroker } from '../fixtures/spawn';

const table = createProcessTable();
const started: number[] = [];

interface Started {
  pid: number;
  dir: string;
  startTimeMs: number;
}

/** A detached broker in a fresh `cxc-*` dir, as the companion makes them, with its start time. */
async function broker(tmp: string, mode: 'polite' | 'deaf' | 'stubborn', child = false): Promise<Started> {
  // Its own workspace's state dir (tmp's, under <tmp>/pd/state) exists: an unreferenced one is an orphan.
  const b = await startBroker(tmp, tmp, { ...process.env, CLAUDE_PLUGIN_DATA: path.join(tmp, 'pd') }, { mode, child });
  started.push(b.pid);
  const info = (await table.inspect([b.pid])).get(b.pid)!;
  return { pid: b.pid, dir: b.dir, startTimeMs: info.startTimeMs! };
}

async function alive(p: { pid: number; startTimeMs?: number }): Promise<boolean> {
  const i = (await table.inspect([p.pid])).get(p.pid);
  return !!i && i.state === 'alive' && (p.startTimeMs === undefined || i.startTimeMs === p.startTimeMs);
}

async function children(pid: number): Promise<ProcInfo[]> {
  return (await table.list()).filter((p) => p.ppid === pid);
}

afterEach(async () => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

describe('brokers and the reaper', () => {
  let tmp: string;
  let stateRoot: string;
  // Scoped to this test's dir: a machine's real brokers are never found, let alone reaped, by tests.
  const scan = (graceMs = 0): Promise<BrokerScan> =>
    scanBrokers({
      tmpdir: tmp,
      stateRoots: [{ path: stateRoot, source: 'setting' }],
      graceMs,
      table,
      dirlessWithin: [tmp],
    });
  const classOf = (s: BrokerScan, dir: string) => s.entries.find((e) => e.dir === dir)?.class;

  beforeEach(async () => {
    tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'brokers-')));
    stateRoot = path.join(tmp, 'state');
    await fs.mkdir(path.join(tmp, 'pd', 'state', await stateDirName(tmp)), { recursive: true });
  });
  afterEach(() => fs.rm(tmp, { recursive: true, force: true }));

  async function reference(b: Started, workspaceDir = 'other-workspace-0123456789abcdef') {
    const sd = path.join(stateRoot, workspaceDir);
    await fs.mkdir(sd, { recursive: true });
    await fs.writeFile(
      path.join(sd, 'broker.json'),
      JSON.stringify({
        endpoint: `unix:${b.dir}/broker.sock`,
        pidFile: `${b.dir}/broker.pid`,
        logFile: `${b.dir}/broker.log`,
        sessionDir: b.dir,
        pid: b.pid,
      }),
    );
  }

  test('polite, deaf and stubborn orphans end by shutdown, SIGTERM and SIGKILL; children too; the rest survive', async () => {
    const polite = await broker(tmp, 'polite');
    const deaf = await broker(tmp, 'deaf');
    const stubborn = await broker(tmp, 'stubborn', true);
    const inUse = await broker(tmp, 'polite');
    await reference(inUse);
    await new Promise((r) => setTimeout(r, 300));
    const stubbornKids = await children(stubborn.pid);
    assert.equal(stubbornKids.length, 1, 'the stubborn broker has its app-server child');
    const s = await scan();
    assert.equal(classOf(s, polite.dir), 'orphan-live');
    assert.equal(classOf(s, inUse.dir), 'in-use');
    assert.equal(s.entries.find((e) => e.dir === stubborn.dir)!.children.length, 1);
    const summary = await reap(planReap(s), { table, termMs: 1500 });
    const step = (dir: string) => summary.outcomes.find((o) => o.entry.dir === dir)?.step;
    assert.equal(step(polite.dir), 'shutdown');
    assert.equal(step(deaf.dir), 'sigterm');
    assert.equal(step(stubborn.dir), 'sigkill');
    assert.equal(summary.reaped, 3);
    assert.equal(summary.failed, 0);
    for (const b of [polite, deaf, stubborn]) assert.equal(await alive(b), false, `${b.dir} is gone`);
    assert.equal(await alive(stubbornKids[0]), false, 'the child is gone too');
    assert.equal(await alive(inUse), true, 'the referenced broker still runs');
    for (const b of [polite, deaf, stubborn]) await assert.rejects(fs.stat(b.dir), 'its dir is removed');
    await fs.stat(inUse.dir);
  });

  test('a starting broker inside the grace period survives', async () => {
    const young = await broker(tmp, 'polite');
    const s = await scan(60_000);
    assert.equal(classOf(s, young.dir), 'starting');
    const summary = await reap(planReap(s), { table });
    assert.equal(summary.reaped, 0);
    assert.equal(await alive(young), true);
  });

  test('a decoy whose pid is in broker.pid, a foreign-owned dir and a symlink are never touched', async () => {
    const decoy = spawn('sleep', ['300'], { stdio: 'ignore' });
    await new Promise((r) => decoy.once('spawn', r));
    started.push(decoy.pid!);
    const decoyDir = path.join(tmp, 'cxc-decoy1');
    await fs.mkdir(decoyDir);
    await fs.writeFile(path.join(decoyDir, 'broker.pid'), `${decoy.pid}\n`);
    const foreign = path.join(tmp, 'cxc-foreign');
    await fs.mkdir(foreign);
    await fs.writeFile(path.join(foreign, 'broker.log'), 'x');
    await fs.chown(foreign, 12345, 12345);
    const elsewhere = path.join(tmp, 'elsewhere');
    await fs.mkdir(elsewhere);
    await fs.writeFile(path.join(elsewhere, 'broker.pid'), '999999\n');
    await fs.symlink(elsewhere, path.join(tmp, 'cxc-link'));
    const s = await scan();
    assert.equal(classOf(s, decoyDir), 'foreign');
    assert.match(s.entries.find((e) => e.dir === decoyDir)!.reason, /sleep/);
    assert.equal(classOf(s, foreign), 'foreign');
    assert.equal(classOf(s, path.join(tmp, 'cxc-link')), 'foreign');
    const summary = await reap(planReap(s), { table });
    assert.equal(summary.reaped, 0);
    assert.equal(await alive({ pid: decoy.pid! }), true, 'the decoy still runs');
    await fs.stat(path.join(decoyDir, 'broker.pid'));
    await fs.stat(path.join(foreign, 'broker.log'));
    await fs.stat(path.join(elsewhere, 'broker.pid'));
    decoy.kill('SIGKILL');
  });

  test('dead dirs: only known files go; a dir with other files is kept; reaping twice is harmless', async () => {
    const dead = path.join(tmp, 'cxc-dead01');
    await fs.mkdir(dead);
    await fs.writeFile(path.join(dead, 'broker.pid'), '999999999\n');
    await fs.writeFile(path.join(dead, 'broker.log'), 'log');
    const mixed = path.join(tmp, 'cxc-mixed1');
    await fs.mkdir(mixed);
    await fs.writeFile(path.join(mixed, 'broker.log'), 'log');
    await fs.writeFile(path.join(mixed, 'notes.txt'), 'mine');
    const s = await scan();
    assert.equal(classOf(s, dead), 'dead');
    const first = await reap(planReap(s), { table });
    await assert.rejects(fs.stat(dead));
    await fs.stat(path.join(mixed, 'notes.txt'));
    await assert.rejects(fs.stat(path.join(mixed, 'broker.log')));
    assert.equal(first.failed, 1, 'the mixed dir is reported as kept');
    const second = await reap(planReap(await scan()), { table });
    assert.equal(second.reaped, 0);
    await fs.stat(path.join(mixed, 'notes.txt'));
  });

  test('a live broker with no dir is found by its command line and reaped', async () => {
    const b = await broker(tmp, 'deaf');
    await fs.rm(b.dir, { recursive: true, force: true });
    const s = await scan();
    const e = s.entries.find((x) => x.pid === b.pid);
    assert.equal(e?.class, 'orphan-live');
    assert.equal(e?.dir, undefined);
    const summary = await reap(planReap(s), { table, termMs: 1500 });
    assert.equal(summary.outcomes.find((o) => o.entry.pid === b.pid)?.result, 'reaped');
    assert.equal(await alive(b), false);
  });

  test('at scale: 50 brokers of mixed kinds; only the intended ones end', async (t) => {
    const kinds = ['polite', 'deaf', 'stubborn'] as const;
    const orphans: Started[] = [];
    const kept: Started[] = [];
    for (let i = 0; i < 30; i += 6)
      orphans.push(
        ...(await Promise.all(Array.from({ length: 6 }, (_, j) => broker(tmp, kinds[(i + j) % 3], (i + j) % 5 === 0)))),
      );
    for (let i = 0; i < 10; i++) {
      const b = await broker(tmp, 'polite');
      await reference(b, `ws${i}-0123456789abcdef`);
      kept.push(b);
    }
    for (let i = 0; i < 10; i++) {
      const d = path.join(tmp, `cxc-dead${String(i).padStart(2, '0')}`);
      await fs.mkdir(d);
      await fs.writeFile(path.join(d, 'broker.pid'), '999999999\n');
      await fs.writeFile(path.join(d, 'broker.sock'), '');
    }
    const t0 = Date.now();
    const s = await scan();
    const scanMs = Date.now() - t0;
    const summary = await reap(planReap(s), { table, termMs: 1500 });
    const byStep = summary.outcomes.reduce<Record<string, number>>(
      (m, o) => (
        (m[`${o.result}${o.step ? `/${o.step}` : ''}`] = (m[`${o.result}${o.step ? `/${o.step}` : ''}`] ?? 0) + 1),
        m
      ),
      {},
    );
    t.diagnostic(`50 brokers: scan ${scanMs} ms, reap ${summary.ms} ms; ${JSON.stringify(byStep)}`);
    const others = summary.outcomes.filter((o) => o.result !== 'reaped' && o.result !== 'skipped');
    assert.equal(summary.reaped, 40, others.map((o) => `${o.result}: ${o.detail}`).join('\n'));
    assert.equal(summary.skipped, 10);
    assert.equal(summary.failed, 0);
    for (const b of orphans) assert.equal(await alive(b), false);
    for (const b of kept) assert.equal(await alive(b), true);
  });
});

test('reap: a plan’s skips first, then each outcome as it finishes, in the order the progress counts them; a cancel skips what has not started', async () => {
  const entry = (key: string, dir?: string): BrokerEntry => ({
    key,
    class: 'dead',
    reason: 'no process',
    ...(dir ? { dir, dirId: { dev: 1, ino: 1 } } : {}),
    referencedBy: [],
    children: [],
    files: [],
    otherFiles: [],
  });
  // The first ends at once (no dir to clear); the next seven look for dirs already deleted (slower);
  // the last two are not started before the cancel.
  const gone = path.join(os.tmpdir(), `codex-jobs-no-such-dir-${process.pid}`);
  const entries = Array.from({ length: 10 }, (_, i) =>
    entry(`pid:${1000 + i}`, i >= 1 && i <= 7 ? `${gone}-${i}` : undefined),
  );
  const plan = { reap: entries, skip: [{ entry: { ...entry('kept'), class: 'in-use' as const }, why: 'in use: x' }] };
  const progress: [number, number, string][] = [];
  let cancelled = false;
  const summary = await reap(plan, {
    table,
    isCancelled: () => cancelled,
    onProgress: (done, total, e) => {
      progress.push([done, total, e.key]);
      cancelled = true; // after the first one ends: the eight already started go on, the rest are skipped
    },
  });
  assert.deepEqual(
    progress.map(([done, total]) => [done, total]),
    Array.from({ length: 8 }, (_, i) => [i + 1, 10]),
  );
  assert.equal(summary.outcomes[0].entry.key, 'kept');
  assert.deepEqual(
    summary.outcomes.filter((o) => o.step === 'files').map((o) => o.entry.key),
    progress.map(([, , key]) => key),
  );
  const skipped = summary.outcomes.filter((o) => o.detail === 'cancelled').map((o) => o.entry.key);
  assert.deepEqual(skipped, ['pid:1008', 'pid:1009']);
  assert.deepEqual([summary.reaped, summary.alreadyGone, summary.skipped, summary.failed], [1, 7, 3, 0]);
});

// Two neighbours on one machine: workspaces A and B, each with its own TMPDIR and CLAUDE_PLUGIN_DATA,
// an in-use broker with app-server children, a running task-worker, real orphans and dead dirs.
// Reap runs from A's environment, from B's, and from a third that knows neither: exactly the true
// orphans and their children die, and only the known three files of a dead dir go. Everything runs
// in its own pid namespace (this file re-executes itself under unshare), so nothing else can be hit.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { candidateRoots, resolveWorkspaceRoot, stateDirName } from '../../src/core/discovery/discovery';
import { scanBrokers, type BrokerScan } from '../../src/core/brokers/brokers';
import { planReap, reap } from '../../src/core/brokers/reaper';
import { createProcessTable } from '../../src/core/os/processes';
import type { StateRoot } from '../../src/core/vocab/types';
import {
  aliveNow,
  childrenNow,
  FAKE_COMPANION,
  listTree,
  PIDNS_ENV,
  pidNamespaceUnavailable,
  runInPidNamespace,
  startBroker,
  writeBrokerJson,
  type StartedBroker,
} from '../fixtures/spawn';

const ME = 'neighbours';
const REPO = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(REPO, 'dist', 'cli.js');

if (process.env[PIDNS_ENV] !== ME) {
  test('neighbours: reap from A, B and a third environment (in its own pid namespace)', async (t) => {
    const why = await pidNamespaceUnavailable();
    if (why) return t.skip(`skipped: ${why}`);
    const report = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'neighbours-report-')), 'report.json');
    const r = await runInPidNamespace(
      [__filename],
      { ...process.env, [PIDNS_ENV]: ME, NEIGHBOURS_REPORT: report },
      240_000,
    );
    const figures = await fs.readFile(report, 'utf8').catch(() => '');
    for (const line of figures.split('\n')) if (line) t.diagnostic(line);
    await fs.rm(path.dirname(report), { recursive: true, force: true });
    assert.equal(r.code, 0, `inside the namespace:\n${r.stdout}\n${r.stderr}`);
  });
} else {
  const table = createProcessTable();
  const figures: string[] = [];
  const exec = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(cmd, args, { ...opts, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );

  interface Workspace {
    name: string;
    base: string;
    ws: string;
    /** Where its companion runs from (a subfolder of a git repo for A). */
    cwd: string;
    tmp: string;
    pd: string;
    env: NodeJS.ProcessEnv;
    stateDir: string;
    inUse?: StartedBroker;
    workerPid?: number;
  }

  let base: string;
  let home: string;
  const spaces: Workspace[] = [];
  const cleanEnv = () => {
    const e = { ...process.env };
    for (const k of ['CLAUDE_PLUGIN_DATA', 'TMPDIR', 'TMP', 'TEMP', PIDNS_ENV, 'NEIGHBOURS_REPORT']) delete e[k];
    return e;
  };

  async function workspace(name: string, git: boolean): Promise<Workspace> {
    const b = path.join(base, name);
    const ws = path.join(b, 'ws');
    const cwd = git ? path.join(ws, 'sub') : ws;
    await fs.mkdir(cwd, { recursive: true });
    await fs.mkdir(path.join(b, 'tmp'));
    if (git) await exec('git', ['init', '-q'], { cwd: ws });
    const tmp = path.join(b, 'tmp');
    const pd = path.join(b, 'pd');
    const env = { ...cleanEnv(), HOME: home, TMPDIR: tmp, CLAUDE_PLUGIN_DATA: pd };
    const stateDir = path.join(pd, 'state', await stateDirName(await resolveWorkspaceRoot(cwd)));
    await fs.mkdir(path.join(stateDir, 'jobs'), { recursive: true });
    return { name, base: b, ws, cwd, tmp, pd, env, stateDir };
  }

  async function startWorker(w: Workspace, id: string): Promise<number> {
    const c = spawn(process.execPath, [FAKE_COMPANION, 'task-worker', '--cwd', w.cwd, '--job-id', id], {
      cwd: w.cwd,
      detached: true,
      env: w.env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise<void>((resolve, reject) => {
      c.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      c.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
    });
    c.stdout!.destroy();
    c.unref();
    const now = new Date(Date.now() - 5000).toISOString();
    const rec = {
      id,
      kind: 'task',
      jobClass: 'task',
      status: 'running',
      phase: 'investigating',
      pid: c.pid,
      workspaceRoot: await resolveWorkspaceRoot(w.cwd),
      createdAt: now,
      startedAt: now,
      updatedAt: now,
    };
    await fs.writeFile(path.join(w.stateDir, 'jobs', `${id}.json`), JSON.stringify(rec));
    await fs.writeFile(path.join(w.stateDir, 'jobs', `${id}.log`), `[${now}] Starting Codex task.\n`);
    await fs.writeFile(path.join(w.stateDir, 'state.json'), JSON.stringify({ version: 1, jobs: [rec] }));
    return c.pid!;
  }

  interface Round {
    orphans: StartedBroker[];
    orphanKids: number[];
    unknown: StartedBroker[];
    dead: string[];
    mixed: string[];
  }

  /** Fresh true orphans (with app-server children), brokers whose own state dir is missing, dead dirs. */
  async function setUpRound(tag: string): Promise<Round> {
    const r: Round = { orphans: [], orphanKids: [], unknown: [], dead: [], mixed: [] };
    for (const w of spaces) {
      r.orphans.push(await startBroker(w.tmp, w.cwd, w.env, { mode: 'polite', child: true }));
      r.orphans.push(await startBroker(w.tmp, w.cwd, w.env, { mode: 'deaf', child: true }));
      r.unknown.push(
        await startBroker(
          w.tmp,
          w.cwd,
          { ...w.env, CLAUDE_PLUGIN_DATA: path.join(w.base, 'pd-none') },
          { child: true },
        ),
      );
      for (let i = 0; i < 2; i++) {
        const d = path.join(w.tmp, `cxc-dead-${tag}-${i}`);
        await fs.mkdir(d);
        await fs.writeFile(path.join(d, 'broker.pid'), '999999\n');
        await fs.writeFile(path.join(d, 'broker.log'), 'old log\n');
        await fs.writeFile(path.join(d, 'broker.sock'), '');
        r.dead.push(d);
      }
      const m = path.join(w.tmp, `cxc-mixed-${tag}`);
      await fs.mkdir(m);
      await fs.writeFile(path.join(m, 'broker.log'), 'old log\n');
      await fs.writeFile(path.join(m, 'notes.txt'), 'not the broker’s');
      r.mixed.push(m);
    }
    // Their app-server children are up once each broker printed ready; wait until /proc shows them.
    for (const b of [...r.orphans, ...r.unknown]) {
      for (let i = 0; i < 50 && childrenNow(b.pid).length === 0; i++) await new Promise((x) => setTimeout(x, 50));
    }
    for (const b of r.orphans) r.orphanKids.push(...childrenNow(b.pid));
    return r;
  }

  function learnedOf(scan: BrokerScan): string[] {
    // (stateRoots: what the scan searched; older scans did not say.)
    return ((scan as { stateRoots?: (StateRoot & { origin?: { via: string; process: string } })[] }).stateRoots ?? [])
      .filter((x: StateRoot) => x.source === 'process')
      .map((x) => `${path.relative(base, x.path)} (${x.origin?.via} of ${x.origin?.process})`);
  }

  async function coreReap(env: NodeJS.ProcessEnv, tmpdir: string): Promise<string[]> {
    const host = { env, homedir: home, tmpdir, platform: process.platform, learnRoots: true };
    const roots = (await candidateRoots(host, [])).roots;
    const scan = await scanBrokers({ tmpdir, stateRoots: roots, graceMs: 0, table });
    await reap(planReap(scan), { table, termMs: 1500, killMs: 1500 });
    return learnedOf(scan);
  }

  async function cliReap(env: NodeJS.ProcessEnv): Promise<void> {
    const r = await exec(process.execPath, [CLI, 'reap', '--yes', '--grace-seconds', '0'], {
      env: { ...env, CODEX_JOBS_ARCHIVE_DIR: path.join(os.tmpdir(), `neighbours-archive-${process.pid}`) },
      cwd: home,
    });
    assert.ok(r.code === 0 || r.code === 1, `cli reap: ${r.stdout}${r.stderr}`);
  }

  const totals = { shouldDie: 0, died: 0, shouldLive: 0, lived: 0, filesRemoved: 0, unexpectedRemoved: 0 };

  async function check(tag: string, r: Round, before: string[]): Promise<void> {
    const die = [...r.orphans.map((b) => b.pid), ...r.orphanKids];
    const live = [
      ...spaces.flatMap((w) => [w.inUse!.pid, ...childrenNow(w.inUse!.pid), w.workerPid!]),
      ...r.unknown.flatMap((b) => [b.pid, ...childrenNow(b.pid)]),
    ];
    // Killed brokers and children exit promptly; poll generously on a loaded machine.
    for (let i = 0; i < 100 && die.some(aliveNow); i++) await new Promise((x) => setTimeout(x, 100));
    const died = die.filter((p) => !aliveNow(p)).length;
    const lived = live.filter(aliveNow).length;
    const afterTree = new Set(listTree(base));
    const removed = before.filter((p) => !afterTree.has(p));
    const allowed = new Set<string>();
    for (const b of r.orphans)
      for (const f of ['', 'broker.pid', 'broker.log', 'broker.sock']) allowed.add(path.join(b.dir, f));
    for (const d of r.dead)
      for (const f of ['', 'broker.pid', 'broker.log', 'broker.sock']) allowed.add(path.join(d, f));
    for (const d of r.mixed) allowed.add(path.join(d, 'broker.log'));
    const unexpected = removed.filter((p) => !allowed.has(p.replace(/\/$/, '')) && !allowed.has(p));
    const deadFiles = removed.filter((p) => [...r.dead, ...r.mixed].some((d) => p.startsWith(d + path.sep)));
    totals.shouldDie += die.length;
    totals.died += died;
    totals.shouldLive += live.length;
    totals.lived += lived;
    totals.filesRemoved += deadFiles.length;
    totals.unexpectedRemoved += unexpected.length;
    figures.push(
      `${tag}: should die ${die.length}, died ${died}; should live ${live.length}, lived ${lived}; dead-dir files removed ${deadFiles.length}; anything else removed: ${unexpected.length ? unexpected.join(', ') : 'nothing'}`,
    );
    assert.equal(died, die.length, `${tag}: every true orphan and child died`);
    assert.equal(lived, live.length, `${tag}: in-use brokers, their children, workers and unknown brokers live`);
    assert.deepEqual(unexpected, [], `${tag}: nothing but the known files went`);
    for (const d of r.mixed) await fs.stat(path.join(d, 'notes.txt'));
    // What was not reaped this round would be next round's: end it now, outside the code under test.
    for (const b of r.unknown) await stopBroker(b);
  }

  async function stopBroker(b: StartedBroker): Promise<void> {
    try {
      process.kill(-b.pid, 'SIGKILL');
    } catch {
      // gone
    }
    b.child.stdout?.destroy();
    b.child.unref();
    await fs.rm(b.dir, { recursive: true, force: true });
  }

  describe('neighbours', () => {
    before(async () => {
      base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'neighbours-')));
      home = path.join(base, 'home');
      await fs.mkdir(home);
      spaces.push(await workspace('a', true), await workspace('b', false));
      for (const w of spaces) {
        w.inUse = await startBroker(w.tmp, w.cwd, w.env, { mode: 'polite', child: true });
        await writeBrokerJson(w.stateDir, w.inUse);
        w.workerPid = await startWorker(w, `task-mwn${w.name}001-wrk${w.name}01`);
      }
      await fs.mkdir(path.join(base, 'c', 'tmp'), { recursive: true });
    });
    after(async () => {
      await fs
        .writeFile(process.env.NEIGHBOURS_REPORT!, [...figures, `total: ${JSON.stringify(totals)}`].join('\n') + '\n')
        .catch(() => undefined);
      await fs.rm(base, { recursive: true, force: true });
    });

    const third = () => ({ ...cleanEnv(), HOME: home, TMPDIR: path.join(base, 'c', 'tmp') });

    test("core reap from A's environment", async () => {
      const r = await setUpRound('a1');
      const before = listTree(base);
      const a = spaces[0];
      const learned = await coreReap(a.env, a.tmp);
      figures.push(`roots learned from processes (A's env): ${learned.join('; ')}`);
      await check("core reap, A's env", r, before);
    });

    test("CLI reap --yes from B's environment", async () => {
      const r = await setUpRound('b1');
      const before = listTree(base);
      await cliReap(spaces[1].env);
      await check("CLI reap, B's env", r, before);
    });

    test('CLI reap --yes from a third environment that knows neither', async () => {
      const r = await setUpRound('c1');
      const before = listTree(base);
      await cliReap(third());
      await check('CLI reap, third env', r, before);
    });

    test('core reap from the third environment; the roots it learned', async () => {
      const r = await setUpRound('c2');
      const before = listTree(base);
      const learned = await coreReap(third(), path.join(base, 'c', 'tmp'));
      figures.push(`roots learned from processes (third env): ${learned.join('; ')}`);
      assert.ok(learned.length >= 2, 'both neighbours’ roots were learned');
      await check('core reap, third env', r, before);
    });

    test('a broker whose own state dir is missing, a link, or holds a torn broker.json is unknown and never signalled', async () => {
      const w = spaces[1];
      const missing = await startBroker(w.tmp, w.cwd, { ...w.env, CLAUDE_PLUGIN_DATA: path.join(w.base, 'pd-gone') });
      // Its own state dir is a symbolic link to a real dir.
      const linkPd = path.join(w.base, 'pd-link');
      const name = path.basename(w.stateDir);
      await fs.mkdir(path.join(linkPd, 'state'), { recursive: true });
      await fs.mkdir(path.join(w.base, 'elsewhere'));
      await fs.symlink(path.join(w.base, 'elsewhere'), path.join(linkPd, 'state', name));
      const linked = await startBroker(w.tmp, w.cwd, { ...w.env, CLAUDE_PLUGIN_DATA: linkPd });
      const tornPd = path.join(w.base, 'pd-torn');
      await fs.mkdir(path.join(tornPd, 'state', name), { recursive: true });
      await fs.writeFile(path.join(tornPd, 'state', name, 'broker.json'), '{"endpoint": "unix:/tm');
      const torn = await startBroker(w.tmp, w.cwd, { ...w.env, CLAUDE_PLUGIN_DATA: tornPd });
      const scan = await scanBrokers({ tmpdir: w.tmp, stateRoots: [], graceMs: 0, table });
      for (const b of [missing, linked, torn]) {
        const e = scan.entries.find((x) => x.dir === b.dir);
        assert.equal(e?.class, 'unknown', `${b.dir}: ${e?.reason}`);
        figures.push(`unknown: ${e!.reason.replace(base, '<base>')}`);
      }
      await reap(planReap(scan), { table, termMs: 1000, killMs: 1000 });
      for (const b of [missing, linked, torn]) assert.equal(aliveNow(b.pid), true, `${b.dir} was not signalled`);
      for (const b of [missing, linked, torn]) await stopBroker(b);
    });
  });
}

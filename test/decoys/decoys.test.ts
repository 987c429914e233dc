// Decoys: processes of other programs (Python, shell, `node -e`, Node scripts of other names, `exec -a`
// names) whose argv, name, cwd or environment imitate a broker, a task-worker or a foreground review,
// started before and after the record; other programs' sockets at the endpoint; dirs swapped for links
// mid-reap. Reap and Cancel run against each case, each case in its own pid namespace: every decoy
// stays alive, no byte reaches a foreign socket, nothing outside is unlinked. `old` says how the case
// fared against the code before this change: `fails` (a decoy was hit) or `control` (passes on both).
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { cancelJob } from '../../src/core/actions/cancel';
import { candidateRoots, resolveWorkspaceRoot, stateDirName } from '../../src/core/discovery/discovery';
import { scanBrokers, type BrokerScan } from '../../src/core/brokers/brokers';
import { planReap, reap } from '../../src/core/brokers/reaper';
import { createProcessTable } from '../../src/core/os/processes';
import type { Job, JobFields } from '../../src/core/vocab/types';
import {
  aliveNow,
  FAKE_COMPANION,
  PIDNS_ENV,
  pidNamespaceUnavailable,
  runInPidNamespace,
  startBroker,
} from '../fixtures/spawn';

const ME = 'decoys';

interface Ctx {
  base: string;
  tmp: string;
  pd: string;
  ws: string;
  env: NodeJS.ProcessEnv;
  stateDir: string;
  /** A fake plugin of decoy scripts: `<base>/decoy-plugin/scripts/...`. */
  decoyScripts: string;
  /** Pids that must stay alive. */
  decoys: number[];
  /** Files that must still exist afterwards. */
  guarded: string[];
  /** Bytes received by foreign sockets. */
  bytes: { n: number };
  /** The job Cancel is run against (its pid is the main decoy). */
  job?: Job;
  /** Called between the scan and the reap. */
  midReap?: (scan: BrokerScan) => Promise<void>;
}

interface Case {
  name: string;
  old: 'fails' | 'control';
  setup: (c: Ctx) => Promise<void>;
}

/** The real Python binary (not a pyenv shim, which would reset argv[0]). */
let pyCache: string | undefined;
const py = () => (pyCache ??= execFileSync('python3', ['-c', 'import sys; print(sys.executable)']).toString().trim());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PY_IDLE = 'import time\nwhile True: time.sleep(60)';
const NODE_IDLE = 'setInterval(() => {}, 1 << 30)';

/** Starts a detached decoy (its own group, like a worker) and records it as one to keep alive. */
async function decoy(c: Ctx, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const child = spawn(cmd, args, {
    detached: true,
    stdio: 'ignore',
    cwd: opts.cwd ?? c.base,
    env: opts.env ?? c.env,
  });
  await new Promise((r, j) => child.once('spawn', r).once('error', j));
  child.unref();
  c.decoys.push(child.pid!);
  // Let it exec (a shim, `exec -a`) before anything looks at it.
  await sleep(300);
  return child.pid!;
}

const execA = (c: Ctx, name: string, prog: string, args: string[], o: { cwd?: string } = {}) =>
  decoy(c, 'bash', ['-c', 'exec -a "$0" "$@"', name, prog, ...args], o);

/** A cxc-* dir whose broker.pid names `pid` (or a dead pid). */
async function cxc(c: Ctx, name: string, pid = 999_999): Promise<string> {
  const d = path.join(c.tmp, name);
  await fs.mkdir(d, { recursive: true });
  await fs.writeFile(path.join(d, 'broker.pid'), `${pid}\n`);
  await fs.writeFile(path.join(d, 'broker.log'), 'log\n');
  return d;
}

const brokerArgs = (script: string, dir: string, cwd: string) => [
  script,
  'serve',
  '--endpoint',
  `unix:${path.join(dir, 'broker.sock')}`,
  '--cwd',
  cwd,
  '--pid-file',
  path.join(dir, 'broker.pid'),
];

/** A listening socket of "another program" that counts every byte it gets. */
async function foreignSocket(c: Ctx, file: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const server = net.createServer((s) => s.on('data', (d) => (c.bytes.n += d.length)).on('error', () => undefined));
  await new Promise<void>((r) => server.listen(file, r));
  server.unref();
  c.guarded.push(file);
}

function job(c: Ctx, id: string, pid: number, kind: 'task' | 'review', startedAtMs = Date.now() - 2000): Job {
  const t = new Date(startedAtMs).toISOString();
  const display: JobFields = {
    id,
    status: 'running',
    pid,
    kind,
    workspaceRoot: c.ws,
    createdAt: t,
    startedAt: t,
    raw: {},
  };
  return {
    id,
    stateDir: c.stateDir,
    display,
    record: display,
    recordedStatus: 'running',
    status: 'unknown',
    flags: [],
    logPath: path.join(c.stateDir, 'jobs', `${id}.log`),
    recordPath: path.join(c.stateDir, 'jobs', `${id}.json`),
    log: { exists: false, progress: [] },
  };
}

/** A decoy file at `<decoy-plugin>/scripts/<name>` (or elsewhere) holding `content`. */
async function decoyScript(c: Ctx, name: string, content: string, dir = c.decoyScripts): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const p = path.join(dir, name);
  await fs.writeFile(p, content, { mode: 0o755 });
  return p;
}

const TASK_ID = 'task-mwd0a001-dec001';
const REVIEW_ID = 'review-mwd0a002-dec002';
const FAKE_BROKER_SCRIPT = '/opt/codex/plugins/codex/scripts/app-server-broker.mjs';

const CASES: Case[] = [
  // ---------------------------------------------------------------- broker imitations
  {
    name: 'python3 whose argv merely contains the broker script, serve and an endpoint of a real cxc dir',
    old: 'fails',
    async setup(c) {
      const d = path.join(c.tmp, 'cxc-py0001');
      const pid = await decoy(c, py(), ['-c', PY_IDLE, ...brokerArgs(FAKE_BROKER_SCRIPT, d, c.ws)]);
      await cxc(c, 'cxc-py0001', pid);
    },
  },
  {
    name: 'node -e whose argv contains the broker words for a real cxc dir',
    old: 'fails',
    async setup(c) {
      const d = path.join(c.tmp, 'cxc-ne0001');
      const pid = await decoy(c, process.execPath, ['-e', NODE_IDLE, ...brokerArgs(FAKE_BROKER_SCRIPT, d, c.ws)]);
      await cxc(c, 'cxc-ne0001', pid);
    },
  },
  {
    name: 'python3 with the broker words and no cxc dir at all (dir-less)',
    old: 'fails',
    async setup(c) {
      await decoy(c, py(), ['-c', PY_IDLE, ...brokerArgs(FAKE_BROKER_SCRIPT, path.join(c.tmp, 'cxc-none01'), c.ws)]);
    },
  },
  {
    name: 'node -e with the broker words and no cxc dir at all (dir-less)',
    old: 'fails',
    async setup(c) {
      await decoy(c, process.execPath, [
        '-e',
        NODE_IDLE,
        ...brokerArgs(FAKE_BROKER_SCRIPT, path.join(c.tmp, 'cxc-none02'), c.ws),
      ]);
    },
  },
  {
    name: 'python3 naming only the --pid-file of a real cxc dir',
    old: 'fails',
    async setup(c) {
      const d = path.join(c.tmp, 'cxc-pf0001');
      const pid = await decoy(c, py(), [
        '-c',
        PY_IDLE,
        FAKE_BROKER_SCRIPT,
        'serve',
        '--pid-file',
        path.join(d, 'broker.pid'),
      ]);
      await cxc(c, 'cxc-pf0001', pid);
    },
  },
  {
    name: '`exec -a node` python3 running a Python file named scripts/app-server-broker.mjs, exact broker argv',
    old: 'fails',
    async setup(c) {
      const script = await decoyScript(c, 'app-server-broker.mjs', PY_IDLE);
      const d = path.join(c.tmp, 'cxc-xa0001');
      const pid = await execA(c, 'node', py(), brokerArgs(script, d, c.ws));
      await cxc(c, 'cxc-xa0001', pid);
    },
  },
  {
    name: '`exec -a node` sh running a shell file named scripts/app-server-broker.mjs, exact broker argv',
    old: 'fails',
    async setup(c) {
      const script = await decoyScript(c, 'app-server-broker.mjs', 'trap "" TERM\nsleep 600 & wait\n');
      const d = path.join(c.tmp, 'cxc-xs0001');
      const pid = await execA(c, 'node', 'sh', brokerArgs(script, d, c.ws));
      await cxc(c, 'cxc-xs0001', pid);
    },
  },
  {
    name: 'node running a file named app-server-broker.mjs outside any scripts/ dir, exact argv',
    old: 'fails',
    async setup(c) {
      const script = await decoyScript(c, 'app-server-broker.mjs', NODE_IDLE, path.join(c.base, 'elsewhere', 'bin'));
      const d = path.join(c.tmp, 'cxc-ob0001');
      const pid = await decoy(c, process.execPath, brokerArgs(script, d, c.ws));
      await cxc(c, 'cxc-ob0001', pid);
    },
  },
  {
    name: 'node decoy whose endpoint and pid file name two different cxc dirs',
    old: 'fails',
    async setup(c) {
      const script = await decoyScript(c, 'app-server-broker.mjs', NODE_IDLE);
      const d1 = path.join(c.tmp, 'cxc-two001');
      const d2 = path.join(c.tmp, 'cxc-two002');
      const pid = await decoy(c, process.execPath, [
        script,
        'serve',
        '--endpoint',
        `unix:${path.join(d1, 'broker.sock')}`,
        '--pid-file',
        path.join(d2, 'broker.pid'),
      ]);
      await cxc(c, 'cxc-two002', pid);
    },
  },
  {
    name: 'node decoy with the broker argv plus an option the broker does not take',
    old: 'fails',
    async setup(c) {
      const script = await decoyScript(c, 'app-server-broker.mjs', NODE_IDLE);
      const d = path.join(c.tmp, 'cxc-ex0001');
      const pid = await decoy(c, process.execPath, [...brokerArgs(script, d, c.ws), '--listen-anyway']);
      await cxc(c, 'cxc-ex0001', pid);
    },
  },
  {
    name: 'node decoy naming --endpoint twice (its dir first, another after)',
    old: 'fails',
    async setup(c) {
      const script = await decoyScript(c, 'app-server-broker.mjs', NODE_IDLE);
      const d = path.join(c.tmp, 'cxc-du0001');
      const pid = await decoy(c, process.execPath, [
        ...brokerArgs(script, d, c.ws),
        '--endpoint',
        'unix:/run/other.sock',
      ]);
      await cxc(c, 'cxc-du0001', pid);
    },
  },
  {
    name: 'control: a Node script of another name (app-server-broker-x.mjs) with broker argv',
    old: 'control',
    async setup(c) {
      const script = await decoyScript(c, 'app-server-broker-x.mjs', NODE_IDLE);
      const d = path.join(c.tmp, 'cxc-on0001');
      const pid = await decoy(c, process.execPath, brokerArgs(script, d, c.ws));
      await cxc(c, 'cxc-on0001', pid);
    },
  },
  {
    name: 'control: python3 with the broker script followed by `status`, not `serve`',
    old: 'control',
    async setup(c) {
      const d = path.join(c.tmp, 'cxc-st0001');
      const pid = await decoy(c, py(), [
        '-c',
        PY_IDLE,
        FAKE_BROKER_SCRIPT,
        'status',
        '--pid-file',
        path.join(d, 'broker.pid'),
      ]);
      await cxc(c, 'cxc-st0001', pid);
    },
  },
  {
    name: 'control: broker.pid names a live `sleep`',
    old: 'control',
    async setup(c) {
      const pid = await decoy(c, 'sleep', ['600']);
      await cxc(c, 'cxc-sl0001', pid);
    },
  },
  {
    name: 'a Node file named scripts/app-server-broker.mjs with exact argv, started before its cxc dir existed',
    old: 'fails',
    async setup(c) {
      const script = await decoyScript(c, 'app-server-broker.mjs', NODE_IDLE);
      const d = path.join(c.tmp, 'cxc-be0001');
      const pid = await decoy(c, process.execPath, brokerArgs(script, d, c.ws));
      await sleep(1800);
      await cxc(c, 'cxc-be0001', pid);
    },
  },
  {
    name: 'control: python3 started with the workspace’s CLAUDE_PLUGIN_DATA and another TMPDIR (not learned)',
    old: 'control',
    async setup(c) {
      const other = path.join(c.base, 'other-tmp');
      const d = path.join(other, 'cxc-ot0001');
      await fs.mkdir(d, { recursive: true });
      await fs.writeFile(path.join(d, 'broker.pid'), '999999\n');
      c.guarded.push(path.join(d, 'broker.pid'));
      await decoy(c, py(), ['-c', PY_IDLE, 'task-worker', '--cwd', c.ws], {
        env: { ...c.env, TMPDIR: other },
      });
    },
  },
  {
    name: 'control: node -e with a companion-like environment and its own TMPDIR (not learned)',
    old: 'control',
    async setup(c) {
      const other = path.join(c.base, 'other-tmp2');
      const d = path.join(other, 'cxc-ot0002');
      await fs.mkdir(d, { recursive: true });
      await fs.writeFile(path.join(d, 'broker.log'), 'x');
      c.guarded.push(path.join(d, 'broker.log'));
      await decoy(c, process.execPath, ['-e', NODE_IDLE], {
        env: { ...c.env, TMPDIR: other, CLAUDE_PLUGIN_DATA: path.join(c.base, 'other-pd') },
      });
    },
  },
  // ---------------------------------------------------------------- sockets
  {
    name: "an orphan broker's broker.sock replaced by another program's socket: not one byte to it",
    old: 'fails',
    async setup(c) {
      const b = await startBroker(c.tmp, c.ws, c.env, { mode: 'deaf' });
      const sock = path.join(b.dir, 'broker.sock');
      await fs.rm(sock);
      await foreignSocket(c, sock);
    },
  },
  {
    name: "python3 with the broker words, dir-less, whose endpoint is another program's socket",
    old: 'fails',
    async setup(c) {
      const sock = path.join(c.base, 'svc', 'service.sock');
      await foreignSocket(c, sock);
      await decoy(c, py(), [
        '-c',
        PY_IDLE,
        FAKE_BROKER_SCRIPT,
        'serve',
        '--endpoint',
        `unix:${sock}`,
        '--pid-file',
        path.join(c.tmp, 'cxc-gone01', 'broker.pid'),
      ]);
    },
  },
  {
    name: "an orphan broker's broker.sock replaced by a link to another program's socket",
    old: 'fails',
    async setup(c) {
      const b = await startBroker(c.tmp, c.ws, c.env, { mode: 'deaf' });
      const target = path.join(c.base, 'svc2', 'service.sock');
      await foreignSocket(c, target);
      const sock = path.join(b.dir, 'broker.sock');
      await fs.rm(sock);
      await fs.symlink(target, sock);
    },
  },
  {
    name: "a dead-looking cxc dir whose broker.sock is bound by another program's live listener",
    old: 'fails',
    async setup(c) {
      const d = await cxc(c, 'cxc-bo0001');
      await foreignSocket(c, path.join(d, 'broker.sock'));
    },
  },
  // ---------------------------------------------------------------- links mid-reap
  {
    name: 'a dead cxc dir swapped for a link to another dir between scan and reap',
    old: 'fails',
    async setup(c) {
      const d = await cxc(c, 'cxc-sw0001');
      await fs.writeFile(path.join(d, 'broker.sock'), '');
      const target = path.join(c.base, 'precious');
      await fs.mkdir(target);
      for (const f of ['broker.pid', 'broker.log', 'broker.sock']) {
        await fs.writeFile(path.join(target, f), 'keep me');
        c.guarded.push(path.join(target, f));
      }
      c.midReap = async () => {
        await fs.rename(d, path.join(c.base, 'moved-away'));
        await fs.symlink(target, d);
      };
    },
  },
  {
    name: "an orphan broker's session dir swapped for a link between scan and reap",
    old: 'fails',
    async setup(c) {
      const b = await startBroker(c.tmp, c.ws, c.env, { mode: 'deaf' });
      const target = path.join(c.base, 'precious2');
      await fs.mkdir(target);
      for (const f of ['broker.pid', 'broker.log', 'broker.sock']) {
        await fs.writeFile(path.join(target, f), 'keep me');
        c.guarded.push(path.join(target, f));
      }
      c.midReap = async () => {
        await fs.rename(b.dir, path.join(c.base, 'moved-away2'));
        await fs.symlink(target, b.dir);
      };
    },
  },
  {
    name: 'control: a cxc-* entry that is a link at scan time',
    old: 'control',
    async setup(c) {
      const target = path.join(c.base, 'precious3');
      await fs.mkdir(target);
      await fs.writeFile(path.join(target, 'broker.pid'), '999999\n');
      c.guarded.push(path.join(target, 'broker.pid'));
      await fs.symlink(target, path.join(c.tmp, 'cxc-ln0001'));
    },
  },
  // ---------------------------------------------------------------- companion imitations (Cancel)
  {
    name: 'python3 whose argv contains `codex-companion.mjs review` (the job’s pid)',
    old: 'fails',
    async setup(c) {
      const pid = await decoy(c, py(), ['-c', PY_IDLE, '/opt/codex/scripts/codex-companion.mjs', 'review']);
      c.job = job(c, REVIEW_ID, pid, 'review');
    },
  },
  {
    name: 'python3 whose argv contains `codex-companion.mjs task-worker --job-id <the job>`',
    old: 'fails',
    async setup(c) {
      const pid = await decoy(c, py(), [
        '-c',
        PY_IDLE,
        '/opt/codex/scripts/codex-companion.mjs',
        'task-worker',
        '--cwd',
        c.ws,
        '--job-id',
        TASK_ID,
      ]);
      c.job = job(c, TASK_ID, pid, 'task');
    },
  },
  {
    name: 'node -e whose argv contains `codex-companion.mjs review`',
    old: 'fails',
    async setup(c) {
      const pid = await decoy(
        c,
        process.execPath,
        ['-e', NODE_IDLE, '/opt/codex/scripts/codex-companion.mjs', 'review'],
        {
          cwd: c.ws,
        },
      );
      c.job = job(c, REVIEW_ID, pid, 'review');
    },
  },
  {
    name: '`exec -a node` python3 running a Python file named scripts/codex-companion.mjs as task-worker of the job',
    old: 'fails',
    async setup(c) {
      const script = await decoyScript(c, 'codex-companion.mjs', PY_IDLE);
      const pid = await execA(c, 'node', py(), [script, 'task-worker', '--cwd', c.ws, '--job-id', TASK_ID]);
      c.job = job(c, TASK_ID, pid, 'task');
    },
  },
  {
    name: '`exec -a node` sh running a shell file named scripts/codex-companion.mjs review, in the workspace',
    old: 'fails',
    async setup(c) {
      const script = await decoyScript(c, 'codex-companion.mjs', 'trap "" TERM\nsleep 600 & wait\n');
      const pid = await execA(c, 'node', 'sh', [script, 'review'], { cwd: c.ws });
      c.job = job(c, REVIEW_ID, pid, 'review');
    },
  },
  {
    name: "the real companion's foreground review, but running in another workspace",
    old: 'fails',
    async setup(c) {
      const other = path.join(c.base, 'other-ws');
      await fs.mkdir(other);
      const pid = await decoy(c, process.execPath, [FAKE_COMPANION, 'review', '--json'], {
        cwd: other,
        env: { ...c.env, CLAUDE_PLUGIN_DATA: '' },
      });
      c.job = job(c, REVIEW_ID, pid, 'review');
    },
  },
  {
    name: 'a foreground review in the workspace that started long (> 15 min) before the record',
    old: 'fails',
    async setup(c) {
      const pid = await decoy(c, process.execPath, [FAKE_COMPANION, 'review', '--json'], {
        cwd: c.ws,
        env: { ...c.env, CLAUDE_PLUGIN_DATA: '' },
      });
      c.job = job(c, REVIEW_ID, pid, 'review', Date.now() + 20 * 60_000);
    },
  },
  {
    name: 'control: a foreground review in the workspace that started after the record',
    old: 'control',
    async setup(c) {
      const pid = await decoy(c, process.execPath, [FAKE_COMPANION, 'review', '--json'], {
        cwd: c.ws,
        env: { ...c.env, CLAUDE_PLUGIN_DATA: '' },
      });
      c.job = job(c, REVIEW_ID, pid, 'review', Date.now() - 60_000);
    },
  },
  {
    name: 'control: the task-worker of another job',
    old: 'control',
    async setup(c) {
      const pid = await decoy(
        c,
        process.execPath,
        [FAKE_COMPANION, 'task-worker', '--cwd', c.ws, '--job-id', 'task-other-000001'],
        {
          cwd: c.ws,
        },
      );
      c.job = job(c, TASK_ID, pid, 'task');
    },
  },
  {
    name: 'a task-worker naming --job-id twice (the job first, another after)',
    old: 'fails',
    async setup(c) {
      const pid = await decoy(
        c,
        process.execPath,
        [FAKE_COMPANION, 'task-worker', '--cwd', c.ws, '--job-id', TASK_ID, '--job-id', 'task-other-000002'],
        { cwd: c.ws },
      );
      c.job = job(c, TASK_ID, pid, 'task');
    },
  },
];

/** One case, inside its namespace: set up, Reap, Cancel, check. */
async function runCase(k: Case): Promise<{ ok: boolean; detail: string }> {
  const base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'decoy-')));
  const ws = path.join(base, 'ws');
  const tmp = path.join(base, 'tmp');
  const pd = path.join(base, 'pd');
  await fs.mkdir(ws);
  await fs.mkdir(tmp);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: base, TMPDIR: tmp, CLAUDE_PLUGIN_DATA: pd };
  delete env[PIDNS_ENV];
  const stateDir = path.join(pd, 'state', await stateDirName(await resolveWorkspaceRoot(ws)));
  await fs.mkdir(path.join(stateDir, 'jobs'), { recursive: true });
  const c: Ctx = {
    base,
    tmp,
    pd,
    ws,
    env,
    stateDir,
    decoyScripts: path.join(base, 'decoy-plugin', 'scripts'),
    decoys: [],
    guarded: [],
    bytes: { n: 0 },
  };
  await k.setup(c);
  const table = createProcessTable();
  const host = { env, homedir: base, tmpdir: tmp, platform: process.platform, learnRoots: true };
  const roots = (await candidateRoots(host, [])).roots;
  const scan = await scanBrokers({ tmpdir: tmp, stateRoots: roots, graceMs: 0, table });
  await c.midReap?.(scan);
  await reap(planReap(scan), { table, politeMs: 800, termMs: 800, killMs: 800 });
  // Cancel against the main decoy (the case's job, or a job naming the first decoy's pid).
  const target = c.job ?? (c.decoys[0] !== undefined ? job(c, TASK_ID, c.decoys[0], 'task') : undefined);
  if (target) await cancelJob(target, { table, termTimeoutMs: 800, killTimeoutMs: 800 });
  await sleep(300);
  const dead = c.decoys.filter((p) => !aliveNow(p));
  const missing: string[] = [];
  for (const f of c.guarded) await fs.lstat(f).catch(() => missing.push(f));
  const problems = [
    dead.length ? `decoys hit: ${dead.join(', ')} of ${c.decoys.join(', ')}` : '',
    c.bytes.n ? `${c.bytes.n} bytes written to a foreign socket` : '',
    missing.length ? `removed: ${missing.join(', ')}` : '',
  ].filter(Boolean);
  const classes = scan.entries.map((e) => `${e.class}${e.dir ? ` ${path.basename(e.dir)}` : ''}`).join(', ');
  return { ok: problems.length === 0, detail: problems.join('; ') || `all kept (scan: ${classes || 'nothing'})` };
}

if (process.env[PIDNS_ENV] === ME) {
  const k = CASES[Number(process.env.DECOY_CASE)];
  void runCase(k).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(r.ok ? 0 : 1);
    },
    (err) => {
      process.stdout.write(`${JSON.stringify({ ok: false, detail: `error: ${(err as Error).stack}` })}\n`);
      process.exit(1);
    },
  );
} else {
  describe(`decoys: ${CASES.length} cases, each in its own pid namespace`, { concurrency: 3 }, () => {
    CASES.forEach((k, i) => {
      test(`[${k.old === 'fails' ? 'failed on old code' : 'control'}] ${k.name}`, async (t) => {
        const why = await pidNamespaceUnavailable();
        if (why) return t.skip(`skipped: ${why}`);
        const r = await runInPidNamespace(
          [__filename],
          { ...process.env, [PIDNS_ENV]: ME, DECOY_CASE: String(i) },
          60_000,
        );
        const line = r.stdout.trim().split('\n').pop() ?? '';
        let res: { ok: boolean; detail: string } | undefined;
        try {
          res = JSON.parse(line);
        } catch {
          res = undefined;
        }
        if (res) t.diagnostic(res.detail);
        assert.ok(res?.ok, res?.detail ?? `no result: ${r.stdout}\n${r.stderr}`);
      });
    });
  });
}

// `npm run test:load [-- --runs 3 --loops 4 --brokers 8]`: the whole `npm test`, run again and again
// on a machine made busy and untidy on purpose, as a user's machine is: `--loops` busy CPU loops,
// `--brokers` broker processes that are not the tests' (the fake broker script under a plugin cache
// dir of their own, each with its cxc-* session dir in the system temp dir, one of them named by a
// real-looking broker.json), and a HOME whose ~/.claude holds an unrelated workspace's state with a
// "running" job. Every run must pass; it stops at the first that does not. Prints per run: result,
// time and the load average seen. Full output of each run: test-results/load/run-<n>.log.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    loops: { type: 'string', default: '4' },
    brokers: { type: 'string', default: '8' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: npm run test:load [-- --runs 3 --loops 4 --brokers 8]');
  process.exit(0);
}
const RUNS = Number(values.runs);
const LOOPS = Number(values.loops);
const BROKERS = Number(values.brokers);
const log = (m) => console.log(`[load] ${m}`);

const children = [];
const dirs = [];
async function cleanup() {
  for (const c of children) {
    // The brokers lead their own process groups (with a child each): end the group.
    for (const target of [-c.pid, c.pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // not a group leader, or already gone
      }
    }
  }
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => void cleanup().finally(() => process.exit(130)));
}

function start(cmd, args, opts = {}) {
  const c = spawn(cmd, args, { stdio: 'ignore', ...opts });
  children.push(c);
  return c;
}

/** Busy loops: each a process that spins, so the suite shares the CPUs with them. */
function busyLoops(n) {
  return Array.from({ length: n }, () => start(process.execPath, ['-e', 'for (;;) {}']));
}

/** Broker processes that are none of the tests' business, as a user running Codex has them. */
async function unrelatedBrokers(n, root) {
  const scripts = path.join(root, 'home', '.claude', 'plugins', 'cache', 'openai-codex', 'codex', '1.0.5', 'scripts');
  await fs.mkdir(scripts, { recursive: true });
  for (const f of ['app-server-broker.mjs', 'codex.mjs'])
    await fs.copyFile(path.join(repo, 'test', 'fixtures', 'fake-plugin', 'scripts', f), path.join(scripts, f));
  const out = [];
  for (let i = 0; i < n; i++) {
    const session = await fs.mkdtemp(path.join(os.tmpdir(), 'cxc-'));
    dirs.push(session);
    const endpoint = `unix:${path.join(session, 'broker.sock')}`;
    const pidFile = path.join(session, 'broker.pid');
    const c = start(
      process.execPath,
      [
        path.join(scripts, 'app-server-broker.mjs'),
        'serve',
        '--endpoint',
        endpoint,
        '--cwd',
        root,
        '--pid-file',
        pidFile,
      ],
      { detached: true, env: { ...process.env, FAKE_BROKER_CHILD: i % 2 ? '1' : '0', FAKE_BROKER_MODE: 'stubborn' } },
    );
    out.push({ pid: c.pid, endpoint, pidFile, sessionDir: session, logFile: path.join(session, 'broker.log') });
  }
  return out;
}

/** A HOME whose ~/.claude holds another workspace's state: a running job and a broker.json. */
async function unrelatedHome(root, brokers, livePid) {
  const home = path.join(root, 'home');
  const other = path.join(root, 'other-project');
  await fs.mkdir(other, { recursive: true });
  const hash = createHash('sha256').update(other).digest('hex').slice(0, 16);
  const stateDir = path.join(
    home,
    '.claude',
    'plugins',
    'data',
    'codex-openai-codex',
    'state',
    `other-project-${hash}`,
  );
  await fs.mkdir(path.join(stateDir, 'jobs'), { recursive: true });
  const now = new Date().toISOString();
  const job = {
    id: 'task-mx0load0-abc123',
    kind: 'task',
    kindLabel: 'rescue',
    title: 'Codex Task',
    jobClass: 'task',
    status: 'running',
    phase: 'investigating',
    pid: livePid,
    workspaceRoot: other,
    summary: 'unrelated work on another project',
    createdAt: now,
    startedAt: now,
    updatedAt: now,
    logFile: path.join(stateDir, 'jobs', 'task-mx0load0-abc123.log'),
  };
  await fs.writeFile(path.join(stateDir, 'jobs', `${job.id}.json`), JSON.stringify(job, null, 2));
  await fs.writeFile(job.logFile, `[${now}] Starting Codex task.\n`);
  await fs.writeFile(
    path.join(stateDir, 'state.json'),
    JSON.stringify({ version: 1, config: {}, jobs: [job] }, null, 2),
  );
  if (brokers[0]) await fs.writeFile(path.join(stateDir, 'broker.json'), JSON.stringify(brokers[0], null, 2));
  return home;
}

function runNpmTest(env, logFile) {
  return new Promise((resolve) => {
    const out = createWriteStream(logFile);
    const c = spawn('npm', ['test'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (d) => {
      out.write(d);
      tail = (tail + d).slice(-6000);
    };
    c.stdout.on('data', keep);
    c.stderr.on('data', keep);
    c.once('close', (code) => out.end(() => resolve({ code, tail })));
  });
}

async function main() {
  const root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-load-')));
  dirs.push(root);
  const logs = path.join(repo, 'test-results', 'load');
  await fs.mkdir(logs, { recursive: true });
  const loops = busyLoops(LOOPS);
  const brokers = await unrelatedBrokers(BROKERS, root);
  const home = await unrelatedHome(root, brokers, loops[0]?.pid ?? process.pid);
  // The caches stay where they are: only what the tests could wrongly look at is changed.
  const env = {
    ...process.env,
    HOME: home,
    CODEX_JOBS_VSCODE_CACHE:
      process.env.CODEX_JOBS_VSCODE_CACHE ??
      path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'codex-jobs-vscode'),
    npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), '.npm'),
  };
  delete env.CLAUDE_CONFIG_DIR;
  delete env.CLAUDE_PLUGIN_DATA;
  log(`${LOOPS} busy loops, ${BROKERS} unrelated brokers (session dirs in ${os.tmpdir()}), HOME=${home}`);
  let passed = 0;
  for (let run = 1; run <= RUNS; run++) {
    const loads = [];
    const sampler = setInterval(() => loads.push(os.loadavg()[0]), 5000);
    const t = Date.now();
    const logFile = path.join(logs, `run-${run}.log`);
    const r = await runNpmTest(env, logFile);
    clearInterval(sampler);
    const mean = loads.length ? loads.reduce((a, b) => a + b, 0) / loads.length : os.loadavg()[0];
    const max = loads.length ? Math.max(...loads) : mean;
    const what = r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`;
    log(
      `run ${run}/${RUNS}: ${what} in ${((Date.now() - t) / 1000).toFixed(0)} s, load average mean ${mean.toFixed(1)} (max ${max.toFixed(1)}); log ${path.relative(repo, logFile)}`,
    );
    if (r.code !== 0) {
      console.log(r.tail);
      break;
    }
    passed++;
  }
  log(`${passed} of ${RUNS} runs passed in a row with ${LOOPS} busy loops and ${BROKERS} unrelated brokers`);
  return passed === RUNS ? 0 : 1;
}

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (err) => {
    console.error(err);
    await cleanup();
    process.exit(1);
  });

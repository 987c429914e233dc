// The built `codex-jobs` bin, run as users run it, against golden outputs.
// UPDATE_GOLDEN=1 rewrites the golden files (review the diff before committing them).
// CODEX_JOBS_TEST_BIN runs another build instead (e.g. an older one, to see a test fail on it).
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { writeScenario, SCENARIO_IDS } from '../fixtures/scenario';
import { FAKE_COMPANION, ProcessGroup, startScenarioProcesses } from '../fixtures/spawn';
import { resolveWorkspaceRoot, stateDirName } from '../../src/core/discovery/discovery';
import { JobArchive } from '../../src/core/archive/archive';
import { record, sandbox, writeIndex, writeJob, type Sandbox } from './helpers';
import { BIN, golden } from './cliHelpers';

const repo = path.resolve(__dirname, '..', '..', '..');
let archiveDir = '';

function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, CODEX_JOBS_ARCHIVE_DIR: archiveDir, ...env }, cwd },
      (err, stdout, stderr) => {
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        });
      },
    );
  });
}

/** Starts the bin in the background: what it wrote so far, its exit code, and a wait for a condition. */
function spawnCli(args: string[], cwd?: string) {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd,
    env: { ...process.env, CODEX_JOBS_ARCHIVE_DIR: archiveDir },
  });
  const io = { out: '', err: '' };
  child.stdout!.on('data', (d: Buffer) => (io.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (io.err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = async (ok: () => boolean, what: string, ms = 15_000) => {
    for (let waited = 0; !ok(); waited += 50) {
      if (waited > ms) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(io)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  };
  return { child, io, exited, until };
}

/** Replaces what differs between runs (paths, pids, times) with stable placeholders. */
function normalize(text: string, sb: Sandbox, pids: Record<string, number>): unknown {
  // Times first: a small pid (a pid namespace's) can equal a clock's minutes ("19:54:35").
  let t = text
    .split(sb.stateDir)
    .join('<STATE_DIR>')
    .split(sb.tmp)
    .join('<TMP>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<TIME>')
    .replace(/started \d\d:\d\d:\d\d/g, 'started <CLOCK>');
  for (const [name, pid] of Object.entries(pids)) {
    t = t
      // Only a "pid" field's number: a small pid may equal a count elsewhere.
      .replace(new RegExp(`("pid":\\s*)${pid}\\b`, 'g'), `$1"<PID:${name}>"`)
      .replace(new RegExp(`\\b${pid}\\b`, 'g'), `<PID:${name}>`);
  }
  return JSON.parse(t, (k, v) =>
    k === 'ageMs' || k === 'rssBytes' || k === 'logBytes' || k === 'atMs' ? (v === null ? null : '<N>') : v,
  );
}

describe('codex-jobs CLI', () => {
  const procs = new ProcessGroup();
  let sb: Sandbox;
  let pids: Record<string, number>;

  before(async () => {
    sb = await sandbox('cli-ws');
    archiveDir = path.join(sb.tmp, 'archive');
    const started = await startScenarioProcesses(procs, sb.workspace, SCENARIO_IDS);
    pids = started;
    await writeScenario(sb.stateDir, sb.workspace, started);
  });
  after(async () => {
    await procs.stopAll();
    await sb.cleanup();
  });

  test('status --json: every status, flag and warning (healthy, race 1, race 2, stale, pid reused, bad input)', async () => {
    const r = await cli(['status', '--json', '--state-root', sb.root, sb.workspace]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    const byId = Object.fromEntries(json.jobs.map((j: { id: string; status: string; flags: string[] }) => [j.id, j]));
    assert.equal(byId[SCENARIO_IDS.running].status, 'running');
    assert.equal(byId[SCENARIO_IDS.pidReused].status, 'pid-reused');
    assert.deepEqual(byId[SCENARIO_IDS.recordMissing].flags, ['record-missing', 'log-missing']);
    assert.ok(
      json.warnings.some((w: { message: string }) => w.message.includes('"../escape"')),
      'the path-like id is reported',
    );
    assert.ok(!r.stdout.includes('"id": "../escape"'), 'and never used as a job');
    json.jobs.sort((a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id));
    await golden('status-scenario', normalize(JSON.stringify(json), sb, pids));
  });

  test('the first status on a workspace shows each job with its story; a job known only by its log is told from it', async () => {
    const own = await sandbox('first-look');
    try {
      const archive = path.join(own.tmp, 'archive');
      const t = new Date().toISOString();
      const done = 'task-mwu9c001-first1';
      await writeJob(own.stateDir, record(done), `[${t}] Starting Codex Task.\n`);
      await writeIndex(own.stateDir, [record(done)]);
      // Seen only as logs (their record and entry deleted before anything read them), their worker gone.
      const dead = 'task-mwu9c002-orphan';
      const ended = 'task-mwu9c003-ended3';
      const jobs = path.join(own.stateDir, 'jobs');
      await fs.writeFile(
        path.join(jobs, `${dead}.log`),
        `[${t}] Starting Codex Task.\n[${t}] Queued for background execution.\n`,
      );
      await fs.writeFile(
        path.join(jobs, `${ended}.log`),
        `[${t}] Starting Codex Task.\n[${t}] Turn started.\n[${t}] Turn completed.\n\n[${t}] Final output\nDone.\n`,
      );
      for (const look of ['first', 'second']) {
        const r = await cli(['status', '--json', '--state-root', own.root, own.workspace], {
          CODEX_JOBS_ARCHIVE_DIR: archive,
        });
        assert.equal(r.code, 0, r.stderr);
        const byId = Object.fromEntries(
          (JSON.parse(r.stdout).jobs as { id: string }[]).map((j) => [j.id, j as Record<string, unknown>]),
        );
        const story = (id: string) => (byId[id].history as { what: string; status?: string }[]).map((h) => h.what);
        assert.deepEqual(story(done).slice(0, 2), ['created', 'status'], `${look} look: ${story(done).join()}`);
        assert.equal(byId[dead].status, 'stale', `${look} look: ${JSON.stringify(byId[dead].verification)}`);
        assert.equal(byId[ended].status, 'completed', look);
        assert.ok((byId[ended].flags as string[]).includes('inferred-from-log'), look);
      }
    } finally {
      await own.cleanup();
    }
  });

  test('status --all covers every workspace under the roots', async () => {
    const other = path.join(sb.root, 'other-0123456789abcdef');
    await fs.mkdir(path.join(other, 'jobs'), { recursive: true });
    await fs.writeFile(
      path.join(other, 'state.json'),
      JSON.stringify({ version: 1, jobs: [{ id: 'task-other-000001', status: 'completed' }] }),
    );
    const r = await cli(['status', '--json', '--all', '--state-root', sb.root]);
    const json = JSON.parse(r.stdout);
    assert.equal(json.workspace, null);
    assert.equal(json.stateDirs.length, 2);
    assert.ok(
      json.jobs.some(
        (j: { id: string; flags: string[] }) => j.id === 'task-other-000001' && j.flags.includes('record-missing'),
      ),
    );
    await fs.rm(other, { recursive: true });
  });

  test('status --all over 300 state dirs under `ulimit -n 96`: every job, no failed read, also with the archive kept', async () => {
    const root = path.join(sb.tmp, 'many-root');
    const ids: string[] = [];
    for (let d = 0; d < 300; d++) {
      const dir = path.join(root, `ws${d}-${String(d).padStart(16, '0')}`);
      const id = `task-mwu0m${String(d).padStart(3, '0')}-many01`;
      ids.push(id);
      await fs.mkdir(path.join(dir, 'jobs'), { recursive: true });
      const rec = { id, status: 'completed', kind: 'task', completedAt: new Date().toISOString() };
      await fs.writeFile(path.join(dir, 'jobs', `${id}.json`), JSON.stringify(rec));
      await fs.writeFile(path.join(dir, 'jobs', `${id}.log`), 'Starting Codex Task.\n');
      await fs.writeFile(path.join(dir, 'state.json'), JSON.stringify({ version: 1, jobs: [rec] }));
    }
    const env = { CODEX_JOBS_ARCHIVE_DIR: path.join(sb.tmp, 'many-archive') };
    // The first look archives every job; the second reads the 300 archive dirs it left.
    for (const look of ['first', 'second']) {
      const r = await sh(
        `ulimit -n 96; exec "${process.execPath}" "${BIN}" status --json --all --state-root "${root}"`,
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      const json = JSON.parse(r.stdout);
      assert.deepEqual(json.warnings, [], `${look} look`);
      assert.deepEqual(json.jobs.map((j: { id: string }) => j.id).sort(), ids, `${look} look`);
      assert.equal(json.counts.attention, 0, `${look} look`);
    }
    await fs.rm(root, { recursive: true });
  });

  test('--state-root replaces discovery: a root a live companion names is not searched', async () => {
    // A live task-worker started with another plugin data dir, holding a job of this workspace.
    const pd = path.join(sb.tmp, 'learned-pd');
    const stateDir = path.join(pd, 'state', path.basename(sb.stateDir));
    await writeIndex(stateDir, [record('task-mwu0l001-lrn001', { status: 'completed' })]);
    await procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', sb.workspace, '--job-id', 'task-mwu0l002-lrn002'],
      { waitReady: true, env: { ...process.env, CLAUDE_PLUGIN_DATA: pd } },
    );
    const r = await cli(['status', '--json', '--state-root', sb.root, sb.workspace]);
    const json = JSON.parse(r.stdout);
    assert.deepEqual(json.stateDirs, [sb.stateDir]);
    assert.ok(!json.jobs.some((j: { id: string }) => j.id === 'task-mwu0l001-lrn001'), 'the learned root was searched');
  });

  test('log prints the whole log; a path as id is refused with exit 2', async () => {
    const r = await cli(['log', SCENARIO_IDS.completed, '--state-root', sb.root, sb.workspace]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /Running command: npm test\n\n\[.*\] Assistant message\nLooking at the failing test first\.\n$/,
    );
    const bad = await cli(['log', '../../etc/passwd', '--state-root', sb.root, sb.workspace]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is not a job id/);
    assert.equal(bad.stdout, '');
  });

  test('log <id> and log -f <id> run from inside the workspace, with no path', async () => {
    const r = await cli(['log', SCENARIO_IDS.completed, '--state-root', sb.root], {}, sb.workspace);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Looking at the failing test first\.\n$/);
    const f = spawnCli(['log', '-f', SCENARIO_IDS.completed, '--state-root', sb.root], sb.workspace);
    try {
      await f.until(
        () => f.io.out.includes('Looking at the failing test first.') || f.child.exitCode !== null,
        'log -f',
      );
      assert.match(f.io.out, /Looking at the failing test first\./, f.io.err);
    } finally {
      f.child.kill('SIGINT');
    }
    assert.equal(await f.exited, 0, f.io.err);
  });

  test('log --follow prints what is appended', async () => {
    // Appends only once the log so far is out (a fixed wait lost the race on a loaded machine, where
    // starting the process alone can take seconds).
    const f = spawnCli(['log', SCENARIO_IDS.running, '--follow', '--state-root', sb.root, sb.workspace]);
    try {
      await f.until(() => f.io.out.includes('Looking at the failing test first.'), 'the log so far', 60_000);
      await fs.appendFile(
        path.join(sb.stateDir, 'jobs', `${SCENARIO_IDS.running}.log`),
        `[${new Date().toISOString()}] appended line\n`,
      );
      await f.until(() => f.io.out.includes('appended line'), 'the appended line');
    } finally {
      f.child.kill('SIGINT');
    }
    assert.equal(await f.exited, 0, f.io.err);
  });

  test('brokers --json and reap --dry-run on an orphan and a dead dir; reap needs --yes without a terminal', async () => {
    const tmp = path.join(sb.tmp, 'broker-tmp');
    const dead = path.join(tmp, 'cxc-deadcli');
    await fs.mkdir(dead, { recursive: true });
    await fs.writeFile(path.join(dead, 'broker.pid'), '999999999\n');
    const env = { TMPDIR: tmp };
    const b = await cli(['brokers', '--json', '--grace-seconds', '0', '--state-root', sb.root], env);
    assert.equal(b.code, 0, b.stderr);
    const json = JSON.parse(b.stdout);
    const mine = json.brokers.filter((x: { dir: string | null }) => x.dir?.startsWith(tmp));
    await golden('brokers-dead', normalize(JSON.stringify({ brokers: mine }), sb, {}));
    const dry = await cli(['reap', '--dry-run', '--grace-seconds', '0', '--state-root', sb.root], env);
    assert.match(dry.stdout, /would reap .*cxc-deadcli \(dead\)/);
    await fs.stat(path.join(dead, 'broker.pid'));
    const refused = await cli(['reap', '--grace-seconds', '0', '--state-root', sb.root], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /needs --yes/);
    await fs.stat(path.join(dead, 'broker.pid'));
  });

  test('usage errors exit 2 with a message on stderr', async () => {
    const r = await cli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });
});

/** A state dir of its own for a workspace under `sb.root`, with `jobs` in its index. */
async function extraWorkspace(sb: Sandbox, name: string, jobs: Record<string, unknown>[]): Promise<Sandbox> {
  const workspace = path.join(sb.tmp, name);
  await fs.mkdir(workspace, { recursive: true });
  const stateDir = path.join(sb.root, await stateDirName(await resolveWorkspaceRoot(workspace)));
  await fs.mkdir(path.join(stateDir, 'jobs'), { recursive: true });
  await fs.writeFile(path.join(stateDir, 'state.json'), JSON.stringify({ version: 1, jobs }));
  return { ...sb, workspace, stateDir, cleanup: () => fs.rm(stateDir, { recursive: true, force: true }) };
}

/** Runs `command` in a shell; resolves with its exit code and what it wrote. */
function sh(command: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['-c', command],
      { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });
}

/** Starts every terminal control sequence (color, clear screen). */
const ESC = '\u001b';
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('codex-jobs as a command line tool', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await sandbox('cli-tool-ws');
    archiveDir = path.join(sb.tmp, 'archive');
    await fs.mkdir(sb.root, { recursive: true });
  });
  after(() => sb.cleanup());

  test('--help, -h, help <command> and <command> --help say what every option does; --version', async () => {
    const pkg = JSON.parse(await fs.readFile(path.join(repo, 'package.json'), 'utf8')) as { version: string };
    const v = await cli(['--version']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout, `codex-jobs ${pkg.version}\n`);
    const texts: Record<string, string> = {};
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = await cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, '');
      for (const c of ['status', 'watch', 'log', 'wait', 'result', 'findings', 'brokers', 'reap'])
        assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
      texts.tool = r.stdout;
    }
    const options: Record<string, string[]> = {
      status: ['--json', '--all', '--state-root <dir>', '--help'],
      watch: ['--state-root <dir>', '--help'],
      log: ['--follow', '--raw', '--state-root <dir>', '--help'],
      wait: ['--any', '--timeout <seconds>', '--json', '--state-root <dir>', '--help'],
      result: ['--json', '--state-root <dir>', '--help'],
      findings: ['--json', '--sarif [file]', '--state-root <dir>', '--help'],
      brokers: ['--json', '--grace-seconds <seconds>', '--state-root <dir>', '--help'],
      reap: ['--dry-run', '--yes', '--grace-seconds <seconds>', '--state-root <dir>', '--help'],
      guard: ['--all', '--grace-seconds <seconds>', '--settle-ms <ms>', '--state-root <dir>', '--help'],
    };
    for (const [c, opts] of Object.entries(options)) {
      const r = await cli([c, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^usage: codex-jobs ${c} `));
      // Every option on a line of its own, followed by what it does.
      for (const o of opts) assert.match(r.stdout, new RegExp(`${o.replace(/[<>[\]]/g, '.')}\\s{2,}\\S`), `${c}: ${o}`);
      assert.equal((await cli(['help', c])).stdout, r.stdout);
      assert.equal((await cli([c, '-h'])).stdout, r.stdout);
      texts[c] = r.stdout;
    }
    await golden('help', texts);
  });

  test('usage errors exit 2, name what is wrong on stderr and point to --help', async () => {
    const cases: [string[], RegExp][] = [
      [['status', '--bogus'], /unknown option "--bogus"/],
      [['status', '-x'], /unknown option "-x"/],
      [['--bogus'], /unknown option "--bogus"/],
      [['brokers', '--grace-seconds', 'abc'], /--grace-seconds needs a number of seconds, got "abc"/],
      [['brokers', '--grace-seconds=abc'], /--grace-seconds needs a number of seconds, got "abc"/],
      [['brokers', '--grace-seconds=-5'], /--grace-seconds needs a number of seconds, got "-5"/],
      [['brokers', '--grace-seconds'], /"--grace-seconds" needs a value/],
      [['status', '--json=yes'], /"--json" takes no value/],
      [['status', 'a', 'b'], /too many arguments: "b"/],
      [['reap', 'extra'], /reap takes no arguments, got "extra"/],
      [['log'], /log needs <id>/],
      [['wait'], /wait needs <id>/],
      [['wait', 'task-a', '--timeout', '-1'], /"--timeout" needs a value/],
      [['wait', 'task-a', '--timeout=soon'], /--timeout needs a number of seconds, got "soon"/],
      [['wait', '../x'], /"\.\.\/x" is not a job id or id prefix/],
      [['result'], /result needs <id>/],
      [['result', 'a', 'b', 'c'], /too many arguments: "c"/],
      [['findings', 'x', '--sarif='], /--sarif needs a file name/],
      [['findings', '../../etc/passwd'], /is not a job id or id prefix/],
      [['status', '--all', sb.workspace], /--all .* takes no path/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      const what = `codex-jobs ${args.join(' ')}`;
      assert.equal(r.code, 2, `${what}: exit ${r.code}, stderr ${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.match(r.stderr, /codex-jobs (\w+ )?--help/, `${what} points to --help`);
      assert.equal(r.stdout, '', what);
    }
  });

  test('--grace-seconds=N and --grace-seconds N both work', async () => {
    // A fresh session dir with no broker: "starting" within the grace period, "dead" past it.
    const tmp = path.join(sb.tmp, 'grace-tmp');
    await fs.mkdir(path.join(tmp, 'cxc-gracecli'), { recursive: true });
    const env = { TMPDIR: tmp };
    for (const [args, cls] of [
      [['--grace-seconds=0'], 'dead'],
      [['--grace-seconds', '0'], 'dead'],
      [['--grace-seconds=3600'], 'starting'],
      [['--grace-seconds', '3600.5'], 'starting'],
    ] as [string[], string][]) {
      const r = await cli(['brokers', '--json', ...args, '--state-root', sb.root], env);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      const mine = JSON.parse(r.stdout).brokers.filter((b: { dir: string | null }) => b.dir?.startsWith(tmp));
      assert.deepEqual(
        mine.map((b: { class: string }) => b.class),
        [cls],
        args.join(' '),
      );
    }
    const text = await cli(['brokers', '--grace-seconds=0', '--state-root', sb.root], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^CLASS\s+DIR\s+PID\s+AGE\s+CHILDREN\s+RSS\s+REASON$/m);
    assert.match(text.stdout, /^dead\s+\S*cxc-gracecli\s+-\s/m);
  });

  test('a path or state root that does not exist is an error: exit 1, on stderr', async () => {
    const missing = path.join(sb.tmp, 'does', 'not', 'exist');
    for (const args of [
      ['status', '--state-root', sb.root, missing],
      ['status', '--json', '--state-root', sb.root, missing],
      ['status', '--state-root', missing, sb.workspace],
      ['log', 'task-mwu0a001-run001', '--state-root', sb.root, missing],
      ['brokers', '--state-root', missing],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 1, `${args.join(' ')}: exit ${r.code}`);
      assert.ok(r.stderr.includes(missing) && /does not exist/.test(r.stderr), r.stderr);
      assert.equal(r.stdout, '');
    }
  });

  test('status --json of a large state into a pipe read late loses no byte; a reader that leaves early is no error', async () => {
    const ws = await extraWorkspace(
      sb,
      'big-ws',
      Array.from({ length: 200 }, (_, i) => ({
        id: `task-mwu0c${String(i).padStart(3, '0')}-big${String(i).padStart(3, '0')}`,
        kind: 'task',
        status: 'completed',
        summary: `job ${i} `.padEnd(2000, 'x'),
        createdAt: new Date(Date.now() - 60_000).toISOString(),
        completedAt: new Date().toISOString(),
      })),
    );
    const cmd = `${q(process.execPath)} ${q(BIN)} status --json --state-root ${q(sb.root)} ${q(ws.workspace)}`;
    const env = { CODEX_JOBS_ARCHIVE_DIR: archiveDir };
    // The first look fills the archive (and the jobs' history); from the second on the output is stable.
    await cli(['status', '--json', '--state-root', sb.root, ws.workspace]);
    const whole = await cli(['status', '--json', '--state-root', sb.root, ws.workspace]);
    assert.equal(whole.code, 0, whole.stderr);
    assert.ok(whole.stdout.length > 4 * 65_536, `large enough: ${whole.stdout.length} bytes`);
    // The reader starts a second late: the CLI has long finished and must wait for it.
    const out = path.join(sb.tmp, 'late.json');
    const late = await sh(`${cmd} | { sleep 1; cat > ${q(out)}; }`, env);
    assert.equal(late.stderr, '');
    const got = await fs.readFile(out, 'utf8');
    assert.equal(got.length, whole.stdout.length, 'every byte arrived');
    assert.equal(JSON.parse(got).jobs.length, 200);
    // `| head -c 100`: the pipe closes early; no stack trace, no message, exit 0 (like ripgrep).
    const early = await sh(`${cmd} | head -c 100 > /dev/null; exit 0`, env);
    assert.equal(early.stderr, '', 'nothing said when the reader leaves');
    const code = await sh(`${cmd} | head -c 100 > /dev/null`, env);
    assert.equal(code.code, 0);
    await ws.cleanup();
  });

  test('log never follows a link and never opens a FIFO: exit 1 naming the file', async () => {
    const ws = await extraWorkspace(sb, 'links-ws', [
      { id: 'task-mwu0d001-lnk001', status: 'completed' },
      { id: 'task-mwu0d002-ffo002', status: 'completed' },
    ]);
    const secret = path.join(sb.tmp, 'secret.txt');
    await fs.writeFile(secret, 'SECRET CONTENT\n');
    const link = path.join(ws.stateDir, 'jobs', 'task-mwu0d001-lnk001.log');
    const fifo = path.join(ws.stateDir, 'jobs', 'task-mwu0d002-ffo002.log');
    await fs.symlink(secret, link);
    execFileSync('mkfifo', [fifo]);
    const l = await cli(['log', 'task-mwu0d001-lnk001', '--state-root', sb.root, ws.workspace]);
    assert.equal(l.code, 1, l.stderr);
    assert.equal(l.stdout, '', 'nothing of the link target is printed');
    assert.ok(l.stderr.includes(link) && /symbolic link/.test(l.stderr), l.stderr);
    const f = await cli(['log', 'task-mwu0d002-ffo002', '--state-root', sb.root, ws.workspace]);
    assert.equal(f.code, 1, f.stderr);
    assert.ok(f.stderr.includes(fifo) && /not a regular file \(FIFO\)/.test(f.stderr), f.stderr);
    const ff = await cli(['log', '--follow', 'task-mwu0d001-lnk001', '--state-root', sb.root, ws.workspace]);
    assert.equal(ff.code, 1, ff.stderr);
    assert.equal(ff.stdout, '');
    await ws.cleanup();
  });

  test("warnings go to stderr in text mode (exit 0), and into --json's warnings, the archive's too", async () => {
    const ws = await extraWorkspace(sb, 'warn-ws', [
      { id: 'task-mwu0e001-wrn001', status: 'completed' },
      { id: '../escape', status: 'completed' },
    ]);
    // A torn entry among this workspace's archived ones (another workspace's are not read).
    const archive = path.join(sb.tmp, 'warn-archive');
    const sub = path.dirname(new JobArchive(archive).entryPaths(ws.stateDir, 'x').meta);
    await fs.mkdir(sub, { recursive: true });
    await fs.writeFile(path.join(sub, 'task-mwu0e009-bad009.json'), '{ torn');
    const env = { CODEX_JOBS_ARCHIVE_DIR: archive };
    const t = await cli(['status', '--state-root', sb.root, ws.workspace], env);
    assert.equal(t.code, 0, t.stderr);
    assert.ok(!t.stdout.includes('../escape'), `no warning on stdout: ${t.stdout}`);
    assert.match(t.stderr, /warning: .*state\.json: .*"\.\.\/escape"/);
    assert.match(t.stderr, /warning: .*task-mwu0e009-bad009\.json: archive entry skipped/);
    const j = await cli(['status', '--json', '--state-root', sb.root, ws.workspace], env);
    assert.equal(j.code, 0, j.stderr);
    const warnings = JSON.parse(j.stdout).warnings as { file: string; message: string }[];
    assert.ok(warnings.some((w) => w.message.includes('"../escape"')));
    assert.ok(
      warnings.some((w) => w.file.endsWith('task-mwu0e009-bad009.json')),
      JSON.stringify(warnings),
    );
    await ws.cleanup();
  });

  test(
    'on a terminal: a header, rows cut to its width, color unless NO_COLOR; into a pipe: whole rows, no color',
    { skip: !hasScript && 'needs script(1) for a terminal' },
    async () => {
      const long = 'Fix the flaky reader test on CI '.repeat(6).trim();
      const ws = await extraWorkspace(sb, 'tty-ws', [
        {
          id: 'task-mwu0f001-tty001',
          kind: 'task',
          status: 'failed',
          summary: long,
          errorMessage: 'turn/start failed: rate limited',
          createdAt: new Date(Date.now() - 120_000).toISOString(),
          completedAt: new Date().toISOString(),
        },
      ]);
      const cmd = `${q(process.execPath)} ${q(BIN)} status --state-root ${q(sb.root)} ${q(ws.workspace)}`;
      const env = { CODEX_JOBS_ARCHIVE_DIR: archiveDir };
      const onTerminal = (extra: string) => sh(`script -qec ${q(`stty cols 70; ${extra}${cmd}`)} /dev/null`, env);
      const colored = await onTerminal('');
      assert.equal(colored.code, 0, colored.stderr);
      assert.ok(colored.stdout.includes(ESC), 'colored on a terminal');
      const plain = await onTerminal('NO_COLOR=1 ');
      assert.ok(!plain.stdout.includes(ESC), 'no color with NO_COLOR');
      const lines = plain.stdout.replace(/\r/g, '').split('\n').filter(Boolean);
      assert.match(lines[0], /^ID\s+STATUS\s+JOB$/);
      for (const l of lines) assert.ok(l.length <= 70, `cut to 70 columns: ${l.length}: ${l}`);
      // The summary is shortened first: the status stays visible.
      assert.match(lines[1], /^task-mwu0f001-tty001\s+failed\s+rescue: Fix[^·]*… · /);
      const piped = await sh(cmd, env);
      assert.ok(!piped.stdout.includes(ESC), 'no color into a pipe');
      // Into a pipe rows are not cut to a width (the summary itself is its first 120 characters, as in the tree).
      assert.ok(piped.stdout.includes(long.slice(0, 110)), 'whole rows into a pipe');
      // The status has its own column; with the KIND column the summary has no kind prefix.
      assert.match(piped.stdout, /\srescue\s+failed\s+Fix the flaky.* · turn\/start failed: rate limited/);
      assert.match(piped.stdout, /^ID\s+KIND\s+STATUS\s+JOB$/m);
      await ws.cleanup();
    },
  );

  test('watch on a terminal redraws in place', { skip: !hasScript && 'needs script(1) for a terminal' }, async () => {
    const ws = await extraWorkspace(sb, 'watch-tty-ws', [{ id: 'task-mwu0g101-wat101', status: 'completed' }]);
    const cmd = `${q(process.execPath)} ${q(BIN)} watch --state-root ${q(sb.root)} ${q(ws.workspace)}`;
    // Ctrl-C after a few seconds: the exit status is the CLI's own.
    const r = await sh(`script -qec ${q(`timeout --preserve-status -s INT 5 ${cmd}`)} /dev/null`, {
      CODEX_JOBS_ARCHIVE_DIR: archiveDir,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.stdout.includes(`${ESC}[H${ESC}[2J`), 'cleared and redrawn');
    assert.match(r.stdout, /task-mwu0g101-wat101/);
    await ws.cleanup();
  });

  test(
    'watch on a 40-row terminal with 200 jobs fits the screen: header, the jobs that need attention, "… N more"',
    { skip: !hasScript && 'needs script(1) for a terminal' },
    async () => {
      const now = Date.now();
      const at = (ms: number) => new Date(ms).toISOString();
      const attention = Array.from({ length: 5 }, (_, i) => `task-mwu0i${String(i).padStart(3, '0')}-att${i}00`);
      const jobs = [
        // The ones that need attention are the oldest: they come first all the same.
        // Recorded running, their process gone: stale.
        ...attention.map((id, i) => ({
          id,
          kind: 'task',
          status: 'running',
          // Below pid_max, and no process has it in the test's pid namespace.
          pid: 32_000,
          createdAt: at(now - 86_400_000 - i * 1000),
          updatedAt: at(now - 86_000_000),
        })),
        ...Array.from({ length: 195 }, (_, i) => ({
          id: `task-mwu0j${String(i).padStart(3, '0')}-top${String(i).padStart(3, '0')}`,
          kind: 'task',
          status: 'completed',
          summary: `job ${i}`,
          createdAt: at(now - 60_000 - i * 1000),
          completedAt: at(now - i * 1000),
        })),
      ];
      const ws = await extraWorkspace(sb, 'watch-top-ws', jobs);
      for (const j of jobs) await fs.writeFile(path.join(ws.stateDir, 'jobs', `${j.id}.json`), JSON.stringify(j));
      const cmd = `${q(process.execPath)} ${q(BIN)} watch --state-root ${q(sb.root)} ${q(ws.workspace)}`;
      const r = await sh(
        `script -qec ${q(`stty rows 40 cols 120; NO_COLOR=1 timeout --preserve-status -s INT 4 ${cmd}`)} /dev/null`,
        { CODEX_JOBS_ARCHIVE_DIR: archiveDir },
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      // Redrawn in place: each view starts at the cursor's home; the last whole one is checked.
      const frames = r.stdout.split(`${ESC}[H`).filter((f) => f.includes('200 jobs: '));
      assert.ok(frames.length >= 1, r.stdout.slice(0, 2000));
      const frame = frames[frames.length - 1]
        .split(`${ESC}[2J`)
        .join('')
        .split(`${ESC}[K`)
        .join('')
        .split(`${ESC}[J`)
        .join('')
        .replace(/\r/g, '')
        .replace(/\n+$/, '');
      assert.ok(!frame.includes(ESC), `only our redraw sequences: ${JSON.stringify(frame.slice(0, 300))}`);
      const lines = frame.split('\n');
      assert.ok(lines.length <= 40, `${lines.length} lines on a 40-row terminal:\n${frame}`);
      for (const l of lines) assert.ok([...l].length < 120, `cut to the width: ${l}`);
      assert.match(lines[0], /watch-top-ws/);
      assert.match(lines[2], /^ID\s+KIND\s+STATUS\s+JOB$/);
      // The jobs that need attention first, then the most recent.
      assert.deepEqual(
        lines
          .slice(3, 8)
          .map((l) => l.split(/\s+/)[0])
          .sort(),
        attention,
        frame,
      );
      assert.match(lines[8], /^task-mwu0j000-top000\s/);
      assert.match(frame, /^… \d+ more$/m);
      assert.match(lines[lines.length - 1], /^200 jobs: \d+ running, \d+ queued, 5 need attention$/);
      await ws.cleanup();
    },
  );

  test('watch into a pipe prints a plain snapshot per change, no control codes; Ctrl-C ends it with exit 0', async () => {
    const ws = await extraWorkspace(sb, 'watch-ws', [{ id: 'task-mwu0g001-wat001', status: 'completed' }]);
    const { child, io, exited, until } = spawnCli(['watch', '--state-root', sb.root, ws.workspace]);
    try {
      await until(() => /1 jobs: /.test(io.out), 'the first snapshot');
      await fs.writeFile(
        path.join(ws.stateDir, 'state.json'),
        JSON.stringify({
          version: 1,
          jobs: [
            { id: 'task-mwu0g001-wat001', status: 'completed' },
            { id: 'task-mwu0g002-wat002', status: 'completed' },
          ],
        }),
      );
      await until(() => io.out.includes('task-mwu0g002-wat002') && /2 jobs: /.test(io.out), 'a second snapshot');
      assert.ok(!io.out.includes(ESC), 'no control codes into a pipe');
      assert.equal(io.out.match(/^== /gm)?.length, 2, `one snapshot per change: ${io.out}`);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, io.err);
    await ws.cleanup();
  });
});

describe('codex-jobs log --follow', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await sandbox('cli-follow-ws');
    archiveDir = path.join(sb.tmp, 'archive');
  });
  after(() => sb.cleanup());

  const follow = (ws: Sandbox, id: string) => spawnCli(['log', '--follow', id, '--state-root', sb.root, ws.workspace]);

  /** CPU seconds a process has used (Linux /proc), or undefined elsewhere. */
  async function cpuSeconds(pid: number): Promise<number | undefined> {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (!stat) return undefined;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  }

  test('prints what is appended and a re-created log from its start, without busy polling; Ctrl-C exits 0', async () => {
    const id = 'task-mwu0h001-fol001';
    const ws = await extraWorkspace(sb, 'follow-ws', [{ id, status: 'running' }]);
    const log = path.join(ws.stateDir, 'jobs', `${id}.log`);
    await fs.writeFile(log, 'first line\n');
    const f = follow(ws, id);
    try {
      await f.until(() => f.io.out.includes('first line\n'), 'the log so far', 60_000);
      await fs.appendFile(log, 'second line\n');
      await f.until(() => f.io.out.includes('second line\n'), 'the appended line');
      // Idle, a follower sleeps: well under half a CPU over two seconds (a busy loop takes all of one).
      const before = await cpuSeconds(f.child.pid!);
      await new Promise((r) => setTimeout(r, 2000));
      const after = await cpuSeconds(f.child.pid!);
      if (before !== undefined && after !== undefined) assert.ok(after - before < 1, `CPU ${after - before} s idle`);
      await fs.rm(log);
      await fs.writeFile(log, 'a new life\n');
      await f.until(() => f.io.out.includes('a new life\n'), 'the re-created log');
      assert.equal(
        f.io.out,
        'first line\nsecond line\n\n[codex-jobs] the log was re-created; what follows is its new content\na new life\n',
      );
    } finally {
      f.child.kill('SIGINT');
    }
    assert.equal(await f.exited, 0, f.io.err);
    assert.equal(f.io.err, '');
    await ws.cleanup();
  });

  test('Ctrl-C while the log so far is still being printed ends --follow with exit 0, not killed by the signal', async () => {
    const id = 'task-mwu0h003-fol003';
    const ws = await extraWorkspace(sb, 'follow-early-ws', [{ id, status: 'running' }]);
    // Large enough that printing it takes a while: the Ctrl-C lands before the follow starts.
    await fs.writeFile(path.join(ws.stateDir, 'jobs', `${id}.log`), `${'x'.repeat(199)}\n`.repeat(200_000));
    const f = follow(ws, id);
    // A slow reader: after the first bytes the printing waits on the pipe while the Ctrl-C arrives.
    f.child.stdout!.once('data', () => f.child.stdout!.pause());
    try {
      await f.until(() => f.io.out.length > 0, 'the first bytes');
      f.child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      f.child.stdout!.resume();
    }
    assert.equal(await f.exited, 0, f.io.err);
    assert.equal(f.child.signalCode, null);
    assert.ok(f.io.out.length < 200 * 200_000, 'stopped before the end of the log');
    await ws.cleanup();
  });

  test('a log swapped for a symbolic link while followed is refused: exit 1 naming it, the target never printed', async () => {
    const id = 'task-mwu0h002-fol002';
    const ws = await extraWorkspace(sb, 'follow-link-ws', [{ id, status: 'running' }]);
    const log = path.join(ws.stateDir, 'jobs', `${id}.log`);
    const secret = path.join(sb.tmp, 'secret.txt');
    await fs.writeFile(secret, 'SECRET CONTENT\n');
    await fs.writeFile(log, 'first line\n');
    const f = follow(ws, id);
    try {
      await f.until(() => f.io.out.includes('first line\n'), 'the log so far', 60_000);
      await fs.rm(log);
      await fs.symlink(secret, log);
      const code = await Promise.race([
        f.exited,
        new Promise((_, rej) => setTimeout(() => rej(new Error(`still following: ${JSON.stringify(f.io)}`)), 15_000)),
      ]);
      assert.equal(code, 1);
      assert.ok(f.io.err.includes(log) && /symbolic link/.test(f.io.err), f.io.err);
      assert.ok(!f.io.out.includes('SECRET'), f.io.out);
    } finally {
      f.child.kill('SIGKILL');
    }
    await ws.cleanup();
  });
});

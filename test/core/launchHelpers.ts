// Set-up shared by the launch, lock and cancel tests: a sandbox with a workspace and a plugin data
// dir, the fake companion, and cleanup of every detached process started in it.
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveWorkspaceRoot, stateDirName } from '../../src/core/discovery/discovery';
import { createProcessTable } from '../../src/core/os/processes';
import { listJobsDir, readStateFile } from '../../src/core/io/reader';
import { FAKE_COMPANION } from '../fixtures/spawn';

export { FAKE_COMPANION };
export const DRIVER = path.resolve(__dirname, '..', 'fixtures', 'launch-driver.js');
export const table = createProcessTable();

export interface LaunchSandbox {
  tmp: string;
  workspace: string;
  pluginData: string;
  stateDir: string;
  /** The companion's environment: CLAUDE_PLUGIN_DATA set, fast and quiet defaults. */
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

export async function launchSandbox(name = 'ws'): Promise<LaunchSandbox> {
  const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-launch-test-')));
  const workspace = path.join(tmp, name);
  const pluginData = path.join(tmp, 'plugin-data');
  await fs.mkdir(workspace);
  await fs.mkdir(pluginData);
  const stateDir = path.join(pluginData, 'state', await stateDirName(await resolveWorkspaceRoot(workspace)));
  const env: NodeJS.ProcessEnv = { ...process.env, CLAUDE_PLUGIN_DATA: pluginData };
  delete env.FAKE_COMPANION_MODE;
  return {
    tmp,
    workspace,
    pluginData,
    stateDir,
    env,
    cleanup: async () => {
      await killProcessesMentioning(tmp);
      await fs.rm(tmp, { recursive: true, force: true });
    },
  };
}

/** Detached workers outlive their launchers: find them by the sandbox path in their command line. */
export async function killProcessesMentioning(marker: string): Promise<number> {
  let n = 0;
  for (const p of await table.list()) {
    if (p.pid === process.pid || !p.argv?.some((a) => a.includes(marker))) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
      n++;
    } catch {
      // already gone
    }
  }
  return n;
}

export async function trackedIds(stateDir: string): Promise<{ index: Set<string>; records: Set<string> }> {
  const st = await readStateFile(path.join(stateDir, 'state.json'), path.dirname(stateDir));
  const listing = await listJobsDir(path.join(stateDir, 'jobs'), path.dirname(stateDir));
  return { index: new Set((st.value?.entries ?? []).map((e) => e.id)), records: new Set(listing.records.keys()) };
}

/** Runs a process to its end, collecting its output. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d));
    c.stderr.on('data', (d: Buffer) => (stderr += d));
    c.once('error', reject);
    c.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Waits until `fn` returns a value (polling), or fails after `ms`. */
export async function until<T>(fn: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until state.json has not changed for `quietMs` (the workers' last writes have landed). */
export async function settle(stateDir: string, quietMs = 1000, maxMs = 15_000): Promise<void> {
  const file = path.join(stateDir, 'state.json');
  const end = Date.now() + maxMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < end) {
    const m = await fs.stat(file).then(
      (s) => s.mtimeMs,
      () => 0,
    );
    if (m !== last) {
      last = m;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The Brokers view in a real VS Code: a live orphan broker (a real process on a real unix socket) and
// a dead session dir under the extension host's temp dir.
import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { CodexJobsApi } from '../../../src/extension';
import type { BrokersNode } from '../../../src/ui/brokersTree';
import { stateDirName } from '../../../src/core/discovery/discovery';

suite('Brokers view', function () {
  this.timeout(60_000);
  let api: CodexJobsApi;
  let broker: ChildProcess;
  const dirs: string[] = [];

  suiteSetup(async () => {
    api = (await vscode.extensions.getExtension<CodexJobsApi>('codex-jobs.codex-jobs')!.activate()) as CodexJobsApi;
    // The extension looks for session dirs where the companion makes them: the host's temp dir.
    const tmp = os.tmpdir();
    const live = await fs.mkdtemp(path.join(tmp, 'cxc-'));
    const dead = await fs.mkdtemp(path.join(tmp, 'cxc-'));
    // The broker's own workspace state dir exists (an orphan is only called so once it was read).
    const pd = await fs.mkdtemp(path.join(tmp, 'codex-jobs-pd-'));
    await fs.mkdir(path.join(pd, 'state', await stateDirName(tmp)), { recursive: true });
    dirs.push(live, dead, pd);
    await fs.writeFile(path.join(dead, 'broker.pid'), '999999999\n');
    await fs.writeFile(path.join(dead, 'broker.log'), 'old log\n');
    const script = path.join(
      vscode.extensions.getExtension('codex-jobs.codex-jobs')!.extensionPath,
      'test',
      'fixtures',
      'fake-plugin',
      'scripts',
      'app-server-broker.mjs',
    );
    broker = spawn(
      process.execPath,
      [script, 'serve', '--endpoint', `unix:${live}/broker.sock`, '--cwd', tmp, '--pid-file', `${live}/broker.pid`],
      {
        detached: true,
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, CLAUDE_PLUGIN_DATA: pd, FAKE_BROKER_MODE: 'deaf' },
      },
    );
    await new Promise<void>((resolve) =>
      broker.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()),
    );
    await vscode.workspace
      .getConfiguration('codexJobs')
      .update('brokers.gracePeriodSeconds', 5, vscode.ConfigurationTarget.Global);
    await new Promise((r) => setTimeout(r, 5200));
  });

  suiteTeardown(async () => {
    broker.kill('SIGKILL');
    await vscode.workspace
      .getConfiguration('codexJobs')
      .update('brokers.gracePeriodSeconds', undefined, vscode.ConfigurationTarget.Global);
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  test('orphans are listed with pid and age; the status bar mentions them', async function () {
    // It counts every broker the host can see: only meaningful in the run's own pid namespace.
    if (process.env.CODEX_JOBS_TEST_SHARED_PIDS) this.skip();
    await api.brokers.rescan();
    const groups = api.brokersTree.getChildren() as BrokersNode[];
    const orphans = groups.find((g) => g.type === 'group' && g.group === 'orphans');
    assert.ok(orphans, `an Orphans group in ${groups.map((g) => (g.type === 'group' ? g.group : '')).join(',')}`);
    const items = api.brokersTree.getChildren(orphans).map((n) => api.brokersTree.getTreeItem(n));
    const live = items.find((i) => i.label === path.basename(dirs[0]));
    const dead = items.find((i) => i.label === path.basename(dirs[1]));
    assert.ok(live && dead, `both dirs listed: ${items.map((i) => i.label).join(', ')}`);
    assert.match(String(live.description), new RegExp(`^pid ${broker.pid} · \\d+s`));
    assert.match(String(live.contextValue), /\borphan-live\b.*\breapable\b/);
    assert.match(String(dead.contextValue), /\bdead\b.*\breapable\b/);
    assert.match(api.statusBar.text ?? '', /\b2 orphan brokers\b/);
  });

  test('the reap commands are registered', async () => {
    const all = await vscode.commands.getCommands(true);
    assert.ok(all.includes('codexJobs.reapOrphanBrokers') && all.includes('codexJobs.stopBroker'));
  });
});

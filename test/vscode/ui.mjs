// UI checks through the real workbench: the Codex Jobs container over a prepared state dir with live
// processes behind it, the status bar, a command from the palette, the welcome view; screenshots.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);

export async function runUiChecks({ cs, tmp, repo, log, cleanups, startServer, launchBrowser, workbenchUrl }) {
  const { stateDirName } = require(path.join(repo, 'out', 'src', 'core', 'discovery.js'));
  const { writeScenario, SCENARIO_IDS } = require(path.join(repo, 'out', 'test', 'fixtures', 'scenario.js'));
  const { ProcessGroup, startScenarioProcesses } = require(path.join(repo, 'out', 'test', 'fixtures', 'spawn.js'));
  const shots = path.join(repo, 'test-results', 'screenshots');
  await fs.mkdir(shots, { recursive: true });
  const results = { passed: 0, failed: 0 };
  const check = async (name, fn) => {
    try {
      await fn();
      results.passed++;
      log(`  ✔ ui: ${name}`);
    } catch (err) {
      results.failed++;
      log(`  ✖ ui: ${name}: ${err?.message ?? err}`);
    }
  };

  // A workspace whose state dir holds one job of every status, with real processes behind them.
  const workspace = path.join(tmp, 'ws', 'sample-project');
  const empty = path.join(tmp, 'ws', 'fresh-project');
  const claude = path.join(tmp, 'claude');
  const hostTmp = path.join(tmp, 'host-tmp');
  await Promise.all(
    [workspace, empty, hostTmp, path.join(workspace, '.vscode')].map((d) => fs.mkdir(d, { recursive: true })),
  );
  // A short grace period, so the broker started below counts as an orphan within the run.
  await fs.writeFile(
    path.join(workspace, '.vscode', 'settings.json'),
    JSON.stringify({ 'codexJobs.brokers.gracePeriodSeconds': 5 }),
  );
  const stateDir = path.join(claude, 'plugins', 'data', 'codex-openai-codex', 'state', await stateDirName(workspace));
  const procs = new ProcessGroup();
  cleanups.push(() => procs.stopAll());
  await writeScenario(stateDir, workspace, await startScenarioProcesses(procs, workspace, SCENARIO_IDS));
  // An orphan broker (a real process on a real socket) and a dead session dir, for the Brokers view.
  const brokerDir = await fs.mkdtemp(path.join(hostTmp, 'cxc-'));
  const deadDir = await fs.mkdtemp(path.join(hostTmp, 'cxc-'));
  await fs.writeFile(path.join(deadDir, 'broker.pid'), '999999999\n');
  const brokerScript = path.join(repo, 'test', 'fixtures', 'fake-plugin', 'scripts', 'app-server-broker.mjs');
  const broker = spawn(
    process.execPath,
    [
      brokerScript,
      'serve',
      '--endpoint',
      `unix:${brokerDir}/broker.sock`,
      '--cwd',
      workspace,
      '--pid-file',
      `${brokerDir}/broker.pid`,
    ],
    {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, FAKE_BROKER_MODE: 'deaf', FAKE_BROKER_CHILD: '1' },
    },
  );
  cleanups.push(async () => {
    try {
      process.kill(-broker.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });

  const server = await startServer(cs, {
    workspace,
    tmp: path.join(tmp, 'server'),
    env: { CLAUDE_CONFIG_DIR: claude, TMPDIR: hostTmp },
  });
  cleanups.push(server.stop);
  const browser = await launchBrowser(path.join(tmp, 'browser'));
  cleanups.push(() => browser.close());
  const page = browser.pages()[0] ?? (await browser.newPage());
  const open = async (folder) => {
    await page.goto(
      workbenchUrl(server.port, folder, [
        ['extensionDevelopmentPath', repo],
        ['skipWelcome', 'true'],
        ['skipReleaseNotes', 'true'],
      ]),
    );
    await page.waitForSelector('.part.activitybar .action-item', { timeout: 90_000 });
    const icon = page.locator('.part.activitybar [aria-label^="Codex Jobs"]').first();
    await icon.waitFor({ timeout: 60_000 });
    await icon.click();
  };
  const t = Date.now();
  await open(workspace);
  log(`workbench ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const rows = () =>
    page.locator('.pane-body .monaco-list-row').evaluateAll((els) =>
      els.map((el) => ({
        label: el.querySelector('.label-name')?.textContent ?? '',
        description: el.querySelector('.label-description')?.textContent ?? '',
        icon: el.querySelector('.custom-view-tree-node-item-icon')?.className ?? '',
      })),
    );

  await check('the Jobs view shows the three groups', async () => {
    await page
      .locator('.pane-body .monaco-list-row', { hasText: 'Needs attention' })
      .first()
      .waitFor({ timeout: 60_000 });
    await page.locator('.pane-body .monaco-list-row', { hasText: 'Recent' }).first().waitFor({ timeout: 10_000 });
    const labels = (await rows()).map((r) => r.label);
    for (const g of ['Needs attention', 'Running', 'Recent'])
      if (!labels.includes(g)) throw new Error(`no "${g}" group in ${JSON.stringify(labels)}`);
  });

  await check('job rows carry the status icon and phase · elapsed', async () => {
    const r = await rows();
    const find = (pred, what) => {
      const x = r.find(pred);
      if (!x) throw new Error(`no row that is ${what}: ${JSON.stringify(r.slice(0, 20))}`);
      return x;
    };
    const running = find(
      (x) => /codicon-sync/.test(x.icon) && x.description.startsWith('investigating'),
      'running (sync icon, investigating)',
    );
    if (!/modifier-spin|sync~spin/.test(running.icon)) throw new Error(`running icon does not spin: ${running.icon}`);
    if (running.label !== 'rescue · Codex Task') throw new Error(`running label is "${running.label}"`);
    if (!/^investigating · \d+m \d\ds$/.test(running.description))
      throw new Error(`running description is "${running.description}"`);
    find((x) => /codicon-debug-disconnect/.test(x.icon) && x.description.startsWith('stale'), 'stale');
    find((x) => /codicon-arrow-swap/.test(x.icon) && x.description.startsWith('pid-reused'), 'pid-reused');
    find((x) => /codicon-watch/.test(x.icon), 'stalled');
    find((x) => /codicon-pass/.test(x.icon) && x.label === 'rescue · Codex Task', 'completed');
    // Its error ("turn/start failed: rate limited") is a usage limit: the row shows that kind's icon.
    find((x) => /codicon-dashboard/.test(x.icon) && x.label === 'review · Codex Review', 'failed');
    find(
      (x) => /codicon-circle-slash/.test(x.icon) && x.label === 'adversarial-review · Codex Adversarial Review',
      'cancelled',
    );
  });

  await check('the status bar counts running jobs and those needing attention', async () => {
    const item = page.locator('.statusbar-item', { hasText: 'Codex' }).first();
    await item.waitFor({ timeout: 10_000 });
    const text = (await item.innerText()).trim();
    if (!text.includes('Codex 3 running, 1 queued, 5 need attention')) throw new Error(`status bar says "${text}"`);
  });

  // A wider sidebar and no hover tooltip make a readable picture.
  await page.mouse.move(349, 420);
  await page.mouse.down();
  await page.mouse.move(620, 420, { steps: 5 });
  await page.mouse.up();
  await page.mouse.move(900, 650);
  await page.waitForTimeout(600);
  await page.screenshot({ path: path.join(shots, 'jobs.png') });

  await check('a command from the palette: Show Job Record (JSON)', async () => {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill('>Codex Jobs: Show Job Record');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'Show Job Record' })
      .first()
      .waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: SCENARIO_IDS.failed })
      .first()
      .waitFor({ timeout: 10_000 });
    await input.fill(SCENARIO_IDS.failed);
    await page.waitForTimeout(300);
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .view-lines', { hasText: 'rate limited' }).first().waitFor({ timeout: 15_000 });
  });

  await check('the Brokers view lists the orphan broker and the dead dir', async () => {
    // Refresh from the palette: the model is rebuilt and brokers are scanned again.
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill('>Codex Jobs: Refresh');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'Codex Jobs: Refresh' })
      .first()
      .waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    const header = page.locator('.pane-header', { hasText: 'Brokers' }).first();
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    const orphans = page.locator('.pane-body .monaco-list-row', { hasText: 'Orphans' }).first();
    await orphans.waitFor({ timeout: 20_000 });
    await page
      .locator('.pane-body .monaco-list-row', { hasText: path.basename(brokerDir) })
      .first()
      .waitFor({ timeout: 10_000 });
    await page
      .locator('.pane-body .monaco-list-row', { hasText: path.basename(deadDir) })
      .first()
      .waitFor({ timeout: 10_000 });
    await page.mouse.move(900, 650);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(shots, 'brokers.png') });
  });

  await check('the welcome view says where it looked when a folder has no state', async () => {
    await open(empty);
    await page
      .locator('.pane-body', { hasText: 'No Codex companion state was found' })
      .first()
      .waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(shots, 'welcome.png') });
  });

  if (process.env.CODEX_JOBS_UPDATE_MEDIA === '1') {
    await fs.copyFile(path.join(shots, 'jobs.png'), path.join(repo, 'media', 'screenshot-jobs.png'));
    await fs
      .copyFile(path.join(shots, 'welcome.png'), path.join(repo, 'media', 'screenshot-welcome.png'))
      .catch(() => {});
    await fs
      .copyFile(path.join(shots, 'brokers.png'), path.join(repo, 'media', 'screenshot-brokers.png'))
      .catch(() => {});
    log('screenshots copied into media/');
  }
  await browser.close();
  await server.stop();
  return results;
}

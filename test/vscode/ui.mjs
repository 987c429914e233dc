// UI checks through the real workbench: the Codex Jobs container over a prepared state dir with live
// processes behind it, the status bar, a command from the palette, the welcome view; screenshots.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
/** What an age badge may show (format.ts ageBadge): "4m", minutes as digits "12", "3h", "½d", "2d", "1w". */
const AGE_BADGE = /^(\d[mhdw]|\d\d|½d)$/;

export async function runUiChecks({
  cs,
  tmp,
  repo,
  log,
  cleanups,
  startServer,
  launchBrowser,
  openJobsView,
  runFromPalette,
}) {
  const { stateDirName } = require(path.join(repo, 'out', 'src', 'core', 'discovery.js'));
  const { writeShowcase, SHOWCASE_IDS } = require(path.join(repo, 'out', 'test', 'fixtures', 'showcase.js'));
  const { ProcessGroup, FAKE_COMPANION } = require(path.join(repo, 'out', 'test', 'fixtures', 'spawn.js'));
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

  // A workspace whose state dir holds eight ordinary jobs in the companion's shapes (the README's
  // screenshot), with real processes behind the running and pid-reused ones.
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
  const [running, decoy, dead] = await Promise.all([
    procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', workspace, '--job-id', SHOWCASE_IDS.running],
      // The run's own temp dir: the broker scan also looks in a live companion's TMPDIR.
      { waitReady: true, env: { ...process.env, TMPDIR: hostTmp } },
    ),
    procs.start('sleep', ['600']),
    procs.deadPid(),
  ]);
  // Written after the worker started: a process older than its job would be a reused pid.
  await writeShowcase(stateDir, workspace, { running, decoy, dead });
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
      // Started by the workspace's companion: its own state dir (the showcase's) is found and read.
      env: {
        ...process.env,
        // Its own temp dir: the extension learns roots from a broker's TMPDIR, and the machine's /tmp
        // holds whatever else runs here.
        TMPDIR: hostTmp,
        CLAUDE_PLUGIN_DATA: path.dirname(path.dirname(stateDir)),
        FAKE_BROKER_MODE: 'deaf',
        FAKE_BROKER_CHILD: '1',
      },
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
  const open = (folder) => openJobsView(page, server.port, folder);
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

  // What each of the eight rows must say: what it is about (label) and status · when (description),
  // then what the review gate and error kinds add: "blocks stop" on the jobs state.json still calls
  // running, a failure's kind (its icon too: a rate limit is a usage limit), the effort when recorded.
  const EXPECTED_ROWS = [
    ['sync', 'rescue: Migrate the archive to one file per job', /^running · \d+ min ago · \d+m \d\ds · high$/],
    ['debug-disconnect', 'adversarial: working tree diff', /^stale · \d+ min ago · blocks stop$/],
    [
      'arrow-swap',
      'rescue: Bump chokidar and fix the watcher tests',
      /^pid reused · (today|yesterday) \d\d:\d\d · blocks stop$/,
    ],
    ['pass', 'rescue: Fix the flaky reader test on CI', /^completed · (today|yesterday) \d\d:\d\d · 6m 41s$/],
    ['error', 'rescue: Add a --json flag to the status command', /^failed · \d+ min ago · 2m 14s · turn failed$/],
    ['pass', 'review: working tree diff', /^completed · (yesterday|\w{3}) 16:40 · 2m 05s$/],
    [
      'dashboard',
      'adversarial: branch main…HEAD',
      /^failed · (yesterday|\w{3}) 11:05 · turn\/start failed: rate limited .* · usage limit$/,
    ],
    ['circle-slash', 'review: commit 4f1c2ab', /^cancelled · (\w{3}|\w{3} \d+) 09:12 · 48s$/],
  ];
  const itemTexts = [];
  await check('every job row says what it is about, its status and when', async () => {
    await page
      .locator('.pane-body .monaco-list-row', { hasText: 'Migrate the archive' })
      .first()
      .waitFor({ timeout: 20_000 });
    const r = await rows();
    for (const [icon, label, description] of EXPECTED_ROWS) {
      const x = r.find((row) => row.label === label && new RegExp(`codicon-${icon}`).test(row.icon));
      if (!x) throw new Error(`no ${icon} row "${label}" in ${JSON.stringify(r.map((y) => y.label))}`);
      if (!description.test(x.description)) throw new Error(`"${label}": description is "${x.description}"`);
      itemTexts.push(`${label} | ${x.description}`);
    }
    if (new Set(EXPECTED_ROWS.map((e) => e[1])).size !== EXPECTED_ROWS.length) throw new Error('labels repeat');
    log(`  item texts:\n    ${itemTexts.join('\n    ')}`);
  });

  await check('every job row carries an age badge that stays visible at the default width', async () => {
    // Decoration badges are drawn by CSS (::after); read what the rows show.
    // Decorations arrive after the rows: poll.
    const read = () =>
      page.locator('.pane-body .monaco-list-row').evaluateAll((rowEls) =>
        rowEls.flatMap((row) =>
          [row, ...row.querySelectorAll('*')]
            .map((el) => el.ownerDocument.defaultView.getComputedStyle(el, '::after').content)
            .filter((c) => c && c !== 'none' && c !== 'normal' && c !== '""')
            .map((c) => c.replace(/^"|"$/g, '')),
        ),
      );
    let badges = [];
    for (let i = 0; i < 40; i++) {
      badges = await read();
      if (badges.filter((b) => AGE_BADGE.test(b)).length >= EXPECTED_ROWS.length) break;
      await page.waitForTimeout(250);
    }
    if (badges.filter((b) => AGE_BADGE.test(b)).length < EXPECTED_ROWS.length)
      throw new Error(`age badges: ${JSON.stringify(badges)}`);
    log(`  age badges: ${badges.join(' ')}`);
  });

  await check('every job row has an accessible name with status, what and when', async () => {
    const names = await page
      .locator('.pane-body .monaco-list-row')
      .evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''));
    for (const [, label] of EXPECTED_ROWS) {
      const what = label.split(': ')[1];
      const name = names.find((n) => n.includes(what));
      if (!name || !/started /.test(name))
        throw new Error(`no accessible name for "${what}" in ${JSON.stringify(names)}`);
    }
  });

  await check('the status bar and the view badge count the running job and those needing attention', async () => {
    const item = page.locator('.statusbar-item', { hasText: 'Codex' }).first();
    await item.waitFor({ timeout: 10_000 });
    const text = (await item.innerText()).trim();
    if (!text.includes('Codex 1 running, 2 need attention')) throw new Error(`status bar says "${text}"`);
    const badge = page.locator('.part.activitybar [aria-label^="Codex Jobs"] .badge-content').first();
    let value = '';
    for (let i = 0; i < 40 && value !== '1'; i++) {
      value = (await badge.textContent({ timeout: 10_000 }).catch(() => ''))?.trim() ?? '';
      if (value !== '1') await page.waitForTimeout(250);
    }
    if (value !== '1') throw new Error(`badge says "${value}"`);
  });

  // The default sidebar width (no resizing), no hover tooltip: what a user sees first. The Brokers
  // view is collapsed so the Jobs view has the height (it is shown on its own below).
  const brokersHeader = page.locator('.pane-header', { hasText: 'Brokers' }).first();
  if ((await brokersHeader.getAttribute('aria-expanded')) === 'true') await brokersHeader.click();
  await page.mouse.move(900, 650);
  await page.waitForTimeout(600);
  await page.screenshot({ path: path.join(shots, 'jobs.png') });
  // The same, with the sidebar dragged wider: the descriptions (status · started · duration) in full.
  const sash = await page.locator('.part.sidebar').first().boundingBox();
  const edge = sash.x + sash.width;
  await page.mouse.move(edge + 1, 420);
  await page.mouse.down();
  await page.mouse.move(660, 420, { steps: 5 });
  await page.mouse.up();
  await page.mouse.move(900, 650);
  await page.waitForTimeout(600);
  await page.screenshot({ path: path.join(shots, 'jobs-wide.png') });

  await check('the filter in the title bar narrows the view, and Clear Filter restores it', async () => {
    await page.locator('.pane-header', { hasText: 'Jobs' }).first().hover();
    await page.locator('.pane-header .action-label[aria-label^="Filter Jobs"]').first().click();
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Running' }).first().click();
    const checked = page.locator('.quick-input-list .monaco-list-row[aria-checked="true"]', { hasText: 'Running' });
    await checked.first().waitFor({ timeout: 5_000 });
    await page.keyboard.press('Enter');
    await page
      .locator('.pane-body .monaco-list-row', { hasText: 'Fix the flaky' })
      .first()
      .waitFor({ state: 'detached', timeout: 10_000 });
    const labels = (await rows()).map((x) => x.label);
    if (!labels.some((l) => l.includes('Migrate the archive')))
      throw new Error(`filtered rows: ${JSON.stringify(labels)}`);
    const message = 'Filtered (Running): 1 of 8 jobs shown.';
    await page.getByText(message).first().waitFor({ timeout: 10_000 });
    // One filter button, filled while a filter is on; clicking it opens the picker with the filter
    // as set, and closing the picker keeps it.
    await page.locator('.pane-header', { hasText: 'Jobs' }).first().hover();
    const filterButtons = page.locator('.pane-header .action-label[aria-label^="Filter Jobs"]');
    await page.waitForTimeout(300);
    if ((await filterButtons.count()) !== 1) throw new Error(`${await filterButtons.count()} filter buttons`);
    const active = page.locator('.pane-header .action-label.codicon-filter-filled[aria-label^="Filter Jobs"]');
    await active.first().click();
    await page
      .locator('.quick-input-list .monaco-list-row[aria-checked="true"]', { hasText: 'Running' })
      .first()
      .waitFor({ timeout: 5_000 });
    await page.keyboard.press('Escape');
    await page.getByText(message).first().waitFor({ timeout: 10_000 });
    await page.mouse.move(900, 650);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shots, 'filter.png') });
    await page.locator('.pane-header', { hasText: 'Jobs' }).first().hover();
    await page.locator('.pane-header .action-label[aria-label^="Clear Filter"]').first().click();
    await page
      .locator('.pane-body .monaco-list-row', { hasText: 'Fix the flaky' })
      .first()
      .waitFor({ timeout: 10_000 });
  });

  await check('Find Job… from the title bar finds a job by its prompt and reveals it in the tree', async () => {
    await page.locator('.pane-header', { hasText: 'Jobs' }).first().hover();
    await page.locator('.pane-header .action-label[aria-label^="Find Job"]').first().click();
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill('chokidar');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: SHOWCASE_IDS.pidReused })
      .first()
      .waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    await page
      .locator('.pane-body .monaco-list-row.selected', { hasText: 'Bump chokidar' })
      .first()
      .waitFor({ timeout: 10_000 });
  });

  await check('a command from the palette: Show Job Record (JSON)', async () => {
    const input = await runFromPalette(page, 'Codex Jobs: Show Job Record', 'Show Job Record');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: SHOWCASE_IDS.failedAdversarial })
      .first()
      .waitFor({ timeout: 10_000 });
    await input.fill(SHOWCASE_IDS.failedAdversarial);
    await page.waitForTimeout(300);
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .view-lines', { hasText: 'rate limited' }).first().waitFor({ timeout: 15_000 });
  });

  await check('the Brokers view lists the orphan broker and the dead dir', async () => {
    // Refresh from the palette: the model is rebuilt and brokers are scanned again.
    await runFromPalette(page, 'Codex Jobs: Refresh', 'Codex Jobs: Refresh');
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
    // Only what this run made: no session dir of the machine's temp dir is learned from its processes.
    if (!process.env.CODEX_JOBS_TEST_SHARED_PIDS) {
      const rows = await page.locator('.pane-body .monaco-list-row', { hasText: /cxc-/ }).allTextContents();
      const dirs = [...new Set(rows.map((r) => r.match(/cxc-[A-Za-z0-9]{6}/)?.[0]).filter(Boolean))].sort();
      const ours = [path.basename(brokerDir), path.basename(deadDir)].sort();
      if (JSON.stringify(dirs) !== JSON.stringify(ours))
        throw new Error(`expected only this run's session dirs ${ours.join(', ')}; the view lists ${dirs.join(', ')}`);
    }
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
    // The Brokers view lists every broker on the machine: refreshed only when set to, on a machine
    // where nothing else runs brokers (CODEX_JOBS_UPDATE_BROKERS_MEDIA=1).
    if (process.env.CODEX_JOBS_UPDATE_BROKERS_MEDIA === '1')
      await fs
        .copyFile(path.join(shots, 'brokers.png'), path.join(repo, 'media', 'screenshot-brokers.png'))
        .catch(() => {});
    await fs
      .copyFile(path.join(shots, 'jobs-wide.png'), path.join(repo, 'media', 'screenshot-jobs-wide.png'))
      .catch(() => {});
    await fs
      .copyFile(path.join(shots, 'filter.png'), path.join(repo, 'media', 'screenshot-filter.png'))
      .catch(() => {});
    log('screenshots copied into media/');
  }
  await browser.close();
  await server.stop();
  return results;
}

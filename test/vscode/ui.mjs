// UI checks through the real workbench: the Codex Jobs container over a prepared state dir with live
// processes behind it, the status bar, a command from the palette, the welcome view; screenshots.
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { runTimelineChecks } from './timelineUi.mjs';

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
  const { startShowcase, SHOWCASE_IDS } = require(path.join(repo, 'out', 'test', 'fixtures', 'showcase.js'));
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

  // The sample `npm start -- --sample` opens (test/fixtures/showcase.ts): a project whose state dir
  // holds one job of every status in the companion's shapes, with real processes behind the live
  // ones, a review with findings on the project's files, and brokers of its own (in use, orphan, dead).
  const workspace = path.join(tmp, 'ws', 'sample-project');
  const empty = path.join(tmp, 'ws', 'fresh-project');
  const claude = path.join(tmp, 'claude');
  // The run's own temp dir, the server's and the companion's: the broker scan looks there, and the
  // machine's /tmp holds whatever else runs here.
  const hostTmp = path.join(tmp, 'host-tmp');
  await Promise.all([empty, hostTmp].map((d) => fs.mkdir(d, { recursive: true })));
  const sample = await startShowcase({ workspace, claudeConfigDir: claude, tmp: hostTmp, progressMs: 15_000 });
  cleanups.push(() => sample.stop());
  const { inUse, orphan, deadDir } = sample.brokers;

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

  /** The rows once `ok` holds for their labels, or as they are after 10 s (for the error message). */
  const settledRows = async (ok) => {
    const until = Date.now() + 10_000;
    for (;;) {
      const r = await rows();
      if (ok(r.map((x) => x.label)) || Date.now() > until) return r;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  // The Brokers view is collapsed so the Jobs view has the height to show every row (rows out of
  // sight are not in the page); it is shown on its own below.
  const brokersHeader = page.locator('.pane-header', { hasText: 'Brokers' }).first();
  await brokersHeader.waitFor({ timeout: 60_000 });
  if ((await brokersHeader.getAttribute('aria-expanded')) === 'true') await brokersHeader.click();

  await check('the Jobs view shows the three groups', async () => {
    await page
      .locator('.pane-body .monaco-list-row', { hasText: 'Needs attention' })
      .first()
      .waitFor({ timeout: 60_000 });
    await page.locator('.pane-body .monaco-list-row', { hasText: 'Recent' }).first().waitFor({ timeout: 10_000 });
    // Read once the rows hold still: while the workbench lays the panes out again (the Brokers view
    // just collapsed), the list may briefly render another slice of itself. What counts is what it
    // settles on.
    const groups = ['Needs attention', 'Running', 'Recent'];
    const labels = (await settledRows((l) => groups.every((g) => l.includes(g)))).map((r) => r.label);
    for (const g of groups) if (!labels.includes(g)) throw new Error(`no "${g}" group in ${JSON.stringify(labels)}`);
  });

  // What each of the sample's thirteen rows (one of every status) must say: what it is about (label)
  // and status · when (description), then what the review gate and error kinds add: "blocks stop" on
  // the jobs state.json still calls running, a failure's kind (its icon too: a rate limit is a usage
  // limit), the effort when recorded.
  const EXPECTED_ROWS = [
    ['sync', 'rescue: Migrate the archive to one file per job', /^running · \d+ min ago · \d+m \d\ds · high$/],
    [
      'clock',
      'rescue: Add retry with backoff to the upload client',
      /^queued · (just now|\d+ min ago) · (\d+s|\d+m \d\ds)$/,
    ],
    ['question', 'review: branch main…HEAD', /^unverified · \d+ min ago · \d+m \d\ds$/],
    ['watch', 'rescue: Profile the slow startup and fix the hot path', /^stalled · \d+ min ago · \d+m \d\ds$/],
    [
      'debug-disconnect',
      'rescue: Upgrade to TypeScript 5.6 and fix the type errors',
      /^stale · \d+ min ago · blocks stop$/,
    ],
    [
      'arrow-swap',
      'rescue: Bump chokidar and fix the watcher tests',
      /^pid reused · (today|yesterday) \d\d:\d\d · blocks stop$/,
    ],
    ['circle-outline', 'rescue: Split the settings page into tabs', /^unknown · (today|yesterday) \d\d:\d\d$/],
    ['pass', 'adversarial: working tree diff', /^completed · \d+ min ago · 3m 20s$/],
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
    const r = await settledRows((l) => EXPECTED_ROWS.every((e) => l.includes(e[1])));
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

  await check('at the default width every job row shows enough of its label to tell it from the others', async () => {
    // What is left of each label once the row cuts it (text-overflow: ellipsis): the characters
    // drawn before the label's container ends, minus room for the ellipsis.
    const shown = await page.locator('.pane-body .monaco-list-row .label-name').evaluateAll((els) =>
      els.map((el) => {
        const box = el.closest('.monaco-icon-label-container') ?? el;
        const right = box.getBoundingClientRect().right - 10;
        const text = el.textContent ?? '';
        const range = el.ownerDocument.createRange();
        const walker = el.ownerDocument.createTreeWalker(el, el.ownerDocument.defaultView.NodeFilter.SHOW_TEXT);
        let visible = '';
        for (let node = walker.nextNode(); node; node = walker.nextNode())
          for (let i = 0; i < node.length; i++) {
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            if (range.getBoundingClientRect().right > right) return { text, visible };
            visible += node.data[i];
          }
        return { text, visible };
      }),
    );
    const jobs = shown.filter((x) => EXPECTED_ROWS.some(([, label]) => label === x.text));
    if (jobs.length !== EXPECTED_ROWS.length) throw new Error(`job labels in the view: ${JSON.stringify(shown)}`);
    const seen = new Map();
    for (const { text, visible } of jobs) {
      const prefix = visible.trim();
      if (prefix.length < 16) throw new Error(`"${text}" shows only "${prefix}"`);
      if (seen.has(prefix)) throw new Error(`"${text}" and "${seen.get(prefix)}" both read "${prefix}"`);
      seen.set(prefix, text);
    }
    log(`  labels as shown: ${jobs.map((x) => x.visible.trim()).join(' | ')}`);
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

  // One counting rule, by group: the Running group holds the running and unverified jobs (2 running)
  // and the queued one (1 queued), the badge counts the group (3); stale, pid reused, stalled and
  // unknown need attention, each counted there only (the orphan brokers are checked with the Brokers view).
  await check('the status bar and the view badge count the live jobs and those needing attention', async () => {
    const item = page.locator('.statusbar-item', { hasText: 'Codex' }).first();
    await item.waitFor({ timeout: 10_000 });
    const want = 'Codex 2 running, 1 queued, 4 need attention';
    let text = '';
    for (let i = 0; i < 40 && !text.includes(want); i++) {
      text = (await item.innerText()).trim();
      if (!text.includes(want)) await page.waitForTimeout(250);
    }
    if (!text.includes(want)) throw new Error(`status bar says "${text}"`);
    const badge = page.locator('.part.activitybar [aria-label^="Codex Jobs"] .badge-content').first();
    let value = '';
    for (let i = 0; i < 40 && value !== '3'; i++) {
      value = (await badge.textContent({ timeout: 10_000 }).catch(() => ''))?.trim() ?? '';
      if (value !== '3') await page.waitForTimeout(250);
    }
    if (value !== '3') throw new Error(`badge says "${value}"`);
  });

  // Times move with no file written: the view's one 30 s tick (src/ui/viewTick.ts VIEW_TICK_MS)
  // re-renders the live rows, and a tooltip is made when it is shown. Read twice a tick period apart,
  // with nothing in the state dir changing meanwhile: the running job's worker, which appends to its
  // log every 15 s, is paused (SIGSTOP: still alive, so still verified running, but writing nothing),
  // and the stalled job's files never change. Both rows' durations and tooltips must have moved on.
  await check("a running job's description and tooltip advance over one tick with no file change", async () => {
    const live = [EXPECTED_ROWS[0][1], EXPECTED_ROWS[3][1]]; // the running and the stalled job
    const seconds = (d) =>
      [...d.matchAll(/(\d+)([hms])/g)].reduce((s, [, n, u]) => s + Number(n) * { h: 3600, m: 60, s: 1 }[u], 0);
    const filesOf = async () => {
      const out = {};
      for (const dir of [sample.stateDir, path.join(sample.stateDir, 'jobs')])
        for (const name of await fs.readdir(dir)) {
          const st = await fs.stat(path.join(dir, name));
          if (st.isFile()) out[path.join(dir, name)] = `${st.size}:${st.mtimeMs}`;
        }
      return out;
    };
    const read = async () => {
      const out = {};
      for (const label of live) {
        const row = page.locator('.pane-body .monaco-list-row', { hasText: label }).first();
        const description = (await row.locator('.label-description').first().textContent()) ?? '';
        // The tooltip: hover the label, read the hover, then move away and let it close.
        await page.mouse.move(900, 650);
        await row.locator('.label-name').first().hover();
        const hover = page.locator('.monaco-hover, .workbench-hover', { hasText: 'Running for' }).first();
        await hover.waitFor({ timeout: 15_000 });
        const tooltip = /Running for:\s*([\dhms ]+)/.exec(await hover.innerText())?.[1]?.trim() ?? '';
        await page.mouse.move(900, 650);
        await page.keyboard.press('Escape');
        await hover.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
        out[label] = { description, duration: description.split(' · ')[2] ?? '', tooltip };
      }
      return out;
    };
    process.kill(sample.pids.running, 'SIGSTOP');
    try {
      await page.waitForTimeout(500); // a write under way when it stopped has landed
      const filesBefore = await filesOf();
      const t0 = Date.now();
      const first = await read();
      await page.waitForTimeout(Math.max(0, 31_000 - (Date.now() - t0)));
      const second = await read();
      const filesAfter = await filesOf();
      log(`  live rows a tick apart: ${JSON.stringify(first)} → ${JSON.stringify(second)}`);
      if (JSON.stringify(filesAfter) !== JSON.stringify(filesBefore))
        throw new Error(`a state dir file changed meanwhile: ${JSON.stringify({ filesBefore, filesAfter })}`);
      for (const label of live) {
        const [a, b] = [first[label], second[label]];
        if (!a.duration || !a.tooltip) throw new Error(`"${label}": no duration or tooltip in ${JSON.stringify(a)}`);
        // The description moves at the tick (at least one fell in the period); the tooltip is that of the hover.
        if (!(seconds(b.duration) > seconds(a.duration)))
          throw new Error(`"${label}": the description stayed "${a.description}" → "${b.description}"`);
        if (!(seconds(b.tooltip) - seconds(a.tooltip) >= 30))
          throw new Error(`"${label}": the tooltip said "Running for: ${a.tooltip}", then "${b.tooltip}"`);
      }
    } finally {
      process.kill(sample.pids.running, 'SIGCONT');
    }
  });

  // The default sidebar width (no resizing), no hover tooltip: what a user sees first.
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
    // The Running group: the running, queued and unverified jobs, and nothing else.
    const labels = (await rows()).map((x) => x.label).filter((l) => EXPECTED_ROWS.some((e) => e[1] === l));
    const running = [EXPECTED_ROWS[0][1], EXPECTED_ROWS[1][1], EXPECTED_ROWS[2][1]];
    if (JSON.stringify([...labels].sort()) !== JSON.stringify([...running].sort()))
      throw new Error(`filtered rows: ${JSON.stringify(labels)}`);
    const message = `Filtered (Running): 3 of ${EXPECTED_ROWS.length} jobs shown.`;
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
    // The picker lists every job; only those in sight are in the page: narrowed to the one wanted.
    await input.fill(SHOWCASE_IDS.failedAdversarial);
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: SHOWCASE_IDS.failedAdversarial })
      .first()
      .waitFor({ timeout: 10_000 });
    await page.waitForTimeout(300);
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .view-lines', { hasText: 'rate limited' }).first().waitFor({ timeout: 15_000 });
  });

  await check('the Brokers view lists the broker in use, the orphan broker and the dead dir', async () => {
    // Refresh from the palette: the model is rebuilt and brokers are scanned again.
    await runFromPalette(page, 'Codex Jobs: Refresh', 'Codex Jobs: Refresh');
    const header = page.locator('.pane-header', { hasText: 'Brokers' }).first();
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    for (const group of ['Orphans', 'In use'])
      await page.locator('.pane-body .monaco-list-row', { hasText: group }).first().waitFor({ timeout: 20_000 });
    for (const dir of [inUse.dir, orphan.dir, deadDir])
      await page
        .locator('.pane-body .monaco-list-row', { hasText: path.basename(dir) })
        .first()
        .waitFor({ timeout: 10_000 });
    // Both orphans (the live one and the dead dir) are counted in the status bar.
    await page
      .locator('.statusbar-item', { hasText: 'Codex' })
      .filter({ hasText: '2 orphan brokers' })
      .first()
      .waitFor({ timeout: 10_000 });
    // Only what this run made: no session dir of the machine's temp dir is learned from its processes.
    if (!process.env.CODEX_JOBS_TEST_SHARED_PIDS) {
      const rows = await page.locator('.pane-body .monaco-list-row', { hasText: /cxc-/ }).allTextContents();
      const dirs = [...new Set(rows.map((r) => r.match(/cxc-[A-Za-z0-9]{6}/)?.[0]).filter(Boolean))].sort();
      const ours = [inUse.dir, orphan.dir, deadDir].map((d) => path.basename(d)).sort();
      if (JSON.stringify(dirs) !== JSON.stringify(ours))
        throw new Error(`expected only this run's session dirs ${ours.join(', ')}; the view lists ${dirs.join(', ')}`);
    }
    await page.mouse.move(900, 650);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(shots, 'brokers.png') });
  });

  await check("the adversarial review's findings are in the Problems panel, on the sample's files", async () => {
    await runFromPalette(page, 'View: Toggle Problems', 'Toggle Problems');
    // All four findings are placed (the Problems tab counts them), each on the file it names.
    const tab = page.locator('.part.panel .action-item', { hasText: 'Problems' }).first();
    let count = '';
    for (let i = 0; i < 80 && count !== '4'; i++) {
      count = (
        await tab
          .locator('.badge-content')
          .first()
          .textContent({ timeout: 10_000 })
          .catch(() => '')
      )?.trim();
      if (count !== '4') await page.waitForTimeout(250);
    }
    if (count !== '4') throw new Error(`the Problems tab counts "${count}"`);
    // Maximized, the panel has the height for every row (rows out of sight are not in the page).
    await runFromPalette(page, 'View: Toggle Maximized Panel', 'Toggle Maximized Panel');
    const findings = [
      '[critical] Cache grows without bound',
      '[high] Missing empty-state guard',
      '[medium] Prices summed as floats',
      '[low] Magic page size',
    ];
    for (const text of ['app.js', 'store.js', ...findings])
      await page.locator('.part.panel .monaco-list-row', { hasText: text }).first().waitFor({ timeout: 20_000 });
    await runFromPalette(page, 'View: Toggle Maximized Panel', 'Toggle Maximized Panel');
    await runFromPalette(page, 'View: Toggle Problems', 'Toggle Problems');
  });

  await (await import('./usageUi.mjs')).usageChecks({ page, tmp, repo, check, log });
  await runTimelineChecks({ page, check, runFromPalette, sample, SHOWCASE_IDS, shots, repo, log });

  await check('the welcome view says where it looked when a folder has no state', async () => {
    await open(empty);
    await page
      .locator('.pane-body', { hasText: 'No Codex companion state was found' })
      .first()
      .waitFor({ timeout: 60_000 });
    // Away from the activity bar icon just clicked, whose tooltip would cover the first button.
    await page.mouse.move(900, 650);
    await page.waitForTimeout(800);
    await page.screenshot({ path: path.join(shots, 'welcome.png') });
  });

  if (process.env.CODEX_JOBS_UPDATE_MEDIA === '1') {
    await fs.copyFile(path.join(shots, 'jobs.png'), path.join(repo, 'media', 'screenshot-jobs.png'));
    await fs
      .copyFile(path.join(shots, 'welcome.png'), path.join(repo, 'media', 'screenshot-welcome.png'))
      .catch(() => {});
    // The Brokers view lists every broker the extension host can see: only the sample's when the run
    // has its own pid namespace (checked above); in the shared one only when set to, on a machine
    // where nothing else runs brokers (CODEX_JOBS_UPDATE_BROKERS_MEDIA=1).
    if (!process.env.CODEX_JOBS_TEST_SHARED_PIDS || process.env.CODEX_JOBS_UPDATE_BROKERS_MEDIA === '1')
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

// Drives the real workbench over the sample (test/fixtures/showcase.ts, what `npm start -- --sample`
// opens), whose latest adversarial review has findings, and takes the picture of them in the
// Problems panel and under the review's row
// (media/screenshot-findings.png with CODEX_JOBS_UPDATE_MEDIA=1). Run: node test/vscode/findingsShot.mjs
// after `npm run build && npx tsc -p .`.
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepare } from './prepare.mjs';
import { launchBrowser, openJobsView, runFromPalette, startServer } from './run.mjs';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { startShowcase } = require(path.join(repo, 'out', 'test', 'fixtures', 'showcase.js'));
const log = (...a) => console.log('[findings shot]', ...a);

const cleanups = [];
try {
  const cs = prepare();
  const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-shot-')));
  cleanups.push(() => fs.rm(tmp, { recursive: true, force: true }));
  const ws = path.join(tmp, 'ws', 'sample-project');
  const claude = path.join(tmp, 'claude');
  const hostTmp = path.join(tmp, 'host-tmp');
  const sample = await startShowcase({ workspace: ws, claudeConfigDir: claude, tmp: hostTmp });
  cleanups.push(() => sample.stop());
  const server = await startServer(cs, {
    workspace: ws,
    tmp: path.join(tmp, 'server'),
    env: { CLAUDE_CONFIG_DIR: claude, TMPDIR: hostTmp },
  });
  cleanups.push(server.stop);
  const browser = await launchBrowser(path.join(tmp, 'browser'));
  cleanups.push(() => browser.close());
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.setViewportSize({ width: 1400, height: 860 }).catch(() => {});
  await openJobsView(page, server.port, ws);
  // The row's label says what the review was about (its target), kind first.
  const row = page.locator('.pane-body .monaco-list-row', { hasText: 'adversarial: working tree diff' }).first();
  await row.waitFor({ timeout: 60_000 });
  // The Brokers view is folded so the Jobs view has the height; the sidebar is widened.
  const brokers = page.locator('.pane-header', { hasText: 'Brokers' }).first();
  if ((await brokers.getAttribute('aria-expanded')) === 'true') await brokers.click();
  await page.mouse.move(349, 300);
  await page.mouse.down();
  await page.mouse.move(560, 300, { steps: 5 });
  await page.mouse.up();
  // Expand the review: its findings are its children.
  await row.locator('.monaco-tl-twistie').click();
  await page
    .locator('.pane-body .monaco-list-row', { hasText: 'Cache grows without bound' })
    .first()
    .waitFor({ timeout: 15_000 });
  // Open a file so the editor shows the squiggles, then the Problems panel.
  await page.locator('.pane-body .monaco-list-row', { hasText: 'Missing empty-state guard' }).first().click();
  await page.locator('.monaco-editor .view-lines', { hasText: 'firstItem' }).first().waitFor({ timeout: 15_000 });
  await runFromPalette(page, 'View: Toggle Problems', 'Toggle Problems');

  const problems = page.locator('.monaco-list-row', { hasText: '[high] Missing empty-state guard' }).first();
  await problems.waitFor({ timeout: 20_000 });
  // A taller panel shows every finding.
  const sash = await page.locator('.part.panel').first().boundingBox();
  if (sash) {
    await page.mouse.move(sash.x + sash.width / 2, sash.y + 1);
    await page.mouse.down();
    await page.mouse.move(sash.x + sash.width / 2, 330, { steps: 5 });
    await page.mouse.up();
  }
  const count = await page
    .locator('.part.panel .action-item', { hasText: 'Problems' })
    .first()
    .locator('.badge-content')
    .first()
    .textContent();
  log(`the Problems tab counts ${count}`);
  const shown = await page.locator('.monaco-list-row', { hasText: 'Codex review' }).allInnerTexts();
  log(`Problems panel rows: ${shown.length}\n  ${shown.map((s) => s.replace(/\s+/g, ' ')).join('\n  ')}`);
  await page.mouse.move(1300, 120);
  await page.waitForTimeout(800);
  const out = path.join(repo, 'test-results', 'screenshots', 'findings.png');
  await fs.mkdir(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  log(`screenshot: ${out}`);
  if (process.env.CODEX_JOBS_UPDATE_MEDIA === '1') {
    await fs.copyFile(out, path.join(repo, 'media', 'screenshot-findings.png'));
    log('copied to media/screenshot-findings.png');
  }
} finally {
  while (cleanups.length)
    await cleanups
      .pop()()
      .catch(() => {});
}

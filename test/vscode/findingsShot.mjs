// Drives the real workbench over the sample (test/fixtures/showcase.ts, what `npm start -- --sample`
// opens), whose latest adversarial review has findings, and takes the picture of them in the
// Problems panel and under the review's row
// (media/screenshot-findings.png with CODEX_JOBS_UPDATE_MEDIA=1). Run: node test/vscode/findingsShot.mjs
// after `npm run build && npx tsc -p .`.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { repo, roomForJobs, saveShot, showProblems, withWorkbench } from './shotWorkbench.mjs';

const require = createRequire(import.meta.url);
const { startShowcase } = require(path.join(repo, 'out', 'test', 'fixtures', 'showcase.js'));
const log = (...a) => console.log('[findings shot]', ...a);

await withWorkbench(
  async ({ ws, claude, hostTmp }, cleanups) => {
    const sample = await startShowcase({ workspace: ws, claudeConfigDir: claude, tmp: hostTmp });
    cleanups.push(() => sample.stop());
  },
  async (page) => {
    // The row's label says what the review was about (its target), kind first.
    const row = page.locator('.pane-body .monaco-list-row', { hasText: 'adversarial: working tree diff' }).first();
    await roomForJobs(page, row, 560);
    // Expand the review: its findings are its children.
    await row.locator('.monaco-tl-twistie').click();
    await page
      .locator('.pane-body .monaco-list-row', { hasText: 'Cache grows without bound' })
      .first()
      .waitFor({ timeout: 15_000 });
    // Open a file so the editor shows the squiggles, then the Problems panel.
    await page.locator('.pane-body .monaco-list-row', { hasText: 'Missing empty-state guard' }).first().click();
    await page.locator('.monaco-editor .view-lines', { hasText: 'firstItem' }).first().waitFor({ timeout: 15_000 });
    await showProblems(page, '[high] Missing empty-state guard');
    const count = await page
      .locator('.part.panel .action-item', { hasText: 'Problems' })
      .first()
      .locator('.badge-content')
      .first()
      .textContent();
    log(`the Problems tab counts ${count}`);
    const shown = await page.locator('.monaco-list-row', { hasText: 'Codex review' }).allInnerTexts();
    log(`Problems panel rows: ${shown.length}\n  ${shown.map((s) => s.replace(/\s+/g, ' ')).join('\n  ')}`);
    await saveShot(page, 'findings.png', 'screenshot-findings.png', log);
  },
);

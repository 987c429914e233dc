// The usage checks of ui.mjs (issue #28), on its sample: a CODEX_HOME of fixtures given through the
// setting codexJobs.codexHome (written into the machine settings while the workbench runs), the status
// bar item that then shows the account's windows in the error colour, and a review's tooltip saying
// why it has no usage.
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const MIN = 60_000;

export async function usageChecks({ page, tmp, repo, check, log }) {
  const { writeSession, threadIdOf } = require(path.join(repo, 'out', 'test', 'core', 'usageFixtures.js'));
  await check(
    'usage: the account’s windows from codexJobs.codexHome, coloured; a review says why it has none',
    async () => {
      const home = path.join(tmp, 'codex-home');
      const now = Date.now();
      const reading = { input: 9_000, output: 300, secondary: 30, resetsAtMs: now + 40 * MIN };
      await writeSession(home, threadIdOf(2899), 'credits', [
        { ...reading, atMs: now - 6 * MIN, primary: 88 },
        { ...reading, atMs: now - 3 * MIN, primary: 92 },
      ]);
      // A machine-scoped setting: on a server it is read from the machine's settings, not the user's.
      const settingsFile = path.join(tmp, 'server', 'user-data', 'Machine', 'settings.json');
      await fs.mkdir(path.dirname(settingsFile), { recursive: true });
      await fs.writeFile(settingsFile, JSON.stringify({ 'codexJobs.codexHome': home }, null, 2));
      const item = page.locator('.statusbar-item', { hasText: 'Codex 5h' }).first();
      await item.waitFor({ timeout: 30_000 });
      const text = (await item.innerText()).replace(/\s+/g, ' ').trim();
      log(`  usage status bar: ${text}`);
      if (!/Codex 5h 92 % · resets \d\d:\d\d, week 30 %/.test(text)) throw new Error(`the item says "${text}"`);
      const cls = (await item.getAttribute('class')) ?? '';
      if (!cls.includes('error-kind')) throw new Error(`92 % ≥ 90 % but the item is not in the error colour (${cls})`);
      // A review's tooltip: no session file, and why.
      const brokers = page.locator('.pane-header', { hasText: 'Brokers' }).first();
      if ((await brokers.getAttribute('aria-expanded')) === 'true') await brokers.click();
      const row = page.locator('.pane-body .monaco-list-row', { hasText: 'review: commit 4f1c2ab' }).first();
      // A tooltip comes on the mouse entering the row: from elsewhere, again if the first try showed none
      // (the pointer may already rest where the row is after the checks before).
      const hover = page.locator('.monaco-hover, .workbench-hover', { hasText: 'No usage' }).first();
      for (let attempt = 1; ; attempt++) {
        await page.mouse.move(5, 5);
        await row.locator('.label-name').first().hover();
        const shown = await hover.waitFor({ timeout: 8_000 }).then(
          () => true,
          () => false,
        );
        if (shown) break;
        if (attempt === 3) {
          const seen = await page.locator('.monaco-hover, .workbench-hover').allInnerTexts();
          throw new Error(`no tooltip with "No usage" on the review row; hovers shown: ${JSON.stringify(seen)}`);
        }
      }
      if (!(await hover.innerText()).includes('review threads are not saved by Codex'))
        throw new Error(`the tooltip says: ${await hover.innerText()}`);
      await page.mouse.move(900, 650);
      await fs.writeFile(settingsFile, '{}');
    },
  );
}

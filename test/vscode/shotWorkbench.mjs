// What the screenshot drivers share (findingsShot.mjs, seriesShot.mjs): a workbench on a project
// whose Codex state is prepared, the Jobs view given the room, the Problems panel opened tall, the
// picture saved (and copied into media/ with CODEX_JOBS_UPDATE_MEDIA=1), and everything ended after.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepare } from './prepare.mjs';
import { launchBrowser, openJobsView, runFromPalette, startServer } from './run.mjs';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Runs `shoot` with a fresh temp dir's paths (`ws`, `claude` for CLAUDE_CONFIG_DIR, `hostTmp`) made
 * ready by `setUp`, and a page showing the Jobs view on `ws`; ends whatever was started, on every path.
 */
export async function withWorkbench(setUp, shoot) {
  const cleanups = [];
  try {
    const cs = prepare();
    const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-shot-')));
    cleanups.push(() => fs.rm(tmp, { recursive: true, force: true }));
    const where = {
      ws: path.join(tmp, 'ws', 'sample-project'),
      claude: path.join(tmp, 'claude'),
      hostTmp: path.join(tmp, 'host-tmp'),
    };
    // setUp may give more of the server's environment (`{ env }`), e.g. a CODEX_HOME of fixtures.
    const extra = await setUp(where, cleanups);
    const server = await startServer(cs, {
      workspace: where.ws,
      tmp: path.join(tmp, 'server'),
      env: { CLAUDE_CONFIG_DIR: where.claude, TMPDIR: where.hostTmp, ...extra?.env },
    });
    cleanups.push(server.stop);
    const browser = await launchBrowser(path.join(tmp, 'browser'));
    cleanups.push(() => browser.close());
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.setViewportSize({ width: 1400, height: 860 }).catch(() => {});
    await openJobsView(page, server.port, where.ws);
    await shoot(page, where);
  } finally {
    while (cleanups.length)
      await cleanups
        .pop()()
        .catch(() => {});
  }
}

/** Once `row` shows: the Brokers view folded so the Jobs view has the height, the sidebar widened to `width`. */
export async function roomForJobs(page, row, width) {
  await row.waitFor({ timeout: 60_000 });
  const brokers = page.locator('.pane-header', { hasText: 'Brokers' }).first();
  if ((await brokers.getAttribute('aria-expanded')) === 'true') await brokers.click();
  await page.mouse.move(349, 300);
  await page.mouse.down();
  await page.mouse.move(width, 300, { steps: 5 });
  await page.mouse.up();
}

/** Opens the Problems panel, waits for a row showing `text`, and makes the panel tall enough for every finding. */
export async function showProblems(page, text) {
  await runFromPalette(page, 'View: Toggle Problems', 'Toggle Problems');
  await page.locator('.monaco-list-row', { hasText: text }).first().waitFor({ timeout: 20_000 });
  const sash = await page.locator('.part.panel').first().boundingBox();
  if (sash) {
    await page.mouse.move(sash.x + sash.width / 2, sash.y + 1);
    await page.mouse.down();
    await page.mouse.move(sash.x + sash.width / 2, 330, { steps: 5 });
    await page.mouse.up();
  }
}

/** Saves the picture as test-results/screenshots/<name>, and as media/<media> with CODEX_JOBS_UPDATE_MEDIA=1. */
export async function saveShot(page, name, media, log) {
  await page.mouse.move(1300, 120);
  await page.waitForTimeout(800);
  const out = path.join(repo, 'test-results', 'screenshots', name);
  await fs.mkdir(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  log(`screenshot: ${out}`);
  if (process.env.CODEX_JOBS_UPDATE_MEDIA === '1') {
    await fs.copyFile(out, path.join(repo, 'media', media));
    log(`copied to media/${media}`);
  }
}

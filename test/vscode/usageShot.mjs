// Drives the real workbench over a project with a finished rescue task whose Codex session file is
// in a CODEX_HOME of fixtures (test/core/usageFixtures.ts), and takes the picture of the task's
// tooltip with its usage and the status bar item with the account's windows
// (media/usage-tooltip.png with CODEX_JOBS_UPDATE_MEDIA=1). Run: node test/vscode/usageShot.mjs
// after `npm run build && npx tsc -p .`.
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { repo, roomForJobs, saveShot, withWorkbench } from './shotWorkbench.mjs';

const require = createRequire(import.meta.url);
const { stateDirName } = require(path.join(repo, 'out', 'src', 'core', 'discovery', 'discovery.js'));
const { writeSession, threadIdOf } = require(path.join(repo, 'out', 'test', 'core', 'usageFixtures.js'));
const { record } = require(path.join(repo, 'out', 'test', 'core', 'helpers.js'));
const log = (...a) => console.log('[usage shot]', ...a);
const MIN = 60_000;

async function setUp({ ws, claude, hostTmp }) {
  await fs.mkdir(hostTmp, { recursive: true });
  await fs.mkdir(ws, { recursive: true });
  await fs.writeFile(path.join(ws, 'README.md'), '# sample\n');
  const codexHome = path.join(path.dirname(claude), 'codex-home');
  const now = Date.now();
  const start = now - 42 * MIN;
  const thread = threadIdOf(2801);
  // Eleven responses over 20 minutes; the 5-hour window rising from 55 % to 63 %.
  const turns = Array.from({ length: 11 }, (_, i) => ({
    atMs: start + (i + 1) * 2 * MIN,
    input: 24_000 + i * 6_000,
    cached: 18_000 + i * 5_500,
    output: 900 + i * 40,
    reasoning: 300 + i * 20,
    primary: 55 + (i * 8) / 10,
    secondary: 21,
    resetsAtMs: now + 83 * MIN,
  }));
  await writeSession(codexHome, thread, 'credits', turns);
  // Another session, still going: the account's newest reading (78 %: the item turns to the warning colour).
  await writeSession(codexHome, threadIdOf(2802), 'credits', [
    { atMs: now - 9 * MIN, input: 9_000, output: 300, primary: 74, secondary: 23, resetsAtMs: now + 83 * MIN },
    { atMs: now - 2 * MIN, input: 12_000, output: 500, primary: 78, secondary: 24, resetsAtMs: now + 83 * MIN },
  ]);
  const stateDir = path.join(claude, 'plugins', 'data', 'codex-openai-codex', 'state', await stateDirName(ws));
  await fs.mkdir(path.join(stateDir, 'jobs'), { recursive: true });
  const task = record('task-mwu28a01-usage1', {
    title: 'Codex Task',
    summary: 'Find why the nightly export drops rows',
    workspaceRoot: ws,
    threadId: thread,
    createdAt: new Date(start).toISOString(),
    startedAt: new Date(start).toISOString(),
    completedAt: new Date(start + 23 * MIN).toISOString(),
    updatedAt: new Date(start + 23 * MIN).toISOString(),
    rendered: 'The export filters rows by a timezone-naive date.',
  });
  const review = record('review-mwu28b02-usage2', {
    kind: 'review',
    kindLabel: 'review',
    jobClass: 'review',
    title: 'Codex Review',
    summary: 'Review working tree diff',
    workspaceRoot: ws,
    createdAt: new Date(now - 90 * MIN).toISOString(),
    startedAt: new Date(now - 90 * MIN).toISOString(),
    completedAt: new Date(now - 86 * MIN).toISOString(),
  });
  for (const j of [task, review]) {
    await fs.writeFile(path.join(stateDir, 'jobs', `${j.id}.json`), JSON.stringify(j, null, 2));
    await fs.writeFile(path.join(stateDir, 'jobs', `${j.id}.log`), `[${j.startedAt}] Starting Codex.\n`);
  }
  await fs.writeFile(
    path.join(stateDir, 'state.json'),
    JSON.stringify({
      version: 1,
      config: { stopReviewGate: false },
      jobs: [task, review],
    }),
  );
  return { env: { CODEX_HOME: codexHome } };
}

await withWorkbench(setUp, async (page) => {
  const row = page.locator('.pane-body .monaco-list-row', { hasText: 'nightly export' }).first();
  await roomForJobs(page, row, 560);
  const bar = page.locator('.statusbar-item', { hasText: 'Codex 5h' }).first();
  await bar.waitFor({ timeout: 30_000 });
  log(`status bar: ${(await bar.innerText()).replace(/\s+/g, ' ')}`);
  await row.locator('.label-name').first().hover();
  const hover = page.locator('.monaco-hover, .workbench-hover', { hasText: 'tokens' }).first();
  await hover.waitFor({ timeout: 20_000 });
  log(`tooltip:\n  ${(await hover.innerText()).split('\n').join('\n  ')}`);
  // saveShot moves the mouse away first; keep the hover: take the picture here.
  const out = path.join(repo, 'test-results', 'screenshots', 'usage-tooltip.png');
  await fs.mkdir(path.dirname(out), { recursive: true });
  await page.waitForTimeout(500);
  await page.screenshot({ path: out });
  log(`screenshot: ${out}`);
  if (process.env.CODEX_JOBS_UPDATE_MEDIA === '1') {
    await fs.copyFile(out, path.join(repo, 'media', 'usage-tooltip.png'));
    log('copied to media/usage-tooltip.png');
  }
  void saveShot;
});

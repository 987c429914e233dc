// Drives the real workbench over a project with three native reviews of its working tree, and takes
// the picture of the newest one's findings marked new / still open, the earlier review's finding not
// reported again, and the Problems panel holding the newest review's findings
// (media/findings-series.png with CODEX_JOBS_UPDATE_MEDIA=1). Run: node test/vscode/seriesShot.mjs
// after `npm run build && npx tsc -p .`.
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { repo, roomForJobs, saveShot, showProblems, withWorkbench } from './shotWorkbench.mjs';

const require = createRequire(import.meta.url);
const { SHOWCASE_FILES } = require(path.join(repo, 'out', 'test', 'fixtures', 'showcase.js'));
const { stateDirName } = require(path.join(repo, 'out', 'src', 'core', 'discovery', 'discovery.js'));
const { nativeReviewRecord: record } = require(path.join(repo, 'out', 'test', 'fixtures', 'nativeReviews.js'));
const log = (...a) => console.log('[series shot]', ...a);

const EMPTY = [
  'P1',
  'firstItem() throws on an empty page',
  'src/app.js',
  4,
  'page[0] is undefined when items is empty.',
];
const NAN = ['P2', 'total() turns a missing price into NaN', 'src/app.js', 9, 'x.price may be undefined.'];
const CACHE = ['P2', 'The cache grows without bound', 'src/store.js', 1, 'Nothing ever deletes from it.'];
const UPLOAD = [
  'P2',
  'A failed upload loses the response body',
  'src/upload.js',
  3,
  'The error keeps only the status.',
];

/** The project's files and its state dir with the three reviews, as the companion keeps them. */
async function setUp({ ws, claude, hostTmp }) {
  await fs.mkdir(hostTmp, { recursive: true });
  for (const [file, text] of Object.entries(SHOWCASE_FILES)) {
    await fs.mkdir(path.dirname(path.join(ws, file)), { recursive: true });
    await fs.writeFile(path.join(ws, file), text);
  }
  const stateDir = path.join(claude, 'plugins', 'data', 'codex-openai-codex', 'state', await stateDirName(ws));
  await fs.mkdir(path.join(stateDir, 'jobs'), { recursive: true });
  const now = Date.now();
  const at = (minutesAgo) => new Date(now - minutesAgo * 60_000).toISOString();
  // The cache moved a line down since; the NaN one was not reported again; the upload one is new.
  const jobs = [
    record('review-mwx1a2bb-ser001', ws, at(180), [EMPTY, NAN]),
    record('review-mwx2c3dd-ser002', ws, at(95), [EMPTY, NAN, CACHE]),
    record('review-mwx3e4ff-ser003', ws, at(12), [EMPTY, [...CACHE.slice(0, 3), 2, CACHE[4]], UPLOAD]),
  ];
  for (const j of jobs) await fs.writeFile(path.join(stateDir, 'jobs', `${j.id}.json`), JSON.stringify(j, null, 2));
  await fs.writeFile(
    path.join(stateDir, 'state.json'),
    JSON.stringify({
      version: 1,
      config: { stopReviewGate: false },
      jobs: jobs.map((j) => ({ id: j.id, kind: j.kind, status: j.status, updatedAt: j.updatedAt })),
    }),
  );
}

await withWorkbench(setUp, async (page) => {
  // The newest review is the first of the three rows (newest first).
  const row = page.locator('.pane-body .monaco-list-row', { hasText: 'review: working tree diff' }).first();
  await roomForJobs(page, row, 600);
  await row.locator('.monaco-tl-twistie').click();
  const gone = page.locator('.pane-body .monaco-list-row', { hasText: 'not reported again' }).first();
  await gone.waitFor({ timeout: 15_000 });
  await gone.locator('.monaco-tl-twistie').click();
  await page
    .locator('.pane-body .monaco-list-row', { hasText: 'total() turns a missing price into NaN' })
    .first()
    .waitFor({ timeout: 15_000 });
  const shown = await page.locator('.pane-body .monaco-list-row').allInnerTexts();
  log(`rows:\n  ${shown.map((s) => s.replace(/\s+/g, ' ')).join('\n  ')}`);
  // A file with a finding open, then the Problems panel.
  await page.locator('.pane-body .monaco-list-row', { hasText: 'firstItem() throws' }).first().click();
  await page.locator('.monaco-editor .view-lines', { hasText: 'firstItem' }).first().waitFor({ timeout: 15_000 });
  await showProblems(page, 'The cache grows without bound');
  const problems = await page.locator('.monaco-list-row', { hasText: 'Codex review' }).allInnerTexts();
  log(`Problems panel rows: ${problems.length}\n  ${problems.map((s) => s.replace(/\s+/g, ' ')).join('\n  ')}`);
  await saveShot(page, 'findings-series.png', 'findings-series.png', log);
});

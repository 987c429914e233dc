// Drives the real workbench over a project with three native reviews of its working tree, and takes
// the picture of the newest one's findings marked new / still open, the earlier review's finding not
// reported again, and the Problems panel holding the newest review's findings
// (media/findings-series.png with CODEX_JOBS_UPDATE_MEDIA=1). Run: node test/vscode/seriesShot.mjs
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
const { SHOWCASE_FILES } = require(path.join(repo, 'out', 'test', 'fixtures', 'showcase.js'));
const { stateDirName } = require(path.join(repo, 'out', 'src', 'core', 'discovery', 'discovery.js'));
const log = (...a) => console.log('[series shot]', ...a);

/** The native review's text as Codex renders it (see src/core/io/reviewText.ts). */
function nativeText(ws, entries) {
  const lines = ['Reviewed the uncommitted changes.', '', 'Full review comments:', ''];
  for (const [prio, title, file, line, body] of entries)
    lines.push(`- [${prio}] ${title} \u2014 ${ws}/${file}:${line}-${line + 1}`, `  ${body}`, '');
  return lines.join('\n');
}

function record(id, ws, completedAt, entries) {
  const text = nativeText(ws, entries);
  const started = new Date(Date.parse(completedAt) - 125_000).toISOString();
  return {
    id,
    kind: 'review',
    kindLabel: 'review',
    title: 'Codex Review',
    workspaceRoot: ws,
    jobClass: 'review',
    summary: 'Review working tree diff',
    status: 'completed',
    phase: 'done',
    pid: null,
    createdAt: started,
    startedAt: started,
    completedAt,
    updatedAt: completedAt,
    result: {
      review: 'Review',
      target: { mode: 'working-tree', label: 'working tree diff', explicit: false },
      codex: { status: 0, stderr: '', stdout: text, reasoning: [] },
    },
    rendered: `# Codex Review\n\nTarget: working tree diff\n\n${text}\n`,
  };
}

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

const cleanups = [];
try {
  const cs = prepare();
  const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-shot-')));
  cleanups.push(() => fs.rm(tmp, { recursive: true, force: true }));
  const ws = path.join(tmp, 'ws', 'sample-project');
  const claude = path.join(tmp, 'claude');
  const hostTmp = path.join(tmp, 'host-tmp');
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
  // The newest review is the first of the three rows (newest first).
  const row = page.locator('.pane-body .monaco-list-row', { hasText: 'review: working tree diff' }).first();
  await row.waitFor({ timeout: 60_000 });
  const brokers = page.locator('.pane-header', { hasText: 'Brokers' }).first();
  if ((await brokers.getAttribute('aria-expanded')) === 'true') await brokers.click();
  await page.mouse.move(349, 300);
  await page.mouse.down();
  await page.mouse.move(600, 300, { steps: 5 });
  await page.mouse.up();
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
  await runFromPalette(page, 'View: Toggle Problems', 'Toggle Problems');
  await page
    .locator('.monaco-list-row', { hasText: 'The cache grows without bound' })
    .first()
    .waitFor({ timeout: 20_000 });
  const problems = await page.locator('.monaco-list-row', { hasText: 'Codex review' }).allInnerTexts();
  log(`Problems panel rows: ${problems.length}\n  ${problems.map((s) => s.replace(/\s+/g, ' ')).join('\n  ')}`);
  await page.mouse.move(1300, 120);
  await page.waitForTimeout(800);
  const out = path.join(repo, 'test-results', 'screenshots', 'findings-series.png');
  await fs.mkdir(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  log(`screenshot: ${out}`);
  if (process.env.CODEX_JOBS_UPDATE_MEDIA === '1') {
    await fs.copyFile(out, path.join(repo, 'media', 'findings-series.png'));
    log('copied to media/findings-series.png');
  }
} finally {
  while (cleanups.length)
    await cleanups
      .pop()()
      .catch(() => {});
}

// Drives the real workbench over a workspace whose latest adversarial review has findings, and
// takes the picture of them in the Problems panel and under the review's row
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
const { stateDirName } = require(path.join(repo, 'out', 'src', 'core', 'discovery.js'));
const log = (...a) => console.log('[findings shot]', ...a);

const APP = `export function firstItem(items) {
  // Returns the first item of a page of results.
  const page = items.slice(0, 20);
  const first = page[0];
  return first.id;
}

export function total(items) {
  return items.reduce((n, x) => n + x.price, 0);
}
`;
const STORE = `const cache = new Map();

export function remember(key, value) {
  cache.set(key, value);
}

export function recall(key) {
  return cache.get(key);
}
`;

function review(ws) {
  const findings = [
    {
      severity: 'critical',
      title: 'Cache grows without bound',
      body: 'Every key ever remembered stays in the map for the life of the process.',
      file: 'src/store.js',
      line_start: 1,
      line_end: 5,
      confidence: 0.82,
      recommendation: 'Bound the cache (LRU) or expire entries.',
    },
    {
      severity: 'high',
      title: 'Missing empty-state guard',
      body: 'The change assumes data is always present.',
      file: 'src/app.js',
      line_start: 4,
      line_end: 5,
      confidence: 0.87,
      recommendation: 'Handle empty collections before indexing.',
    },
    {
      severity: 'medium',
      title: 'Prices summed as floats',
      body: 'Currency amounts accumulate rounding errors.',
      file: 'src/app.js',
      line_start: 9,
      line_end: 9,
      confidence: 0.6,
      recommendation: 'Sum integer cents.',
    },
    {
      severity: 'low',
      title: 'Magic page size',
      body: 'The page size 20 is repeated elsewhere.',
      file: 'src/app.js',
      line_start: 3,
      line_end: 3,
      confidence: 0.4,
      recommendation: 'Name the constant.',
    },
  ];
  const structured = {
    verdict: 'needs-attention',
    summary: 'Four adversarial concerns surfaced.',
    findings,
    next_steps: ['Add an empty-state test.'],
  };
  const at = new Date(Date.now() - 5 * 60_000).toISOString();
  return {
    id: 'review-mwv1shot-a1b2c3',
    kind: 'adversarial-review',
    kindLabel: 'adversarial-review',
    title: 'Codex Adversarial Review',
    workspaceRoot: ws,
    jobClass: 'review',
    summary: 'Adversarial Review working tree diff',
    status: 'completed',
    phase: 'done',
    pid: null,
    createdAt: at,
    startedAt: at,
    completedAt: at,
    updatedAt: at,
    threadId: 'thr_shot',
    result: {
      review: 'Adversarial Review',
      target: { mode: 'working-tree', label: 'working tree diff', explicit: false },
      result: structured,
      rawOutput: JSON.stringify(structured),
      parseError: null,
    },
    rendered: '# Codex Adversarial Review\n',
  };
}

const cleanups = [];
try {
  const cs = prepare();
  const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-shot-')));
  cleanups.push(() => fs.rm(tmp, { recursive: true, force: true }));
  const ws = path.join(tmp, 'ws', 'sample-project');
  const claude = path.join(tmp, 'claude');
  const hostTmp = path.join(tmp, 'host-tmp');
  await fs.mkdir(path.join(ws, 'src'), { recursive: true });
  await fs.mkdir(hostTmp, { recursive: true });
  await fs.writeFile(path.join(ws, 'src', 'app.js'), APP);
  await fs.writeFile(path.join(ws, 'src', 'store.js'), STORE);
  const stateDir = path.join(claude, 'plugins', 'data', 'codex-openai-codex', 'state', await stateDirName(ws));
  await fs.mkdir(path.join(stateDir, 'jobs'), { recursive: true });
  const rec = review(ws);
  await fs.writeFile(path.join(stateDir, 'jobs', `${rec.id}.json`), JSON.stringify(rec, null, 2));
  await fs.writeFile(path.join(stateDir, 'jobs', `${rec.id}.log`), `[${rec.completedAt}] Reviewer finished.\n`);
  await fs.writeFile(
    path.join(stateDir, 'state.json'),
    JSON.stringify({
      version: 1,
      config: { stopReviewGate: true },
      jobs: [{ id: rec.id, kind: rec.kind, status: 'completed', updatedAt: rec.updatedAt }],
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
  // The row's label says what the review was about (its target), kind first.
  const row = page.locator('.pane-body .monaco-list-row', { hasText: 'adversarial: working tree diff' }).first();
  await row.waitFor({ timeout: 60_000 });
  // The machine's other brokers are not the subject: fold the Brokers view; widen the sidebar.
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

// `npm run bench:timeline`: the job timeline's figures. The layout of 1,000 jobs (core/timeline,
// target ≤ 50 ms) and the first picture of 500 jobs in Chromium (the page script of dist/timeline.js,
// as the HTML export holds it, offline; target ≤ 300 ms from the page's start to every bar drawn).
// Needs `npm run build` (for dist/timeline.js) and Chromium (CHROMIUM, default /usr/bin/chromium).
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { layoutTimeline } from '../src/core/timeline/layout';
import { timelinePage } from '../src/core/timeline/page';
import type { DerivedStatus, Job } from '../src/core/vocab/types';
import { FigureTable, median, ms, now } from './table';

const figures = new FigureTable();
const STATUSES: DerivedStatus[] = ['running', 'completed', 'failed', 'cancelled', 'stale', 'queued', 'completed'];
const repo = path.resolve(__dirname, '..', '..');

function jobs(n: number, nowMs: number): Job[] {
  return Array.from({ length: n }, (_, i) => {
    const created = nowMs - (i * 3 + 10) * 60_000;
    const id = `task-bench${String(i).padStart(5, '0')}`;
    const fields = {
      id,
      kind: 'task',
      title: 'Codex Task',
      status: 'completed' as const,
      createdAt: new Date(created).toISOString(),
      startedAt: new Date(created + 30_000).toISOString(),
      completedAt: new Date(created + (2 + (i % 9)) * 60_000).toISOString(),
      request: { prompt: `Fix issue number ${i} in the parser and its tests` },
      raw: {},
    };
    return {
      id,
      stateDir: '/bench/state',
      record: fields,
      display: fields,
      recordedStatus: 'completed',
      status: STATUSES[i % STATUSES.length],
      flags: i % 50 === 0 ? ['unindexed'] : [],
      logPath: `/bench/state/jobs/${id}.log`,
      recordPath: `/bench/state/jobs/${id}.json`,
      log: { exists: true, progress: [] },
      history: [
        { atMs: created, what: 'created' },
        { atMs: created + 30_000, what: 'status', status: 'running' },
        ...(i % 25 === 0
          ? [{ atMs: created + 60_000, what: 'deleted' as const, by: 'deleted-while-running' as const }]
          : []),
      ],
    } satisfies Job;
  });
}

function layoutBench(): void {
  const nowMs = Date.now();
  const input = { jobs: jobs(1000, nowMs), nowMs };
  for (let i = 0; i < 5; i++) layoutTimeline(input);
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = now();
    layoutTimeline(input);
    times.push(now() - t);
  }
  const m = median(times);
  figures.row('layout of 1,000 jobs (median of 30)', `${ms(m)} (min ${ms(Math.min(...times))})`, '≤ 50 ms', m <= 50);
}

async function paintBench(): Promise<void> {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!(await fs.stat(executablePath).catch(() => undefined))) {
    console.error(`no Chromium at ${executablePath}: first paint not measured`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const script = await fs.readFile(path.join(repo, 'dist', 'timeline.js'), 'utf8');
  const nowMs = Date.now();
  const html = timelinePage({
    nonce: 'bench',
    title: 'bench',
    inline: { script, layout: layoutTimeline({ jobs: jobs(500, nowMs), nowMs, scope: 'bench' }) },
  });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-timeline-bench-'));
  const file = path.join(dir, 'timeline.html');
  await fs.writeFile(file, html);
  const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const times: number[] = [];
    const built: number[] = [];
    for (let i = 0; i < 7; i++) {
      const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(`file://${file}`);
      await page.locator('g.bar').nth(499).waitFor();
      // The browser's own first paint: the page's script runs before it, so every bar is in it.
      const paint = await page.evaluate(
        () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
      );
      const drawn = await page.evaluate(
        () => performance.getEntriesByName('timeline-drawn')[0]?.startTime ?? Number.NaN,
      );
      times.push(paint);
      built.push(drawn);
      await context.close();
    }
    const m = median(times);
    figures.row('500 jobs in Chromium: every bar built (median of 7)', ms(median(built)));
    figures.row('500 jobs in Chromium: first paint (median of 7)', ms(m), '≤ 300 ms', m <= 300);
  } finally {
    await browser.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  layoutBench();
  await paintBench();
  figures.print();
}

void main();

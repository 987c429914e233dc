// `codex-jobs timeline`, run as users run it: the HTML export is one self-contained file (no URL to
// fetch, a Content-Security-Policy, the page script inline), a hostile job title (markup, escape
// sequences, a closing script tag) stays text, and the output path is refused when it is a symbolic
// link, a FIFO (opening it would hang the command), a directory or inside a state dir. The page is
// then opened in Chromium with every request blocked and must show one bar per job.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as path from 'path';
import { record, sandbox, writeIndex, writeJob, type Sandbox } from './helpers';
import { hostileOutputs, runCli } from './cliHelpers';

const HOSTILE = '</script><script>alert(1)</script><img src=x onerror=alert(2)>\u001b]0;pwned\u0007 \u202eevil';

const iso = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

/** A log of two turns and a final block, with a line of no stamp and a torn last line. */
const MULTI_TURN = [
  `[${iso(49)}] Starting Codex task thread.`,
  `[${iso(48.5)}] Thread ready (thr_1).`,
  `[${iso(48)}] Turn started (turn_1).`,
  'not stamped',
  `[${iso(40)}] Turn completed.`,
  `[${iso(40)}] Turn started (turn_2).`,
  '',
  `[${iso(32)}] Assistant message`,
  'Done.',
  `[${iso(31)}] Turn completed.`,
  '',
  `[${iso(31)}] Final output`,
  'Done.',
  `[${iso(30)}] Turn started (tor`,
].join('\n');

describe('codex-jobs timeline', () => {
  let sb: Sandbox;
  let env: NodeJS.ProcessEnv;
  const timeline = (args: string[]) =>
    runCli(['timeline', ...args, '--state-root', sb.root], { cwd: sb.workspace, env });

  before(async () => {
    sb = await sandbox('timeline-ws');
    env = { CODEX_JOBS_ARCHIVE_DIR: path.join(sb.tmp, 'archive') };
    const jobs = [
      record('task-tl000001-ok0001', { createdAt: iso(50), startedAt: iso(49), completedAt: iso(30) }),
      record('task-tl000002-fail02', {
        status: 'failed',
        createdAt: iso(40),
        startedAt: iso(40),
        completedAt: iso(20),
        errorMessage: 'boom',
      }),
      record('task-tl000003-hostil', {
        title: HOSTILE,
        request: { prompt: HOSTILE },
        createdAt: iso(10),
        startedAt: iso(10),
        completedAt: iso(5),
      }),
      record('review-tl000004-skew04', { kind: 'review', createdAt: iso(5), completedAt: iso(15) }),
    ];
    for (const j of jobs) await writeJob(sb.stateDir, j, j.id === 'task-tl000001-ok0001' ? MULTI_TURN : undefined);
    await writeIndex(sb.stateDir, jobs);
  });
  after(() => sb.cleanup());

  test('writes one self-contained page, prints its path, and hostile text stays text', async () => {
    const out = path.join(sb.tmp, 'timeline.html');
    const r = await timeline(['--html', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), out);
    const html = await fs.readFile(out, 'utf8');
    assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'no URL but the SVG namespace');
    assert.match(
      html,
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; [^"]*script-src 'nonce-/,
    );
    assert.doesNotMatch(html, /<script[^>]*\bsrc=/, 'the script is inline');
    assert.doesNotMatch(html, /<link\b/);
    // The data is JSON in one element: no `<` of a title reaches the page as markup.
    const data = /<script nonce="[^"]+" type="application\/json" id="tl-data">([^<]*)<\/script>/.exec(html);
    assert.ok(data, 'the data element');
    assert.equal(html.split('<script').length - 1, 2, 'only our two script elements');
    assert.doesNotMatch(html, /<img/);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(html, /[\u001b\u0007\u202e]/, 'no raw control or bidi character in the file');
    const layout = JSON.parse(data[1]) as { bars: { id: string; label: string; skew: string[] }[] };
    assert.equal(layout.bars.length, 4);
    const hostile = layout.bars.find((b) => b.id === 'task-tl000003-hostil')!;
    assert.match(hostile.label, /<\/script><script>alert\(1\)<\/script>/, 'kept as text in the data');
    assert.match(hostile.label, /\\x1b\]0;pwned\\x07/, 'escape sequences shown, not kept');
    assert.deepEqual(layout.bars.find((b) => b.id === 'review-tl000004-skew04')!.skew, ['ended-before-created']);
  });

  test("a multi-turn job's bar has its log's phases: starting, each turn, the final block; its hover the count", async () => {
    const s = await timeline(['--html', '-']);
    assert.equal(s.code, 0, s.stderr);
    const data = /id="tl-data">([^<]*)<\/script>/.exec(s.stdout);
    const layout = JSON.parse(data![1]) as { bars: { id: string; title: string; phases: { kind: string }[] }[] };
    const bar = layout.bars.find((b) => b.id === 'task-tl000001-ok0001')!;
    assert.deepEqual(
      bar.phases.map((p) => p.kind),
      ['queued', 'running', 'starting', 'turn', 'turn', 'final'],
    );
    assert.match(bar.title, /Log: 2 turns, final block written/);
    // A job whose log tells no turn gets only the record's phases.
    const other = layout.bars.find((b) => b.id === 'task-tl000002-fail02')!;
    assert.ok(other.phases.every((p) => p.kind === 'queued' || p.kind === 'running'));
  });

  test('without --html, a new file in the temp dir; with "-", stdout', async () => {
    const r = await timeline([]);
    assert.equal(r.code, 0, r.stderr);
    const file = r.stdout.trim();
    assert.match(path.basename(path.dirname(file)), /^codex-jobs-timeline-/);
    assert.match(await fs.readFile(file, 'utf8'), /^<!DOCTYPE html>/);
    await fs.rm(path.dirname(file), { recursive: true });
    const s = await timeline(['--html', '-']);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^<!DOCTYPE html>[\s\S]*<\/html>\n$/);
  });

  test('--help says what it writes; --html with no name is a usage error', async () => {
    const h = await runCli(['timeline', '--help']);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /^usage: codex-jobs timeline \[options\] \[path\]/);
    for (const o of ['--html <file>', '--all', '--state-root <dir>']) assert.ok(h.stdout.includes(o), o);
    assert.match(h.stdout, /never written through a symbolic link, onto a FIFO/);
    const bad = await runCli(['timeline', '--html=']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--html needs a file name/);
  });

  test('hostile output paths: a link, a FIFO, a directory, a state dir are refused, nothing written', async () => {
    const { victim, link, fifo, dir } = await hostileOutputs(sb.tmp, '.html');
    for (const target of [link, fifo, dir, path.join(sb.stateDir, 'timeline.html')]) {
      const r = await timeline(['--html', target]);
      assert.equal(r.code, 1, `${target}: ${r.stdout}`);
      assert.match(r.stderr, /not a regular file|symbolic link|inside|nothing was written/, r.stderr);
    }
    assert.equal(await fs.readFile(victim, 'utf8'), 'keep');
    assert.ok((await fs.lstat(link)).isSymbolicLink());
    assert.ok((await fs.lstat(fifo)).isFIFO());
    await assert.rejects(fs.stat(path.join(sb.stateDir, 'timeline.html')));
  });

  test('the page opens in Chromium with no network and shows one bar per job', async (t) => {
    let chromium: typeof import('playwright-core').chromium;
    try {
      ({ chromium } = await import('playwright-core'));
    } catch {
      return t.skip('playwright-core is not installed');
    }
    const out = path.join(sb.tmp, 'offline.html');
    assert.equal((await timeline(['--html', out])).code, 0);
    const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
    if (!(await fs.stat(executablePath).catch(() => undefined))) return t.skip(`no Chromium at ${executablePath}`);
    const browser = await chromium.launch({
      executablePath,
      headless: true,
      env: { ...process.env, XDG_CONFIG_HOME: path.join(sb.tmp, 'xdg'), XDG_CACHE_HOME: path.join(sb.tmp, 'xdg') },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    try {
      const context = await browser.newContext({ offline: true });
      const requests: string[] = [];
      // The page itself is the one file read; any other request is recorded and refused.
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url === `file://${out}`) return route.continue();
        requests.push(url);
        return route.abort();
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('dialog', (d) => {
        errors.push(`a dialog opened: ${d.message()}`);
        return d.dismiss();
      });
      await page.goto(`file://${out}`);
      await page.waitForSelector('g.bar');
      const bars = await page.$$eval('g.bar', (gs) =>
        gs.map((g) => [g.getAttribute('data-id'), g.getAttribute('class')]),
      );
      assert.equal(bars.length, 4);
      assert.ok(bars.some(([id, cls]) => id === 'task-tl000002-fail02' && /tone-fail/.test(cls ?? '')));
      const label = await page.$eval('g.bar[data-id="task-tl000003-hostil"] text', (el) => el.textContent ?? '');
      assert.match(label, /<\/script><script>alert\(1\)<\/script>/, 'shown as text');
      assert.equal(await page.$$eval('img', (x) => x.length), 0);
      const turns = 'g.bar[data-id="task-tl000001-ok0001"] rect.phase.phase-turn';
      assert.equal(await page.$$eval(turns, (x) => x.length), 2, "the multi-turn job's turns are drawn");
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [], 'no request left the page');
    } finally {
      await browser.close();
    }
  });
});

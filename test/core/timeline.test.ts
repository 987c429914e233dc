// The timeline's layout as a pure function: overlapping jobs, running jobs growing to now, clocks that
// disagree (an end before the creation, times in the future, none at all), every history event as a
// marker, broker lanes, the axis from seconds to weeks, and 1,000 jobs laid out quickly.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { layoutTimeline, jobTimes } from '../../src/core/timeline/layout';
import { axisTicks, tickStep } from '../../src/core/timeline/ticks';
import { parsePageMessage } from '../../src/core/timeline/messages';
import { inlineScript, scriptJson, timelinePage } from '../../src/core/timeline/page';
import { EVENT_KINDS } from '../../src/core/archive/entry';
import type { BrokerEntry } from '../../src/core/brokers/brokers';
import type { DerivedStatus, Job, JobHistoryEvent } from '../../src/core/vocab/types';
import { jobOf } from './featureHelpers';

const NOW = Date.parse('2026-12-08T12:00:00.000Z');
const iso = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

function job(id: string, fields: Record<string, unknown>, status?: DerivedStatus, extra: Partial<Job> = {}): Job {
  const j = jobOf({ id, kind: 'task', title: 'Codex Task', ...fields }, { status });
  return { ...j, ...extra };
}

const done = (id: string, from: number, to: number) =>
  job(id, { status: 'completed', createdAt: iso(from), startedAt: iso(from), completedAt: iso(to) });

describe('timeline layout', () => {
  test('overlapping jobs each get their own lane, newest on top, with their real spans', () => {
    const a = done('task-a', 30, 10);
    const b = done('task-b', 20, 5);
    const c = done('task-c', 60, 50);
    const l = layoutTimeline({ jobs: [a, c, b], nowMs: NOW });
    assert.deepEqual(
      l.bars.map((x) => [x.id, x.lane]),
      [
        ['task-b', 0],
        ['task-a', 1],
        ['task-c', 2],
      ],
    );
    const [bb, aa] = l.bars;
    assert.ok(bb.startMs < aa.endMs && aa.startMs < bb.endMs, 'a and b overlap in time');
    assert.equal(aa.endMs - aa.startMs, 20 * 60_000);
    assert.equal(aa.elapsed, '20m 00s');
    assert.ok(l.window.startMs < c.display.createdAt!.length + Date.parse(iso(60)));
    assert.ok(l.window.endMs >= NOW, 'now is inside the first window');
    assert.ok(l.extent.startMs <= l.window.startMs && l.extent.endMs >= l.window.endMs);
  });

  test('a running job grows to now; a later now makes it longer', () => {
    const r = job('task-run', { status: 'running', createdAt: iso(5), startedAt: iso(4) }, 'running');
    const l1 = layoutTimeline({ jobs: [r], nowMs: NOW });
    const l2 = layoutTimeline({ jobs: [r], nowMs: NOW + 30_000 });
    assert.equal(l1.bars[0].live, true);
    assert.equal(l1.bars[0].endMs, NOW);
    assert.equal(l2.bars[0].endMs, NOW + 30_000);
    assert.equal(l1.bars[0].tone, 'running');
    // Queued for a minute, then running.
    assert.deepEqual(
      l1.bars[0].phases.map((p) => [p.kind, p.endMs - p.startMs]),
      [
        ['queued', 60_000],
        ['running', 4 * 60_000],
      ],
    );
  });

  test('clock skew: an end before the creation is a moment, with a note', () => {
    const j = job('task-skew', { status: 'completed', createdAt: iso(10), completedAt: iso(20) });
    const b = layoutTimeline({ jobs: [j], nowMs: NOW }).bars[0];
    assert.equal(b.startMs, b.endMs);
    assert.ok(b.skew.includes('ended-before-created'));
    assert.match(b.title, /before its creation/);
  });

  test('clock skew: started before created drops the queued phase', () => {
    const j = job('task-s', { status: 'completed', createdAt: iso(10), startedAt: iso(15), completedAt: iso(5) });
    const b = layoutTimeline({ jobs: [j], nowMs: NOW }).bars[0];
    assert.ok(b.skew.includes('started-before-created'));
    assert.deepEqual(
      b.phases.map((p) => p.kind),
      ['running'],
    );
  });

  test('clock skew: times in the future are drawn up to now and said', () => {
    const j = job('task-f', { status: 'running', createdAt: iso(-120), startedAt: iso(-119) }, 'running');
    const b = layoutTimeline({ jobs: [j], nowMs: NOW }).bars[0];
    assert.ok(b.skew.includes('future'));
    assert.ok(b.startMs <= NOW && b.endMs <= NOW);
    assert.equal(b.live, false, 'a job dated ahead does not grow');
  });

  test('missing and garbage times: drawn where last seen, never NaN', () => {
    const none = job('task-none', { status: 'completed', createdAt: 'yesterday', completedAt: '-1' });
    const seen = job('task-seen', { status: 'stale', updatedAt: iso(3) }, 'stale');
    const noEnd = job('task-noend', { status: 'failed', createdAt: iso(9) }, 'failed');
    const l = layoutTimeline({ jobs: [none, seen, noEnd], nowMs: NOW });
    for (const b of l.bars) {
      assert.ok(Number.isFinite(b.startMs) && Number.isFinite(b.endMs), b.id);
      assert.ok(b.startMs <= b.endMs, b.id);
    }
    const by = Object.fromEntries(l.bars.map((b) => [b.id, b]));
    assert.deepEqual(by['task-none'].skew, ['no-time']);
    assert.equal(by['task-none'].startMs, NOW);
    assert.equal(by['task-seen'].startMs, Date.parse(iso(3)));
    assert.deepEqual(by['task-noend'].skew, ['no-end']);
    assert.equal(by['task-noend'].elapsed, '', 'no duration is claimed for a job whose end is unknown');
    assert.ok(Number.isFinite(l.window.startMs) && l.window.endMs > l.window.startMs);
  });

  test('the first window shows the newest jobs; Fit (the extent) shows a month of them', () => {
    const many = Array.from({ length: 60 }, (_, i) => done(`task-m${i}`, i * 12 * 60 + 10, i * 12 * 60));
    const l = layoutTimeline({ jobs: many, nowMs: NOW });
    assert.ok(l.window.endMs - l.window.startMs < 15 * 86_400_000);
    assert.ok(l.extent.startMs <= NOW - 59 * 12 * 3_600_000);
  });

  test('every history event kind is a marker, and so are marked failed and the index drop', () => {
    const history: JobHistoryEvent[] = [
      { atMs: NOW - 50 * 60_000, what: 'created', status: 'queued' },
      { atMs: NOW - 49 * 60_000, what: 'status', status: 'running' },
      {
        atMs: NOW - 40 * 60_000,
        what: 'deleted',
        status: 'running',
        files: 'record, log',
        by: 'deleted-while-running',
      },
      { atMs: NOW - 39 * 60_000, what: 'recreated', status: 'running' },
      { atMs: NOW - 38 * 60_000, what: 'log-recreated', status: 'running' },
      { atMs: NOW - 30 * 60_000, what: 'deleted', status: 'completed', by: 'pruned' },
      { atMs: NOW - 29 * 60_000, what: 'deleted', status: 'completed', by: 'deleted-by-concurrent-writer' },
      { atMs: NOW - 20 * 60_000, what: 'restored' },
    ];
    assert.deepEqual(
      [...new Set(history.map((h) => h.what))].sort(),
      [...EVENT_KINDS].sort(),
      'the test covers every kind the archive records',
    );
    const j = job(
      'task-h',
      {
        status: 'failed',
        createdAt: iso(50),
        completedAt: iso(10),
        errorMessage: "The job's process (pid 4242) was gone; marked failed by Codex Jobs.",
      },
      'failed',
      { history, flags: ['unindexed', 'recreated', 'deleted-while-running'] },
    );
    const b = layoutTimeline({ jobs: [j], nowMs: NOW }).bars[0];
    const kinds = b.markers.map((m) => m.kind);
    for (const k of [
      'created',
      'status',
      'deleted-while-running',
      'recreated',
      'log-recreated',
      'pruned',
      'deleted',
      'restored',
      'marked-failed',
      'index-drop',
    ])
      assert.ok(kinds.includes(k as never), `marker ${k}`);
    assert.equal(b.markers.find((m) => m.kind === 'index-drop')?.approx, true);
    assert.deepEqual(
      b.markers.map((m) => m.atMs),
      [...b.markers.map((m) => m.atMs)].sort((x, y) => x - y),
      'in time order',
    );
    assert.match(b.title, /deleted while it ran \(record, log\)/);
  });

  test('text from files stays text: control characters are shown, not kept', () => {
    const j = job('task-x', {
      status: 'completed',
      createdAt: iso(2),
      completedAt: iso(1),
      request: { prompt: '<script>alert(1)</script>\u001b]0;pwned\u0007 \u202eevil' },
    });
    const b = layoutTimeline({ jobs: [j], nowMs: NOW }).bars[0];
    assert.match(b.label, /<script>alert\(1\)<\/script>/, 'markup is kept as text (the renderer sets textContent)');
    for (const line of [b.label, ...b.title.split('\n')])
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(line, /[\u0000-\u001f\u202e]/);
  });

  test('brokers are thin lanes: in use grows to now, an orphan and a dead dir are marked', () => {
    const entry = (key: string, cls: BrokerEntry['class'], ageMs: number, alive: boolean): BrokerEntry => ({
      key,
      dir: `/tmp/${key}`,
      pid: 100,
      class: cls,
      reason: 'test',
      ageMs,
      referencedBy: [],
      children: [],
      files: [],
      otherFiles: [],
      process: alive ? { pid: 100, state: 'alive' } : undefined,
    });
    const l = layoutTimeline({
      jobs: [],
      nowMs: NOW,
      brokers: {
        scannedAtMs: NOW - 1000,
        entries: [
          entry('cxc-used', 'in-use', 600_000, true),
          entry('cxc-orphan', 'orphan-live', 300_000, true),
          entry('cxc-dead', 'dead', 900_000, false),
        ],
      },
    });
    const by = Object.fromEntries(l.brokers.map((b) => [b.key, b]));
    assert.equal(by['cxc-used'].endMs, NOW);
    assert.equal(by['cxc-used'].tone, 'in-use');
    assert.ok(by['cxc-orphan'].markers.some((m) => m.kind === 'orphaned'));
    assert.ok(by['cxc-dead'].markers.some((m) => m.kind === 'dead'));
    assert.equal(by['cxc-dead'].live, false);
    assert.deepEqual(
      l.brokers.map((b) => b.lane),
      [0, 1, 2],
    );
  });

  test('jobTimes uses the earliest creation known', () => {
    const j = job('task-e', { status: 'completed', createdAt: iso(5), completedAt: iso(1) }, 'completed', {
      earliestKnownMs: NOW - 8 * 60_000,
    });
    assert.equal(jobTimes(j, NOW).startMs, NOW - 8 * 60_000);
  });
});

describe('timeline axis', () => {
  test('a sensible step from seconds to weeks', () => {
    assert.equal(tickStep(60_000, 1000), 10_000);
    assert.equal(tickStep(3_600_000, 1000), 10 * 60_000);
    assert.equal(tickStep(86_400_000, 1000), 3 * 3_600_000);
    assert.equal(tickStep(30 * 86_400_000, 1000), 7 * 86_400_000);
    const ticks = axisTicks(NOW - 3 * 86_400_000, NOW, 800);
    assert.ok(ticks.length >= 2 && ticks.length <= 12, String(ticks.length));
    assert.ok(ticks.every((t) => t.label.length > 0));
    assert.deepEqual(axisTicks(NOW, NOW, 800), []);
    assert.deepEqual(axisTicks(NaN, NOW, 800), []);
    assert.ok(axisTicks(0, 8.64e15, 800).length <= 500);
  });
});

describe('timeline speed', () => {
  test('1,000 jobs are laid out in well under a second (bench/timeline.ts holds the target)', () => {
    const statuses: DerivedStatus[] = ['running', 'completed', 'failed', 'cancelled', 'stale', 'queued'];
    const jobs = Array.from({ length: 1000 }, (_, i) =>
      job(
        `task-${i}`,
        { status: 'completed', createdAt: iso(i * 3 + 10), startedAt: iso(i * 3 + 9), completedAt: iso(i * 3) },
        statuses[i % statuses.length],
        { history: [{ atMs: NOW - (i * 3 + 10) * 60_000, what: 'created' }] },
      ),
    );
    layoutTimeline({ jobs, nowMs: NOW });
    const t0 = performance.now();
    const l = layoutTimeline({ jobs, nowMs: NOW });
    const ms = performance.now() - t0;
    console.log(`layout of 1,000 jobs: ${ms.toFixed(1)} ms`);
    assert.equal(l.bars.length, 1000);
    assert.ok(ms < 1000, `${ms} ms`);
  });
});

describe('timeline page and messages', () => {
  test('messages from the page: only ours, well formed, are taken', () => {
    const key = '/state/dir\u0000task-a';
    assert.deepEqual(parsePageMessage({ type: 'select', key }), { type: 'select', key });
    assert.deepEqual(parsePageMessage({ type: 'command', command: 'openLog', key: 'k' }), {
      type: 'command',
      command: 'openLog',
      key: 'k',
    });
    for (const bad of [
      null,
      'select',
      [],
      { type: 'select' },
      { type: 'select', key: 42 },
      { type: 'select', key: '' },
      { type: 'select', key: 'x'.repeat(9000) },
      { type: 'command', command: 'markStaleFailed', key: 'k' },
      { type: 'command', command: 'constructor', key: 'k' },
      { type: 'command', command: ['openLog'], key: 'k' },
      { type: 'scope', scope: 'everything' },
      { type: 'painted', bars: -1, ms: 3 },
      { type: 'painted', bars: 1, ms: Infinity },
      { type: 'eval', code: 'x' },
      JSON.parse('{"__proto__": {"type": "ready"}}'),
    ])
      assert.equal(parsePageMessage(bad), undefined, JSON.stringify(bad));
    // Only the fields we know are passed on.
    assert.deepEqual(parsePageMessage({ type: 'ready', extra: '<script>' }), { type: 'ready' });
  });

  test('data and script inline cannot end their element or start markup', () => {
    const hostile = '</script><script>alert(1)</script><!-- \u2028\u2029 &amp;';
    const json = scriptJson({ label: hostile });
    assert.doesNotMatch(json, /[<>&\u2028\u2029]/);
    assert.deepEqual(JSON.parse(json), { label: hostile });
    assert.doesNotMatch(inlineScript('let s = "</script><!--";'), /<\/script|<!--/i);
    const layout = layoutTimeline({ jobs: [], nowMs: NOW, scope: hostile });
    const html = timelinePage({ nonce: 'n"><x', title: hostile, inline: { script: 'void 0', layout } });
    assert.equal(html.split('</script>').length - 1, 2, 'only our two script elements end');
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(html, /<title>&lt;\/script&gt;/);
    assert.match(html, /nonce="n&quot;&gt;&lt;x"/);
    const webview = timelinePage({
      nonce: 'abc',
      title: 't',
      webview: { cspSource: 'https://file+.vscode-resource.vscode-cdn.net', scriptUri: 'https://x/dist/timeline.js' },
    });
    assert.match(webview, /default-src 'none'; style-src 'nonce-abc' https:\/\/file\+/);
    assert.match(webview, /script-src 'nonce-abc';/);
    assert.match(webview, /<script nonce="abc" src="https:\/\/x\/dist\/timeline.js"><\/script>/);
  });
});

// The token and quota ledger: each format version of Codex's session files, a running task's file
// that grows while it is followed, a review (no file), two jobs at once (the burn is an estimate),
// 10,000 session files over 60 days (finding one is bounded), and the account's windows.
import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { describe, it } from 'node:test';
import { UsageLedger } from '../../src/core/usage/ledger';
import { SessionFiles } from '../../src/core/usage/sessionFiles';
import { codexHomes } from '../../src/core/usage/codexHome';
import { REVIEW_REASON } from '../../src/core/usage/jobUsage';
import { Emitter } from '../../src/core/vocab/emitter';
import type { Job } from '../../src/core/vocab/types';
import { jobOf } from './featureHelpers';
import { rolloutPath, sessionLines, threadIdOf, withHome, writeSession, type Shape, type Turn } from './usageFixtures';

const MIN = 60_000;

function task(id: string, threadId: string | undefined, fromMs: number, toMs?: number, status?: Job['status']): Job {
  return jobOf(
    {
      id,
      kind: 'task',
      jobClass: 'task',
      status: status ?? (toMs === undefined ? 'running' : 'completed'),
      threadId,
      startedAt: new Date(fromMs).toISOString(),
      createdAt: new Date(fromMs).toISOString(),
      ...(toMs !== undefined ? { completedAt: new Date(toMs).toISOString() } : {}),
    },
    { status: status ?? (toMs === undefined ? 'running' : 'completed') },
  );
}

const ledgerFor = (home: string) => new UsageLedger({ homes: async () => [{ path: home, via: 'test' }] });

/** Three responses two minutes apart, the 5-hour window rising 40 → 43 → 47. */
function turns(start: number): Turn[] {
  return [
    { atMs: start + 1 * MIN, input: 10_000, cached: 2_000, output: 500, reasoning: 100, primary: 40, secondary: 20 },
    { atMs: start + 3 * MIN, input: 12_000, cached: 9_000, output: 700, reasoning: 200, primary: 43, secondary: 20 },
    { atMs: start + 5 * MIN, input: 20_000, cached: 15_000, output: 900, reasoning: 300, primary: 47, secondary: 21 },
  ];
}

describe('usage: each format version', () => {
  const shapes: Shape[] = ['flat', 'info', 'flat-limits', 'resets-in', 'resets-at', 'credits'];
  for (const shape of shapes)
    it(`reads ${shape}`, async () => {
      await withHome(async (home) => {
        const start = Date.now() - 60 * MIN;
        const id = threadIdOf(shapes.indexOf(shape) + 1);
        await writeSession(home, id, shape, turns(start));
        const ledger = ledgerFor(home);
        const r = await ledger.usageFor(task('task-1', id, start, start + 6 * MIN));
        assert.equal(r.reason, null, String(r.reason));
        const u = r.usage!;
        assert.deepEqual(u.tokens, { input: 42_000, cached: 26_000, output: 2_100, reasoning: 600, total: 44_100 });
        assert.equal(Math.round(u.cacheRatio! * 100), 62);
        if (shape === 'flat') assert.equal(u.peakContextShare, null);
        else assert.equal(u.peakContextShare, 20_900 / 272_000);
        if (shape === 'flat' || shape === 'info') assert.equal(u.burn5h, null);
        else assert.deepEqual(u.burn5h, { percent: 7, estimate: false, overlapping: 0 });
        const w = await ledger.refreshWindows();
        if (shape === 'flat' || shape === 'info') return assert.equal(w, undefined);
        assert.equal(w!.primary!.usedPercent, 47);
        assert.equal(w!.secondary!.usedPercent, 21);
        assert.equal(w!.asOfMs, start + 5 * MIN);
        if (shape === 'flat-limits') assert.equal(w!.primary!.resetsAtMs, undefined);
        else assert.equal(Math.round(w!.primary!.resetsAtMs! / 1000), Math.round((start + 5 * MIN + 3_600_000) / 1000));
        assert.equal(w!.planType, shape === 'credits' ? 'plus' : undefined);
      });
    });
});

describe('usage: jobs', () => {
  it('a review has no session file, and says why', async () => {
    await withHome(async (home) => {
      const review = jobOf({ id: 'review-1', kind: 'review', status: 'completed', threadId: threadIdOf(9) });
      const r = await ledgerFor(home).usageFor(review);
      assert.deepEqual(r, { usage: null, reason: REVIEW_REASON });
    });
  });

  it('a task whose file is not there says where it looked', async () => {
    await withHome(async (home) => {
      const r = await ledgerFor(home).usageFor(task('task-2', threadIdOf(77), Date.now() - MIN, Date.now()));
      assert.equal(r.usage, null);
      assert.equal(r.reason, `no session file found under ${path.join(home, 'sessions')}`);
    });
  });

  it('a resumed thread: only the job’s own turns count', async () => {
    await withHome(async (home) => {
      const start = Date.now() - 120 * MIN;
      const id = threadIdOf(3);
      const all = [...turns(start), ...turns(start + 60 * MIN).map((t) => ({ ...t, primary: t.primary! + 10 }))];
      await writeSession(home, id, 'resets-at', all);
      const r = await ledgerFor(home).usageFor(task('task-3', id, start + 60 * MIN, start + 66 * MIN));
      assert.equal(r.usage!.tokens.total, 44_100);
      assert.equal(r.usage!.events, 3);
    });
  });

  it('two jobs at the same time: each burn is labelled an estimate', async () => {
    await withHome(async (home) => {
      const start = Date.now() - 60 * MIN;
      const [a, b] = [threadIdOf(4), threadIdOf(5)];
      await writeSession(home, a, 'resets-at', turns(start));
      await writeSession(home, b, 'resets-at', turns(start + MIN));
      const alone = threadIdOf(6);
      await writeSession(home, alone, 'resets-at', turns(start - 300 * MIN));
      const ledger = ledgerFor(home);
      const ra = await ledger.usageFor(task('task-a', a, start, start + 6 * MIN));
      const rb = await ledger.usageFor(task('task-b', b, start + MIN, start + 7 * MIN));
      const rc = await ledger.usageFor(task('task-c', alone, start - 300 * MIN, start - 294 * MIN));
      assert.equal(ra.usage!.burn5h!.estimate, true);
      assert.equal(ra.usage!.burn5h!.overlapping, 1);
      assert.equal(rb.usage!.burn5h!.estimate, true);
      assert.equal(rc.usage!.burn5h!.estimate, false);
    });
  });

  it('a running task: its file grows while followed, and each change is a new frozen value', async () => {
    await withHome(async (home) => {
      const start = Date.now() - 10 * MIN;
      const id = threadIdOf(7);
      const t = turns(start);
      const file = await writeSession(home, id, 'resets-at', t.slice(0, 1));
      const job = task('task-live', id, start);
      const ledger = ledgerFor(home);
      const changed = new Emitter<unknown>();
      const seen: number[] = [];
      ledger.onDidChange(() => seen.push(ledger.usageOf(job)?.usage?.tokens.total ?? -1));
      const follow = ledger.follow({ allJobs: () => [job], onDidChange: changed.event });
      const until = async (ok: () => boolean, what: string) => {
        for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
        assert.ok(ok(), what);
      };
      await until(() => seen.length > 0, 'first read');
      const first = ledger.usageOf(job)!;
      assert.equal(first.usage!.tokens.total, 10_500);
      // The writer appends the next response in two pieces (a torn line between them).
      const all = sessionLines(id, 'resets-at', t);
      const full = all.slice(0, 3).join('\n') + '\n';
      const next = all[4] + '\n' + all[6] + '\n';
      assert.equal((await fs.readFile(file, 'utf8')).length, full.length);
      await fs.appendFile(file, next.slice(0, 40));
      changed.fire(undefined);
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(ledger.usageOf(job), first, 'a torn line changes nothing');
      await fs.appendFile(file, next.slice(40));
      await until(() => ledger.usageOf(job)?.usage?.tokens.total === 44_100, 'the grown file is read (file watch)');
      const now = ledger.usageOf(job)!;
      assert.notEqual(now, first);
      assert.equal(first.usage!.tokens.total, 10_500, 'the value handed out before is unchanged');
      if (process.env.CODEX_JOBS_FREEZE === '1') assert.ok(Object.isFrozen(now.usage!.tokens));
      assert.equal(ledger.windows?.primary?.usedPercent, 47);
      follow.dispose();
      ledger.dispose();
    });
  });
});

describe('usage: finding one thread among 10,000 session files over 60 days', () => {
  it('is bounded in directories listed, entries read and time', async () => {
    await withHome(async (home) => {
      const now = Date.now();
      const files: string[] = [];
      for (let i = 0; i < 10_000; i++)
        files.push(rolloutPath(home, threadIdOf(1000 + i), now - (i * 60 * 86_400_000) / 10_000));
      const dirs = [...new Set(files.map((f) => path.dirname(f)))];
      for (const d of dirs) await fs.mkdir(d, { recursive: true });
      for (let i = 0; i < files.length; i += 200)
        await Promise.all(files.slice(i, i + 200).map((f) => fs.writeFile(f, '')));
      const target = 9_000; // about 54 days old
      const id = threadIdOf(1000 + target);
      const startMs = now - (target * 60 * 86_400_000) / 10_000;
      // With the job's start: its day's dir, read once.
      const near = new SessionFiles(home);
      let t0 = process.hrtime.bigint();
      const f1 = await near.find(id, startMs + 1000);
      const nearMs = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.equal(f1?.file, files[target]);
      assert.ok(near.counts.readdirs <= 3, `readdirs ${near.counts.readdirs}`);
      // Without it: the tree newest day first, every day dir listed once at most.
      const walk = new SessionFiles(home);
      t0 = process.hrtime.bigint();
      const f2 = await walk.find(id);
      const walkMs = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.equal(f2?.file, files[target]);
      assert.ok(walk.counts.readdirs <= dirs.length + 10, `readdirs ${walk.counts.readdirs}`);
      assert.ok(walk.counts.entries <= 10_000 + 100, `entries ${walk.counts.entries}`);
      // Cached by thread id: no second search.
      const before = walk.counts.readdirs;
      assert.equal((await walk.find(id))?.file, files[target]);
      assert.equal(walk.counts.readdirs, before);
      console.log(
        `# find one thread among 10,000 session files in ${dirs.length} day dirs: with its start ${nearMs.toFixed(1)} ms, ` +
          `${near.counts.readdirs} readdirs, ${near.counts.opens} dir opens, ${near.counts.entries} names; ` +
          `newest day first ${walkMs.toFixed(1)} ms, ${walk.counts.readdirs} readdirs, ${walk.counts.opens} dir opens, ` +
          `${walk.counts.entries} names; cached: none`,
      );
    });
  });
});

describe('usage: CODEX_HOME', () => {
  it('the setting first, then CODEX_HOME, then ~/.codex; relative paths ignored', async () => {
    const homes = await codexHomes({ setting: 'relative', env: { CODEX_HOME: '/x/codex' }, homedir: '/home/u' });
    assert.deepEqual(
      homes.map((h) => h.path),
      ['/x/codex', '/home/u/.codex'],
    );
    const set = await codexHomes({ setting: '/s', env: {}, homedir: '/home/u' });
    assert.equal(set[0].via, 'the setting codexJobs.codexHome');
  });
});

describe('usage: words', () => {
  it('tokens, windows, a stale reading and a passed reset', async () => {
    const { formatTokens, windowsText, highestUse } = await import('../../src/core/usage/usageText');
    assert.deepEqual([950, 1000, 9_999, 44_100, 1_234_567].map(formatTokens), ['950', '1k', '10k', '44.1k', '1.23M']);
    const now = new Date(2026, 5, 1, 12, 0).getTime();
    const w = {
      asOfMs: now - 2 * MIN,
      file: 'f',
      primary: { usedPercent: 63.4, windowMinutes: 300, resetsAtMs: new Date(2026, 5, 1, 14, 5).getTime() },
      secondary: { usedPercent: 21, windowMinutes: 10080 },
    };
    assert.equal(windowsText(w, now), '5h 63 % · resets 14:05, week 21 %');
    assert.equal(
      windowsText({ ...w, asOfMs: now - 12 * MIN }, now),
      '5h 63 % · resets 14:05, week 21 % (as of 12 min ago)',
    );
    const later = new Date(2026, 5, 1, 14, 6).getTime();
    assert.match(windowsText(w, later), /^5h 0 % · reset, week 21 % \(as of/);
    assert.equal(highestUse(w, now), 63.4);
    assert.equal(highestUse(w, later), 21);
  });
});

describe('usage: several limits', () => {
  it('a reading of another limit (limit_id not codex) is neither the account’s windows nor the burn', async () => {
    const { scanTokenLines, isAccountReading } = await import('../../src/core/usage/tokenEvents');
    const line = (id: string, used: number) =>
      JSON.stringify({
        timestamp: '2026-01-01T00:00:00Z',
        type: 'event_msg',
        payload: { type: 'token_count', info: null, rate_limits: { limit_id: id, primary: { used_percent: used } } },
      }) + '\n';
    const { events } = scanTokenLines(Buffer.from(line('codex', 40) + line('codex_other_model', 90)));
    assert.deepEqual(events.map(isAccountReading), [true, false]);
  });
});

// The timeline's phases from a job's log (core/timeline/logPhases.ts, logPhaseRead.ts): the real
// companion's logs, many turns, a log with no stamps, a torn last line, control characters and
// escape sequences, a 50 MB sparse log read as a bounded head and tail, a FIFO and a link refused,
// and the layout drawing the phases inside the bar.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { parseLogPhases } from '../../src/core/timeline/logPhases';
import { LogPhaseCache, PHASE_READ_BYTES, readLogPhases } from '../../src/core/timeline/logPhaseRead';
import { layoutTimeline } from '../../src/core/timeline/layout';
import { isSafeFsError } from '../../src/core/io/safeFs';
import type { Job } from '../../src/core/vocab/types';
import { jobOf } from './featureHelpers';

const NOW = Date.parse('2026-12-08T12:00:00.000Z');
const T0 = Date.parse('2026-12-08T11:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const EXAMPLES = '/work/shared/companion-examples/logs';

function multiTurn(turns: number): string {
  const lines = [`[${at(0)}] Starting Codex task thread.`, `[${at(1)}] Thread ready (thr_1).`];
  for (let i = 0; i < turns; i++)
    lines.push(`[${at(10 + i * 10)}] Turn started (turn_${i}).`, `[${at(15 + i * 10)}] Turn completed.`);
  const end = 10 + turns * 10;
  lines.push('', `[${at(end)}] Assistant message`, 'Done.', '', `[${at(end + 1)}] Final output`, 'Done.');
  return `${lines.join('\n')}\n`;
}

describe('log phases', () => {
  test('a multi-turn log: thread ready, each turn with its end, the final block', () => {
    const p = parseLogPhases(multiTurn(3), NOW);
    assert.equal(p.startedMs, T0);
    assert.equal(p.threadReadyMs, T0 + 1000);
    assert.deepEqual(
      p.turns.map((t) => [(t.startMs - T0) / 1000, ((t.endMs ?? 0) - T0) / 1000, t.outcome]),
      [
        [10, 15, 'completed'],
        [20, 25, 'completed'],
        [30, 35, 'completed'],
      ],
    );
    assert.equal(p.finalMs, T0 + 40_000, "the last turn's message block");
    assert.deepEqual(p.errorsMs, []);
    const said = `[${at(1)}] Assistant message captured: Error: the build failed: x\n[${at(2)}] Codex error: gone\n`;
    assert.deepEqual(parseLogPhases(said, NOW).errorsMs, [T0 + 2000], "the companion's error, not the model's words");
  });

  test("the companion's own logs: a turn each, a failed turn is an error, a cancelled one interrupted", () => {
    const read = (f: string) => parseLogPhases(readFileSync(path.join(EXAMPLES, f), 'utf8'), NOW);
    const ok = read('task.ok.log');
    assert.equal(ok.turns.length, 1);
    assert.equal(ok.turns[0].outcome, 'completed');
    assert.ok(ok.finalMs !== undefined && ok.finalMs <= ok.turns[0].endMs!, 'the message block is in the turn');
    const failed = read('task.turn-failed.log');
    assert.equal(failed.turns[0].outcome, 'failed');
    assert.equal(failed.errorsMs.length, 1);
    assert.equal(read('task.cancel.log').turns[0]?.outcome, 'interrupted');
  });

  test('no timestamps, a torn last line, control characters: only whole stamped lines count', () => {
    assert.deepEqual(parseLogPhases('Turn started (x).\nsome text\n\nFinal output\n', NOW), {
      turns: [],
      errorsMs: [],
    });
    const torn = parseLogPhases(`[${at(0)}] Turn started (a).\n[${at(5)}] Turn started (b`, NOW);
    assert.equal(torn.turns.length, 1, 'the torn line is not read');
    assert.equal(torn.turns[0].endMs, undefined);
    const hostile = [
      `[${at(0)}\u001b[2J] Turn started (x).`,
      `[${at(1)}] Turn started (\u001b]0;pwned\u0007).`,
      `\u0000[${at(2)}] Turn started (y).`,
      `[${at(3)}]\rTurn started (z).`,
      `[${'9'.repeat(5000)}] Turn started.`,
      `[2026-99-99T99:99:99Z] Turn started.`,
      `[${at(4)}] Turn completed.\r`,
    ].join('\n');
    const h = parseLogPhases(`${hostile}\n`, NOW);
    assert.equal(h.turns.length, 1, 'only the line with a clean stamp');
    assert.equal(h.turns[0].startMs, T0 + 1000);
    const future = parseLogPhases(`[2999-01-01T00:00:00Z] Turn started (f).\n`, NOW);
    assert.equal(future.turns.length, 0, 'a stamp no clock could hold is skipped');
  });

  describe('reading', () => {
    let dir: string;
    before(async () => (dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-phases-')))));
    after(() => fs.rm(dir, { recursive: true, force: true }));

    test('a 50 MB sparse log is read as its head and tail only', async () => {
      const file = path.join(dir, 'huge.log');
      const head = `[${at(0)}] Starting Codex task thread.\n[${at(10)}] Turn started (a).\n`;
      const tail = `\n[${at(3000)}] Turn started (z).\n[${at(3100)}] Turn completed.\n`;
      const fh = await fs.open(file, 'w');
      await fh.write(head, 0);
      await fh.write(tail, 50 * 1024 * 1024 - tail.length);
      await fh.close();
      const before = process.memoryUsage().arrayBuffers;
      const t = performance.now();
      const r = await readLogPhases(file, dir, NOW);
      const ms = performance.now() - t;
      assert.equal(r.size, 50 * 1024 * 1024);
      assert.equal(r.phases.partial, true);
      assert.deepEqual(
        r.phases.turns.map((x) => (x.startMs - T0) / 1000),
        [10, 3000],
      );
      assert.equal(r.phases.turns[1].outcome, 'completed');
      assert.ok(process.memoryUsage().arrayBuffers - before < 8 * PHASE_READ_BYTES, 'bounded buffers');
      console.log(`50 MB sparse log: phases in ${ms.toFixed(1)} ms`);
    });

    test('a FIFO, a link and a directory are refused, not opened or followed', async () => {
      const fifo = path.join(dir, 'fifo.log');
      execFileSync('mkfifo', [fifo]);
      const target = path.join(dir, 'target.log');
      await fs.writeFile(target, multiTurn(1));
      const link = path.join(dir, 'link.log');
      await fs.symlink(target, link);
      await fs.mkdir(path.join(dir, 'dir.log'));
      for (const f of [fifo, link, path.join(dir, 'dir.log'), path.join(dir, '..', 'x.log')])
        await assert.rejects(readLogPhases(f, dir, NOW), (e) => isSafeFsError(e), f);
    });

    test('the cache reads a log again only when its size or mtime changed', async () => {
      const stateDir = path.join(dir, 'state');
      await fs.mkdir(path.join(stateDir, 'jobs'), { recursive: true });
      const logPath = path.join(stateDir, 'jobs', 'task-c.log');
      await fs.writeFile(logPath, multiTurn(1));
      const j = jobOf({ id: 'task-c', kind: 'task', status: 'running' });
      const st = await fs.stat(logPath);
      const job: Job = {
        ...j,
        stateDir,
        logPath,
        log: { exists: true, size: st.size, mtimeMs: st.mtimeMs, progress: [] },
      };
      const cache = new LogPhaseCache();
      const first = [...(await cache.phasesOf([job], NOW)).values()][0];
      assert.equal(first.turns.length, 1);
      await fs.writeFile(logPath, multiTurn(2)); // the model has not seen it yet: the cached phases stand
      assert.equal([...(await cache.phasesOf([job], NOW)).values()][0], first);
      const st2 = await fs.stat(logPath);
      const moved = { ...job, log: { ...job.log, size: st2.size, mtimeMs: st2.mtimeMs } };
      assert.equal([...(await cache.phasesOf([moved], NOW)).values()][0].turns.length, 2);
    });
  });

  test('the layout draws the phases inside the bar and its hover counts the turns', () => {
    const j = jobOf(
      { id: 'task-l', kind: 'task', status: 'completed', createdAt: at(-5), startedAt: at(-1), completedAt: at(50) },
      { status: 'completed' },
    );
    const none = layoutTimeline({ jobs: [j], nowMs: NOW });
    assert.deepEqual(
      none.bars[0].phases.map((p) => p.kind),
      ['queued', 'running'],
    );
    const logPhases = new Map([[none.bars[0].key, parseLogPhases(multiTurn(3), NOW)]]);
    const l = layoutTimeline({ jobs: [j], nowMs: NOW, logPhases });
    const b = l.bars[0];
    assert.deepEqual(
      b.phases.map((p) => [p.kind, (p.startMs - T0) / 1000, (p.endMs - T0) / 1000]),
      [
        ['queued', -5, -1],
        ['running', -1, 50],
        ['starting', 0, 10],
        ['turn', 10, 20],
        ['turn', 20, 30],
        ['turn', 30, 40],
        ['final', 40, 50],
      ],
    );
    for (const p of b.phases) assert.ok(p.startMs >= b.startMs && p.endMs <= b.endMs, 'inside the bar');
    assert.match(b.title, /Log: 3 turns, final block written/);
  });
});

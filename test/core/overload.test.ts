// Overload: work that arrives faster than it is handled is coalesced, never queued one by one, and
// nothing seen is lost while the model is behind. Also the archive's window: a long history is held
// on disk and in the index, not in memory.
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'fs';
import * as path from 'path';
import { JobArchive } from '../../src/core/archive/archive';
import { WorkQueue as ArchiveQueue } from '../../src/core/archive/scheduler';
import { LiveUpdates } from '../../src/core/model/live';
import type { JobsModel } from '../../src/core/model/model';
import { WorkQueue as ModelQueue } from '../../src/core/model/scheduler';
import { createProcessTable } from '../../src/core/os/processes';
import { ChangeBatcher, entry, type ChangeBatch } from '../../src/core/state/changeBatcher';
import { silentLogger } from '../../src/core/vocab/emitter';
import type { ProcessTable } from '../../src/core/vocab/types';
import { jobWithLog, modelFor, record, sandbox, writeIndex, writeJob, type Sandbox } from './helpers';
import { runCli } from './cliHelpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('overload', () => {
  let sb: Sandbox;

  beforeEach(async () => {
    sb = await sandbox();
    await fs.mkdir(sb.root, { recursive: true });
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  test('a flood of file events: one batch per window, widened while it lasts; what is gathered is one entry per job', async () => {
    const batches: ChangeBatch[] = [];
    const b = new ChangeBatcher({
      onBatch: (x) => batches.push(x),
      debounceMs: 30,
      polling: () => false,
      logger: silentLogger,
    });
    let largest = 0;
    const started = Date.now();
    // 1.6 s of events, 50 jobs' logs, a thousand events every 10 ms.
    while (Date.now() - started < 1600) {
      for (let i = 0; i < 1000; i++)
        b.queue((x) => {
          entry(x, '/s').jobs.add(`task-${i % 50}`);
          largest = Math.max(largest, entry(x, '/s').jobs.size);
        });
      await sleep(10);
    }
    const lateStart = batches.length;
    await sleep(400);
    b.dispose();
    assert.ok(largest <= 50, `a pending batch names each job once (${largest})`);
    // Without coalescing, 160,000 events; at the usual window, about 53 batches; widened, far fewer.
    assert.ok(batches.length <= 45, `${batches.length} batches`);
    assert.ok(batches.length - lateStart <= 3, 'after a second of flood the window is wide');
  });

  test("the model's queue under a flood of batches: one waiting task, every name merged into it", async () => {
    const q = new ModelQueue(() => undefined);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ran: ChangeBatch[] = [];
    void q.addBatch({ dirs: new Map(), layout: false }, () => gate);
    await sleep(5); // the first has started (a started task is never joined)
    for (let i = 0; i < 10_000; i++) {
      const batch: ChangeBatch = { dirs: new Map(), layout: false };
      entry(batch, '/s').jobs.add(`task-${i % 100}`);
      void q.addBatch(batch, async (x) => void ran.push(x));
    }
    assert.equal((q as unknown as { waiting: unknown[] }).waiting.length, 1, 'one task waits behind the running one');
    release();
    await q.idle();
    assert.equal(ran.length, 1);
    assert.equal(ran[0].dirs.get('/s')!.jobs.size, 100);
  });

  test("the archive's queue under a flood of scans of one state dir: one waiting, the newest runs", async () => {
    const q = new ArchiveQueue(() => undefined);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    void q.run(() => gate);
    const ran: number[] = [];
    for (let i = 0; i < 10_000; i++) void q.runLatest('observe\0/s', async () => void ran.push(i));
    assert.equal((q as unknown as { waiting: Map<string, unknown> }).waiting.size, 1);
    release();
    await q.idle();
    assert.deepEqual(ran, [9_999]);
  });

  test('a burst of jobs created and pruned while the model is held up: every one is in the archive', async () => {
    await writeIndex(sb.stateDir, []);
    await fs.mkdir(path.join(sb.stateDir, 'jobs'), { recursive: true });
    const real = createProcessTable();
    let gate: Promise<void> = Promise.resolve();
    // Verification waits on the gate: the model's one queue stops behind it.
    const table: ProcessTable = {
      inspect: async (p) => (await gate, real.inspect(p)),
      list: async () => (await gate, real.list()),
    };
    const archive = new JobArchive(path.join(sb.tmp, 'archive'));
    const model: JobsModel = modelFor(sb, {}, table, archive);
    const live = new LiveUpdates(model, { debounceMs: 30, reverifyIntervalMs: 600_000, archive });
    try {
      await live.start();
      await live.watcher.ready();
      await model.settled();
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      // One running job with a pid to check: the model is held up from its first batch on.
      const holder = 'task-mwv0a000-hold00';
      await writeJob(sb.stateDir, record(holder, { status: 'running', pid: process.pid, completedAt: undefined }));
      await sleep(200);
      const ids = Array.from({ length: 40 }, (_, i) => `task-mwv0a${String(i + 1).padStart(3, '0')}-burst${i % 10}`);
      for (const id of ids) {
        await writeJob(sb.stateDir, record(id, { status: 'running', pid: null, completedAt: undefined }));
        await sleep(15);
        await writeJob(sb.stateDir, record(id), `[${new Date().toISOString()}] Done.\n`);
        await sleep(15);
        // Pruned: the companion deletes both files.
        await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.json`));
        await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.log`));
      }
      release();
      await sleep(300);
      await model.settled();
      await archive.flush();
      const missing = ids.filter((id) => !existsSync(archive.entryPaths(sb.stateDir, id).meta));
      assert.deepEqual(missing, [], 'every job of the burst is archived');
    } finally {
      await live.dispose();
      model.dispose();
      await archive.dispose();
    }
  });

  test('a long history: the window is held in memory, the rest is in the index and read on demand', async () => {
    const dir = path.join(sb.tmp, 'archive');
    const first = new JobArchive(dir, undefined, undefined, { background: false, holdLogs: false });
    first.setWindow({ maxGone: 5, maxAgeMs: 7 * 86_400_000 });
    const ids = Array.from({ length: 30 }, (_, i) => `task-mwv1a${String(i).padStart(3, '0')}-hist${i % 10}`);
    await fs.mkdir(path.join(sb.stateDir, 'jobs'), { recursive: true });
    const t0 = Date.now() - 3_600_000;
    for (const [i, id] of ids.entries()) {
      await writeJob(sb.stateDir, record(id), 'done\n');
      const j = await jobWithLog(sb.stateDir, id, path.join(sb.stateDir, 'jobs', `${id}.log`), 'completed');
      await first.observe(sb.stateDir, [j], 50, t0 + i * 1000);
      await first.observe(sb.stateDir, [], 50, t0 + 500 + i * 1000); // pruned
    }
    await first.flush();
    assert.ok(first.gone(sb.stateDir).length <= 5 + 50, 'gone entries in memory stay near the window');
    assert.equal(first.rows(sb.stateDir).length, 30, 'the index lists every one');
    await first.dispose();

    const again = new JobArchive(dir, undefined, undefined, { background: false, holdLogs: false });
    again.setWindow({ maxGone: 5, maxAgeMs: Infinity });
    await again.load([sb.stateDir]);
    assert.deepEqual(
      again
        .gone(sb.stateDir)
        .map((e) => e.id)
        .sort(),
      ids.slice(-5).sort(),
      'the newest five are read, no other',
    );
    assert.equal(again.olderCount(sb.stateDir), 25);
    await again.widen({ maxGone: 30 }, [sb.stateDir]);
    assert.equal(again.gone(sb.stateDir).length, 30, 'shown on demand');
    assert.equal(again.olderCount(sb.stateDir), 0);
    await again.dispose();

    // The command line reads what it prints: --limit and --since say how much.
    const env = { ...process.env, CODEX_JOBS_ARCHIVE_DIR: dir };
    const status = async (...flags: string[]) => {
      const r = await runCli(['status', '--json', '--state-root', sb.root, ...flags, sb.workspace], { env });
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { jobs: { id: string }[] }).jobs.map((j) => j.id);
    };
    await writeIndex(sb.stateDir, []);
    await fs.rm(path.join(sb.stateDir, 'jobs'), { recursive: true });
    assert.equal((await status()).length, 30, 'the last 7 days, at most 100: all 30');
    assert.deepEqual(await status('--limit', '5'), [...ids].reverse().slice(0, 5), 'the newest five');
    assert.deepEqual(await status('--since', new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)), []);
    assert.equal((await status('--all-history')).length, 30);
  });
});

describe('the heap limit check', () => {
  test('near the limit it drops caches and says so once; again only after a fall and a new rise', async () => {
    const { HeapGuard } = await import('../../src/core/model/heapGuard');
    let used = 10;
    let t = 0;
    const said: string[] = [];
    let relieved = 0;
    const g = new HeapGuard(
      () => (relieved++, 'caches dropped'),
      (m) => said.push(m),
      () => ({ used: used * 1048576, limit: 100 * 1048576 }),
      () => (t += 1000),
    );
    g.check();
    assert.equal(relieved, 0);
    used = 90;
    g.check();
    g.check();
    assert.equal(relieved, 1, 'once while it stays high');
    assert.deepEqual(said, ['memory is short (90 MB of a 100 MB heap): caches dropped']);
    used = 50;
    g.check();
    used = 95;
    g.check();
    assert.equal(relieved, 2, 'again after it fell and rose');
  });
});

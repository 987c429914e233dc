// Live updates with real chokidar on real temp dirs, and real processes for re-verification.
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs, writeFileSync } from 'fs';
import * as path from 'path';
import { JobArchive } from '../../src/core/archive/archive';
import { LiveUpdates } from '../../src/core/model/live';
import { Refresher } from '../../src/core/model/refresher';
import type { JobsModel } from '../../src/core/model/model';
import { createProcessTable } from '../../src/core/os/processes';
import type { ChangeBatch } from '../../src/core/state/watcher';
import { FAKE_COMPANION, ProcessGroup } from '../fixtures/spawn';
import { modelFor, record, sandbox, waitFor, writeIndex, writeJob, type Sandbox } from './helpers';

describe('live updates', () => {
  let sb: Sandbox;
  let model: JobsModel;
  let live: LiveUpdates;
  const procs = new ProcessGroup();

  beforeEach(async () => {
    sb = await sandbox();
    await fs.mkdir(sb.root, { recursive: true });
  });

  afterEach(async () => {
    await live?.dispose();
    model?.dispose();
    await procs.stopAll();
    await sb.cleanup();
  });

  async function start(reverifyIntervalMs = 2000): Promise<void> {
    model = modelFor(sb);
    live = new LiveUpdates(model, { debounceMs: 30, reverifyIntervalMs });
    await live.start();
    await live.watcher.ready();
  }

  const job = (id: string) => model.findJob(sb.stateDir, id);

  test('a job appears, changes, finishes and is deleted', async () => {
    await writeIndex(sb.stateDir, []);
    await start();
    const id = 'task-mwu1a001-abc001';
    await writeJob(sb.stateDir, record(id, { status: 'running', phase: 'starting', pid: null }));
    // The record and the log are two writes: a model change may show the first before the second.
    await waitFor(model, () => job(id)?.display.phase === 'starting' && !!job(id)?.log.exists, 'the job to appear');
    assert.deepEqual(job(id)!.flags, ['unindexed']);

    await writeJob(sb.stateDir, record(id, { status: 'running', phase: 'editing', pid: null }), '');
    await waitFor(model, () => job(id)?.display.phase === 'editing', 'the phase to change');

    await writeJob(sb.stateDir, record(id, { status: 'completed', phase: 'done', rendered: 'All done.\n' }), '');
    await writeIndex(sb.stateDir, [record(id, { status: 'completed', phase: 'done' })]);
    await waitFor(
      model,
      () => job(id)?.status === 'completed' && !job(id)!.flags.includes('unindexed'),
      'the job to complete',
    );

    await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.json`));
    await waitFor(model, () => !!job(id)?.flags.includes('record-missing'), 'the record to be seen gone');
    // As the companion's save does: the entry goes, and the files with it. A log left alone would
    // still be shown (log-only), so it goes too.
    await writeIndex(sb.stateDir, []);
    await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.log`), { force: true });
    await waitFor(model, () => !job(id), 'the job to be gone from the model');
  });

  test('a log append updates the progress lines', async () => {
    const id = 'task-mwu1a002-abc002';
    await writeJob(sb.stateDir, record(id));
    await writeIndex(sb.stateDir, [record(id)]);
    await start();
    await fs.appendFile(
      path.join(sb.stateDir, 'jobs', `${id}.log`),
      `[${new Date().toISOString()}] Running command: make\n`,
    );
    await waitFor(model, () => job(id)?.log.progress.at(-1)?.text === 'Running command: make', 'the new progress line');
  });

  test('the jobs dir deleted and re-created: the jobs in the new one are followed', async () => {
    const id = 'task-mwu1a005-abc005';
    await writeJob(sb.stateDir, record('task-mwu1a004-abc004'));
    await writeIndex(sb.stateDir, [record('task-mwu1a004-abc004')]);
    await start();
    await fs.rm(path.join(sb.stateDir, 'jobs'), { recursive: true });
    await waitFor(model, () => !job('task-mwu1a004-abc004')?.record, 'the record gone');
    await writeJob(sb.stateDir, record(id, { status: 'running', completedAt: undefined }));
    await waitFor(model, () => !!job(id)?.record, 'the job in the new jobs dir');
    // Past the re-read of the new dir: only the dir's own watch can report what follows.
    await model.idle();
    await new Promise((r) => setTimeout(r, 300));
    await model.idle();
    await fs.appendFile(
      path.join(sb.stateDir, 'jobs', `${id}.log`),
      `[${new Date().toISOString()}] Running command: again\n`,
    );
    await waitFor(model, () => job(id)?.log.progress.at(-1)?.text === 'Running command: again', 'its log followed');
  });

  test('polling (network filesystems) follows records and logs too', async () => {
    const id = 'task-mwu1a006-abc006';
    await writeJob(sb.stateDir, record(id));
    await writeIndex(sb.stateDir, [record(id)]);
    model = modelFor(sb);
    live = new LiveUpdates(model, { debounceMs: 30, usePolling: true, pollIntervalMs: 100 });
    await live.start();
    await live.watcher.ready();
    await fs.appendFile(
      path.join(sb.stateDir, 'jobs', `${id}.log`),
      `[${new Date().toISOString()}] Running command: polled\n`,
    );
    await waitFor(
      model,
      () => job(id)?.log.progress.at(-1)?.text === 'Running command: polled',
      'the polled log append',
    );
    await writeJob(sb.stateDir, record(id, { phase: 'verifying' }));
    await waitFor(model, () => job(id)?.record?.phase === 'verifying', 'the polled record change');
  });

  test('a refresh owner given takes every trigger: the first read, file batches and the re-verify timer', async () => {
    const id = 'task-mwu1a007-abc007';
    const worker = await procs.start(process.execPath, [FAKE_COMPANION, 'task-worker', '--job-id', id], {
      waitReady: true,
    });
    await writeJob(sb.stateDir, record(id, { status: 'running', completedAt: undefined, pid: worker }));
    await writeIndex(sb.stateDir, [record(id, { status: 'running', completedAt: undefined, pid: worker })]);
    model = modelFor(sb);
    const batches: ChangeBatch[] = [];
    const owner = new Refresher(
      {
        run: { jobs: () => model.refresh(), verify: () => model.reverify() },
        files: (b) => {
          batches.push(b);
          return model.applyBatch(b);
        },
      },
      () => {},
    );
    live = new LiveUpdates(model, { debounceMs: 30, reverifyIntervalMs: 100, refresh: owner });
    try {
      await live.start();
      await live.watcher.ready();
      assert.deepEqual(
        owner.history.map((h) => h.reasons),
        [['following started']],
      );
      await fs.appendFile(
        path.join(sb.stateDir, 'jobs', `${id}.log`),
        `[${new Date().toISOString()}] Running command: owned\n`,
      );
      await waitFor(model, () => job(id)?.log.progress.at(-1)?.text === 'Running command: owned', 'the log line');
      assert.ok(batches.length > 0, 'the batch went through the owner');
      await waitFor(model, () => (owner.quietRuns.get('re-verify timer') ?? 0) >= 2, 'two timer ticks');
      await procs.stop(worker);
      await waitFor(model, () => job(id)?.status === 'stale', 'the timer to find the worker gone');
    } finally {
      owner.dispose();
    }
  });

  test('a state dir created after start is picked up', async () => {
    await start();
    assert.equal(model.hasStateDirs, false);
    const id = 'task-mwu1a003-abc003';
    await writeJob(sb.stateDir, record(id));
    await writeIndex(sb.stateDir, [record(id)]);
    await waitFor(model, () => !!job(id), 'the new state dir and its job');
  });

  test('a root that does not exist yet, then is deleted and recreated', async () => {
    await fs.rm(sb.root, { recursive: true });
    await start();
    const id = 'task-mwu1a004-abc004';
    await writeJob(sb.stateDir, record(id));
    await writeIndex(sb.stateDir, [record(id)]);
    await waitFor(model, () => !!job(id), 'the job under a root created after start');
    await fs.rm(sb.root, { recursive: true });
    await waitFor(model, () => !model.hasStateDirs, 'the root to be seen gone');
    const id2 = 'task-mwu1a005-abc005';
    await writeJob(sb.stateDir, record(id2));
    await writeIndex(sb.stateDir, [record(id2)]);
    await waitFor(model, () => !!job(id2), 'the job under the recreated root');
  });

  test('100 writes in a burst make a bounded number of updates, and the final state is right', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `task-mwu1a1${String(i).padStart(2, '0')}-burst${i}`);
    for (const id of ids) await writeJob(sb.stateDir, record(id, { phase: 'p0' }));
    await writeIndex(
      sb.stateDir,
      ids.map((id) => record(id, { phase: 'p0' })),
    );
    await start();
    let updates = 0;
    const sub = model.onDidChange(() => updates++);
    const batchesBefore = live.watcher.batches;
    // Back to back, as a burst is: awaited writes on a loaded machine spread over seconds (15 s seen),
    // and writes seconds apart are rightly separate updates.
    for (let n = 1; n <= 100; n++) {
      const id = ids[n % ids.length];
      writeFileSync(path.join(sb.stateDir, 'jobs', `${id}.json`), JSON.stringify(record(id, { phase: `p${n}` })));
    }
    // The last write to ids[i] was n = 100 for i = 0, else n = 90 + i.
    const last = (_id: string, i: number) => `p${i === 0 ? 100 : 90 + i}`;
    await waitFor(model, () => ids.every((id, i) => job(id)?.display.phase === last(id, i)), 'the final phases');
    await new Promise((r) => setTimeout(r, 200));
    sub.dispose();
    const batches = live.watcher.batches - batchesBefore;
    assert.ok(updates <= 25, `100 writes produced ${updates} model updates`);
    assert.ok(batches <= 25, `100 writes produced ${batches} batches`);
    for (const [i, id] of ids.entries()) assert.equal(job(id)?.display.phase, last(id, i));
  });

  test('a worker killed with SIGKILL turns stale within the re-verify interval; no timer when nothing runs', async () => {
    const id = 'task-mwu1a006-abc006';
    const pid = await procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', sb.workspace, '--job-id', id],
      { waitReady: true },
    );
    const rec = record(id, {
      status: 'running',
      phase: 'investigating',
      pid,
      completedAt: undefined,
      createdAt: new Date(Date.now() - 5000).toISOString(),
    });
    await writeJob(sb.stateDir, rec);
    await writeIndex(sb.stateDir, [rec]);
    await start(300);
    assert.equal(job(id)?.status, 'running');
    assert.equal(live.timer.running, true, 'a job claims to run: the timer runs');
    const t0 = Date.now();
    await procs.stop(pid, 'SIGKILL');
    await waitFor(model, () => job(id)?.status === 'stale', 'the job to turn stale', 3000);
    const took = Date.now() - t0;
    assert.ok(took <= 1000, `stale after ${took} ms with a 300 ms interval`);
    // The record still claims running: the timer keeps checking. Once it is terminal, it stops.
    await writeJob(sb.stateDir, record(id, { status: 'failed', phase: 'failed' }), '');
    await writeIndex(sb.stateDir, [record(id, { status: 'failed', phase: 'failed' })]);
    await waitFor(model, () => job(id)?.status === 'failed', 'the job to be failed');
    assert.equal(live.timer.running, false, 'nothing claims to run: no timer');
  });

  test('stop() leaves no watcher and no timer', async () => {
    const id = 'task-mwu1a007-abc007';
    const rec = record(id, { status: 'running', pid: 999_999_999 });
    await writeJob(sb.stateDir, rec);
    await writeIndex(sb.stateDir, [rec]);
    await start(300);
    assert.equal(live.watcher.watching, true);
    await live.stop();
    assert.equal(live.watcher.watching, false);
    assert.equal(live.timer.running, false);
  });

  test('a torn record fixed: the folder state the tree holds is not changed, so its warnings node goes', async () => {
    const id = 'task-mwu1h001-torn01';
    await writeIndex(sb.stateDir, []);
    await fs.mkdir(path.join(sb.stateDir, 'jobs'), { recursive: true });
    await fs.writeFile(path.join(sb.stateDir, 'jobs', `${id}.json`), '{"id": "task-mwu1h001-torn01", "stat');
    await start();
    assert.equal(model.folders[0].warnings.length, 1, 'the torn record is a warning');
    // What the tree shows: it compares the folder state it holds with the model's next one.
    const shown = model.folders[0];
    await writeJob(sb.stateDir, record(id, { status: 'completed' }));
    await waitFor(model, () => job(id)?.status === 'completed', 'the fixed record');
    assert.equal(model.folders[0].warnings.length, 0);
    assert.notEqual(model.folders[0], shown, 'a new folder state');
    assert.equal(shown.warnings.length, 1, 'the one the tree holds still says what it showed');
  });

  test('a job whose record still says running, process gone, log ending with its final output: completed, inferred', async () => {
    const id = 'task-mwu1i001-infer1';
    const log = await fs.readFile(path.join(__dirname, '../../../test/fixtures/companion-logs/task.ok.log'), 'utf8');
    // A pid that was real and is gone (one over the system's pid_max names no process at all).
    const dead = await procs.deadPid();
    await writeJob(sb.stateDir, record(id, { status: 'running', pid: dead, completedAt: undefined }), log);
    await writeIndex(sb.stateDir, [record(id, { status: 'running', pid: dead, completedAt: undefined })]);
    await start();
    assert.equal(job(id)?.status, 'completed');
    assert.ok(job(id)!.flags.includes('inferred-from-log'));
    assert.equal(job(id)!.display.rendered, 'Handled the requested task.\nTask prompt accepted.\n');
    // Cut mid-block: it stays stale.
    await fs.writeFile(path.join(sb.stateDir, 'jobs', `${id}.log`), log.slice(0, -10));
    await waitFor(model, () => job(id)?.status === 'stale', 'the cut log');
    assert.ok(!job(id)!.flags.includes('inferred-from-log'));
  });
  test('a log line of a running job: one read, no re-verification, its archive entry written later', async () => {
    const id = 'task-mwu1j001-aline1';
    const others = ['task-mwu1j002-other2', 'task-mwu1j003-other3'];
    const pid = await procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', sb.workspace, '--job-id', id],
      { waitReady: true },
    );
    const rec = record(id, { status: 'running', phase: 'investigating', pid, completedAt: undefined });
    const logFile = path.join(sb.stateDir, 'jobs', `${id}.log`);
    await writeJob(sb.stateDir, rec, `[${new Date().toISOString()}] Starting Codex Task.\n`);
    for (const o of others) await writeJob(sb.stateDir, record(o));
    await writeIndex(sb.stateDir, [rec, ...others.map((o) => record(o))]);
    const real = createProcessTable();
    let inspected = 0;
    const table = { inspect: (p: readonly number[]) => (inspected++, real.inspect(p)), list: () => real.list() };
    const archive = new JobArchive(path.join(sb.tmp, 'archive'));
    model = modelFor(sb, {}, table, archive);
    const batches: ChangeBatch[] = [];
    const apply = model.applyBatch.bind(model);
    model.applyBatch = (b) => (batches.push(b), apply(b));
    // No re-verify tick within the test: only the log line could verify the job again.
    live = new LiveUpdates(model, { debounceMs: 30, reverifyIntervalMs: 600_000, archive });
    try {
      await live.start();
      await live.watcher.ready();
      await model.settled();
      assert.equal(job(id)?.status, 'running');
      // The start's own second look (its rescan) goes by first.
      await new Promise((r) => setTimeout(r, 500));
      await model.settled();
      const shownOthers = others.map(job);
      const before = { inspected, written: archive.entriesWritten, copied: archive.bytesCopied };
      batches.length = 0;
      const line = `[${new Date().toISOString()}] Running command: one more line\n`;
      await fs.appendFile(logFile, line);
      const size = (await fs.stat(logFile)).size;
      await waitFor(model, () => job(id)?.log.size === size, 'the log line');
      await waitFor(model, () => archive.bytesCopied === before.copied + line.length, 'the line copied');
      // A second look would come 120 ms after the batch; give it time to show itself.
      await new Promise((r) => setTimeout(r, 600));
      const naming = batches.filter((b) => [...b.dirs.values()].some((c) => c.jobs.has(id)));
      assert.equal(naming.length, 1, 'one batch, no second look at a log line');
      assert.equal(inspected, before.inspected, 'the process is not inspected again for a log line');
      assert.deepEqual(others.map(job), shownOthers, 'the other jobs are the objects shown before');
      assert.equal(archive.entriesWritten, before.written, 'no entry write for a log line');
      // The entry follows on flush (and at dispose): it says how far the log was copied.
      await archive.flush();
      assert.equal(archive.entriesWritten, before.written + 1);
      const meta = JSON.parse(await fs.readFile(archive.entryPaths(sb.stateDir, id).meta, 'utf8'));
      assert.equal(meta.logOffset, size);
    } finally {
      await live.dispose();
      await archive.dispose();
    }
  });
});

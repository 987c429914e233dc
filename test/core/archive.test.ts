// The archive keeps what the companion deletes: race 2 on a live worker, pruning, re-created logs,
// limits, and a corrupt entry.
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fsSync from 'fs';
import { promises as fs } from 'fs';
import * as path from 'path';
import { JobArchive } from '../../src/core/archive/archive';
import { LiveUpdates, type LiveOptions } from '../../src/core/model/live';
import type { JobsModel } from '../../src/core/model/model';
import { createProcessTable } from '../../src/core/os/processes';
import { FAKE_COMPANION, ProcessGroup } from '../fixtures/spawn';
import { modelFor, record, jobWithLog, sandbox, waitFor, writeIndex, writeJob, type Sandbox } from './helpers';
import { until } from './launchHelpers';

describe('the job archive', () => {
  let sb: Sandbox;
  let archive: JobArchive;
  let model: JobsModel;
  let live: LiveUpdates;
  const procs = new ProcessGroup();

  beforeEach(async () => {
    sb = await sandbox();
    archive = new JobArchive(path.join(sb.tmp, 'archive'));
  });
  afterEach(async () => {
    await live?.dispose();
    model?.dispose();
    await archive.dispose();
    await procs.stopAll();
    await sb.cleanup();
  });

  async function start(opts: LiveOptions = {}): Promise<void> {
    model = modelFor(sb, {}, createProcessTable(), archive);
    live = new LiveUpdates(model, { debounceMs: 20, archive, ...opts });
    await live.start();
    await live.watcher.ready();
  }
  const job = (id: string) => model.findJob(sb.stateDir, id);

  test('race 2: a concurrent writer deletes a running job; its record and every logged byte stay', async () => {
    const id = 'task-mwu2a001-race01';
    const other = 'task-mwu2a002-race02';
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
    await writeJob(sb.stateDir, rec, '');
    await writeJob(sb.stateDir, record(other));
    await writeIndex(sb.stateDir, [rec, record(other)]);
    await start();
    const logFile = path.join(sb.stateDir, 'jobs', `${id}.log`);
    let written = '';
    for (let i = 0; i < 20; i++) {
      const line = `[${new Date().toISOString()}] step ${i}: ${'x'.repeat(200)}\n`;
      await fs.appendFile(logFile, line);
      written += line;
      await new Promise((r) => setTimeout(r, 15));
    }
    await waitFor(model, () => (job(id)?.log.size ?? 0) === written.length, 'the last append to be seen');
    await archive.flush();
    // The losing writer's saveState: its index lacks the job, so it deletes the job's files.
    await writeIndex(sb.stateDir, [record(other)]);
    await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.json`));
    await fs.rm(logFile);
    await waitFor(model, () => !!job(id)?.archived, 'the job to be shown from the archive');
    const j = job(id)!;
    assert.deepEqual(j.flags, ['archived', 'deleted-while-running']);
    assert.equal(j.status, 'running', 'its process still runs, and is still verified');
    const entry = archive.get(sb.stateDir, id)!;
    assert.equal(entry.record?.id, id);
    assert.equal(
      await fs.readFile(archive.entryPaths(sb.stateDir, id).log, 'utf8'),
      written,
      'every byte logged before the deletion',
    );
  });

  test('bytes written just before a deletion, never seen by an event, are read from the open log; the worker writing on is log-only', async () => {
    const id = 'task-mwu2a003-held03';
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
    await writeJob(sb.stateDir, rec, 'first line\n');
    await writeIndex(sb.stateDir, [rec]);
    await start();
    await waitFor(
      model,
      () => (archive.get(sb.stateDir, id)?.logBytes ?? 0) > 0 || !!job(id)?.log.exists,
      'the job to be read',
    );
    await archive.flush();
    await model.idle();
    await archive.flush();
    const logFile = path.join(sb.stateDir, 'jobs', `${id}.log`);
    // Appended and deleted in one go: no event can report the new bytes before the file is gone.
    const late = `[${new Date().toISOString()}] the last words before the deletion\n`;
    await fs.appendFile(logFile, late);
    await writeIndex(sb.stateDir, []);
    await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.json`));
    await fs.rm(logFile);
    // The worker writes on: the log comes back under the same name, alone.
    await new Promise((r) => setTimeout(r, 100));
    const after = `[${new Date().toISOString()}] Running command: still going\n`;
    await fs.appendFile(logFile, after);
    await waitFor(
      model,
      () => !!job(id)?.flags.includes('log-only') && !!job(id)?.archived,
      'the job shown from the archive with its live log',
    );
    await model.idle();
    await archive.flush();
    const copy = await fs.readFile(archive.entryPaths(sb.stateDir, id).log, 'utf8');
    assert.ok(
      copy.startsWith(`first line\n${late}`),
      `the bytes before the deletion are kept: ${JSON.stringify(copy)}`,
    );
    assert.match(copy, /the log was re-created/);
    assert.ok(copy.endsWith(after), 'and the new life after it');
    assert.deepEqual(
      job(id)!.flags.filter((f) => f !== 'log-only' && f !== 'recreated'),
      ['archived', 'deleted-while-running'],
    );
    // Its log was written again after the deletion: the story says recreated too (shown from the next update).
    assert.ok(archive.flagsOf(sb.stateDir, id).includes('recreated'));
  });

  test('deleted while running and re-created: the flags stay (plus recreated), the history says when and how', async () => {
    const id = 'task-mwu2a021-story1';
    const pid = await procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', sb.workspace, '--job-id', id],
      { waitReady: true },
    );
    const rec = record(id, {
      status: 'running',
      pid,
      completedAt: undefined,
      createdAt: new Date(Date.now() - 5000).toISOString(),
    });
    await writeJob(sb.stateDir, rec, 'Starting Codex Task.\n');
    await writeIndex(sb.stateDir, [rec]);
    await start();
    await waitFor(model, () => job(id)?.status === 'running', 'the running job');
    await model.settled();
    await writeIndex(sb.stateDir, []);
    await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.json`));
    await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.log`));
    await waitFor(model, () => !!job(id)?.archived, 'the deletion');
    // The worker's completion write brings the record back.
    await writeJob(sb.stateDir, record(id, { status: 'completed', pid }), 'Starting Codex Task.\n');
    await writeIndex(sb.stateDir, [record(id, { status: 'completed', pid })]);
    await waitFor(model, () => job(id)?.status === 'completed' && !job(id)?.archived, 'the re-created job');
    await model.settled();
    await waitFor(model, () => !!job(id)?.flags.includes('recreated'), 'the recreated flag');
    const j = job(id)!;
    assert.ok(j.flags.includes('deleted-while-running'), `flags ${j.flags.join(',')}`);
    const what = (j.history ?? []).map((h) => h.what);
    assert.deepEqual(what.slice(0, 1), ['created']);
    assert.ok(what.includes('deleted') && what.includes('recreated'), what.join(','));
    const del = j.history!.find((h) => h.what === 'deleted')!;
    assert.equal(del.status, 'running');
    assert.equal(del.by, 'deleted-while-running');
  });

  test('deleted and re-created before anything saw it: a first log without its beginning gives `recreated`', async () => {
    // Race 2 on a queued job, between two looks: its record and log deleted, then the worker's
    // next writes bring both back; its index entry stays lost. Only the log's first line tells.
    const id = 'task-mwu2a031-unseen';
    const ok = 'task-mwu2a032-whole2';
    const t = new Date().toISOString();
    await writeJob(sb.stateDir, record(id, { status: 'completed' }), `[${t}] Turn started.\n[${t}] Turn completed.\n`);
    await writeJob(
      sb.stateDir,
      record(ok, { status: 'completed' }),
      `[${t}] Starting Codex Task.\n[${t}] Turn started.\n`,
    );
    await writeIndex(sb.stateDir, [record(ok, { status: 'completed' })]);
    model = modelFor(sb, {}, createProcessTable(), archive);
    await model.refresh();
    await model.settled();
    const j = job(id)!;
    assert.ok(j.flags.includes('unindexed') && j.flags.includes('recreated'), `flags ${j.flags.join(',')}`);
    assert.ok(
      (j.history ?? []).some((h) => h.what === 'log-recreated'),
      (j.history ?? []).map((h) => h.what).join(),
    );
    assert.match(archive.get(sb.stateDir, id)!.logNote ?? '', /beginning was never seen/);
    assert.deepEqual(job(ok)!.flags, [], 'a log that starts as the companion starts one says nothing');
  });

  test('a job that came and went between two looks is archived from the log opened on its creation', async () => {
    const id = 'task-mwu2a004-blink4';
    const jobsDir = path.join(sb.stateDir, 'jobs');
    const logFile = path.join(jobsDir, `${id}.log`);
    await writeJob(sb.stateDir, record(id, { status: 'running', completedAt: undefined }), 'first words\n');
    // What the native watch does on the log's creation event.
    await archive.openLogEarly(sb.stateDir, id);
    // Written and deleted before anything reads the state dir.
    fsSync.appendFileSync(logFile, 'last words\n');
    fsSync.rmSync(logFile);
    fsSync.rmSync(path.join(jobsDir, `${id}.json`));
    await archive.observe(sb.stateDir, [], 0);
    const e = archive.get(sb.stateDir, id);
    assert.equal(e?.goneHow, 'deleted-by-concurrent-writer');
    assert.equal(e?.record?.id, id, 'its record, read along with the log');
    assert.equal(await fs.readFile(archive.entryPaths(sb.stateDir, id).log, 'utf8'), 'first words\nlast words\n');
  });

  test('a job that came and went between two looks, its log never opened, is archived from its record', async () => {
    const id = 'task-mwu2a005-blink5';
    const jobsDir = path.join(sb.stateDir, 'jobs');
    await writeJob(sb.stateDir, record(id, { status: 'queued', completedAt: undefined }), '');
    // What the record's creation event does; its log was gone before anything opened it.
    await archive.readRecordEarly(sb.stateDir, id);
    fsSync.rmSync(path.join(jobsDir, `${id}.json`));
    await archive.observe(sb.stateDir, [], 0);
    const e = archive.get(sb.stateDir, id);
    assert.equal(e?.goneHow, 'deleted-by-concurrent-writer');
    assert.equal(e?.record?.status, 'queued');
    assert.deepEqual(
      e?.history.map((h) => h.what),
      ['created', 'deleted'],
    );
  });

  test('a log opened by the log catcher is taken over; one for a bad id or a life already held is closed', async () => {
    const id = 'task-mwu2a007-fdfd07';
    const logFile = path.join(sb.stateDir, 'jobs', `${id}.log`);
    await writeJob(sb.stateDir, record(id, { status: 'running', completedAt: undefined }), 'caught\n');
    const open = async (as: string) => {
      const fh = await fs.open(logFile, 'r');
      const st = await fh.stat();
      return { stateDir: sb.stateDir, id: as, fh, ino: st.ino, birthtimeMs: st.birthtimeMs };
    };
    const a = await open(id);
    await archive.adoptOpened(a);
    const twice = await open(id);
    await archive.adoptOpened(twice);
    assert.equal(twice.fh.fd, -1, 'the second handle of the same life is closed');
    const bad = await open('../x');
    await archive.adoptOpened(bad);
    assert.equal(bad.fh.fd, -1, 'a bad id: closed, never used');
    fsSync.appendFileSync(logFile, 'more\n');
    fsSync.rmSync(logFile);
    fsSync.rmSync(path.join(sb.stateDir, 'jobs', `${id}.json`));
    await archive.observe(sb.stateDir, [], 0);
    assert.equal(await fs.readFile(archive.entryPaths(sb.stateDir, id).log, 'utf8'), 'caught\nmore\n');
    assert.equal(a.fh.fd, -1, 'released once copied');
  });

  test('a grabbed log still on disk is not taken for a gone job', async () => {
    const id = 'task-mwu2a005-still5';
    await writeJob(sb.stateDir, record(id), 'here\n');
    await archive.openLogEarly(sb.stateDir, id);
    await archive.observe(sb.stateDir, [], 0);
    assert.equal(archive.get(sb.stateDir, id), undefined, 'the next look at the state dir shows it');
  });

  test('the final output a worker writes after its record says completed is kept when the log is deleted at once', async () => {
    const id = 'task-mwu2a006-final6';
    // Created before its worker started, as the companion does (a worker older than its job holds a
    // reused pid; on a loaded machine a node takes seconds to say it is ready).
    const createdAt = new Date().toISOString();
    const pid = await procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', sb.workspace, '--job-id', id],
      { waitReady: true },
    );
    const running = record(id, { status: 'running', phase: 'investigating', pid, completedAt: undefined, createdAt });
    await writeJob(sb.stateDir, running, 'step 1\n');
    await writeIndex(sb.stateDir, [running]);
    await start();
    await waitFor(
      model,
      () => job(id)?.status === 'running' && archive.get(sb.stateDir, id)?.lastLive === true,
      () =>
        `the running job archived (seen: ${job(id)?.status} ${job(id)?.verification?.outcome ?? ''}: ` +
        `${job(id)?.verification?.detail ?? ''}; archived ${JSON.stringify(archive.get(sb.stateDir, id) ?? null)?.slice(0, 300)})`,
    );
    assert.equal(live.watcher.catching, true, 'a job runs: new logs are caught on a thread of their own');
    await live.stop();
    assert.equal(live.watcher.catching, false, 'watching stopped: no catcher thread');
    await live.start();
    // Completed, with one more line: the archive copies it seeing the job finished.
    const done = record(id, { status: 'completed', phase: 'done', pid: null, createdAt });
    await writeJob(sb.stateDir, done, 'step 1\nstep 2\n');
    await writeIndex(sb.stateDir, [done]);
    await waitFor(
      model,
      () => job(id)?.status === 'completed' && job(id)?.log.size === 14,
      'the completed record and the last step',
    );
    await model.idle();
    await archive.flush();
    assert.equal(archive.get(sb.stateDir, id)?.lastStatus, 'completed');
    assert.equal(archive.get(sb.stateDir, id)?.logOffset, 14);
    // The final output, then a concurrent writer deletes everything: no event can be handled between.
    const final = '\n[2026-11-25T08:00:00.000Z] Final output\nDone.\n';
    fsSync.appendFileSync(path.join(sb.stateDir, 'jobs', `${id}.log`), final);
    fsSync.rmSync(path.join(sb.stateDir, 'jobs', `${id}.log`));
    fsSync.rmSync(path.join(sb.stateDir, 'jobs', `${id}.json`));
    fsSync.writeFileSync(path.join(sb.stateDir, 'state.json'), JSON.stringify({ version: 1, config: {}, jobs: [] }));
    await waitFor(model, () => !!job(id)?.archived, 'the job shown from the archive');
    await archive.flush();
    assert.equal(await fs.readFile(archive.entryPaths(sb.stateDir, id).log, 'utf8'), `step 1\nstep 2\n${final}`);
  });

  test('no catcher thread while nothing runs, until a log is created', async () => {
    await writeJob(sb.stateDir, record('task-mwu2a008-idle08'));
    await writeIndex(sb.stateDir, [record('task-mwu2a008-idle08')]);
    await start();
    assert.equal(live.watcher.catching, false);
    await fs.writeFile(path.join(sb.stateDir, 'jobs', 'task-mwu2a009-new009.log'), 'Starting Codex Task.\n');
    await waitFor(model, () => live.watcher.catching, 'the catcher thread to start');
  });

  test('the catcher thread is let go once nothing has run for a while, and comes back with the next log', async () => {
    const id = 'task-mwu2a010-rel010';
    const createdAt = new Date().toISOString(); // before its worker started (see above)
    const pid = await procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', sb.workspace, '--job-id', id],
      { waitReady: true },
    );
    const running = record(id, { status: 'running', phase: 'investigating', pid, completedAt: undefined, createdAt });
    await writeJob(sb.stateDir, running);
    await writeIndex(sb.stateDir, [running]);
    await start({ catcherIdleMs: 2000 });
    assert.equal(live.watcher.catching, true, 'a job is recorded running');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(live.watcher.catching, true, 'kept while the job runs, however long');
    const done = record(id);
    await writeJob(sb.stateDir, done);
    await writeIndex(sb.stateDir, [done]);
    await waitFor(model, () => job(id)?.status === 'completed', 'the job to finish');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(live.watcher.catching, true, 'kept for the idle window after the last job');
    await until(async () => (live.watcher.catching ? undefined : true), 'the catcher thread to be let go', 8000);
    await fs.writeFile(path.join(sb.stateDir, 'jobs', 'task-mwu2a011-new011.log'), 'Starting Codex Task.\n');
    await until(async () => (live.watcher.catching ? true : undefined), 'the catcher thread to start again');
  });

  test('ordinary pruning of a finished job from a full index is called pruned', async () => {
    const ids = Array.from(
      { length: 51 },
      (_, i) => `task-mwu2b${String(i).padStart(3, '0')}-prun${String(i).padStart(2, '0')}`,
    );
    for (const id of ids) await writeJob(sb.stateDir, record(id));
    await writeIndex(
      sb.stateDir,
      ids.slice(1).map((id) => record(id)),
    );
    await start();
    await archive.flush();
    await writeIndex(
      sb.stateDir,
      ids.slice(1).map((id) => record(id)),
    );
    await fs.rm(path.join(sb.stateDir, 'jobs', `${ids[0]}.json`));
    await fs.rm(path.join(sb.stateDir, 'jobs', `${ids[0]}.log`));
    await waitFor(model, () => !!job(ids[0])?.archived, 'the pruned job');
    assert.deepEqual(job(ids[0])!.flags, ['archived', 'pruned']);
  });

  test('a finished job deleted from a small index was lost to a concurrent writer; the archive survives a reload', async () => {
    const id = 'task-mwu2c001-lost01';
    await writeJob(sb.stateDir, record(id, { rendered: 'the result\n' }));
    await writeIndex(sb.stateDir, [record(id)]);
    await start();
    await archive.flush();
    await writeIndex(sb.stateDir, []);
    await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.json`));
    await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.log`), { force: true });
    await waitFor(model, () => !!job(id)?.archived, 'the lost job');
    assert.deepEqual(job(id)!.flags, ['archived', 'deleted-by-concurrent-writer']);
    assert.equal(job(id)!.display.rendered, 'the result\n');
    await archive.flush();
    const again = new JobArchive(archive.dir);
    await again.load();
    assert.equal(again.gone(sb.stateDir)[0]?.goneHow, 'deleted-by-concurrent-writer');
  });

  test('a log re-created without its beginning: both lives are kept, new bytes only are copied', async () => {
    const id = 'task-mwu2d001-relog1';
    const a = archive;
    const logFile = path.join(sb.stateDir, 'jobs', `${id}.log`);
    await writeJob(sb.stateDir, record(id), 'first life\n');
    await writeIndex(sb.stateDir, [record(id)]);
    await start();
    await a.flush();
    await fs.appendFile(logFile, 'more of the first life\n');
    await waitFor(model, () => job(id)?.log.size === 34, 'the append');
    await a.flush();
    const copied = a.bytesCopied;
    await fs.writeFile(logFile, 'second\n');
    await waitFor(model, () => job(id)?.log.size === 7, 'the re-created log');
    await a.flush();
    const text = await fs.readFile(a.entryPaths(sb.stateDir, id).log, 'utf8');
    assert.match(text, /^first life\nmore of the first life\n\n\[codex-jobs\] the log was re-created at .*\nsecond\n$/);
    assert.equal(a.bytesCopied - copied, 7, 'only the new bytes were copied');
  });

  test('limits evict the oldest first; a corrupt entry is skipped with a warning', async () => {
    const small = new JobArchive(path.join(sb.tmp, 'small'), { maxAgeMs: 3_600_000, maxBytes: 3400 });
    const mk = (id: string) =>
      ({
        id,
        stateDir: sb.stateDir,
        display: { id, raw: {} },
        record: { id, raw: { id } },
        recordMtimeMs: 1,
        recordedStatus: 'completed',
        status: 'completed',
        flags: [],
        logPath: path.join(sb.stateDir, 'jobs', `${id}.log`),
        recordPath: '',
        log: { exists: true, size: 1000, progress: [] },
      }) as never;
    await fs.mkdir(path.join(sb.stateDir, 'jobs'), { recursive: true });
    for (const id of ['task-old-000001', 'task-mid-000002', 'task-new-000003', 'task-new-000004'])
      await fs.writeFile(path.join(sb.stateDir, 'jobs', `${id}.log`), 'x'.repeat(1000));
    await small.observe(sb.stateDir, [mk('task-old-000001')], 1, 1000);
    await small.observe(sb.stateDir, [mk('task-old-000001'), mk('task-mid-000002')], 2, 2000);
    await small.observe(
      sb.stateDir,
      [mk('task-old-000001'), mk('task-mid-000002'), mk('task-new-000003'), mk('task-new-000004')],
      4,
      3000,
    );
    // The oldest's log bulk goes; its entry stays and remembers how far the log was copied.
    const old = small.get(sb.stateDir, 'task-old-000001')!;
    assert.equal(old.logBytes, 0, 'the oldest log is evicted');
    assert.equal(old.evictedBytes, 1000);
    assert.equal(old.logOffset, 1000);
    assert.ok(small.get(sb.stateDir, 'task-new-000004')!.logBytes > 0);
    assert.ok(small.totalBytes <= 3400, `total ${small.totalBytes}`);
    // Eviction never causes a re-copy: the same look again copies and writes nothing.
    const copied = small.bytesCopied;
    const written = small.entriesWritten;
    await small.observe(
      sb.stateDir,
      [mk('task-old-000001'), mk('task-mid-000002'), mk('task-new-000003'), mk('task-new-000004')],
      4,
      4000,
    );
    assert.equal(small.bytesCopied, copied, 'nothing copied again');
    assert.equal(small.entriesWritten, written, 'nothing written again');
    const dir = path.dirname(small.entryPaths(sb.stateDir, 'x').meta);
    await fs.writeFile(path.join(dir, 'task-bad-000009.json'), '{"torn": ');
    const reloaded = new JobArchive(small.dir);
    await reloaded.load();
    assert.ok(reloaded.get(sb.stateDir, 'task-new-000004'));
    assert.match(reloaded.warnings[0]?.message ?? '', /archive entry skipped/);
  });
  test('a log line is copied at once, its entry written later; a crash before that write copies nothing twice', async () => {
    const id = 'task-mwu2g001-crash1';
    const logFile = path.join(sb.stateDir, 'jobs', `${id}.log`);
    await fs.mkdir(path.dirname(logFile), { recursive: true });
    await fs.writeFile(logFile, 'one\n');
    const running = () => jobWithLog(sb.stateDir, id, logFile);
    const copyOf = (a: JobArchive) => fs.readFile(a.entryPaths(sb.stateDir, id).log, 'utf8');
    await archive.observe(sb.stateDir, [await running()], 1);
    await archive.flush();
    const written = archive.entriesWritten;
    await fs.appendFile(logFile, 'two\n');
    await archive.observe(sb.stateDir, [await running()], 1);
    assert.equal(await copyOf(archive), 'one\ntwo\n', 'the line is in the copy at once');
    assert.equal(archive.entriesWritten, written, 'its entry is not written for it');
    // The process ends here without its deferred write: what it left on disk, read by the next one.
    const left = path.join(sb.tmp, 'left');
    await fs.cp(archive.dir, left, { recursive: true });
    await fs.appendFile(logFile, 'three\n');
    const next = new JobArchive(left);
    try {
      await next.observe(sb.stateDir, [await running()], 1);
      assert.equal(await copyOf(next), 'one\ntwo\nthree\n', 'nothing copied twice');
      assert.equal(next.get(sb.stateDir, id)?.logOffset, 14);
    } finally {
      await next.dispose();
    }
    // This process goes on: flush (or dispose) writes the entry as far as it copied.
    await archive.flush();
    assert.equal(archive.entriesWritten, written + 1);
    const meta = JSON.parse(await fs.readFile(archive.entryPaths(sb.stateDir, id).meta, 'utf8'));
    assert.equal(meta.logOffset, 8);
  });
});

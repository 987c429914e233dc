// The guardian mends the companion's own books, each race reproduced by the stand-in writer
// (test/fixtures/guardian/stale-writer.mjs) or by writing the files as the racer leaves them: a job
// dropped from state.json, a record deleted under a running job, an index entry left running after
// its record finished, a job whose process is gone, a finished job pruned on purpose, and a writer
// that loaded before the guardian's write and saves after it.
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import type { JobArchive } from '../../src/core/archive/archive';
import type { LiveUpdates } from '../../src/core/model/live';
import type { JobsModel } from '../../src/core/model/model';
import { createProcessTable } from '../../src/core/os/processes';
import { Guardian, GONE_REASON, guardianSummary, type GuardianAction } from '../../src/core/guardian/guardian';
import { FAKE_COMPANION, ProcessGroup } from '../fixtures/spawn';
import { closeRig, liveRig, record, waitFor, writeIndex, writeJob, type Sandbox } from './helpers';

const STALE_WRITER = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'guardian', 'stale-writer.mjs');

describe('the guardian', () => {
  let sb: Sandbox;
  let archive: JobArchive;
  let model: JobsModel;
  let live: LiveUpdates;
  let guardian: Guardian | undefined;
  const actions: GuardianAction[] = [];
  const procs = new ProcessGroup();

  beforeEach(async () => {
    ({ sb, archive, model, live } = await liveRig());
    actions.length = 0;
  });
  afterEach(async () => {
    guardian?.dispose();
    await guardian?.idle();
    guardian = undefined;
    await procs.stopAll();
    await closeRig({ sb, archive, model, live });
  });

  const stateFile = () => path.join(sb.stateDir, 'state.json');
  const index = async () =>
    (JSON.parse(await fs.readFile(stateFile(), 'utf8')) as { jobs: Record<string, unknown>[] }).jobs;
  const readRecord = async (id: string) =>
    JSON.parse(await fs.readFile(path.join(sb.stateDir, 'jobs', `${id}.json`), 'utf8')) as Record<string, unknown>;
  const exists = (f: string) =>
    fs.stat(f).then(
      () => true,
      () => false,
    );

  async function startAll(graceMs = 60_000): Promise<void> {
    await live.start();
    await live.watcher.ready();
    await model.settled();
    guardian = new Guardian({ model, table: createProcessTable(), graceMs, settleMs: 150 });
    guardian.onDidAct((a) => actions.push(a));
    guardian.start();
  }

  /** Polls `ok` (the files on disk, not the model) until it holds. */
  async function until(ok: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > end)
        throw new Error(
          `timed out waiting for ${what}; the guardian said: ${actions.map((a) => a.message).join(' | ')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function liveWorker(id: string): Promise<number> {
    return procs.start(process.execPath, [FAKE_COMPANION, 'task-worker', '--cwd', sb.workspace, '--job-id', id], {
      waitReady: true,
    });
  }

  const running = (id: string, pid: number, more: Record<string, unknown> = {}) =>
    record(id, {
      status: 'running',
      phase: 'investigating',
      pid,
      completedAt: undefined,
      createdAt: new Date(Date.now() - 5000).toISOString(),
      request: { prompt: 'mend me', cwd: sb.workspace },
      threadId: 'thr_1',
      ...more,
    });

  test('a running job dropped from state.json is put back, and its history says so', async () => {
    const id = 'task-mwv1a001-drop01';
    const rec = running(id, await liveWorker(id));
    await writeJob(sb.stateDir, rec);
    await writeIndex(sb.stateDir, []);
    await startAll();
    await until(async () => (await index()).some((e) => e.id === id), 'the job back in state.json');
    await guardian!.idle();
    await model.settled();
    assert.equal(guardian!.counts.putBack, 1);
    assert.equal(guardianSummary(guardian!.counts), '1 job put back');
    const h = archive.get(sb.stateDir, id)?.history ?? [];
    assert.ok(
      h.some((e) => e.note === 'put back in the index by the guardian'),
      JSON.stringify(h),
    );
  });

  test('a record deleted under a running job comes back from the archive with every field it had', async () => {
    const id = 'task-mwv1a002-recdel';
    const rec = running(id, await liveWorker(id));
    await writeJob(sb.stateDir, rec);
    await writeIndex(sb.stateDir, [rec]);
    await startAll();
    await waitFor(model, () => !!archive.get(sb.stateDir, id)?.record, 'the record archived');
    await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.json`));
    await until(() => exists(path.join(sb.stateDir, 'jobs', `${id}.json`)), 'the record restored');
    await guardian!.idle();
    const back = await readRecord(id);
    for (const k of ['kind', 'request', 'threadId', 'status', 'pid']) assert.deepEqual(back[k], rec[k], k);
    assert.ok(guardian!.counts.recordsRestored >= 1);
  });

  test('an index entry still running while its record says completed takes the record status and times', async () => {
    const id = 'task-mwv1a003-synced';
    const done = record(id, { threadId: 'thr_3' });
    await writeJob(sb.stateDir, done);
    await writeIndex(sb.stateDir, [{ ...done, status: 'running', phase: 'investigating', completedAt: undefined }]);
    await startAll();
    await until(async () => (await index()).find((e) => e.id === id)?.status === 'completed', 'the entry synced');
    await guardian!.idle();
    const e = (await index()).find((x) => x.id === id)!;
    assert.equal(e.completedAt, done.completedAt);
    assert.equal(guardian!.counts.synced, 1);
  });

  test('a running job whose process is gone past the grace period is marked failed with the reason the companion shows', async () => {
    const id = 'task-mwv1a004-gone01';
    const rec = running(id, 999_999);
    await writeJob(sb.stateDir, rec);
    await writeIndex(sb.stateDir, [rec]);
    await startAll(600);
    await until(async () => (await readRecord(id)).status === 'failed', 'the job marked failed');
    await guardian!.idle();
    assert.equal((await readRecord(id)).errorMessage, GONE_REASON);
    assert.equal((await index()).find((e) => e.id === id)?.status, 'failed');
    assert.equal(guardian!.counts.markedFailed, 1);
  });

  test('a finished job pruned while the index was full stays pruned', async () => {
    const full = Array.from({ length: 50 }, (_, i) =>
      record(`task-mwv1b${String(i).padStart(3, '0')}-full${String(i).padStart(2, '0')}`),
    );
    for (const r of full) await writeJob(sb.stateDir, r, '');
    const old = record('task-mwv1a005-oldone', { completedAt: '2020-01-01T00:00:00.000Z' });
    await writeJob(sb.stateDir, old);
    await writeIndex(sb.stateDir, full);
    await startAll();
    await new Promise((r) => setTimeout(r, 1500));
    await guardian!.idle();
    assert.ok(!(await index()).some((e) => e.id === old.id));
    assert.equal(guardian!.counts.writes, 0);
  });

  test('a writer that loaded before the guardian wrote and saves after: mended again, and its own job kept', async () => {
    const id = 'task-mwv1a006-victim';
    const own = 'task-mwv1a007-writer';
    const other = record('task-mwv1a008-other1');
    const rec = running(id, await liveWorker(id));
    await writeJob(sb.stateDir, rec);
    await writeJob(sb.stateDir, other);
    await writeIndex(sb.stateDir, [other]);
    await live.start();
    await live.watcher.ready();
    await model.settled();
    await waitFor(model, () => !!archive.get(sb.stateDir, id)?.record, 'the victim archived');
    // It loads now (the victim not in the index), and saves once the guardian has put the victim back.
    const writer = spawn(process.execPath, [STALE_WRITER, 'stale', sb.stateDir, own, id], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let said = '';
    writer.stdout.on('data', (d: Buffer) => (said += d.toString()));
    while (!said.includes('loaded')) await new Promise((r) => setTimeout(r, 10));
    guardian = new Guardian({ model, table: createProcessTable(), graceMs: 60_000, settleMs: 150 });
    guardian.onDidAct((a) => actions.push(a));
    guardian.start();
    await until(async () => said.includes('saved'), 'the stale save');
    await until(async () => {
      const ids = (await index()).map((e) => e.id);
      return ids.includes(id) && ids.includes(own) && (await exists(path.join(sb.stateDir, 'jobs', `${id}.json`)));
    }, 'the victim mended again beside the writer’s own job');
    await guardian.idle();
    assert.ok(guardian.counts.undone >= 1, `undone: ${guardian.counts.undone}`);
    assert.deepEqual((await readRecord(id)).request, rec.request);
    assert.equal((await readRecord(own)).id, own);
  });
});

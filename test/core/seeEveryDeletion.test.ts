// Every deletion is seen, whatever the watcher folds: a record unlinked and written again within a
// millisecond (a racer's saveState, then the worker's next writeJobFile) is a deletion in the job's
// history, and a job deleted while queued or running keeps saying so after its files come back.
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fsSync from 'fs';
import * as path from 'path';
import type { JobArchive } from '../../src/core/archive/archive';
import type { LiveUpdates } from '../../src/core/model/live';
import type { JobsModel } from '../../src/core/model/model';
import { FAKE_COMPANION, ProcessGroup } from '../fixtures/spawn';
import { closeRig, liveRig, record, waitFor, writeIndex, writeJob, type Sandbox } from './helpers';

describe('seeing every deletion', () => {
  let sb: Sandbox;
  let archive: JobArchive;
  let model: JobsModel;
  let live: LiveUpdates;
  const procs = new ProcessGroup();

  beforeEach(async () => {
    ({ sb, archive, model, live } = await liveRig());
  });
  afterEach(async () => {
    await procs.stopAll();
    await closeRig({ sb, archive, model, live });
  });

  const job = (id: string) => model.findJob(sb.stateDir, id);
  const recordFile = (id: string) => path.join(sb.stateDir, 'jobs', `${id}.json`);

  /** The racer's unlink and the worker's re-creation, synchronously: no scan can fall between them. */
  function unlinkAndRecreate(id: string, rec: Record<string, unknown>): void {
    const text = fsSync.readFileSync(recordFile(id), 'utf8');
    fsSync.unlinkSync(recordFile(id));
    fsSync.writeFileSync(recordFile(id), JSON.stringify({ ...JSON.parse(text), ...rec }, null, 2));
  }

  test('a record unlinked and re-created within a millisecond under a running worker is a deletion', async () => {
    const id = 'task-mwu9a001-blink1';
    const pid = await procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', sb.workspace, '--job-id', id],
      {
        waitReady: true,
      },
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
    await live.start();
    await live.watcher.ready();
    await waitFor(model, () => job(id)?.status === 'running', 'the job running');
    await model.settled();
    unlinkAndRecreate(id, { phase: 'editing' });
    await waitFor(model, () => job(id)?.display.phase === 'editing', 'the re-created record read');
    await model.settled();
    await model.refresh();
    await model.settled();
    const h = archive.get(sb.stateDir, id)?.history ?? [];
    assert.ok(
      h.some((e) => e.what === 'deleted' && e.status === 'running'),
      `a deletion in the history: ${JSON.stringify(h)}`,
    );
    assert.ok(job(id)!.flags.includes('deleted-while-running'), `flags: ${job(id)!.flags.join(',')}`);
    assert.ok(job(id)!.flags.includes('recreated'), `flags: ${job(id)!.flags.join(',')}`);
  });

  test('a queued job whose files were deleted keeps the flag once they are written again', async () => {
    const id = 'task-mwu9a002-queue1';
    const rec = record(id, {
      status: 'queued',
      phase: 'queued',
      pid: null,
      completedAt: undefined,
      startedAt: undefined,
    });
    await writeJob(sb.stateDir, rec);
    await writeIndex(sb.stateDir, [rec]);
    await live.start();
    await live.watcher.ready();
    await waitFor(model, () => job(id)?.recordedStatus === 'queued', 'the job queued');
    await model.settled();
    // A racer drops it from the index and deletes its files; it is seen gone.
    await writeIndex(sb.stateDir, []);
    fsSync.unlinkSync(recordFile(id));
    fsSync.unlinkSync(path.join(sb.stateDir, 'jobs', `${id}.log`));
    await waitFor(model, () => !!job(id)?.archived, 'the job shown from the archive');
    await model.settled();
    // Its worker writes it again.
    await writeJob(sb.stateDir, { ...rec, status: 'running', phase: 'starting' });
    await writeIndex(sb.stateDir, [{ ...rec, status: 'running' }]);
    await waitFor(model, () => !!job(id) && !job(id)!.archived, 'the job back on disk');
    await model.settled();
    await model.refresh();
    await model.settled();
    assert.ok(
      job(id)!.flags.includes('deleted-while-running'),
      `flags: ${job(id)!.flags.join(',')}; ${JSON.stringify(archive.get(sb.stateDir, id)?.history)}`,
    );
    assert.ok(job(id)!.flags.includes('recreated'), `flags: ${job(id)!.flags.join(',')}`);
  });

  test('a finished record rewritten in place is not a deletion', async () => {
    const id = 'task-mwu9a003-ownwr1';
    const rec = record(id);
    await writeJob(sb.stateDir, rec);
    await writeIndex(sb.stateDir, [rec]);
    await live.start();
    await live.watcher.ready();
    await waitFor(model, () => job(id)?.status === 'completed', 'the job shown');
    await model.settled();
    // A finished job rewritten in place by the companion (same file): nothing was deleted.
    fsSync.writeFileSync(recordFile(id), JSON.stringify({ ...rec, summary: 'again' }, null, 2));
    await waitFor(model, () => job(id)?.display.summary === 'again', 'the rewrite read');
    await model.settled();
    const h = archive.get(sb.stateDir, id)?.history ?? [];
    assert.ok(!h.some((e) => e.what === 'deleted'), `no deletion: ${JSON.stringify(h)}`);
    assert.ok(!job(id)!.flags.includes('recreated'));
  });
});

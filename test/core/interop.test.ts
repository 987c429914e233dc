// Other companion versions (forks, open upstream proposals) leave more in a state dir: temp files
// `state.json.tmp-<pid>-<rand>`, a `.state.lock/` dir with an `owner` file, `*.candidate-*` lock dirs,
// `jobs/<id>.events.ndjson` streams. None is a job, none is warned about, none is ever deleted; and
// while a lock of theirs is held, the guardian does not write.
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as path from 'path';
import type { JobArchive } from '../../src/core/archive/archive';
import type { LiveUpdates } from '../../src/core/model/live';
import type { JobsModel } from '../../src/core/model/model';
import { createProcessTable } from '../../src/core/os/processes';
import { Guardian } from '../../src/core/guardian/guardian';
import { closeRig, liveRig, record, waitFor, writeIndex, writeJob, type Sandbox } from './helpers';

describe('files of other companion versions', () => {
  let sb: Sandbox;
  let archive: JobArchive;
  let model: JobsModel;
  let live: LiveUpdates;
  let guardian: Guardian | undefined;

  beforeEach(async () => {
    ({ sb, archive, model, live } = await liveRig());
  });
  afterEach(async () => {
    guardian?.dispose();
    await guardian?.idle();
    await closeRig({ sb, archive, model, live });
  });

  const id = 'task-mwv2a001-interop';
  const extras = () => [
    path.join(sb.stateDir, 'state.json.tmp-4242-k3j2h1'),
    path.join(sb.stateDir, '.state.lock', 'owner'),
    path.join(sb.stateDir, '.state.lock.candidate-a1b2c3', 'owner-a1b2c3.json'),
    path.join(sb.stateDir, 'jobs', `${id}.events.ndjson`),
    path.join(sb.stateDir, 'jobs', `${id}.json.tmp-4242-z9y8x7`),
  ];

  async function plant(): Promise<void> {
    const rec = record(id, { status: 'completed' });
    await writeJob(sb.stateDir, rec);
    await writeIndex(sb.stateDir, [rec]);
    await fs.writeFile(extras()[0], '{"version":1,"jobs":[{"id":"task-mwv2a002-fromtmp"');
    await fs.mkdir(path.dirname(extras()[1]));
    await fs.writeFile(extras()[1], JSON.stringify({ pid: 999_999, startedAt: new Date().toISOString(), token: 't' }));
    await fs.mkdir(path.dirname(extras()[2]));
    await fs.writeFile(extras()[2], '{}');
    await fs.writeFile(extras()[3], '{"seq":1,"method":"turn/started"}\n');
    await fs.writeFile(extras()[4], '{"id":"task-mwv2a003-torn"');
  }

  test('are never jobs, never warned about, never deleted', async () => {
    await plant();
    await live.start();
    await live.watcher.ready();
    await waitFor(model, () => model.allJobs().length > 0, 'the job shown');
    await model.refresh();
    await model.settled();
    assert.deepEqual(
      model.allJobs().map((j) => j.id),
      [id],
    );
    assert.deepEqual(model.folders[0].warnings, []);
    for (const f of extras()) assert.ok(await fs.stat(f), `${f} is still there`);
  });

  test('the guardian does not write while a lock-aware companion holds its lock, and does once it is free', async () => {
    await plant();
    // A running job dropped from the index (its own process is gone long ago is not the point here:
    // a finished job with room in the index is put back as well).
    const lost = record('task-mwv2a004-dropped');
    await writeJob(sb.stateDir, lost);
    await live.start();
    await live.watcher.ready();
    await model.settled();
    guardian = new Guardian({ model, table: createProcessTable(), settleMs: 100 });
    guardian.start();
    await new Promise((r) => setTimeout(r, 1500));
    await guardian.idle();
    assert.equal(guardian.counts.writes, 0, 'nothing written under a held .state.lock');
    const index = async () =>
      (await fs.readFile(path.join(sb.stateDir, 'state.json'), 'utf8')).includes(lost.id as string);
    assert.equal(await index(), false);
    // The companion releases its lock (it removes its own lock dirs; we never do).
    await fs.rm(path.join(sb.stateDir, '.state.lock'), { recursive: true });
    await fs.rm(path.join(sb.stateDir, '.state.lock.candidate-a1b2c3'), { recursive: true });
    await model.refresh();
    const end = Date.now() + 20_000;
    while (!(await index()) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.ok(await index(), 'put back once the lock is free');
    for (const f of [extras()[0], extras()[3], extras()[4]]) assert.ok(await fs.stat(f), `${f} is still there`);
  });
});

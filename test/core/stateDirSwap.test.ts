// A state dir swapped for a link to a decoy after the first look: no later read goes through it.
// The hostile suite races this with a shell loop; here the swap happens between two steps, so every
// path that reads a state dir's files after its first look (the model's re-read of changed files,
// log inference, the archive's copy and openLogEarly, the log view) is made to meet it, every time.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import { JobArchive } from '../../src/core/archive/archive';
import { planJobLog, readParts } from '../../src/core/archive/jobLog';
import { LogCatcher, type OpenedLog } from '../../src/core/state/logCatcher';
import type { JobsModel } from '../../src/core/model/model';
import { ProcessGroup } from '../fixtures/spawn';
import { armOutside, outsideDiff, fingerprint } from '../hostile/harness';
import { modelFor, record, sandbox, writeIndex, writeJob, type Sandbox } from './helpers';

const SECRET = 'DECOY-SECRET-51c2';
const ID = 'task-swap01-aaaaaa';
const LOGS = path.resolve(__dirname, '../../../test/fixtures/companion-logs');

describe('a state dir swapped for a link to a decoy after the first look', () => {
  const procs = new ProcessGroup();
  let sb: Sandbox;
  let model: JobsModel;
  let archive: JobArchive;
  let decoy: string;

  before(async () => {
    sb = await sandbox('swap ws');
    const pid = await procs.deadPid();
    // Running, its process gone, its log ending with the companion's completion: inferred from the log.
    const rec = record(ID, { status: 'running', pid, completedAt: undefined });
    await writeJob(sb.stateDir, rec, readFileSync(path.join(LOGS, 'task.ok.log'), 'utf8'));
    await writeIndex(sb.stateDir, [{ id: ID, status: 'running', kind: 'task' }]);
    decoy = path.join(sb.tmp, 'outside', 'fakestate');
    const secretLog = `[${new Date().toISOString()}] ${SECRET}\n[${new Date().toISOString()}] Final output\n${SECRET}\n`;
    await writeJob(decoy, { ...rec, title: SECRET, status: 'completed' }, secretLog);
    await writeJob(decoy, record('task-decoy1-bbbbbb', { title: SECRET }), secretLog);
    await writeIndex(decoy, [{ id: ID, status: 'completed', kind: 'task', title: SECRET }]);
    await fs.writeFile(path.join(decoy, 'broker.json'), JSON.stringify({ endpoint: SECRET, pid: 1 }));
    archive = new JobArchive(path.join(sb.tmp, 'archive'));
    model = modelFor(sb, {}, undefined, archive);
    await model.refresh();
    await model.settled();
  });

  after(async () => {
    model.dispose();
    await archive.dispose();
    await sb.cleanup();
  });

  test('nothing in the decoy is read, and nothing of it is shown', async () => {
    const job = model.findJob(sb.stateDir, ID);
    assert.equal(job?.status, 'completed', 'inferred from the log on the first look');
    assert.ok(job.flags.includes('inferred-from-log'));

    await fs.rename(sb.stateDir, `${sb.stateDir}.real`);
    await fs.symlink(decoy, sb.stateDir);
    await armOutside(path.dirname(decoy));
    const before = await fingerprint(path.dirname(decoy));

    // Everything a watcher event names: the index, the broker file, the job and a job never seen.
    const jobs = new Set([ID, 'task-decoy1-bbbbbb']);
    await model.applyBatch({
      dirs: new Map([[sb.stateDir, { index: true, broker: true, jobs, rescan: true }]]),
      layout: false,
    });
    await model.settled();
    await archive.openLogEarly(sb.stateDir, ID);
    const after = model.findJob(sb.stateDir, ID) ?? job;
    const shown: string[] = [];
    for await (const b of readParts((await planJobLog(model.logSource(after))).parts)) shown.push(b.toString());
    await model.refresh();
    await model.settled();

    const { diff } = await outsideDiff(path.dirname(decoy), before);
    assert.deepEqual(diff, [], 'the decoy was not read, listed or written');
    const all = JSON.stringify(model.folders) + shown.join('');
    assert.ok(!all.includes(SECRET), 'nothing of the decoy is shown');
  });

  test(
    'the log catcher opens a new log in the state dir it watched, never in the decoy',
    { skip: !LogCatcher.supported },
    async () => {
      const caught: OpenedLog[] = [];
      let wake = () => {};
      const catcher = new LogCatcher((log) => (caught.push(log), wake()));
      try {
        // Watched while real; then swapped (the test before left it swapped: put it back first).
        if ((await fs.lstat(sb.stateDir)).isSymbolicLink()) {
          await fs.rm(sb.stateDir);
          await fs.rename(`${sb.stateDir}.real`, sb.stateDir);
        }
        catcher.watch(sb.stateDir);
        await catcher.whenArmed(sb.stateDir);
        await fs.rename(sb.stateDir, `${sb.stateDir}.real`);
        await fs.symlink(decoy, sb.stateDir);
        const name = 'task-swap02-cccccc.log';
        await fs.writeFile(path.join(decoy, 'jobs', name), `${SECRET}\n`);
        await armOutside(path.dirname(decoy));
        // A new log in the directory watched (now under its new name): the catcher's event names it.
        await fs.writeFile(path.join(`${sb.stateDir}.real`, 'jobs', name), 'the real log\n');
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('no log caught')), 10_000);
          wake = () => (clearTimeout(t), resolve());
          if (caught.length) wake();
        });
        const buf = Buffer.alloc(64);
        const { bytesRead } = await caught[0].fh.read(buf, 0, 64, 0);
        assert.equal(buf.subarray(0, bytesRead).toString(), 'the real log\n', 'the file caught is the real one');
      } finally {
        await catcher.dispose();
        for (const c of caught) await c.fh.close().catch(() => undefined);
      }
    },
  );
});

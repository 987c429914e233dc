// Repairs: minimal changes under both locks, unknown fields kept, and a concurrent unlocked writer's
// jobs never dropped by our writes.
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { JobArchive } from '../../src/core/archive/archive';
import { markStaleFailed, restoreRecord, restoreToIndex, syncIndexEntry } from '../../src/core/actions/repair';
import { blocksStop, stopHookBlock } from '../../src/core/vocab/stopHook';
import { createProcessTable } from '../../src/core/os/processes';
import type { JobsModel } from '../../src/core/model/model';
import { FAKE_COMPANION, ProcessGroup } from '../fixtures/spawn';
import { modelFor, record, sandbox, writeIndex, writeJob, type Sandbox } from './helpers';

const table = createProcessTable();

describe('repairs', () => {
  let sb: Sandbox;
  let model: JobsModel;
  let archive: JobArchive;
  const procs = new ProcessGroup();

  beforeEach(async () => {
    sb = await sandbox();
    archive = new JobArchive(path.join(sb.tmp, 'archive'));
  });
  afterEach(async () => {
    model?.dispose();
    await archive.dispose();
    await procs.stopAll();
    await sb.cleanup();
  });

  const load = async () => {
    model = modelFor(sb);
    await model.refresh();
  };
  const job = (id: string) => model.findJob(sb.stateDir, id)!;
  const state = async () => JSON.parse(await fs.readFile(path.join(sb.stateDir, 'state.json'), 'utf8'));

  test('Restore Job to Index adds only that entry; config and unknown fields are kept; the files are archived first', async () => {
    const id = 'task-mwu3a001-rest01';
    await writeJob(sb.stateDir, record(id, { rendered: 'out\n' }));
    await writeJob(sb.stateDir, record('task-mwu3a002-keep02'));
    await fs.writeFile(
      path.join(sb.stateDir, 'state.json'),
      JSON.stringify(
        {
          version: 1,
          config: { stopReviewGate: true, futureOption: [1, 2] },
          extraTop: 'kept',
          jobs: [{ ...record('task-mwu3a002-keep02'), updatedAt: '2026-01-01T00:00:00.000Z', futureField: 'x' }],
        },
        null,
        2,
      ),
    );
    await load();
    assert.ok(job(id).flags.includes('unindexed'));
    const r = await restoreToIndex(job(id), { table, archive });
    assert.ok(r.ok, r.message);
    const s = await state();
    assert.deepEqual(s.config, { stopReviewGate: true, futureOption: [1, 2] });
    assert.equal(s.extraTop, 'kept');
    assert.equal(s.jobs.find((e: { id: string }) => e.id === 'task-mwu3a002-keep02').futureField, 'x');
    assert.deepEqual(s.jobs.map((e: { id: string }) => e.id).sort(), [id, 'task-mwu3a002-keep02'].sort());
    assert.equal(archive.get(sb.stateDir, id)?.record?.id, id);
    assert.equal(
      archive.get(sb.stateDir, id)?.logBytes,
      (await fs.stat(path.join(sb.stateDir, 'jobs', `${id}.log`))).size,
    );
    assert.equal(archive.gone(sb.stateDir).length, 0, 'archiving one job first judges no other job gone');
    await assert.rejects(fs.stat(path.join(sb.stateDir, 'state.json.lock')), 'both locks are released');
    await assert.rejects(fs.stat(path.join(sb.stateDir, 'launch.lock')));
  });

  test('Restore Record writes the archived record and log back, and never over a record that reappeared', async () => {
    const id = 'task-mwu3b001-recd01';
    await writeJob(sb.stateDir, record(id, { rendered: 'kept result\n' }), 'line one\nline two\n');
    await writeIndex(sb.stateDir, [record(id)]);
    await load();
    await archive.observe(sb.stateDir, [job(id)], 1);
    await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.json`));
    await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.log`));
    await model.refresh();
    assert.ok(job(id).flags.includes('record-missing'));
    const r = await restoreRecord(job(id), { table, archive });
    assert.ok(r.ok, r.message);
    const back = JSON.parse(await fs.readFile(path.join(sb.stateDir, 'jobs', `${id}.json`), 'utf8'));
    assert.equal(back.rendered, 'kept result\n');
    assert.equal(await fs.readFile(path.join(sb.stateDir, 'jobs', `${id}.log`), 'utf8'), 'line one\nline two\n');
    const again = await restoreRecord(job(id), { table, archive });
    assert.equal(again.ok, false);
    assert.match(again.message, /has a record again/);
  });

  test('a job a concurrent writer deleted entirely comes back: record from the archive, then into the index', async () => {
    const id = 'task-mwu3b002-gone02';
    await writeJob(sb.stateDir, record(id, { rendered: 'the review\n' }), 'all of it\n');
    await writeIndex(sb.stateDir, [record(id)]);
    // The model archives in the background, as in the extension.
    model = modelFor(sb, {}, table, archive);
    await model.refresh();
    await archive.flush();
    await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.json`));
    await fs.rm(path.join(sb.stateDir, 'jobs', `${id}.log`));
    await writeIndex(sb.stateDir, []);
    await model.refresh();
    await archive.flush();
    await model.refresh();
    const gone = job(id);
    assert.ok(gone.flags.includes('deleted-by-concurrent-writer'), gone.flags.join(' '));
    assert.ok((await restoreRecord(gone, { table, archive })).ok);
    const restored = () => (archive.get(sb.stateDir, id)?.history ?? []).filter((h) => h.what === 'restored').length;
    assert.equal(restored(), 1, 'the record written back is in its story');
    await model.refresh();
    assert.ok(job(id).flags.includes('unindexed'), job(id).flags.join(' '));
    assert.ok((await restoreToIndex(job(id), { table, archive })).ok);
    assert.equal(restored(), 2, 'and so is its index entry');
    await model.settled();
    await model.refresh();
    assert.deepEqual(job(id).flags, []);
    assert.equal(job(id).display.rendered, 'the review\n');
    const story = (job(id).history ?? []).map((h) => h.what);
    assert.deepEqual(
      story.filter((w) => w === 'deleted' || w === 'restored'),
      ['deleted', 'restored', 'restored'],
      story.join(' '),
    );
  });

  test('an unsafe job id is refused before any path is made from it', async () => {
    const evil = { ...record('x'), id: '../../outside' };
    for (const fn of [restoreToIndex, restoreRecord, markStaleFailed]) {
      const r = await fn(
        { id: '../../outside', stateDir: sb.stateDir, record: { raw: evil }, display: {}, flags: [] } as never,
        { table, archive },
      );
      assert.equal(r.ok, false);
      assert.match(r.message, /unsafe job id/);
    }
    await assert.rejects(fs.stat(path.join(sb.stateDir, 'state.json')));
  });

  test('Mark as Failed on a job whose log is a FIFO or a link: refused at once, nothing written, locks free', async () => {
    const id = 'task-mwu3c009-fifo09';
    const dead = await procs.deadPid();
    const rec = record(id, { status: 'running', phase: 'editing', pid: dead, completedAt: undefined });
    await writeJob(sb.stateDir, rec);
    await writeIndex(sb.stateDir, [rec]);
    const log = path.join(sb.stateDir, 'jobs', `${id}.log`);
    const outside = path.join(sb.tmp, 'outside.log');
    await fs.writeFile(outside, 'outside\n');
    for (const make of [() => execFileSync('mkfifo', [log]), () => fs.symlink(outside, log)]) {
      await fs.rm(log, { force: true });
      await make();
      const before = await fs.readFile(path.join(sb.stateDir, 'state.json'), 'utf8');
      await load();
      const r = await markStaleFailed(job(id), { table });
      assert.equal(r.ok, false);
      assert.match(r.message, /(not a regular file \(FIFO\)|symbolic link); nothing was changed/);
      assert.equal(await fs.readFile(path.join(sb.stateDir, 'state.json'), 'utf8'), before);
      assert.equal(await fs.readFile(outside, 'utf8'), 'outside\n');
      await assert.rejects(fs.stat(path.join(sb.stateDir, 'launch.lock')));
      await assert.rejects(fs.stat(path.join(sb.stateDir, 'state.json.lock')));
    }
  });

  test('Mark Stale Job as Failed: index, record and log; refused while the process lives', async () => {
    const id = 'task-mwu3c001-stal01';
    const dead = await procs.deadPid();
    const rec = record(id, { status: 'running', phase: 'editing', pid: dead, completedAt: undefined });
    await writeJob(sb.stateDir, rec);
    await writeIndex(sb.stateDir, [rec]);
    await load();
    assert.equal(job(id).status, 'stale');
    const r = await markStaleFailed(job(id), { table });
    assert.ok(r.ok, r.message);
    const entry = (await state()).jobs[0];
    assert.equal(entry.status, 'failed');
    assert.equal(entry.pid, null);
    assert.match(entry.errorMessage, /was gone; marked failed/);
    const recBack = JSON.parse(await fs.readFile(path.join(sb.stateDir, 'jobs', `${id}.json`), 'utf8'));
    assert.equal(recBack.status, 'failed');
    assert.match(await fs.readFile(path.join(sb.stateDir, 'jobs', `${id}.log`), 'utf8'), /marked failed by Codex Jobs/);

    const liveId = 'task-mwu3c002-live02';
    const livePid = await procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', sb.workspace, '--job-id', liveId],
      { waitReady: true },
    );
    const liveRec = record(liveId, {
      status: 'running',
      phase: 'editing',
      pid: livePid,
      completedAt: undefined,
      createdAt: new Date(Date.now() - 60_000).toISOString(),
    });
    await writeJob(sb.stateDir, liveRec);
    await model.refresh();
    assert.equal(job(liveId).status, 'running');
    // Whatever the tree showed when the user clicked, the process is checked again under the locks.
    const stale = { ...job(liveId), status: 'stale' as const };
    const refused = await markStaleFailed(stale, { table });
    assert.equal(refused.ok, false);
    assert.match(refused.message, /not stale now/);
    assert.equal(
      JSON.parse(await fs.readFile(path.join(sb.stateDir, 'jobs', `${liveId}.json`), 'utf8')).status,
      'running',
    );
  });

  test('repairs never drop the jobs of a concurrent unlocked writer', async (t) => {
    const ids = Array.from(
      { length: 12 },
      (_, i) => `task-mwu3d${String(i).padStart(3, '0')}-race${String(i).padStart(2, '0')}`,
    );
    const dead = await procs.deadPid();
    for (const id of ids)
      await writeJob(sb.stateDir, record(id, { status: 'running', pid: dead, completedAt: undefined }));
    await writeIndex(
      sb.stateDir,
      ids.map((id) => record(id, { status: 'running', pid: dead, completedAt: undefined })),
    );
    const lost = ids.slice(0, 6).map((id) => id.replace('race', 'lost'));
    for (const id of lost) await writeJob(sb.stateDir, record(id));
    await load();
    // The other writer: the companion's unlocked load-mutate-write, 40 times, adding one job each time.
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `
      const fs = require('fs'); const f = ${JSON.stringify(path.join(sb.stateDir, 'state.json'))};
      let n = 0; const tick = () => {
        let s; try { s = JSON.parse(fs.readFileSync(f, 'utf8')); } catch { return setTimeout(tick, 2); }
        const t0 = Date.now(); while (Date.now() - t0 < 3) {}
        s.jobs.unshift({ id: 'writer-job-' + n, status: 'completed', updatedAt: new Date().toISOString() });
        fs.writeFileSync(f, JSON.stringify(s, null, 2) + '\\n');
        if (++n < 40) setTimeout(tick, 15); };
      tick();`,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((r) => writer.once('exit', r));
    let repaired = 0;
    let restored = 0;
    const refusals: string[] = [];
    for (const [i, id] of ids.entries()) {
      const m = await markStaleFailed(job(id), { table });
      if (m.ok) repaired++;
      else refusals.push(`${id}: ${m.message}`);
      const r = lost[i] ? await restoreToIndex(job(lost[i]), { table, archive }) : undefined;
      if (r?.ok) restored++;
      else if (r) refusals.push(`${lost[i]}: ${r.message}`);
    }
    await exited;
    const s = await state();
    const writerJobs = s.jobs.filter((e: { id: string }) => e.id.startsWith('writer-job-')).length;
    const stillFailed = s.jobs.filter(
      (e: { id: string; status: string }) => ids.includes(e.id) && e.status === 'failed',
    ).length;
    const restoredKept = s.jobs.filter((e: { id: string }) => lost.includes(e.id)).length;
    t.diagnostic(
      `writer jobs kept: ${writerJobs}/40; marked failed: ${repaired}/12 (${stillFailed} still failed after the writer's own unlocked writes); restored: ${restored}/6 (${restoredKept} still indexed)`,
    );
    assert.equal(writerJobs, 40, "none of the other writer's jobs was dropped");
    assert.equal(repaired, 12, refusals.join('\n'));
    assert.equal(restored, 6, refusals.join('\n'));
  });
  test("Update Index Entry from Record: a finished record's status and times into every entry with its id", async () => {
    const id = 'task-mwu3s001-sync01';
    const dead = await procs.deadPid();
    const t0 = Date.now() - 60_000;
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const running = record(id, {
      status: 'running',
      phase: 'editing',
      pid: dead,
      completedAt: undefined,
      updatedAt: at(0),
    });
    const finished = record(id, {
      status: 'completed',
      phase: 'done',
      pid: null,
      completedAt: at(5000),
      rendered: 'ok\n',
    });
    await writeJob(sb.stateDir, finished);
    const other = record('task-mwu3s002-othr02', { updatedAt: at(9000), futureField: 'kept' });
    await writeIndex(sb.stateDir, [other, running, { ...running, sessionId: 'sess-2' }]);
    await load();
    assert.deepEqual(stopHookBlock(job(id)), { why: 'record-finished', clears: 'sync-index' });
    const r = await syncIndexEntry(job(id), { table, archive });
    assert.ok(r.ok, r.message);
    const s = await state();
    const mine = s.jobs.filter((e: { id: string }) => e.id === id);
    assert.equal(mine.length, 2, 'both entries are kept');
    for (const e of mine) {
      assert.equal(e.status, 'completed');
      assert.equal(e.phase, 'done');
      assert.equal(e.pid, null);
      assert.equal(e.completedAt, at(5000));
    }
    assert.equal(mine[1].sessionId, 'sess-2', 'nothing else changes');
    assert.deepEqual(s.jobs[0], other);
    assert.equal(archive.get(sb.stateDir, id)?.history.at(-1)?.what, 'restored', 'noted in its history');
    await load();
    assert.equal(blocksStop(job(id)), false);
    // Nothing to copy a second time, and nothing for a record that does not say it finished.
    const again = await syncIndexEntry(job(id), { table, archive });
    assert.ok(again.ok, again.message);
    const stale = record('task-mwu3s003-stal03', { status: 'running', pid: dead, completedAt: undefined });
    await writeJob(sb.stateDir, stale);
    await writeIndex(sb.stateDir, [stale]);
    await load();
    const no = await syncIndexEntry(job('task-mwu3s003-stal03'), { table, archive });
    assert.equal(no.ok, false);
    assert.match(no.message, /no record that says it finished/);
  });

  test('Update Index Entry from Record refuses a record changed since it was shown, and a state.json that is a link', async () => {
    const id = 'task-mwu3s004-chng04';
    const dead = await procs.deadPid();
    const running = record(id, { status: 'running', pid: dead, completedAt: undefined });
    await writeJob(sb.stateDir, record(id, { status: 'completed' }));
    await writeIndex(sb.stateDir, [running]);
    await load();
    const shown = job(id);
    await writeJob(sb.stateDir, record(id, { status: 'failed', errorMessage: 'later' }));
    const before = await fs.readFile(path.join(sb.stateDir, 'state.json'), 'utf8');
    const r = await syncIndexEntry(shown, { table, archive });
    assert.equal(r.ok, false);
    assert.match(r.message, /changed since it was shown/);
    assert.equal(await fs.readFile(path.join(sb.stateDir, 'state.json'), 'utf8'), before);

    await load();
    const outside = path.join(sb.tmp, 'outside.json');
    await fs.writeFile(outside, before);
    await fs.rm(path.join(sb.stateDir, 'state.json'));
    await fs.symlink(outside, path.join(sb.stateDir, 'state.json'));
    const l = await syncIndexEntry(job(id), { table, archive });
    assert.equal(l.ok, false);
    assert.match(l.message, /symbolic link; nothing was changed/);
    assert.equal(await fs.readFile(outside, 'utf8'), before);
  });
});

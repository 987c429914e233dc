// The model end to end: a state dir with one job of every status and flag, real processes behind it.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as path from 'path';
import { EXPECTED, SCENARIO_IDS, writeScenario, type ScenarioKey } from '../fixtures/scenario';
import { FAKE_COMPANION, ProcessGroup, startScenarioProcesses } from '../fixtures/spawn';
import { modelFor, record, sandbox, writeIndex, writeJob, type Sandbox } from './helpers';
import { countJobs } from '../../src/core/vocab/classify';
import type { JobsModel } from '../../src/core/model/model';
import type { ProcessTable } from '../../src/core/vocab/types';
import { createProcessTable } from '../../src/core/os/processes';
import { JobArchive } from '../../src/core/archive/archive';
import { freezing } from '../../src/core/vocab/freeze';

async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await fs.readdir(dir, { recursive: true })) as string[]) {
    const st = await fs.stat(path.join(dir, name));
    out.push(`${name} ${st.size} ${st.mtimeMs}`);
  }
  return out.sort();
}

describe('model over a scenario state dir', () => {
  const procs = new ProcessGroup();
  let sb: Sandbox;
  let model: JobsModel;
  let pids: Record<string, number>;
  let inspectCalls = 0;

  before(async () => {
    sb = await sandbox('scenario ws');
    const started = await startScenarioProcesses(procs, sb.workspace, SCENARIO_IDS);
    pids = started;
    await writeScenario(sb.stateDir, sb.workspace, started);
    const real = createProcessTable();
    const counting: ProcessTable = {
      inspect: (p) => {
        inspectCalls++;
        return real.inspect(p);
      },
      list: () => real.list(),
    };
    model = modelFor(sb, {}, counting);
  });

  after(async () => {
    model.dispose();
    await procs.stopAll();
    await sb.cleanup();
  });

  test('every job gets the status and flags it should', async () => {
    await model.refresh();
    for (const key of Object.keys(SCENARIO_IDS) as ScenarioKey[]) {
      const job = model.findJob(sb.stateDir, SCENARIO_IDS[key]);
      assert.ok(job, `${key} is known`);
      assert.equal(job.status, EXPECTED[key].status, `${key}: ${job.verification?.detail ?? ''}`);
      for (const f of EXPECTED[key].flags)
        assert.ok(job.flags.includes(f as never), `${key} has flag ${f}: ${job.flags}`);
    }
    assert.equal(model.allJobs().length, Object.keys(SCENARIO_IDS).length);
    assert.deepEqual(countJobs(model.allJobs()), { total: 12, running: 2, queued: 1, attention: 5 });
  });

  test('one process-table batch per refresh', async () => {
    inspectCalls = 0;
    await model.refresh();
    assert.equal(inspectCalls, 1);
  });

  test('the pid-reuse case names what the pid really is', async () => {
    const job = model.findJob(sb.stateDir, SCENARIO_IDS.pidReused)!;
    assert.equal(job.verification?.outcome, 'reused');
    assert.equal(job.verification?.pid, pids.decoy);
    assert.match(job.verification!.detail, /sleep 600/);
  });

  test('bad input becomes warnings, and the rest is still read', () => {
    const messages = model.folders[0].warnings.map((w) => w.message).join('\n');
    assert.match(messages, /"\.\.\/escape" is not a plain file name/);
    assert.match(messages, /task-mwu0a013-bad013\.json is not valid JSON/);
  });

  test('the model never writes to the state dir', async () => {
    const before = await listing(sb.stateDir);
    await model.refresh();
    await model.reverify();
    assert.deepEqual(await listing(sb.stateDir), before);
  });

  test('a worker killed with SIGKILL turns stale on the next re-verification', async () => {
    const changes: string[] = [];
    const sub = model.onDidChange((e) => e.transitions?.forEach((t) => changes.push(`${t.job.id}:${t.from}->${t.to}`)));
    await procs.stop(pids.running, 'SIGKILL');
    await model.reverify();
    sub.dispose();
    assert.equal(model.findJob(sb.stateDir, SCENARIO_IDS.running)?.status, 'stale');
    assert.deepEqual(changes, [`${SCENARIO_IDS.running}:running->stale`]);
  });

  test('a Refresh that reads a failure first still reports its transition (its notification is not lost)', async () => {
    const id = SCENARIO_IDS.queued;
    assert.equal(model.findJob(sb.stateDir, id)?.status, 'queued');
    const recordFile = path.join(sb.stateDir, 'jobs', `${id}.json`);
    const rec = JSON.parse(await fs.readFile(recordFile, 'utf8')) as Record<string, unknown>;
    const failed = { status: 'failed', phase: 'failed', pid: null, completedAt: new Date().toISOString() };
    await fs.writeFile(recordFile, JSON.stringify({ ...rec, ...failed, errorMessage: 'Not logged in.' }));
    const statePath = path.join(sb.stateDir, 'state.json');
    const state = JSON.parse(await fs.readFile(statePath, 'utf8')) as { jobs: Record<string, unknown>[] };
    state.jobs = state.jobs.map((e) => (e.id === id ? { ...e, ...failed } : e));
    await fs.writeFile(statePath, JSON.stringify(state));
    const changes: string[] = [];
    const sub = model.onDidChange((e) => e.transitions?.forEach((t) => changes.push(`${t.job.id}:${t.from}->${t.to}`)));
    await model.refresh();
    sub.dispose();
    assert.equal(model.findJob(sb.stateDir, id)?.status, 'failed');
    assert.deepEqual(changes, [`${id}:queued->failed`]);
  });
});

describe('a batch that names only logs', () => {
  let sb: Sandbox;
  let model: JobsModel;
  const [a, b, c] = ['task-line01-aaaaaa', 'task-line02-bbbbbb', 'task-line03-cccccc'];
  const logs = (id: string) => path.join(sb.stateDir, 'jobs', `${id}.log`);
  const apply = (ids: string[], records: string[] = []) =>
    model.applyBatch({
      dirs: new Map([
        [sb.stateDir, { index: false, broker: false, jobs: new Set(ids), records: new Set(records), rescan: false }],
      ]),
      layout: false,
    });
  const job = (id: string) => model.findJob(sb.stateDir, id);

  before(async () => {
    sb = await sandbox('lines ws');
    for (const id of [a, b]) await writeJob(sb.stateDir, record(id));
    await writeIndex(sb.stateDir, [record(a), record(b)]);
    model = modelFor(sb);
    await model.refresh();
  });
  after(async () => {
    model.dispose();
    await sb.cleanup();
  });

  test('a line makes its job again with the new progress; every other job is the object shown', async () => {
    const other = job(b);
    await fs.appendFile(logs(a), `[${new Date().toISOString()}] Running command: npm test\n`);
    await apply([a]);
    assert.equal(job(a)?.log.progress.at(-1)?.text, 'Running command: npm test');
    assert.equal(job(a)?.log.size, (await fs.stat(logs(a))).size);
    assert.equal(job(b), other, 'the same object');
  });

  test('a log deleted, a log of a job never seen, a record changed with its log: each read as a whole', async () => {
    await fs.rm(logs(a));
    await apply([a]);
    assert.ok(job(a)?.flags.includes('log-missing'), `${job(a)?.flags}`);
    await fs.writeFile(logs(c), `[${new Date().toISOString()}] Starting Codex task.\n`);
    await apply([c]);
    assert.ok(job(c)?.flags.includes('log-only'), `${job(c)?.flags}`);
    await writeJob(sb.stateDir, record(b, { status: 'failed', errorMessage: 'boom' }), 'the end\n');
    await apply([b], [b]);
    assert.equal(job(b)?.status, 'failed');
  });
});

describe('what the model hands out is never changed afterwards', () => {
  let sb: Sandbox;
  let model: JobsModel;
  let archive: JobArchive;
  const procs = new ProcessGroup();

  before(async () => {
    sb = await sandbox('immutable ws');
    archive = new JobArchive(path.join(sb.tmp, 'archive'));
    const worker = await procs.start(process.execPath, [FAKE_COMPANION, 'task-worker', '--job-id', 'task-run-1'], {
      waitReady: true,
    });
    await writeJob(sb.stateDir, record('task-done-1'));
    await writeJob(sb.stateDir, record('task-run-1', { status: 'running', completedAt: null, pid: worker }));
    // Known to the index only (its record never written): a partial re-read of the index names it.
    await writeIndex(sb.stateDir, [
      { id: 'task-done-1', status: 'completed' },
      { id: 'task-run-1', status: 'running', pid: worker },
      { id: 'task-idx-1', status: 'completed' },
    ]);
    model = modelFor(sb, {}, createProcessTable(), archive);
  });

  after(async () => {
    model.dispose();
    await archive.dispose();
    await procs.stopAll();
    await sb.cleanup();
  });

  test('two reads of an unchanged state dir: the first stays as it was, and is frozen when freezing is on', async () => {
    await model.refresh();
    await model.settled();
    const first = model.folders;
    const copy = structuredClone(first);
    assert.equal(first[0].jobs.length, 3);
    // Every way the model updates, with nothing changed on disk: a full read, a batch of file
    // events (index, records, logs), a re-verification, and what the archive copied.
    const change = {
      index: true,
      broker: true,
      jobs: new Set(['task-run-1']),
      records: new Set(['task-run-1']),
      rescan: false,
    };
    const named = [...change.jobs];
    await model.applyBatch({ dirs: new Map([[sb.stateDir, change]]), layout: false });
    await model.reverify();
    await model.refresh();
    await model.settled();
    assert.deepEqual(first, copy, 'what was handed out first is unchanged');
    assert.deepEqual([...change.jobs], named, 'the batch handed in is unchanged');
    if (freezing) {
      const job = first[0].jobs[0];
      assert.ok(Object.isFrozen(first) && Object.isFrozen(first[0]), 'the folder states are frozen');
      assert.ok(Object.isFrozen(first[0].snapshots[0]) && Object.isFrozen(job) && Object.isFrozen(job.display));
      assert.ok(Object.isFrozen(model.folders[0].jobs), 'and so is what the model shows now');
    }
  });
});

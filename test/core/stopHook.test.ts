// "Blocks stop" is what the companion's Stop hook says. Every fixture of stopHookFixtures.ts is asked
// of stopHook.ts and compared with what the real hook said (test/golden/stop-hook-verdicts.json).
// CODEX_JOBS_REAL_PLUGIN=<the plugin's scripts dir> also runs the real hook live and compares;
// with UPDATE_GOLDEN=1 as well, the golden file is written from the real hook.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  askUntilQuiet,
  HOOK_FIXTURES,
  layOut,
  ourHook,
  realHook,
  runKey,
  type HookSays,
} from '../fixtures/stopHookFixtures';
import { blocksStop, stopHookBlock, stopHookMarks, stopHookVerdict, stopHookView } from '../../src/core/vocab/stopHook';
import { loadStateDir } from '../../src/core/state/snapshot';
import { DEFAULT_SETTINGS, type DerivedStatus, type Job } from '../../src/core/vocab/types';
import { jobOf } from './featureHelpers';
import { modelFor, record, sandbox, writeIndex, writeJob } from './helpers';

const repo = path.resolve(__dirname, '..', '..', '..');
const GOLDEN = path.join(repo, 'test', 'golden', 'stop-hook-verdicts.json');
const REAL = process.env.CODEX_JOBS_REAL_PLUGIN;

type Golden = Record<string, Record<string, HookSays[]>>;

async function tmp(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'cj-stophook-'));
}

async function askAll(hook: typeof ourHook): Promise<Golden> {
  const out: Golden = {};
  const base = await tmp();
  try {
    for (const [i, f] of HOOK_FIXTURES.entries()) {
      const d = await layOut(path.join(base, String(i)), f);
      out[f.name] = {};
      for (const run of f.runs) out[f.name][runKey(run)] = await askUntilQuiet(hook, d, f, run);
    }
  } finally {
    await fs.rm(base, { recursive: true, force: true });
  }
  return out;
}

test('stopHook.ts says what the real Stop hook said on every fixture (golden)', async () => {
  const golden = JSON.parse(await fs.readFile(GOLDEN, 'utf8')) as Golden;
  const ours = await askAll(ourHook);
  assert.deepEqual(Object.keys(golden).sort(), HOOK_FIXTURES.map((f) => f.name).sort(), 'a fixture without a golden');
  for (const f of HOOK_FIXTURES)
    for (const run of f.runs)
      assert.deepEqual(ours[f.name][runKey(run)], golden[f.name][runKey(run)], `${f.name}, ${runKey(run)}`);
});

test(
  'the real Stop hook, run live, agrees with stopHook.ts',
  { skip: !REAL && 'CODEX_JOBS_REAL_PLUGIN not set' },
  async () => {
    const real = await askAll(realHook(REAL!));
    if (process.env.UPDATE_GOLDEN === '1') await fs.writeFile(GOLDEN, `${JSON.stringify(real, null, 2)}\n`);
    const ours = await askAll(ourHook);
    for (const f of HOOK_FIXTURES)
      for (const run of f.runs)
        assert.deepEqual(ours[f.name][runKey(run)], real[f.name][runKey(run)], `${f.name}, ${runKey(run)}`);
  },
);

test('the jobs a run says are still running are the ids it names one after another', () => {
  for (const f of HOOK_FIXTURES) {
    if (!f.jobs) continue;
    for (const run of f.runs) {
      const v = stopHookVerdict(f.jobs, run.session);
      if (v.fails) continue;
      const ids = [...new Set(v.nagging.map((at) => String((f.jobs![at] as { id: unknown }).id)))];
      assert.equal(ids[0], v.namedId, `${f.name}: the named one leads`);
      assert.equal(v.names, v.nagging[0], f.name);
    }
  }
});

const entry = (id: unknown, status: string, m: number, extra: Record<string, unknown> = {}) => ({
  id,
  status,
  updatedAt: new Date(Date.parse('2026-12-01T10:00:00Z') + m * 60_000).toISOString(),
  ...extra,
});

test('marks: per session, who is named, who is behind whom, and a run that throws', () => {
  const view = stopHookView([
    entry('task-new', 'queued', 5, { sessionId: 's2' }),
    entry('task-done', 'completed', 4, { sessionId: 's1' }),
    entry('task-live', 'running', 3, { sessionId: 's1' }),
    entry('task-stale', 'running', 1, { sessionId: 's1' }),
    entry('task-lone', 'running', 0),
  ]);
  assert.deepEqual(
    view.runs.map((r) => [r.session, r.namedId]),
    [
      [null, 'task-new'],
      ['s2', 'task-new'],
      ['s1', 'task-live'],
    ],
  );
  const m = (id: string) => view.marks.get(id)!;
  assert.deepEqual(m('task-new'), { nags: true, namedIn: [null, 's2'], session: 's2' });
  assert.deepEqual(m('task-stale'), { nags: true, namedIn: [], session: 's1', behind: 'task-live' });
  assert.deepEqual(m('task-done'), { nags: false, namedIn: [], session: 's1', behind: 'task-live' });
  assert.deepEqual(m('task-lone'), { nags: true, namedIn: [], behind: 'task-new' });
  const broken = stopHookView([entry('task-a', 'running', 1), null]);
  assert.ok(broken.runs.every((r) => r.fails && r.nagging.length === 0));
  assert.equal(broken.marks.get('task-a')?.nags, false, 'a hook that throws names nothing');
  assert.equal(stopHookMarks(undefined), undefined);
  assert.equal(stopHookMarks({ jobs: 'x' })?.size, 0);
});

function withMark(job: Job, jobs: unknown[]): Job {
  return { ...job, stopHook: stopHookView(jobs).marks.get(job.id) };
}

test('blocks stop: the index says queued/running and the truth is a gone process or a finished record', () => {
  const rec = (status: string) => ({ id: 'task-a', status, kind: 'task', pid: status === 'running' ? 4242 : null });
  const idx = { id: 'task-a', status: 'running', pid: 4242 };
  const job = (r: string, status: DerivedStatus, index: Record<string, unknown> | null = idx) =>
    jobOf(rec(r), { status, index: index ?? undefined });
  assert.deepEqual(stopHookBlock(job('completed', 'completed')), { why: 'record-finished', clears: 'sync-index' });
  assert.deepEqual(stopHookBlock(job('failed', 'stale')), { why: 'record-finished', clears: 'sync-index' });
  assert.deepEqual(stopHookBlock(job('running', 'stale')), { why: 'process-gone', clears: 'mark-failed' });
  assert.deepEqual(stopHookBlock(job('running', 'pid-reused')), { why: 'process-gone', clears: 'mark-failed' });
  assert.equal(blocksStop(job('running', 'running')), false, 'it really runs: the hook is right');
  assert.equal(blocksStop(job('running', 'unverified')), false, 'cannot tell: no claim');
  assert.equal(blocksStop(job('completed', 'completed', { id: 'task-a', status: 'completed' })), false);
  assert.equal(blocksStop(job('running', 'stale', null)), false, 'not in the index: the hook does not see it');
  // The whole index decides: a duplicate entry running makes it nag though the first says completed.
  const dup = job('completed', 'completed', { id: 'task-a', status: 'completed' });
  assert.equal(blocksStop(withMark(dup, [entry('task-a', 'completed', 2), entry('task-a', 'running', 1)])), true);
  // ...and a hook that throws on the index names nothing at all.
  assert.equal(blocksStop(withMark(job('completed', 'completed'), [entry('task-a', 'running', 1), null])), false);
});

test('a state dir read whole gives each job its mark from the whole index', async () => {
  const base = await tmp();
  try {
    const stateDir = path.join(base, 'state', 'ws-0123456789abcdef');
    await fs.mkdir(path.join(stateDir, 'jobs'), { recursive: true });
    const jobs = [
      entry('task-a', 'completed', 3),
      { status: 'running', updatedAt: 'x' },
      entry('task-a', 'running', 1),
      entry('task-b', 'running', 2, { sessionId: 's1' }),
    ];
    await fs.writeFile(path.join(stateDir, 'state.json'), JSON.stringify({ jobs }));
    const snap = await loadStateDir({ path: path.join(base, 'state'), source: 'setting' }, stateDir, DEFAULT_SETTINGS);
    const a = snap.jobs.find((j) => j.id === 'task-a')!;
    assert.equal(a.index?.status, 'completed', 'the row shows the first entry');
    assert.equal(a.stopHook?.nags, true, 'but the hook also sees the second');
    assert.deepEqual(snap.jobs.find((j) => j.id === 'task-b')?.stopHook, {
      nags: true,
      namedIn: ['s1'],
      session: 's1',
    });
  } finally {
    await fs.rm(base, { recursive: true, force: true });
  }
});

test('the model keeps each mark while the index is not re-read, works it out again when it is, and drops it when it cannot be read', async () => {
  const sb = await sandbox('hook ws');
  const [a, b] = ['task-hook01-aaaaaa', 'task-hook02-bbbbbb'];
  const model = modelFor(sb);
  const apply = (index: boolean, ids: string[] = []) =>
    model.applyBatch({
      dirs: new Map([[sb.stateDir, { index, broker: false, jobs: new Set(ids), rescan: false }]]),
      layout: false,
    });
  const job = (id: string) => model.findJob(sb.stateDir, id)!;
  try {
    await writeJob(sb.stateDir, record(a, { status: 'completed' }));
    await writeJob(sb.stateDir, record(b, { status: 'completed' }));
    await writeIndex(sb.stateDir, [
      record(a, { status: 'running', completedAt: undefined }),
      record(b, { status: 'completed' }),
    ]);
    await model.refresh();
    assert.equal(blocksStop(job(a)), true);
    // A record event alone: the index is as it was, so is the hook's word on it.
    await writeJob(sb.stateDir, record(a, { status: 'completed', rendered: 'again\n' }));
    await apply(false, [a]);
    assert.equal(job(a).record?.rendered, 'again\n');
    assert.equal(blocksStop(job(a)), true);
    // A duplicate entry of b running: b now blocks stop too, though its first entry says completed.
    await writeIndex(sb.stateDir, [
      record(a, { status: 'running', completedAt: undefined }),
      record(b, { status: 'completed' }),
      record(b, { status: 'running', completedAt: undefined }),
    ]);
    await apply(true);
    assert.equal(blocksStop(job(b)), true);
    // state.json swapped for a link: not read, so no claim.
    const outside = path.join(sb.tmp, 'outside.json');
    await fs.copyFile(path.join(sb.stateDir, 'state.json'), outside);
    await fs.rm(path.join(sb.stateDir, 'state.json'));
    await fs.symlink(outside, path.join(sb.stateDir, 'state.json'));
    await apply(true);
    assert.equal(blocksStop(job(a)), false);
    assert.equal(blocksStop(job(b)), false);
  } finally {
    model.dispose();
    await sb.cleanup();
  }
});

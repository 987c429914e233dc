import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import {
  isSafeJobId,
  isValidPid,
  listJobsDir,
  loadPidLimit,
  readLogTail,
  readJobRecord,
  readJsonFile,
  readJsonText,
  readLogPreview,
  readStateFile,
  TORN_RETRY_MS,
} from '../../src/core/io/reader';
import { reconcile } from '../../src/core/state/reconcile';
import type { JobFields } from '../../src/core/vocab/types';

let tmp: string;
const file = (name: string) => path.join(tmp, name);
const write = (name: string, text: string) => fs.writeFile(file(name), text);

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'reader-'));
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

describe('tolerant JSON', () => {
  test('empty and torn files are warnings, not throws', async () => {
    await write('empty.json', '');
    await write('torn.json', '{"jobs":[{"id":"a"');
    const e = await readJsonFile(file('empty.json'), 'record', tmp);
    assert.equal(e.value, undefined);
    assert.match(e.warnings[0].message, /empty/);
    const t = await readJsonFile(file('torn.json'), 'record', tmp);
    assert.match(t.warnings[0].message, /not valid JSON/);
  });

  test('a file caught mid-write is read once it is whole (one retry)', async () => {
    await write('later.json', '');
    setTimeout(() => void write('later.json', '{"version":1,"jobs":[]}'), TORN_RETRY_MS / 3);
    const r = await readJsonFile(file('later.json'), 'record', tmp);
    assert.deepEqual(r.value, { version: 1, jobs: [] });
    assert.deepEqual(r.warnings, []);
  });

  test('the text that parsed comes back only when asked for, and a patient reader outwaits a slower writer', async () => {
    const text = '{"version":1,\n  "jobs":[]}';
    await write('text.json', text);
    assert.equal((await readJsonText(file('text.json'), 2, 'record', tmp)).text, text);
    assert.equal('text' in (await readJsonFile(file('text.json'), 'record', tmp)), false);
    await write('slow.json', '{"version"');
    setTimeout(() => void write('slow.json', text), TORN_RETRY_MS * 2);
    const r = await readJsonText(file('slow.json'), 40, 'record', tmp);
    assert.deepEqual(r.value, { version: 1, jobs: [] });
    assert.equal(r.text, text);
  });

  test('missing is not a warning; a directory is', async () => {
    assert.deepEqual(await readJsonFile(file('nope.json'), 'record', tmp), {
      value: undefined,
      missing: true,
      warnings: [],
    });
    await fs.mkdir(file('dir.json'));
    const d = await readJsonFile(file('dir.json'), 'record', tmp);
    assert.equal(d.missing, false);
    assert.match(d.warnings[0].message, /directory|not a regular file/);
  });
});

describe('state.json', () => {
  test('non-object JSON and a wrong-typed jobs field', async () => {
    for (const text of ['[]', '"x"', 'null']) {
      await write('s.json', text);
      const r = await readStateFile(file('s.json'), tmp);
      assert.deepEqual(r.value?.entries ?? [], []);
      assert.equal(r.warnings.length, 1, text);
    }
    await write('s.json', '{"jobs":{"id":"x"}}');
    assert.match((await readStateFile(file('s.json'), tmp)).warnings[0].message, /"jobs" is an object, not a list/);
  });

  test('wrong-typed fields are dropped with a warning; unknown fields are kept', async () => {
    await write(
      's.json',
      JSON.stringify({
        version: 1,
        config: { stopReviewGate: true, extra: 1 },
        jobs: [{ id: 'task-a-000001', pid: '123', status: 'bogus', createdAt: 5, phase: 'x', futureField: { a: 1 } }],
      }),
    );
    const r = await readStateFile(file('s.json'), tmp);
    const e = r.value!.entries[0];
    assert.equal(e.pid, undefined);
    assert.equal(e.status, undefined);
    assert.equal(e.createdAt, undefined);
    assert.equal(e.phase, 'x');
    assert.deepEqual(e.raw.futureField, { a: 1 });
    assert.deepEqual(r.value!.config, { stopReviewGate: true, extra: 1 });
    assert.equal(r.warnings.length, 3);
  });

  test('ids that are paths are reported and never used; duplicates keep the first', async () => {
    const bad = ['../x', '/etc/passwd', 'a\u0000b', '..', '', 'a/b', 'a\\b'];
    await write(
      's.json',
      JSON.stringify({
        jobs: [...bad.map((id) => ({ id })), { id: 'ok-1', phase: 'first' }, { id: 'ok-1', phase: 'second' }],
      }),
    );
    const r = await readStateFile(file('s.json'), tmp);
    assert.deepEqual(
      r.value!.entries.map((e) => [e.id, e.phase]),
      [['ok-1', 'first']],
    );
    assert.equal(r.warnings.filter((w) => /not a plain file name/.test(w.message)).length, bad.length);
    assert.ok(r.warnings.some((w) => /listed twice/.test(w.message)));
    for (const id of bad) assert.equal(isSafeJobId(id), false, JSON.stringify(id));
    assert.equal(isSafeJobId('review-mocx1k2-a81f2c'), true);
  });
});

describe('records and the jobs dir', () => {
  test('a record naming another id: the file name wins', async () => {
    await write('task-a-000002.json', JSON.stringify({ id: 'task-zzz', status: 'completed' }));
    const r = await readJobRecord(file('task-a-000002.json'), 'task-a-000002', tmp);
    assert.equal(r.value?.id, 'task-a-000002');
    assert.match(r.warnings[0].message, /names job "task-zzz"/);
  });

  test('listing skips unsafe names, temp files and links', async () => {
    const jobs = path.join(tmp, 'jobs');
    await fs.mkdir(jobs);
    await fs.writeFile(path.join(jobs, 'task-a-000003.json'), '{}');
    await fs.writeFile(path.join(jobs, 'task-a-000003.log'), '');
    await fs.writeFile(path.join(jobs, 'state.json.tmp'), '');
    await fs.writeFile(path.join(jobs, '-x.json'), '');
    await fs.symlink('/etc/hostname', path.join(jobs, 'task-link-000001.json'));
    const l = await listJobsDir(jobs, tmp);
    assert.deepEqual([...l.records.keys()], ['task-a-000003']);
    assert.deepEqual([...l.logs.keys()], ['task-a-000003']);
    assert.ok(l.warnings.some((w) => /symbolic link/.test(w.message)));
    assert.ok(l.warnings.some((w) => /not a job id/.test(w.message)));
  });
});

describe('log previews read only the tail', () => {
  test('a 5 MB log: the preview holds the last lines, from a bounded read', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 60_000; i++) lines.push(`[2026-11-24T00:00:${String(i % 60).padStart(2, '0')}.000Z] step ${i}`);
    await write('big.log', lines.join('\n') + '\n\n[2026-11-24T01:00:00.000Z] Final output\nbody line, not progress\n');
    const st = await fs.stat(file('big.log'));
    assert.ok(st.size > 2_000_000);
    const p = await readLogPreview(file('big.log'), 4096, 3, tmp);
    assert.deepEqual(
      p.progress.map((l) => l.text),
      ['step 59998', 'step 59999', 'Final output: body line, not progress'],
    );
    assert.equal(p.size, st.size);
  });

  test('a tail that starts mid-line drops the partial line', async () => {
    await write('mid.log', `[2026-11-24T00:00:00.000Z] ${'x'.repeat(100)}\n[2026-11-24T00:00:01.000Z] last\n`);
    const p = await readLogPreview(file('mid.log'), 60, 5, tmp);
    assert.deepEqual(
      p.progress.map((l) => l.text),
      ['last'],
    );
  });
});

describe('reconciliation', () => {
  const f = (id: string, x: Partial<JobFields>): JobFields => ({ id, raw: { id, ...x }, ...x });
  const dir = '/state/x-0123456789abcdef';

  test("race 1's loser is unindexed; race 2's victim is record-missing and log-missing", () => {
    const jobs = reconcile({
      stateDir: dir,
      index: { entries: [f('task-b-000002', { status: 'running', pid: 5 })] },
      records: new Map([['task-a-000001', { fields: f('task-a-000001', { status: 'running' }) }]]),
      logs: new Map([['task-a-000001', { exists: true, progress: [] }]]),
    });
    const byId = new Map(jobs.map((j) => [j.id, j]));
    assert.deepEqual(byId.get('task-a-000001')!.flags, ['unindexed']);
    assert.deepEqual(byId.get('task-b-000002')!.flags, ['record-missing', 'log-missing']);
    assert.equal(byId.get('task-b-000002')!.logPath, `${dir}/jobs/task-b-000002.log`);
  });

  test('disagreement: the newer side is shown and both are kept', () => {
    const jobs = reconcile({
      stateDir: dir,
      index: {
        entries: [
          f('review-c-000003', {
            status: 'cancelled',
            updatedAt: '2026-11-24T00:53:58.359Z',
            summary: 'Review completed.',
          }),
        ],
      },
      records: new Map([
        [
          'review-c-000003',
          {
            fields: f('review-c-000003', {
              status: 'failed',
              completedAt: '2026-11-24T00:53:58.309Z',
              summary: 'Review working tree diff',
            }),
            mtimeMs: Date.parse('2026-11-24T00:53:58.400Z'),
          },
        ],
      ]),
      logs: new Map(),
    });
    assert.equal(jobs[0].display.status, 'failed');
    assert.equal(jobs[0].index?.status, 'cancelled');
    assert.ok(jobs[0].flags.includes('disagreement'));
    assert.equal(jobs[0].display.summary, 'Review working tree diff');
  });

  test('a partial index entry is filled from the record, never dropped', () => {
    const jobs = reconcile({
      stateDir: dir,
      index: { entries: [f('task-d-000004', { phase: 'editing', updatedAt: '2026-11-24T01:00:00.000Z' })] },
      records: new Map([
        [
          'task-d-000004',
          {
            fields: f('task-d-000004', {
              status: 'running',
              pid: 42,
              kind: 'task',
              title: 'Codex Task',
              createdAt: '2026-11-24T00:00:00.000Z',
            }),
          },
        ],
      ]),
      logs: new Map(),
    });
    assert.equal(jobs[0].display.status, 'running');
    assert.equal(jobs[0].display.pid, 42);
    assert.equal(jobs[0].display.phase, 'editing');
    assert.ok(jobs[0].flags.includes('partial-index'));
    assert.equal(jobs[0].earliestKnownMs, Date.parse('2026-11-24T00:00:00.000Z'));
  });
});

describe('hostile files', () => {
  test('a FIFO record, log or index is skipped at once with a message saying what it is', async () => {
    const d = file('fifo-dir');
    await fs.mkdir(path.join(d, 'jobs'), { recursive: true });
    execFileSync('mkfifo', [path.join(d, 'state.json')]);
    execFileSync('mkfifo', [path.join(d, 'jobs', 'task-a-000001.log')]);
    const s = await readStateFile(path.join(d, 'state.json'), tmp);
    assert.match(s.warnings[0].message, /not a regular file \(FIFO\); skipped/);
    const l = await listJobsDir(path.join(d, 'jobs'), tmp);
    assert.equal(l.logs.size, 0);
    assert.match(l.warnings[0].message, /not a regular file \(FIFO\); skipped/);
    const t = await readLogTail(path.join(d, 'jobs', 'task-a-000001.log'), 100, tmp);
    assert.equal(t.exists, false);
    assert.match(t.problem ?? '', /FIFO/);
  });

  test('null is "null", not "object"; pids must be below the system maximum', async () => {
    await write('null.json', 'null');
    assert.match((await readStateFile(file('null.json'), tmp)).warnings[0].message, /holds null, not an object/);
    await loadPidLimit();
    for (const pid of [2 ** 31, 2 ** 53, 1e308, 0, -1, 1.5]) assert.equal(isValidPid(pid), false, String(pid));
    assert.equal(isValidPid(process.pid), true);
    await write('job.json', JSON.stringify({ id: 'task-a-000001', status: 'running', pid: 2 ** 53 }));
    const r = await readJobRecord(file('job.json'), 'task-a-000001', tmp);
    assert.equal(r.value?.pid, undefined);
    assert.match(r.warnings[0].message, /"pid" has a bad value/);
  });

  test('a deep unknown field is cut, so the raw value can be serialised again', async () => {
    const n = 100_000;
    await write('deep.json', `{"id":"task-a-000001","status":"completed","x":${'['.repeat(n)}${']'.repeat(n)}}`);
    const r = await readJobRecord(file('deep.json'), 'task-a-000001', tmp);
    assert.equal(r.value?.status, 'completed');
    assert.ok(JSON.stringify(r.value?.raw).length < 1000);
    assert.ok(r.warnings.some((w) => /nested deeper than 64 levels/.test(w.message)));
  });

  test('a time that is not a plausible moment is dropped with a warning; the job stays', async () => {
    const times = {
      createdAt: '0000-01-01T00:00:00.000Z',
      startedAt: '1900-06-01T12:00:00.000Z',
      updatedAt: '+275760-09-13T00:00:00.000Z',
      completedAt: 'NaN',
      cancelledAt: '-1',
    };
    await write('times.json', JSON.stringify({ id: 'task-a-000001', status: 'completed', ...times }));
    const r = await readJobRecord(file('times.json'), 'task-a-000001', tmp);
    assert.equal(r.value?.status, 'completed');
    for (const k of Object.keys(times)) {
      assert.equal(r.value?.[k as keyof typeof times], undefined, k);
      assert.ok(
        r.warnings.some((w) => w.message.includes(`field "${k}" has a bad value`)),
        k,
      );
    }
    await write('ok.json', JSON.stringify({ id: 'task-a-000001', createdAt: '2026-11-24T10:00:00.000Z' }));
    const ok = await readJobRecord(file('ok.json'), 'task-a-000001', tmp);
    assert.equal(ok.value?.createdAt, '2026-11-24T10:00:00.000Z');
    assert.deepEqual(ok.warnings, []);
  });

  test('a record over the JSON size limit or deeper than the limit is said once, not read as torn', async () => {
    const n = 3_000_000;
    await write('deep3m.json', `{"id":"task-a-000001","status":"completed","x":${'['.repeat(n)}${']'.repeat(n)}}`);
    const t = Date.now();
    const r = await readJobRecord(file('deep3m.json'), 'task-a-000001', tmp);
    assert.ok(Date.now() - t < 3000);
    assert.equal(r.value?.status, 'completed');
    assert.ok(r.warnings.some((w) => /nested deeper than 64 levels/.test(w.message)));
  });

  test('index entries past the limit are reported, not loaded', async () => {
    const many = Array.from({ length: 1500 }, (_, i) => ({ id: `task-m${i}-zzzzzz` }));
    await write('many.json', JSON.stringify({ jobs: many }));
    const r = await readStateFile(file('many.json'), tmp);
    assert.equal(r.value?.entries.length, 1000);
    assert.match(r.warnings[0].message, /lists 1500 jobs; only the first 1000 are read/);
  });

  test('a jobs/ that is a link is not listed; a record in a linked dir is not read', async () => {
    const real = file('real-jobs');
    await fs.mkdir(real, { recursive: true });
    await fs.writeFile(path.join(real, 'task-a-000001.json'), '{"id":"task-a-000001"}');
    await fs.mkdir(file('sd'), { recursive: true });
    await fs.symlink(real, file('sd/jobs'));
    const l = await listJobsDir(file('sd/jobs'), tmp);
    assert.equal(l.records.size, 0);
    assert.match(l.warnings[0].message, /symbolic link; not followed/);
    const r = await readJobRecord(file('sd/jobs/task-a-000001.json'), 'task-a-000001', tmp);
    assert.equal(r.value, undefined);
    assert.match(r.warnings[0].message, /symbolic link/);
  });
});

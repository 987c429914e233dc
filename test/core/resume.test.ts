// Resume, re-run and the resume command: from real records, and against the stand-in companion.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as path from 'path';
import { companionArgs, launchJob } from '../../src/core/actions/launcher';
import {
  canResume,
  describeResume,
  modelEffortOf,
  parseResumeCandidate,
  readResumeCandidate,
  rerunRequest,
  resumeCommand,
  resumeRequest,
} from '../../src/core/actions/resume';
import { FAKE_COMPANION, launchSandbox, table, until, type LaunchSandbox } from './launchHelpers';
import { exampleRecord, jobOf } from './featureHelpers';

const sandboxes: LaunchSandbox[] = [];
after(async () => Promise.all(sandboxes.map((s) => s.cleanup())));

test('resumeCommand and canResume from the real task record; unsafe thread ids are refused', () => {
  const job = jobOf(exampleRecord('task.ok.completed'));
  assert.equal(resumeCommand(job), 'codex resume thr_24148001');
  assert.equal(canResume(job), true);
  assert.equal(canResume(jobOf(exampleRecord('adversarial-review.ok.completed'))), false);
  assert.equal(canResume(jobOf(exampleRecord('task.ok.queued'))), false);
  const evil = jobOf({ ...exampleRecord('task.ok.completed'), threadId: 'thr; rm -rf ~', result: {} });
  assert.equal(resumeCommand(evil), undefined);
});

test('rerunRequest: a task keeps prompt, write, model, effort; reviews keep their target', () => {
  const rec = exampleRecord('task.ok.completed');
  const task = jobOf({
    ...rec,
    request: { ...(rec.request as object), model: 'gpt-5.4', effort: 'xhigh', write: true },
    summary: 'first line of the output',
  });
  assert.deepEqual(rerunRequest(task), {
    fields: {
      kind: 'task',
      prompt: 'catalog task ok',
      write: true,
      model: 'gpt-5.4',
      effort: 'xhigh',
      resumeLast: undefined,
    },
    missing: [],
  });
  assert.deepEqual(modelEffortOf(task), { model: 'gpt-5.4', effort: 'xhigh' });
  const noRequest = jobOf({ ...rec, request: undefined });
  assert.deepEqual(rerunRequest(noRequest).missing, ['prompt']);
  const review = rerunRequest(jobOf(exampleRecord('review.ok.completed')));
  assert.deepEqual(review.fields, {
    kind: 'review',
    model: undefined,
    base: undefined,
    scope: 'working-tree',
    focus: undefined,
  });
  const adv = rerunRequest(jobOf(exampleRecord('adversarial-review.ok.completed')));
  assert.deepEqual(adv.missing, ['focus']);
  const branch = jobOf({
    ...exampleRecord('review.ok.completed'),
    result: { target: { mode: 'branch', label: 'branch diff against main', baseRef: 'main' } },
  });
  assert.equal(rerunRequest(branch).fields?.base, 'main');
  assert.match(rerunRequest(jobOf({ id: 'x-1', kind: 'weird' })).why ?? '', /no kind/);
});

test('companionArgs: --resume-last with or without a prompt', () => {
  const base = { companion: '/c.mjs', kind: 'task' as const };
  assert.deepEqual(companionArgs({ ...base, resumeLast: true }), [
    '/c.mjs',
    'task',
    '--background',
    '--json',
    '--resume-last',
  ]);
  assert.deepEqual(companionArgs({ ...base, resumeLast: true, prompt: 'more' }).slice(-3), [
    '--resume-last',
    '--',
    'more',
  ]);
  assert.deepEqual(companionArgs({ ...base, prompt: '-x' }).slice(-2), ['--', '-x']);
});

test('parseResumeCandidate: the payload, none, and junk', () => {
  const c = parseResumeCandidate({
    available: true,
    sessionId: null,
    candidate: { id: 'task-a-1', status: 'completed', threadId: 'thr_1', summary: 's' },
  })!;
  assert.equal(c.threadId, 'thr_1');
  assert.equal(parseResumeCandidate({ available: false, candidate: null })?.available, false);
  assert.equal(parseResumeCandidate('x'), undefined);
  assert.equal(parseResumeCandidate({ available: true, candidate: 'x' })?.available, false);
  const job = jobOf(exampleRecord('task.ok.completed'));
  assert.match(describeResume(job, c), /latest task thread, thread thr_1 .* not this job's thread thr_24148001/);
  assert.match(describeResume(job, { available: false }), /no task thread/);
});

test('against the stand-in: a task ends, the candidate names its thread, --resume-last runs on it', async () => {
  const sb = await launchSandbox();
  sandboxes.push(sb);
  const env = { ...sb.env, FAKE_COMPANION_MODE: 'exit-after-ms:300' };
  const cmd = { companion: FAKE_COMPANION, node: process.execPath, cwd: sb.workspace, env };
  const none = await readResumeCandidate(cmd);
  assert.equal(none.ok && none.candidate.available, false);
  const first = await launchJob({ ...cmd, workspaceFolder: sb.workspace, kind: 'task', prompt: 'first', table });
  assert.equal(first.ok, true, first.message);
  // Read while the companion rewrites it in place, a record can be empty or torn for a moment.
  const recordOf = async (id: string): Promise<Record<string, string>> => {
    const text = await fs.readFile(path.join(sb.stateDir, 'jobs', `${id}.json`), 'utf8').catch(() => '');
    try {
      return JSON.parse(text) as Record<string, string>;
    } catch {
      return {};
    }
  };
  await until(
    async () => ((await recordOf(first.jobId!)).status === 'completed' ? true : undefined),
    'first task ends',
  );
  const thread = (await recordOf(first.jobId!)).threadId;
  const c = await readResumeCandidate(cmd);
  assert.ok(c.ok);
  assert.equal(c.candidate.id, first.jobId);
  assert.equal(c.candidate.threadId, thread);
  const resumed = await launchJob({ ...cmd, workspaceFolder: sb.workspace, kind: 'task', resumeLast: true, table });
  assert.equal(resumed.ok, true, resumed.message);
  // The launch counts as registered at the worker's running write, which the companion's own queued
  // write can overwrite a moment later (its fourth race); the worker's next write says the thread again.
  const rec = await until(async () => {
    const r = await recordOf(resumed.jobId!);
    return r.threadId ? r : undefined;
  }, 'the resumed record names its thread');
  assert.equal(rec.threadId, thread);
  assert.equal((rec.request as unknown as { resumeLast: boolean }).resumeLast, true);
});

test('rerunRequest refuses record fields that would become options: names the field, the record file, why', () => {
  const review = (baseRef: string, extra: Record<string, unknown> = {}) =>
    jobOf({ ...exampleRecord('review.ok.completed'), result: { target: { mode: 'branch', baseRef } }, ...extra });
  const out = rerunRequest(review('--output=/outside/x'));
  assert.equal(out.fields, undefined);
  assert.deepEqual(
    out.rejected?.map((p) => p.field),
    ['base'],
  );
  assert.match(
    out.why ?? '',
    /^its record \/state\/dir\/jobs\/review-[\w-]+\.json gives base "--output=\/outside\/x": it starts with "-"/,
  );
  assert.match(rerunRequest(review('@{-1}')).why ?? '', /base "@\{-1\}"/);
  assert.match(rerunRequest(review('main', { request: { model: '-m' } })).why ?? '', /model "-m"/);
  assert.equal(rerunRequest(review('origin/main')).fields?.base, 'origin/main');
  const rec = exampleRecord('task.ok.completed');
  const task = (request: Record<string, unknown>) =>
    jobOf({ ...rec, request: { ...(rec.request as object), ...request } });
  assert.match(rerunRequest(task({ effort: '--yolo' })).why ?? '', /effort "--yolo": the companion takes only none/);
  assert.match(rerunRequest(task({ model: '--config=x' })).why ?? '', /model "--config=x"/);
  assert.match(rerunRequest(task({ prompt: 'a\u0000b' })).why ?? '', /prompt "a\\u0000b": it holds a NUL byte/);
  // A prompt starting with "-" goes after "--": not refused.
  assert.equal(rerunRequest(task({ prompt: '--write' })).fields?.prompt, '--write');
});

test("resumeRequest: the record's model and effort checked; a thread of no known shape is not resumed", () => {
  const rec = exampleRecord('task.ok.completed');
  const job = jobOf({ ...rec, request: { ...(rec.request as object), model: 'gpt-5.4', effort: 'high' } });
  assert.deepEqual(resumeRequest(job), {
    fields: { kind: 'task', resumeLast: true, write: false, model: 'gpt-5.4', effort: 'high' },
    missing: [],
  });
  const bad = jobOf({ ...rec, request: { ...(rec.request as object), model: '--config=x' } });
  assert.match(resumeRequest(bad).why ?? '', /its record .* gives model "--config=x"/);
  assert.match(
    resumeRequest(jobOf({ ...rec, threadId: 'thr/../x', result: {} })).why ?? '',
    /not a finished rescue task/,
  );
  const c = parseResumeCandidate({
    available: true,
    candidate: { id: 'task-a-1', status: 'completed', threadId: 'thr_1/../../x\u001b]0;t\u0007' },
  })!;
  assert.equal(c.available, false);
  assert.match(
    describeResume(job, c),
    /thread whose id "thr_1\/\.\.\/\.\.\/x\\u001b\]0;t\\u0007" is not of a thread id's shape/,
  );
});

test('companionArgs: a record value that is an option is refused, free text stays after --', () => {
  assert.throws(
    () => companionArgs({ companion: '/c.mjs', kind: 'review', base: '-x' }),
    (err: Error) => err.name === 'InvalidArgumentError' && /base "-x"/.test(err.message),
  );
  assert.deepEqual(companionArgs({ companion: '/c.mjs', kind: 'adversarial-review', focus: '--base=x' }).slice(-2), [
    '--',
    '--base=x',
  ]);
});

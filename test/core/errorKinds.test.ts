import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyErrorText, classifyJobError, parseResetTime } from '../../src/core/vocab/errorKinds';
import { exampleRecord, jobOf } from './featureHelpers';

const base = new Date(2026, 10, 24, 14, 0, 0).getTime(); // local 14:00

test('the examples: fail-start, turn-failed, cancelled, cancelled-then-failed', () => {
  const start = classifyJobError(jobOf(exampleRecord('task.fail-start.failed')))!;
  assert.equal(start.kind, 'turn-start-failed');
  assert.match(start.description, /failed to start: cxh injected turn\/start failure/);
  assert.equal(classifyJobError(jobOf(exampleRecord('review.fail-start.failed')))!.kind, 'turn-start-failed');
  const turn = classifyJobError(jobOf(exampleRecord('task.turn-failed.failed'), { progress: ['Turn failed.'] }))!;
  assert.equal(turn.kind, 'turn-failed');
  assert.equal(classifyJobError(jobOf(exampleRecord('task.cancel.cancelled')))!.kind, 'cancelled');
  const nonleader = jobOf(exampleRecord('review.cancel-nonleader.failed'), {
    progress: ['Turn interrupted.', 'Requested Codex turn interrupt for turn_1 on thr_1.', 'Cancelled by user.'],
  });
  assert.equal(classifyJobError(nonleader)!.kind, 'cancelled');
  assert.equal(classifyJobError(jobOf(exampleRecord('task.ok.completed'))), undefined);
});

test("the companion's own texts", () => {
  const k = (t: string) => classifyErrorText([t], base)?.kind;
  assert.equal(
    k(
      'Codex CLI is not installed or is missing required runtime support. Install it with `npm install -g @openai/codex`, then rerun `/codex:setup`.',
    ),
    'cli-missing',
  );
  assert.equal(k('codex-cli 0.1.0; advanced runtime unavailable: error: unrecognized subcommand'), 'cli-missing');
  assert.equal(k('codex app-server exited unexpectedly (exit 1).\nthread panicked'), 'app-server-exited');
  assert.equal(k('codex app-server connection closed.'), 'app-server-exited');
  assert.equal(k('Codex error: 401 Unauthorized'), 'auth');
  assert.equal(k('Not logged in. Run `codex login`.'), 'auth');
  assert.equal(
    k(
      'Your access token could not be refreshed because your refresh token has expired. Please log out and sign in again.',
    ),
    'auth',
  );
  assert.equal(k('stream error: exceeded retry limit, last status: 429 Too Many Requests'), 'usage-limit');
  assert.equal(k('No stored job found for task-x.'), undefined);
});

test('usage limit with a clock time: "try again at 3:28 PM" is today at 15:28 local', () => {
  const msg =
    "You've hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at 3:28 PM.";
  const info = classifyErrorText([msg], base)!;
  assert.equal(info.kind, 'usage-limit');
  assert.equal(info.resetAtMs, new Date(2026, 10, 24, 15, 28).getTime());
  assert.equal(info.action, 'remind-at-reset');
  assert.match(info.description, /try again at/);
  // Earlier than the error: the next day.
  assert.equal(parseResetTime('try again at 9:05 AM.', base), new Date(2026, 10, 25, 9, 5).getTime());
});

test('usage limit with a duration, a date, or nothing', () => {
  assert.equal(
    parseResetTime(
      'To get more access now, send a request to your admin or try again in 3 days 6 hours 57 minutes.',
      base,
    ),
    base + ((3 * 24 + 6) * 60 + 57) * 60_000,
  );
  assert.equal(parseResetTime('try again at Aug 8th, 2026 12:30 PM', base), new Date('Aug 8, 2026 12:30 PM').getTime());
  const none = classifyErrorText(["You've hit your usage limit. Try again later."], base)!;
  assert.equal(none.kind, 'usage-limit');
  assert.equal(none.resetAtMs, undefined);
  assert.equal(none.action, 'rerun');
  assert.equal(parseResetTime('try again at noon', base), undefined);
});

test('from the log: the "Codex error: ..." progress line', () => {
  const rec: Record<string, unknown> = { ...exampleRecord('task.fail-start.failed'), errorMessage: undefined };
  const job = jobOf(rec, { progress: ["Codex error: You've hit your usage limit. Try again in 40 minutes."] });
  const info = classifyJobError(job)!;
  assert.equal(info.kind, 'usage-limit');
  assert.equal(info.resetAtMs, Date.parse(String(rec.completedAt)) + 40 * 60_000);
});

test('unknown errors are kept as they are; hostile sizes are bounded', () => {
  const rec = { ...exampleRecord('task.fail-start.failed'), errorMessage: 'Something odd happened\nmore' };
  const info = classifyJobError(jobOf(rec))!;
  assert.equal(info.kind, 'unknown');
  assert.equal(info.description, 'Something odd happened');
  const huge = classifyJobError(jobOf({ ...rec, errorMessage: 'y'.repeat(1_000_000) }))!;
  assert.ok(huge.description.length <= 200);
  const none = classifyJobError(jobOf({ ...rec, errorMessage: undefined }))!;
  assert.equal(none.description, 'Failed (no error message recorded).');
});

test('a reset time that is none is no reset time: junk clocks, huge counts, implausible moments', () => {
  for (const text of [
    'try again in 99999999999999 days',
    `try again in ${'9'.repeat(400)} hours`,
    'try again at 99:99',
    'try again at 25:61 AM',
    'try again at 13:00 PM',
    'try again at 0:30 PM',
    'try again at 12:60',
    'try again at 24:00',
    'try again at Jan 1, 1900 12:00 PM',
    'try again at Sep 13, 275760 12:00 AM',
  ])
    assert.equal(parseResetTime(text, base), undefined, text);
  // Real clock times stay times, 12 AM and 12 PM included.
  assert.equal(parseResetTime('try again at 12:30 AM', base), new Date(2026, 10, 25, 0, 30).getTime());
  assert.equal(parseResetTime('try again at 12:30 PM', base), new Date(2026, 10, 25, 12, 30).getTime());
  assert.equal(parseResetTime('try again at 23:59', base), new Date(2026, 10, 24, 23, 59).getTime());
  assert.equal(parseResetTime('try again in 999999 minutes', base), base + 999_999 * 60_000);
  // A usage limit whose reset is none is still a usage limit, with no reminder to offer.
  const info = classifyErrorText(['Usage limit reached. Try again in 99999999999999 days.'], base)!;
  assert.equal(info.kind, 'usage-limit');
  assert.equal(info.resetAtMs, undefined);
  assert.equal(info.action, 'rerun');
  assert.equal(info.description, 'Codex usage limit reached.');
});

test('a job completed in year 275760 is classified against now, and its reset is a time that can be shown', () => {
  const j = jobOf({
    ...exampleRecord('task.fail-start.failed'),
    errorMessage: 'Usage limit reached. Try again in 3 days.',
    completedAt: '+275760-09-13T00:00:00.000Z',
    updatedAt: '+275760-09-13T00:00:00.000Z',
  });
  const before = Date.now();
  const info = classifyJobError(j)!;
  assert.equal(info.kind, 'usage-limit');
  assert.ok(info.resetAtMs! >= before + 3 * 86_400_000 && info.resetAtMs! <= Date.now() + 3 * 86_400_000);
  assert.doesNotThrow(() => new Date(info.resetAtMs!).toISOString());
});

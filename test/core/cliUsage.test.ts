// `codex-jobs usage [--json]` and the `usage` field of `status --json`, on a CODEX_HOME of fixtures:
// a task whose thread has a session file, a review (none), and texts from the file with control
// characters, which reach the terminal only made visible.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as path from 'path';
import { runCli } from './cliHelpers';
import { record, sandbox, writeIndex, writeJob, type Sandbox } from './helpers';
import { threadIdOf, writeSession, type Turn } from './usageFixtures';

const MIN = 60_000;

describe('codex-jobs usage and status --json usage', () => {
  let sb: Sandbox;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const start = Date.now() - 30 * MIN;
  const thread = threadIdOf(42);

  before(async () => {
    sb = await sandbox('usage-ws');
    home = path.join(sb.tmp, 'codex-home');
    env = { CODEX_HOME: home, CODEX_JOBS_ARCHIVE_DIR: path.join(sb.tmp, 'archive'), HOME: sb.tmp };
    const turns: Turn[] = [
      { atMs: start + MIN, input: 8000, cached: 4000, output: 400, primary: 60, secondary: 20 },
      { atMs: start + 4 * MIN, input: 9000, cached: 8000, output: 600, primary: 63, secondary: 21 },
    ];
    const file = await writeSession(home, thread, 'credits', turns);
    // The plan as the file names it, with an escape sequence in it.
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.replace(/"plan_type":"plus"/g, '"plan_type":"pro\\u001b]0;pwned\\u0007"'));
    const task = record('task-usage-1', {
      threadId: thread,
      startedAt: new Date(start).toISOString(),
      createdAt: new Date(start).toISOString(),
      completedAt: new Date(start + 5 * MIN).toISOString(),
    });
    const review = record('review-usage-1', { kind: 'review', kindLabel: 'review', jobClass: 'review' });
    await writeJob(sb.stateDir, task);
    await writeJob(sb.stateDir, review);
    await writeIndex(sb.stateDir, [task, review]);
  });
  after(() => sb.cleanup());

  test('usage: the windows, their reset, the plan made visible', async () => {
    const r = await runCli(['usage'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('\u001b') && !r.stdout.includes('\u0007'), 'no raw control character');
    assert.match(r.stdout, /^Codex usage as of .*plan pro\\x1b\]0;pwned\\x07/);
    assert.match(r.stdout, /^ {2}5h +63 % {2}resets /m);
    assert.match(r.stdout, /^ {2}week +21 % {2}resets /m);
  });

  test('usage --json: exact values, control characters escaped', async () => {
    const r = await runCli(['usage', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('\u001b') && !r.stdout.includes('\u0007'), 'no raw control character');
    const j = JSON.parse(r.stdout) as {
      windows: { primary: { usedPercent: number; windowMinutes: number; resetsAt: string }; planType: string };
      codexHomes: { path: string; via: string }[];
    };
    assert.equal(j.codexHomes[0].path, home);
    assert.equal(j.codexHomes[0].via, 'CODEX_HOME');
    assert.equal(j.windows.primary.usedPercent, 63);
    assert.equal(j.windows.primary.windowMinutes, 300);
    assert.equal(j.windows.planType, 'pro\u001b]0;pwned\u0007');
  });

  test('usage with no session files: says where it looked, exit 0', async () => {
    const r = await runCli(['usage'], { env: { ...env, CODEX_HOME: path.join(sb.tmp, 'empty') } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no session file reports the account's windows under .*empty\/sessions/);
  });

  test('status --json: usage per job, or null with the reason', async () => {
    const r = await runCli(['status', '--json', '--state-root', path.dirname(sb.stateDir), sb.workspace], { env });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      jobs: {
        id: string;
        usage: { tokens: { total: number }; burn5h: { percent: number } } | null;
        usageReason: string;
      }[];
    };
    const task = j.jobs.find((x) => x.id === 'task-usage-1')!;
    const review = j.jobs.find((x) => x.id === 'review-usage-1')!;
    assert.equal(task.usage!.tokens.total, 18_000);
    assert.equal(task.usage!.burn5h.percent, 3);
    assert.equal(task.usageReason, null);
    assert.equal(review.usage, null);
    assert.equal(review.usageReason, 'review threads are not saved by Codex');
    const text = await runCli(['status', '--state-root', path.dirname(sb.stateDir), sb.workspace], { env });
    assert.match(text.stdout, /task-usage-1 .* · 18k tokens$/m);
  });
});

// `codex-jobs result`, run as users run it: the output as the companion renders it, from the record,
// the log's final block, or the archive of a job whose files are gone; a running job refused; job
// references by unique prefix; hostile references and control characters.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as path from 'path';
import { FAKE_COMPANION, ProcessGroup } from '../fixtures/spawn';
import { record, sandbox, writeIndex, writeJob, type Sandbox } from './helpers';
import { golden, runCli, shapeOf } from './cliHelpers';

const IDS = {
  task: 'task-mwy0a001-task01',
  review: 'review-mwy0a002-revw02',
  failed: 'task-mwy0a003-fail03',
  gone: 'task-mwy0a004-gone04',
  indexOnly: 'task-mwy0a005-indx05',
  running: 'task-mwy0b006-runn06',
  hostile: 'task-mwy0c007-host07',
};

describe('codex-jobs result', () => {
  const procs = new ProcessGroup();
  let sb: Sandbox;
  let env: NodeJS.ProcessEnv;
  const result = (args: string[]) => runCli(['result', ...args, '--state-root', sb.root], { cwd: sb.workspace, env });

  before(async () => {
    sb = await sandbox('result-ws');
    env = { CODEX_JOBS_ARCHIVE_DIR: path.join(sb.tmp, 'archive') };
    const t = new Date().toISOString();
    const structured = {
      result: {
        verdict: 'needs-attention',
        summary: 'One problem.',
        findings: [{ severity: 'high', title: 'Off by one', file: 'src/a.ts', line_start: 3 }],
      },
      parseError: null,
    };
    const created = new Date(Date.now() - 1000).toISOString();
    const pid = await procs.start(
      process.execPath,
      [FAKE_COMPANION, 'task-worker', '--cwd', sb.workspace, '--job-id', IDS.running],
      { waitReady: true },
    );
    const recs = [
      record(IDS.task, { rendered: 'Task report\n', threadId: 'thr_1', result: { rawOutput: 'Raw task output' } }),
      record(IDS.review, {
        kind: 'adversarial-review',
        jobClass: 'review',
        rendered: '# Codex Adversarial Review\n\nOne problem.\n',
        result: structured,
      }),
      record(IDS.failed, { status: 'failed', summary: 'Fix the build', errorMessage: 'Codex error: quota' }),
      record(IDS.gone, { rendered: 'Kept by the archive.\n' }),
      record(IDS.running, { status: 'running', pid, createdAt: created, startedAt: created, completedAt: undefined }),
      record(IDS.hostile, { rendered: 'evil \x1b]52;c;cHduZWQ=\x07 \x1b[2J done\n' }),
    ];
    for (const r of recs) await writeJob(sb.stateDir, r, `[${t}] Starting Codex Task.\n`);
    // Only its index entry and its log: the record's final write was lost; the log ends in its block.
    await fs.writeFile(
      path.join(sb.stateDir, 'jobs', `${IDS.indexOnly}.log`),
      `[${t}] Starting Codex Task.\n[${t}] Turn completed.\n\n[${t}] Final output\nFrom the log.\n`,
    );
    await writeIndex(sb.stateDir, [...recs, record(IDS.indexOnly)]);
    // The archive sees every job once; then the companion prunes one (entry and files gone).
    assert.equal((await runCli(['status', '--state-root', sb.root], { cwd: sb.workspace, env })).code, 0);
    await fs.rm(path.join(sb.stateDir, 'jobs', `${IDS.gone}.json`));
    await fs.rm(path.join(sb.stateDir, 'jobs', `${IDS.gone}.log`));
    await writeIndex(sb.stateDir, [...recs.filter((r) => r.id !== IDS.gone), record(IDS.indexOnly)]);
  });
  after(async () => {
    await procs.stopAll();
    await sb.cleanup();
  });

  test('renders as the companion does: raw output first, then the session and how to resume it', async () => {
    const r = await result([IDS.task]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Raw task output\n\nCodex session ID: thr_1\nResume in Codex: codex resume thr_1\n');
  });

  test("a review's rendered report; --json adds its findings", async () => {
    const r = await result([IDS.review]);
    assert.equal(r.stdout, '# Codex Adversarial Review\n\nOne problem.\n');
    const j = await result([IDS.review, '--json']);
    assert.equal(j.code, 0, j.stderr);
    const json = JSON.parse(j.stdout);
    assert.equal(json.source, 'record');
    assert.equal(json.review.reviewer, 'adversarial-review');
    assert.deepEqual(
      json.review.findings.map((f: { severity: string; title: string; file: string; lineStart: number }) => [
        f.severity,
        f.title,
        f.file,
        f.lineStart,
      ]),
      [['high', 'Off by one', 'src/a.ts', 3]],
    );
    await golden('result-json-shape', shapeOf(json));
  });

  test('a failed job with no output: the card with its error', async () => {
    const r = await result([IDS.failed]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `# Codex Task\n\nJob: ${IDS.failed}\nStatus: failed\nSummary: Fix the build\n\nCodex error: quota\n`,
    );
  });

  test('a job known only from the archive (its files and entry gone)', async () => {
    const r = await result([IDS.gone, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.rendered, 'Kept by the archive.\n');
    assert.equal(json.source, 'archive');
    assert.notEqual(json.archived, null);
  });

  test("a job with no record: its log's final block", async () => {
    const r = await result([IDS.indexOnly, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.rendered, 'From the log.\n');
    assert.equal(json.source, 'log');
  });

  test('a running job: a clear message, exit 1', async () => {
    const r = await result([IDS.running]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`job ${IDS.running} is still running; \`codex-jobs wait ${IDS.running}\``));
  });

  test('references: a unique prefix; an ambiguous one lists the jobs (exit 2); ../ and paths are usage errors', async () => {
    const r = await result(['task-mwy0c']);
    assert.equal(r.code, 0, r.stderr);
    const amb = await result(['task-mwy0a']);
    assert.equal(amb.code, 2);
    for (const id of [IDS.task, IDS.failed, IDS.gone, IDS.indexOnly])
      assert.ok(amb.stderr.includes(`  ${id}\n`), amb.stderr);
    for (const bad of ['../x', `../${IDS.task}`, `jobs/${IDS.task}`, '/etc/passwd', '..']) {
      const b = await result([bad]);
      assert.equal(b.code, 2, `${bad}: ${b.stderr}`);
      assert.match(b.stderr, /is not a job id or id prefix/);
    }
    const none = await result(['task-nope']);
    assert.equal(none.code, 1);
  });

  test('control characters in the output are shown, never obeyed', async () => {
    const r = await result([IDS.hostile]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('\x1b') && !r.stdout.includes('\x07'), JSON.stringify(r.stdout));
    assert.match(r.stdout, /evil \\x1b\]52;c;cHduZWQ=\\x07 \\x1b\[2J done/);
  });
});

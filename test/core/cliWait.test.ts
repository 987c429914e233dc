// `codex-jobs wait`, run as users run it: on jobs that complete, fail, are cancelled, go stale (their
// process killed), are deleted by the companion's race while waited for, and on a timeout; --any over
// three; Ctrl-C; hostile references. Run in a pid namespace of its own (test/pidns.mjs): the decoy
// process beside the jobs must never be signalled.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as path from 'path';
import { FAKE_COMPANION, ProcessGroup, aliveNow } from '../fixtures/spawn';
import { record, sandbox, writeIndex, writeJob, type Sandbox } from './helpers';
import { golden, runCli, shapeOf, spawnCli } from './cliHelpers';

const iso = () => new Date().toISOString();

describe('codex-jobs wait', () => {
  const procs = new ProcessGroup();
  let decoy = 0;
  const sandboxes: Sandbox[] = [];

  before(async () => {
    decoy = await procs.start('sleep', ['600']);
  });
  after(async () => {
    assert.ok(aliveNow(decoy), 'the decoy was never signalled');
    await procs.stopAll();
    for (const sb of sandboxes) await sb.cleanup();
  });

  /** A sandbox whose state dir holds the given jobs, each running with a live worker of its own. */
  async function running(name: string, ids: string[]) {
    const sb = await sandbox(name);
    sandboxes.push(sb);
    const env = { CODEX_JOBS_ARCHIVE_DIR: path.join(sb.tmp, 'archive') };
    const index = new Map<string, Record<string, unknown>>();
    const pids: Record<string, number> = {};
    for (const id of ids) {
      // As the companion does: the job is created before its worker starts.
      const createdAt = iso();
      await new Promise((r) => setTimeout(r, 20));
      pids[id] = await procs.start(
        process.execPath,
        [FAKE_COMPANION, 'task-worker', '--cwd', sb.workspace, '--job-id', id],
        { waitReady: true },
      );
      const rec = record(id, {
        status: 'running',
        phase: 'running',
        pid: pids[id],
        createdAt,
        startedAt: createdAt,
        completedAt: undefined,
        summary: `job ${id}`,
      });
      await writeJob(sb.stateDir, rec, `[${iso()}] Starting Codex Task.\n[${iso()}] Turn started.\n`);
      index.set(id, rec);
    }
    await writeIndex(sb.stateDir, [...index.values()]);
    /** The job's record and index entry rewritten with these fields, as the companion finishes it. */
    const finish = async (id: string, fields: Record<string, unknown>) => {
      const rec = { ...index.get(id)!, pid: null, completedAt: iso(), ...fields };
      index.set(id, rec);
      await writeJob(sb.stateDir, rec, '');
      await writeIndex(sb.stateDir, [...index.values()]);
    };
    const wait = (args: string[]) => spawnCli(['wait', ...args, '--state-root', sb.root], { cwd: sb.workspace, env });
    /** Started, read the jobs and still waiting. */
    const waiting = async (w: ReturnType<typeof wait>) => {
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(w.child.exitCode, null, `wait ended early: ${JSON.stringify(w.io)}`);
    };
    return { sb, env, pids, index, finish, wait, waiting };
  }

  test('a job that completes: exit 0 once its record says so, the outcome printed', async () => {
    const id = 'task-mwx0a001-done01';
    const s = await running('wait-done', [id]);
    const w = s.wait([id]);
    await s.waiting(w);
    const t0 = Date.now();
    await s.finish(id, { status: 'completed', phase: 'done', rendered: 'All done.\n' });
    await procs.stop(s.pids[id]);
    const { code } = await w.exited;
    assert.equal(code, 0, JSON.stringify(w.io));
    assert.ok(Date.now() - t0 < 5000, 'ended on the change, not on a slow poll');
    assert.equal(w.io.out, `${id}  completed\n`);
  });

  test('a job that fails or is cancelled: exit 1, its error said; --json gives the outcome of each', async () => {
    const [failed, cancelled] = ['task-mwx0a002-fail02', 'review-mwx0a003-canc03'];
    const s = await running('wait-bad', [failed, cancelled]);
    const w = s.wait([failed, cancelled, '--json']);
    await s.waiting(w);
    await s.finish(failed, { status: 'failed', phase: 'failed', errorMessage: 'Codex error: \x1b]0;pwned\x07 boom' });
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(w.child.exitCode, null, 'still waiting for the second one');
    await s.finish(cancelled, { status: 'cancelled', phase: 'cancelled' });
    const { code } = await w.exited;
    assert.equal(code, 1, JSON.stringify(w.io));
    const json = JSON.parse(w.io.out);
    assert.equal(json.outcome, 'failed');
    assert.deepEqual(
      json.jobs.map((j: { id: string; status: string }) => [j.id, j.status]),
      [
        [failed, 'failed'],
        [cancelled, 'cancelled'],
      ],
    );
    assert.ok(!w.io.out.includes('\x1b'), 'no escape sequence from a file reaches the terminal');
    await golden('wait-json-shape', shapeOf(json));
  });

  test('a job whose process is killed goes stale: exit 1', async () => {
    const id = 'task-mwx0a004-stal04';
    const s = await running('wait-stale', [id]);
    const w = s.wait([id]);
    await s.waiting(w);
    await procs.stop(s.pids[id]);
    const { code } = await w.exited;
    assert.equal(code, 1, JSON.stringify(w.io));
    assert.match(w.io.out, new RegExp(`^${id}  stale\\n$`));
  });

  test("a job deleted by the companion's race while waited for is still judged, from the archive and its log", async () => {
    const id = 'task-mwx0a005-race05';
    const keep = 'task-mwx0a006-keep06';
    const s = await running('wait-race', [id, keep]);
    const w = s.wait([id, '--json']);
    await s.waiting(w);
    // The job ends in its log first (as the companion writes it), then a racing writer drops its
    // entry and deletes its files, then its process ends.
    const log = path.join(s.sb.stateDir, 'jobs', `${id}.log`);
    await fs.appendFile(log, `[${iso()}] Turn completed.\n\n[${iso()}] Final output\nRace survived.\n`);
    await new Promise((r) => setTimeout(r, 600));
    s.index.delete(id);
    await writeIndex(s.sb.stateDir, [...s.index.values()]);
    await fs.rm(log);
    await fs.rm(path.join(s.sb.stateDir, 'jobs', `${id}.json`));
    await procs.stop(s.pids[id]);
    const { code } = await w.exited;
    const json = JSON.parse(w.io.out);
    assert.equal(code, 0, JSON.stringify(w.io));
    assert.equal(json.jobs[0].status, 'completed');
    assert.equal(json.jobs[0].inferredFromLog, true);
    // And its output is still there for `result`, from the archive's copy of its log.
    const r = await runCli(['result', id, '--json', '--state-root', s.sb.root], { cwd: s.sb.workspace, env: s.env });
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout);
    assert.equal(res.rendered, 'Race survived.\n');
    assert.equal(res.source, 'log');
    // Which of the two it was called depends on whether its process was seen alive after the deletion.
    assert.ok(['deleted-by-concurrent-writer', 'deleted-while-running'].includes(res.archived), res.archived);
  });

  test('--timeout: exit 124, the job still running said', async () => {
    const id = 'task-mwx0a007-time07';
    const s = await running('wait-timeout', [id]);
    const t0 = Date.now();
    const w = s.wait([id, '--timeout', '1']);
    const { code } = await w.exited;
    assert.equal(code, 124, JSON.stringify(w.io));
    assert.ok(Date.now() - t0 < 8000);
    assert.equal(w.io.out, `${id}  running (not ended)\n`);
    assert.match(w.io.err, /timed out after 1 s/);
  });

  test('--any over three: the first to end decides; the others are said as they are', async () => {
    const ids = ['task-mwx0a008-any008', 'task-mwx0a009-any009', 'task-mwx0a010-any010'];
    const s = await running('wait-any', ids);
    // Unique prefixes, as the companion takes references.
    const w = s.wait(['task-mwx0a008', 'task-mwx0a009', 'task-mwx0a01', '--any']);
    await s.waiting(w);
    await s.finish(ids[1], { status: 'completed', phase: 'done' });
    const { code } = await w.exited;
    assert.equal(code, 0, JSON.stringify(w.io));
    assert.equal(w.io.out, `${ids[0]}  running (not ended)\n${ids[1]}  completed\n${ids[2]}  running (not ended)\n`);
  });

  test('Ctrl-C ends the wait cleanly (exit 130, nothing on stderr)', async () => {
    const id = 'task-mwx0a011-intr11';
    const s = await running('wait-int', [id]);
    const w = s.wait([id]);
    await s.waiting(w);
    w.child.kill('SIGINT');
    const r = await w.exited;
    assert.deepEqual(r, { code: 130, signal: null }, JSON.stringify(w.io));
    assert.equal(w.io.err, '');
  });

  test("the README's agent flow: a review started in the background, then wait and result", async () => {
    const sb = await sandbox('wait-agent');
    sandboxes.push(sb);
    const data = path.join(sb.tmp, 'plugin-data');
    const env = { CODEX_JOBS_ARCHIVE_DIR: path.join(sb.tmp, 'archive') };
    // As Claude Code's Bash tool runs it with run_in_background: the companion's own `review --background`.
    const review = procs.start(process.execPath, [FAKE_COMPANION, 'review', '--background'], {
      cwd: sb.workspace,
      env: { ...process.env, CLAUDE_PLUGIN_DATA: data, FAKE_COMPANION_MODE: 'exit-after-ms:2500' },
    });
    await review;
    const root = path.join(data, 'state');
    const cli = (args: string[]) => runCli([...args, '--state-root', root], { cwd: sb.workspace, env });
    let id = '';
    for (let i = 0; i < 100 && !id; i++) {
      const st = await cli(['status', '--json']).catch(() => undefined);
      const jobs = st?.code === 0 ? (JSON.parse(st.stdout) as { jobs: { id: string; kind: string }[] }).jobs : [];
      id = jobs.find((j) => j.kind === 'review')?.id ?? '';
      if (!id) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(id, 'the review shows up');
    const early = await cli(['result', id]);
    assert.equal(early.code, 1, 'still running');
    const w = await cli(['wait', id]);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout, `${id}  completed\n`);
    const r = await cli(['result', id]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Done.\n');
  });

  test('hostile and wrong references: ../x and a path are usage errors, an ambiguous prefix lists the jobs, none is exit 1', async () => {
    const ids = ['task-mwx0a012-amb012', 'task-mwx0a013-amb013'];
    const s = await running('wait-refs', ids);
    const run = (args: string[]) =>
      runCli(['wait', ...args, '--state-root', s.sb.root], { cwd: s.sb.workspace, env: s.env });
    for (const bad of ['../x', '../../etc/passwd', 'a/b', '', '-', '.', '..', 'task\x1b[2J']) {
      const r = await run(bad.startsWith('-') ? ['--', bad] : [bad]);
      assert.equal(r.code, 2, `${JSON.stringify(bad)}: ${r.stderr}`);
      assert.ok(!r.stderr.includes('\x1b'), r.stderr);
    }
    const amb = await run(['task-mwx0a01']);
    assert.equal(amb.code, 2, amb.stderr);
    assert.match(amb.stderr, /"task-mwx0a01" fits 2 jobs/);
    for (const id of ids) assert.ok(amb.stderr.includes(`  ${id}\n`), amb.stderr);
    const none = await run(['task-zzz']);
    assert.equal(none.code, 1, none.stderr);
    assert.match(none.stderr, /no job task-zzz/);
    assert.equal((await run([])).code, 2);
    assert.equal((await run([ids[0], '--timeout', 'soon'])).code, 2);
  });
});

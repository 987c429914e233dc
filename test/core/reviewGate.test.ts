// The stop review gate: per state dir, disagreement, a write turning it off, blocks-stop, and the
// toggle through the stand-in companion's `setup` under the launch lock with an unlocked writer racing it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { folderGate, GateHistory, gateValue, toggleReviewGate } from '../../src/core/actions/reviewGate';
import { blocksStop } from '../../src/core/vocab/stopHook';
import { withWorkspaceLock } from '../../src/core/actions/lock';
import type { StateDirSnapshot } from '../../src/core/vocab/types';
import { FAKE_COMPANION, launchSandbox, type LaunchSandbox } from './launchHelpers';
import { exampleRecord, jobOf } from './featureHelpers';

const sandboxes: LaunchSandbox[] = [];
after(async () => Promise.all(sandboxes.map((s) => s.cleanup())));

const snap = (stateDir: string, config?: Record<string, unknown>): StateDirSnapshot => ({
  stateDir,
  root: path.dirname(stateDir),
  exists: true,
  config,
  jobs: [],
  warnings: [],
  readAtMs: 0,
});

test('gateValue and folderGate: on, off, default, and two state dirs that disagree', () => {
  assert.equal(gateValue({ stopReviewGate: true }), 'on');
  assert.equal(gateValue({ stopReviewGate: false }), 'off');
  assert.equal(gateValue({ stopReviewGate: 'yes' }), 'default');
  assert.equal(gateValue(undefined), 'default');
  const same = folderGate([snap('/a/plugin/state/ws-1', { stopReviewGate: true })]);
  assert.equal(same.summary, 'on');
  assert.equal(same.disagree, false);
  assert.deepEqual(same.warnings, []);
  const two = folderGate([
    snap('/a/plugin/state/ws-1', { stopReviewGate: true }),
    snap('/tmp/codex-companion/ws-1', {}),
  ]);
  assert.equal(two.disagree, true);
  assert.equal(two.summary, 'on in plugin, off in temp dir');
  assert.match(two.warnings[0], /differs between state dirs/);
});

test('GateHistory: a write that turns the gate off is dated; our own change is not a surprise', () => {
  const h = new GateHistory();
  const dir = '/s/ws-1';
  assert.equal(h.observe(dir, 'on', 1000), undefined);
  assert.deepEqual(h.observe(dir, 'default', 2000), { from: 'on', to: 'default', ours: false, sinceMs: 2000 });
  assert.equal(h.turnedOffAt(dir), 2000);
  const g = folderGate([snap(dir, {})], h, (ms) => `t${ms}`);
  assert.match(g.warnings[0], /turned off by a write at t2000/);
  h.observe(dir, 'on', 3000);
  assert.equal(h.turnedOffAt(dir), undefined);
  h.expect(dir, 'off', 10_000, 3000);
  assert.equal(h.observe(dir, 'off', 4000)?.ours, true);
  assert.equal(h.turnedOffAt(dir), undefined);
});

test('GateHistory with a memory: a gate turned off while the editor was closed is seen, and dated between two looks', () => {
  let kept: unknown;
  const memory = { get: () => kept, set: (v: unknown) => (kept = JSON.parse(JSON.stringify(v))) };
  const dir = '/s/ws-1';
  const t0 = Date.parse('2026-12-01T09:00:00Z');
  const first = new GateHistory(memory, t0);
  first.observe(dir, 'on', t0);
  first.observe(dir, 'on', t0 + 30_000); // within a minute of the last write: not written again
  assert.equal((kept as Record<string, { seenAtMs: number }>)[dir].seenAtMs, t0);
  first.observe(dir, 'on', t0 + 1800_000); // half an hour on: written
  first.close(t0 + 3600_000); // the editor closes an hour in, the gate still on
  // The next session, five hours later: the first look sees it off.
  const later = t0 + 6 * 3600_000;
  const next = new GateHistory(memory, later);
  assert.deepEqual(next.observe(dir, 'off', later), { from: 'on', to: 'off', ours: false, sinceMs: t0 + 3600_000 });
  assert.deepEqual(next.turnedOff(dir), { afterMs: t0 + 3600_000, atMs: later });
  const fmt = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const g = folderGate([snap(dir, { stopReviewGate: false })], next, fmt);
  assert.match(g.warnings[0], /turned off by a write some time between 10:00 and 15:00 \(not by Codex Jobs/);
  // And a third session still says so, until it is on again.
  assert.deepEqual(new GateHistory(memory, later + 1000).turnedOff(dir), { afterMs: t0 + 3600_000, atMs: later });
  next.observe(dir, 'on', later + 2000);
  assert.equal(new GateHistory(memory, later + 3000).turnedOff(dir), undefined);
  // Within a session a change is dated by the look that saw it, however long ago the last one was.
  next.observe(dir, 'off', later + 3600_000);
  assert.deepEqual(next.turnedOff(dir), { afterMs: later + 3600_000, atMs: later + 3600_000 });
  assert.match(folderGate([snap(dir, { stopReviewGate: false })], next, fmt).warnings[0], /by a write at 16:00 /);
});

test('GateHistory: a memory holding anything else, or looks months old, starts afresh', () => {
  const t0 = Date.parse('2026-12-01T09:00:00Z');
  for (const bad of [null, 'x', 42, [], { '/s/a': { value: 'sideways', seenAtMs: 1 } }, { '/s/a': { value: 'on' } }]) {
    const h = new GateHistory({ get: () => bad, set: () => undefined }, t0);
    assert.equal(h.observe('/s/a', 'off', t0), undefined, JSON.stringify(bad));
  }
  const old = { '/s/a': { value: 'on', seenAtMs: t0 - 100 * 24 * 3600_000 } };
  assert.equal(new GateHistory({ get: () => old, set: () => undefined }, t0).observe('/s/a', 'off', t0), undefined);
});

test('blocksStop: queued/running in the index with the process gone', () => {
  const running = exampleRecord('task.ok.running');
  const idx = { id: running.id, status: 'running' };
  assert.equal(blocksStop(jobOf(running, { status: 'stale', index: idx })), true);
  assert.equal(blocksStop(jobOf(running, { status: 'running', index: idx })), false);
  assert.equal(blocksStop(jobOf(running, { status: 'stale' })), false, 'not in the index: the hook does not see it');
  assert.equal(blocksStop(jobOf(exampleRecord('task.ok.completed'))), false);
});

async function gateOnDisk(stateDir: string): Promise<unknown> {
  const s = JSON.parse(await fs.readFile(path.join(stateDir, 'state.json'), 'utf8')) as {
    config?: { stopReviewGate?: unknown };
  };
  return s.config?.stopReviewGate;
}

test('toggle: enable then disable through the stand-in companion, verified on disk', async () => {
  const sb = await launchSandbox();
  sandboxes.push(sb);
  const base = { companion: FAKE_COMPANION, node: process.execPath, cwd: sb.workspace, env: sb.env, verifyMs: 300 };
  const on = await toggleReviewGate({ ...base, enable: true });
  assert.equal(on.ok, true, on.message);
  assert.equal(on.stateDir, sb.stateDir);
  assert.equal(on.reported, true);
  assert.equal(on.onDisk, 'on');
  assert.equal(await gateOnDisk(sb.stateDir), true);
  const off = await toggleReviewGate({ ...base, enable: false });
  assert.equal(off.ok, true, off.message);
  assert.equal(await gateOnDisk(sb.stateDir), false);
  // The lock file is gone afterwards.
  await assert.rejects(fs.stat(path.join(sb.stateDir, 'launch.lock')));
});

/** An unlocked writer, as the companion's upsertJob: loads state.json, waits until `setup` wrote, saves its stale copy back. */
const LOST_UPDATE = `
const fs = require('fs');
const file = process.argv[1];
const stale = fs.readFileSync(file, 'utf8');
process.stdout.write('ready\\n');
const end = Date.now() + 20000;
(function poll() {
  let now = '';
  try { now = fs.readFileSync(file, 'utf8'); } catch {}
  if (now.includes('"stopReviewGate": true')) { fs.writeFileSync(file, stale); process.stdout.write('reset\\n'); return; }
  if (Date.now() < end) setTimeout(poll, 5);
})();`;

test('toggle with a concurrent unlocked writer: the lost update is seen, setup is run again, the end state is verified', async () => {
  const sb = await launchSandbox();
  sandboxes.push(sb);
  const base = { companion: FAKE_COMPANION, node: process.execPath, cwd: sb.workspace, env: sb.env };
  assert.equal((await toggleReviewGate({ ...base, enable: false, verifyMs: 100 })).ok, true);
  const writer = spawn(process.execPath, ['-e', LOST_UPDATE, path.join(sb.stateDir, 'state.json')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let said = '';
  // Its stale copy must be read before setup writes (a loaded machine starts a node slowly).
  const ready = new Promise<void>((r) =>
    writer.stdout.on('data', (d: Buffer) => {
      said += d;
      if (said.includes('ready\n')) r();
    }),
  );
  const exited = new Promise((r) => writer.once('exit', r));
  await ready;
  const logs: string[] = [];
  const r = await toggleReviewGate({ ...base, enable: true, verifyMs: 1500, log: (m) => logs.push(m) });
  await exited;
  assert.equal(said.trim(), 'ready\nreset', 'the writer did its lost update');
  assert.equal(r.ok, true, r.message);
  assert.equal(r.resets, 1, logs.join('\n'));
  assert.equal(r.attempts, 2);
  assert.match(r.message, /after 1 reset\(s\) by a concurrent writer/);
  assert.equal(await gateOnDisk(sb.stateDir), true);
});

test('toggle: a writer that keeps resetting it makes an honest failure', async () => {
  const sb = await launchSandbox();
  sandboxes.push(sb);
  const base = { companion: FAKE_COMPANION, node: process.execPath, cwd: sb.workspace, env: sb.env };
  assert.equal((await toggleReviewGate({ ...base, enable: false, verifyMs: 100 })).ok, true);
  const stale = await fs.readFile(path.join(sb.stateDir, 'state.json'), 'utf8');
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const now = await fs.readFile(path.join(sb.stateDir, 'state.json'), 'utf8').catch(() => '');
      if (now.includes('"stopReviewGate": true')) await fs.writeFile(path.join(sb.stateDir, 'state.json'), stale);
      await new Promise((res) => setTimeout(res, 10));
    }
  })();
  const r = await toggleReviewGate({ ...base, enable: true, verifyMs: 600, attempts: 2 });
  stop = true;
  await loop;
  assert.equal(r.ok, false);
  assert.equal(r.resets, 2);
  assert.match(r.message, /did not stay on/);
});

test('toggle waits for the launch lock and gives up honestly when it is held', async () => {
  const sb = await launchSandbox();
  sandboxes.push(sb);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let taken!: () => void;
  const isTaken = new Promise<void>((r) => (taken = r));
  const holder = withWorkspaceLock(sb.stateDir, async () => {
    taken();
    await held;
  });
  await isTaken;
  const r = await toggleReviewGate({
    companion: FAKE_COMPANION,
    node: process.execPath,
    cwd: sb.workspace,
    env: sb.env,
    enable: true,
    lock: { timeoutMs: 500 },
  });
  release();
  await holder;
  assert.equal(r.ok, false);
  assert.match(r.message, /Not changed/);
  await assert.rejects(fs.stat(path.join(sb.stateDir, 'state.json')), 'setup never ran');
});

test('status --json reports each state dir stopReviewGate and a review job findings as parsed', async () => {
  const sb = await launchSandbox();
  sandboxes.push(sb);
  const rec = exampleRecord('adversarial-review.ok.completed');
  await fs.mkdir(path.join(sb.stateDir, 'jobs'), { recursive: true });
  await fs.writeFile(path.join(sb.stateDir, 'jobs', `${String(rec.id)}.json`), JSON.stringify(rec));
  await fs.writeFile(
    path.join(sb.stateDir, 'state.json'),
    JSON.stringify({ version: 1, config: { stopReviewGate: true }, jobs: [{ id: rec.id, status: 'completed' }] }),
  );
  const bin = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [bin, 'status', '--json', '--state-root', path.dirname(sb.stateDir), sb.workspace],
      { env: { ...process.env, CODEX_JOBS_ARCHIVE_DIR: path.join(sb.tmp, 'archive') } },
      (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)),
    ),
  );
  const json = JSON.parse(out) as {
    stopReviewGate: Record<string, boolean | null>;
    jobs: { id: string; findings: { total: number; findings: Record<string, unknown>[] } | null }[];
  };
  assert.deepEqual(json.stopReviewGate, { [sb.stateDir]: true });
  const job = json.jobs.find((j) => j.id === rec.id)!;
  assert.equal(job.findings?.total, 1);
  assert.deepEqual(job.findings?.findings[0], {
    severity: 'high',
    title: 'Missing empty-state guard',
    file: 'src/app.js',
    lineStart: 4,
    lineEnd: 6,
    recommendation: 'Handle empty collections before indexing.',
  });
});

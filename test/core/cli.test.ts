// The built `codex-jobs` bin, run as users run it, against golden outputs.
// UPDATE_GOLDEN=1 rewrites the golden files (review the diff before committing them).
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { writeScenario, SCENARIO_IDS } from '../fixtures/scenario';
import { ProcessGroup, startScenarioProcesses } from '../fixtures/spawn';
import { sandbox, type Sandbox } from './helpers';

const repo = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(repo, 'dist', 'cli.js');
const GOLDEN = path.join(repo, 'test', 'golden');
let archiveDir = '';

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, CODEX_JOBS_ARCHIVE_DIR: archiveDir, ...env } },
      (err, stdout, stderr) => {
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        });
      },
    );
  });
}

/** Replaces what differs between runs (paths, pids, times) with stable placeholders. */
function normalize(text: string, sb: Sandbox, pids: Record<string, number>): unknown {
  let t = text.split(sb.stateDir).join('<STATE_DIR>').split(sb.tmp).join('<TMP>');
  for (const [name, pid] of Object.entries(pids)) {
    t = t
      .replace(new RegExp(`(:\\s*)${pid}\\b`, 'g'), `$1"<PID:${name}>"`)
      .replace(new RegExp(`\\b${pid}\\b`, 'g'), `<PID:${name}>`);
  }
  t = t
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<TIME>')
    .replace(/started \d\d:\d\d:\d\d/g, 'started <CLOCK>');
  return JSON.parse(t, (k, v) =>
    k === 'ageMs' || k === 'rssBytes' || k === 'logBytes' ? (v === null ? null : '<N>') : v,
  );
}

async function golden(name: string, actual: unknown): Promise<void> {
  const file = path.join(GOLDEN, `${name}.json`);
  if (process.env.UPDATE_GOLDEN === '1') {
    await fs.mkdir(GOLDEN, { recursive: true });
    await fs.writeFile(file, JSON.stringify(actual, null, 2) + '\n');
  }
  assert.deepEqual(actual, JSON.parse(await fs.readFile(file, 'utf8')), `${name} differs from ${file}`);
}

describe('codex-jobs CLI', () => {
  const procs = new ProcessGroup();
  let sb: Sandbox;
  let pids: Record<string, number>;

  before(async () => {
    sb = await sandbox('cli-ws');
    archiveDir = path.join(sb.tmp, 'archive');
    const started = await startScenarioProcesses(procs, sb.workspace, SCENARIO_IDS);
    pids = started;
    await writeScenario(sb.stateDir, sb.workspace, started);
  });
  after(async () => {
    await procs.stopAll();
    await sb.cleanup();
  });

  test('status --json: every status, flag and warning (healthy, race 1, race 2, stale, pid reused, bad input)', async () => {
    const r = await cli(['status', '--json', '--state-root', sb.root, sb.workspace]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    const byId = Object.fromEntries(json.jobs.map((j: { id: string; status: string; flags: string[] }) => [j.id, j]));
    assert.equal(byId[SCENARIO_IDS.running].status, 'running');
    assert.equal(byId[SCENARIO_IDS.pidReused].status, 'pid-reused');
    assert.deepEqual(byId[SCENARIO_IDS.recordMissing].flags, ['record-missing', 'log-missing']);
    assert.ok(
      json.warnings.some((w: { message: string }) => w.message.includes('"../escape"')),
      'the path-like id is reported',
    );
    assert.ok(!r.stdout.includes('"id": "../escape"'), 'and never used as a job');
    json.jobs.sort((a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id));
    await golden('status-scenario', normalize(JSON.stringify(json), sb, pids));
  });

  test('status --all covers every workspace under the roots', async () => {
    const other = path.join(sb.root, 'other-0123456789abcdef');
    await fs.mkdir(path.join(other, 'jobs'), { recursive: true });
    await fs.writeFile(
      path.join(other, 'state.json'),
      JSON.stringify({ version: 1, jobs: [{ id: 'task-other-000001', status: 'completed' }] }),
    );
    const r = await cli(['status', '--json', '--all', '--state-root', sb.root]);
    const json = JSON.parse(r.stdout);
    assert.equal(json.workspace, null);
    assert.equal(json.stateDirs.length, 2);
    assert.ok(
      json.jobs.some(
        (j: { id: string; flags: string[] }) => j.id === 'task-other-000001' && j.flags.includes('record-missing'),
      ),
    );
    await fs.rm(other, { recursive: true });
  });

  test('log prints the whole log; a path as id is refused with exit 2', async () => {
    const r = await cli(['log', SCENARIO_IDS.completed, '--state-root', sb.root, sb.workspace]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /Running command: npm test\n\n\[.*\] Assistant message\nLooking at the failing test first\.\n$/,
    );
    const bad = await cli(['log', '../../etc/passwd', '--state-root', sb.root, sb.workspace]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is not a job id/);
    assert.equal(bad.stdout, '');
  });

  test('log --follow prints what is appended', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'log', SCENARIO_IDS.running, '--follow', '--state-root', sb.root, sb.workspace],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let seen = '';
    const got = new Promise<void>((resolve) =>
      child.stdout!.on('data', (d: Buffer) => (seen += d.toString()).includes('appended line') && resolve()),
    );
    await new Promise((r) => setTimeout(r, 800));
    await fs.appendFile(
      path.join(sb.stateDir, 'jobs', `${SCENARIO_IDS.running}.log`),
      `[${new Date().toISOString()}] appended line\n`,
    );
    await Promise.race([
      got,
      new Promise((_, rej) => setTimeout(() => rej(new Error(`not followed: ${seen.slice(-200)}`)), 8000)),
    ]);
    child.kill('SIGINT');
  });

  test('brokers --json and reap --dry-run on an orphan and a dead dir; reap needs --yes without a terminal', async () => {
    const tmp = path.join(sb.tmp, 'broker-tmp');
    const dead = path.join(tmp, 'cxc-deadcli');
    await fs.mkdir(dead, { recursive: true });
    await fs.writeFile(path.join(dead, 'broker.pid'), '999999999\n');
    const env = { TMPDIR: tmp };
    const b = await cli(['brokers', '--json', '--grace-seconds', '0', '--state-root', sb.root], env);
    assert.equal(b.code, 0, b.stderr);
    const json = JSON.parse(b.stdout);
    const mine = json.brokers.filter((x: { dir: string | null }) => x.dir?.startsWith(tmp));
    await golden('brokers-dead', normalize(JSON.stringify({ brokers: mine }), sb, {}));
    const dry = await cli(['reap', '--dry-run', '--grace-seconds', '0', '--state-root', sb.root], env);
    assert.match(dry.stdout, /would reap .*cxc-deadcli \(dead\)/);
    await fs.stat(path.join(dead, 'broker.pid'));
    const refused = await cli(['reap', '--grace-seconds', '0', '--state-root', sb.root], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /needs --yes/);
    await fs.stat(path.join(dead, 'broker.pid'));
  });

  test('usage errors exit 2 with a message on stderr', async () => {
    const r = await cli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });
});

// What codex-jobs starts on a state dir: the gate toggle's `setup`, a launch, the companion's
// cancel, task-resume-candidate, and `git rev-parse`. A hostile state dir (state.json a link, a hard
// link, a FIFO, oversized; jobs/ a link) is refused before anything is started, with the file named,
// and nothing outside is written; a child that hangs (trapping SIGTERM, with a grandchild) is ended
// with its whole process group in bounded time; outcome messages claim only what was read back.
// Each case runs in its own pid namespace (runIsolated) and looks only at the pids its own children wrote.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  armOutside,
  BAD,
  crashText,
  type Ctx,
  DEAD_PID,
  exists,
  fingerprint,
  GOOD_A,
  makeCtx,
  outsideDiff,
  record,
  REPO,
  runIsolated,
  tmpBase,
  writeStateDir,
} from './harness';
import type { DriverSpec } from './companionRunsDriver';

const DRIVER = path.join(__dirname, 'companionRunsDriver.js');
const FAKE = path.join(REPO, 'test', 'fixtures', 'fake-plugin', 'scripts', 'codex-companion.mjs');

let base = '';
const baseReady = tmpBase().then((b) => (base = b));
/** The slowest run and the largest peak memory, for the closing line. */
const worst = { ms: 0, msWhere: '', rssKb: 0, rssWhere: '' };
after(async () => {
  process.stdout.write(
    `# companion runs: slowest ${worst.ms} ms (${worst.msWhere}); max RSS ${Math.round(worst.rssKb / 1024)} MB (${worst.rssWhere})\n`,
  );
  if (base && process.env.CODEX_JOBS_HOSTILE_KEEP !== '1') await fs.rm(base, { recursive: true, force: true });
});

interface Case extends Ctx {
  pd: string;
  stateDir: string;
  mark: string;
  pidFile: string;
  scripts: Record<'mark' | 'hang' | 'silentOk' | 'throws' | 'swap', string>;
  bin: string;
}

const SCRIPTS = {
  // Notes that it was started, then is the stand-in companion.
  mark: `import fs from 'node:fs';
fs.appendFileSync(process.env.MARK_FILE, process.argv.slice(2).join(' ') + '\\n');
await import(process.env.REAL_COMPANION);
`,
  // Ignores SIGTERM and starts a grandchild that ignores it too; both write their pids.
  hang: `import { spawn } from 'node:child_process';
import fs from 'node:fs';
process.on('SIGTERM', () => {});
const g = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
fs.writeFileSync(process.env.PID_FILE, process.pid + '\\n' + g.pid + '\\n');
setInterval(() => {}, 1000);
`,
  // Says it enabled the gate, exits 0, writes nothing.
  silentOk: `process.stdout.write(JSON.stringify({ ready: true, reviewGateEnabled: true, actionsTaken: [] }) + '\\n');
`,
  // An uncaught throw: Node prints the stack and its version after the cause.
  throws: `const why = 'Cannot change the review gate: workspace config is corrupt';
throw new Error(why);
`,
  // Writes the gate on, then state.json is swapped for a link to a file outside before it exits.
  swap: `import fs from 'node:fs';
import path from 'node:path';
const file = path.join(process.env.STATE_DIR, 'state.json');
const s = JSON.parse(fs.readFileSync(file, 'utf8'));
s.config = { ...s.config, stopReviewGate: true };
fs.writeFileSync(file, JSON.stringify(s, null, 2));
fs.renameSync(file, file + '.old');
fs.symlinkSync(process.env.OUTSIDE_FILE, file);
process.stdout.write(JSON.stringify({ ready: true, reviewGateEnabled: true, actionsTaken: [] }) + '\\n');
`,
};

/** A case: the decoy tree, and a plugin data dir whose state dir holds a good job and a running one. */
async function makeCase(name: string): Promise<Case> {
  await baseReady;
  const c = await makeCtx(base, name);
  const pd = path.join(c.dir, 'pd');
  const stateDir = path.join(pd, 'state', path.basename(c.stateA));
  await writeStateDir(stateDir, [
    record(GOOD_A, { workspaceRoot: c.ws }),
    record(BAD, { status: 'running', phase: 'running', pid: DEAD_PID, completedAt: undefined, workspaceRoot: c.ws }),
  ]);
  const scripts = {} as Case['scripts'];
  for (const [k, text] of Object.entries(SCRIPTS)) {
    const f = path.join(c.dir, `${k}.mjs`);
    await fs.writeFile(f, text);
    scripts[k as keyof Case['scripts']] = f;
  }
  // A `git` that hangs: ignores SIGTERM, and so does the sleep it waits for.
  const bin = path.join(c.dir, 'bin');
  await fs.mkdir(bin);
  await fs.writeFile(
    path.join(bin, 'git'),
    `#!/bin/sh\ntrap '' TERM\nsleep 30 &\necho $$ > "$PID_FILE"\necho $! >> "$PID_FILE"\nwait\n`,
    { mode: 0o755 },
  );
  return {
    ...c,
    pd,
    stateDir,
    mark: path.join(c.dir, 'started.txt'),
    pidFile: path.join(c.dir, 'pids.txt'),
    scripts,
    bin,
  };
}

interface Run {
  result: Record<string, unknown> & { message?: string; ok?: boolean };
  ms: number;
  alive: number[];
  pids: number[];
  started: boolean;
  diff: string[];
  raw: string;
}

/** Runs one driver op in the case's pid namespace; reports what it said, how long, what still runs, what changed outside. */
async function drive(
  c: Case,
  spec: Partial<DriverSpec> & Pick<DriverSpec, 'op'>,
  timeoutMs = 20_000,
  env: NodeJS.ProcessEnv = {},
): Promise<Run> {
  await armOutside(c.outside);
  const before = await fingerprint(c.outside);
  const full: DriverSpec = {
    cwd: c.ws,
    pluginData: c.pd,
    pidFile: c.pidFile,
    ...spec,
    env: {
      MARK_FILE: c.mark,
      REAL_COMPANION: pathToFileURL(FAKE).href,
      PID_FILE: c.pidFile,
      STATE_DIR: c.stateDir,
      OUTSIDE_FILE: path.join(c.outside, 'secret.json'),
      ...spec.env,
    },
  };
  const r = await runIsolated(c, [process.execPath, DRIVER, JSON.stringify(full)], timeoutMs, {
    PID_FILE: c.pidFile,
    ...env,
  });
  const where = path.basename(c.dir);
  if (r.ms > worst.ms) Object.assign(worst, { ms: r.ms, msWhere: where });
  if ((r.maxRssKb ?? 0) > worst.rssKb) Object.assign(worst, { rssKb: r.maxRssKb, rssWhere: where });
  const line = /^RESULT (.*)$/m.exec(r.stdout);
  const { diff } = await outsideDiff(c.outside, before);
  const crash = crashText(r.stderr);
  assert.equal(crash, undefined, `crash: ${r.stderr.slice(0, 2000)}`);
  assert.ok(
    !r.timedOut && line,
    `no result within ${timeoutMs} ms (hang): ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 500)}`,
  );
  const parsed = JSON.parse(line[1]) as Omit<Run, 'started' | 'diff' | 'raw'>;
  return { ...parsed, started: await exists(c.mark), diff, raw: r.stdout };
}

const msg = (r: Run) => String(r.result.message ?? JSON.stringify(r.result));

/** Refused before the start: not ok, the file named, nothing started, nothing outside touched. */
function refused(r: Run, file: RegExp, what: RegExp): void {
  assert.equal(r.result.ok, false, msg(r));
  assert.match(msg(r), file);
  assert.match(msg(r), what);
  assert.doesNotMatch(msg(r), /verified/);
  assert.equal(r.started, false, `the companion was started: ${msg(r)}`);
  assert.deepEqual(r.diff, [], msg(r));
}

const toggle = (c: Case, extra: Partial<DriverSpec> = {}) =>
  drive(c, { op: 'toggle', companion: c.scripts.mark, enable: true, timeoutMs: 10_000, ...extra });
const launch = (c: Case, extra: Partial<DriverSpec> = {}) =>
  drive(c, { op: 'launch', companion: c.scripts.mark, registerTimeoutMs: 3000, ...extra });
const cancel = (c: Case, extra: Partial<DriverSpec> = {}) =>
  drive(c, { op: 'cancel', companion: c.scripts.mark, jobId: BAD, timeoutMs: 5000, ...extra });

/** The children a case's script started are all gone, and the call came back within `maxMs`. */
function groupGone(r: Run, maxMs: number): void {
  assert.ok(r.pids.length >= 2, `the child wrote its pids: ${r.raw}`);
  assert.deepEqual(r.alive, [], `left running: ${r.alive.join(', ')} (${msg(r)})`);
  assert.ok(r.ms < maxMs, `took ${r.ms} ms`);
}

async function linkStateJson(c: Case): Promise<void> {
  await fs.rm(path.join(c.stateDir, 'state.json'));
  await fs.symlink(path.join(c.outside, 'secret.json'), path.join(c.stateDir, 'state.json'));
}

async function linkJobs(c: Case): Promise<void> {
  await fs.rm(path.join(c.stateDir, 'jobs'), { recursive: true });
  await fs.symlink(path.join(c.outside, 'dir'), path.join(c.stateDir, 'jobs'));
}

interface CaseDef {
  name: string;
  /** Passes on the old code too: shows behaviour that stays. */
  control?: boolean;
  run: (c: Case) => Promise<void>;
}

const CASES: CaseDef[] = [
  {
    name: 'toggle: state.json a link to a file outside',
    run: async (c) => {
      await linkStateJson(c);
      refused(await toggle(c), /state\.json/, /symbolic link/);
    },
  },
  {
    name: 'toggle: state.json a hard link to a file outside',
    run: async (c) => {
      await fs.rm(path.join(c.stateDir, 'state.json'));
      await fs.link(path.join(c.outside, 'secret.json'), path.join(c.stateDir, 'state.json'));
      refused(await toggle(c), /state\.json/, /hard link/);
    },
  },
  {
    name: 'toggle: state.json a FIFO (no hang)',
    run: async (c) => {
      await fs.rm(path.join(c.stateDir, 'state.json'));
      execFileSync('mkfifo', [path.join(c.stateDir, 'state.json')]);
      const r = await toggle(c);
      refused(r, /state\.json/, /FIFO/);
      assert.ok(r.ms < 5000, `took ${r.ms} ms`);
    },
  },
  {
    name: 'toggle: state.json over the read limit (sparse)',
    run: async (c) => {
      const f = path.join(c.stateDir, 'state.json');
      const fh = await fs.open(f, 'r+');
      await fh.truncate(9 * 1024 * 1024);
      await fh.close();
      refused(await toggle(c), /state\.json/, /read limit/);
    },
  },
  {
    name: 'toggle: the state dir a link to a state dir outside',
    control: true,
    run: async (c) => {
      await fs.rm(c.stateDir, { recursive: true });
      await fs.symlink(path.join(c.outside, 'fakestate'), c.stateDir);
      refused(await toggle(c), new RegExp(path.basename(c.stateDir)), /symbolic link/);
    },
  },
  {
    name: 'toggle: jobs/ a link to a dir outside',
    run: async (c) => {
      await linkJobs(c);
      refused(await toggle(c), /jobs/, /symbolic link/);
    },
  },
  {
    name: 'toggle: setup hangs ignoring SIGTERM, with a grandchild: the whole group is ended',
    run: async (c) => {
      const r = await toggle(c, { companion: c.scripts.hang, timeoutMs: 1500 });
      groupGone(r, 9000);
      assert.equal(r.result.ok, false);
      assert.match(msg(r), /did not finish within 1\.5 s/);
    },
  },
  {
    name: 'toggle: setup exits 0 and writes nothing: no "verified", no concurrent writer',
    run: async (c) => {
      const r = await toggle(c, { companion: c.scripts.silentOk });
      assert.equal(r.result.ok, false, msg(r));
      assert.doesNotMatch(msg(r), /verified on disk|concurrent writer/);
      assert.match(msg(r), /did not write .*state\.json/);
      assert.equal(r.result.resets, 0);
      assert.equal(r.result.attempts, 1);
    },
  },
  {
    name: "toggle: setup fails with a thrown Error: the message holds its text, not Node's footer",
    run: async (c) => {
      const r = await toggle(c, { companion: c.scripts.throws });
      assert.equal(r.result.ok, false);
      assert.match(msg(r), /workspace config is corrupt/);
      assert.doesNotMatch(msg(r), /Node\.js v\d/);
    },
  },
  {
    name: 'toggle: state.json swapped for a link while setup ran: not called verified',
    run: async (c) => {
      const r = await toggle(c, { companion: c.scripts.swap });
      assert.equal(r.result.ok, false, msg(r));
      assert.doesNotMatch(msg(r), /verified on disk/);
      assert.match(msg(r), /state\.json: is a symbolic link.*changed while setup ran/);
    },
  },
  {
    name: 'toggle: a good state dir is turned on and verified',
    control: true,
    run: async (c) => {
      const r = await toggle(c);
      assert.equal(r.result.ok, true, msg(r));
      assert.match(msg(r), /is on in .* \(verified on disk\)/);
      assert.deepEqual(r.diff, []);
    },
  },
  {
    name: 'launch: state.json a link to a file outside',
    run: async (c) => {
      await linkStateJson(c);
      refused(await launch(c), /state\.json/, /symbolic link/);
    },
  },
  {
    name: 'launch: jobs/ a link to a dir outside',
    run: async (c) => {
      await linkJobs(c);
      refused(await launch(c), /jobs/, /symbolic link/);
    },
  },
  {
    name: 'launch: task --background hangs ignoring SIGTERM: its group is ended when the wait ends',
    run: async (c) => {
      const r = await launch(c, { companion: c.scripts.hang, registerTimeoutMs: 1000 });
      assert.equal(r.result.ok, false);
      groupGone(r, 9000);
    },
  },
  {
    name: 'launch: a review hangs before registering, ignoring SIGTERM: its group is ended when the wait ends',
    run: async (c) => {
      const r = await launch(c, { companion: c.scripts.hang, kind: 'review', registerTimeoutMs: 1000 });
      groupGone(r, 9000);
      assert.equal(r.result.ok, false);
      assert.match(msg(r), /not registered within 1 s .* was ended with its process group/);
    },
  },
  {
    name: "cancel: state.json a link: the companion's cancel is not run",
    run: async (c) => {
      await linkStateJson(c);
      const r = await cancel(c, { stateDir: c.stateDir });
      assert.match(msg(r), /state\.json: is a symbolic link/);
      assert.equal(r.started, false, msg(r));
      assert.deepEqual(r.diff, [], msg(r));
    },
  },
  {
    name: "cancel: the job's log a link to a file outside: the companion's cancel is not run",
    run: async (c) => {
      await fs.symlink(path.join(c.outside, 'secret.log'), path.join(c.stateDir, 'jobs', `${BAD}.log`));
      const r = await cancel(c, { stateDir: c.stateDir });
      assert.match(msg(r), new RegExp(`${BAD}\\.log: is a symbolic link`));
      assert.equal(r.started, false, msg(r));
      assert.deepEqual(r.diff, [], msg(r));
    },
  },
  {
    name: "cancel: the companion's cancel hangs ignoring SIGTERM: its whole group is ended",
    run: async (c) => {
      const r = await cancel(c, { stateDir: c.stateDir, companion: c.scripts.hang, timeoutMs: 1000 });
      groupGone(r, 9000);
      assert.match(msg(r), /did not finish within 1 s/);
    },
  },
  {
    name: 'task-resume-candidate: state.json a FIFO (no hang, not started)',
    run: async (c) => {
      await fs.rm(path.join(c.stateDir, 'state.json'));
      execFileSync('mkfifo', [path.join(c.stateDir, 'state.json')]);
      const r = await drive(c, { op: 'resume', companion: c.scripts.mark, timeoutMs: 8000 });
      refused(r, /state\.json/, /FIFO/);
      assert.ok(r.ms < 5000, `took ${r.ms} ms`);
    },
  },
  {
    name: 'git rev-parse hangs ignoring SIGTERM: its group is ended, the folder is used',
    run: async (c) => {
      const r = await drive(c, { op: 'resolve', timeoutMs: 1000 }, 15_000, {
        PATH: `${c.bin}:${process.env.PATH}`,
      });
      assert.equal(r.result.root, c.ws);
      groupGone(r, 8000);
    },
  },
];

describe('companion runs on hostile state dirs', { concurrency: 3 }, () => {
  for (const k of CASES) test(`${k.control ? '[control] ' : ''}${k.name}`, async () => k.run(await makeCase(k.name)));
});

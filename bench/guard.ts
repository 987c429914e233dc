// `npm run bench:guard`: N parallel launches of the REAL companion (its fake `codex` from its own
// tests) from one workspace, with `codex-jobs guard` beside them and without, the machine loaded.
// Once everything has ended and the dir is quiet, the companion's own commands judge: `status --json
// --all` must list every job created, `result <id>` must succeed for every finished job, no job may be
// left queued/running without a live process, and every record must keep kind/request/threadId.
// Ground truth of what was created: an in-process monitor (the model with its archive), as bench:race.
// Options: --plugin <dir> (default /tmp/real-plugin: plugins/codex/scripts and tests/ inside),
// --jobs 8,16,32 --mix tasks,reviews,mixed --runs 1 --load 2 --grace-seconds 5 --settle-ms 1000.
import { spawn, spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { JobArchive } from '../src/core/archive/archive';
import { LiveUpdates } from '../src/core/model/live';
import { isTerminalStatus } from '../src/core/vocab/status';
import { benchModel } from './model';

const args = process.argv.slice(2);
const opt = (name: string, d: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : d;
};
const PLUGIN = opt('--plugin', '/tmp/real-plugin');
const COMPANION = path.join(PLUGIN, 'plugins', 'codex', 'scripts', 'codex-companion.mjs');
const SIZES = opt('--jobs', '8,16,32').split(',').map(Number);
const MIXES = opt('--mix', 'tasks,reviews,mixed').split(',');
const RUNS = Number(opt('--runs', '1'));
const LOAD = Number(opt('--load', '2'));
const GRACE = opt('--grace-seconds', '5');
const SETTLE = opt('--settle-ms', '1000');
const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Figures {
  created: number;
  lost: number;
  resultFailures: number;
  activeNoProcess: number;
  fieldsLost: number;
  writes: number;
  undone: number;
  deletedAfter: number;
}

function run(
  cmd: string,
  argv: string[],
  o: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, argv, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // A companion command that hangs (a review waiting on a broker lost to race 3) is ended after
    // 3 minutes and counted as failed, so one hang does not stop the matrix.
    const timer = setTimeout(() => c.kill('SIGKILL'), 180_000);
    c.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Processes whose command line names `needle` (the run's own tmp dir): the run's companions and brokers. */
async function processesNaming(needle: string, companionsOnly = false): Promise<number[]> {
  const out: number[] = [];
  for (const p of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    const cmd = await fs.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
    if (
      cmd.includes(needle) &&
      !cmd.includes('dist/cli.js') &&
      (!companionsOnly || cmd.includes('codex-companion.mjs'))
    )
      out.push(Number(p));
  }
  return out;
}

async function setup(tmp: string): Promise<{ ws: string; env: NodeJS.ProcessEnv }> {
  const bin = path.join(tmp, 'bin');
  const ws = path.join(tmp, 'ws');
  await fs.mkdir(bin, { recursive: true });
  await fs.mkdir(ws);
  await fs.mkdir(path.join(tmp, 'tmp'));
  await fs.mkdir(path.join(tmp, 'plugin-data', 'state'), { recursive: true });
  const fixture = pathToFileURL(path.join(PLUGIN, 'tests', 'fake-codex-fixture.mjs')).href;
  spawnSync(process.execPath, [
    '--input-type=module',
    '-e',
    `import(${JSON.stringify(fixture)}).then((m) => m.installFakeCodex(${JSON.stringify(bin)}, 'review-ok'))`,
  ]);
  const git = (...a: string[]) => spawnSync('git', a, { cwd: ws });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'bench@example.com');
  git('config', 'user.name', 'bench');
  await fs.writeFile(path.join(ws, 'a.txt'), 'one\n');
  git('add', '.');
  git('commit', '-qm', 'init');
  await fs.writeFile(path.join(ws, 'a.txt'), 'one\ntwo\n');
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    CLAUDE_PLUGIN_DATA: path.join(tmp, 'plugin-data'),
    TMPDIR: path.join(tmp, 'tmp'),
    CODEX_JOBS_ARCHIVE_DIR: path.join(tmp, 'guard-archive'),
  };
  return { ws, env };
}

function kindsFor(mix: string, i: number): string[] {
  const task = ['task', '--background', '--json', `bench task ${i}`];
  const review = i % 2 ? ['adversarial-review', '--json'] : ['review', '--json'];
  if (mix === 'tasks') return task;
  if (mix === 'reviews') return review;
  return i % 2 ? task : ['review', '--json'];
}

async function oneRun(n: number, mix: string, guard: boolean): Promise<Figures> {
  const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-guard-')));
  const { ws, env } = await setup(tmp);
  const stateRoot = path.join(tmp, 'plugin-data', 'state');
  const archive = new JobArchive(path.join(tmp, 'monitor-archive'));
  const model = benchModel({ base: tmp, stateRoot, folders: [{ path: ws, name: 'ws' }], archive });
  const live = new LiveUpdates(model, { debounceMs: 30, archive });
  await live.start();
  await live.watcher.ready();
  let guardOut = '';
  const guardian = guard
    ? spawn(
        process.execPath,
        [CLI, 'guard', ws, '--state-root', stateRoot, '--grace-seconds', GRACE, '--settle-ms', SETTLE],
        {
          env,
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      )
    : undefined;
  const mended = new Map<string, number>();
  let lastLine = 0;
  guardian?.stdout.on('data', (d: Buffer) => {
    guardOut += d.toString();
    lastLine = Date.now();
    // When each job was written for, as the lines arrive.
    for (const m of d.toString().matchAll(/ {2}(index|record|log|sync|fail) {2}(\S+) {2}/g))
      mended.set(m[2], Date.now());
  });
  const guardDone = guardian && new Promise((r) => guardian.on('exit', r));
  if (guardian) while (!guardOut.includes('guarding')) await sleep(50);
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: n }, (_, i) => run(process.execPath, [COMPANION, ...kindsFor(mix, i)], { cwd: ws, env })),
  );
  // Until every worker is done (no companion of this run alive), then a quiet spell for the guardian.
  while ((await processesNaming(ws, true)).length > 0 && Date.now() - t0 < 300_000) await sleep(500);
  // The guardian is done once nothing new has come from it for a while (bounded).
  const quietFor = Number(GRACE) * 1000 + Number(SETTLE) * 4 + 3000;
  const ended = Date.now();
  while (guard && Date.now() - Math.max(lastLine, ended) < quietFor && Date.now() - ended < 180_000) await sleep(500);
  await sleep(1500);
  await model.refresh();
  await model.settled();
  if (guardian) {
    guardian.kill('SIGINT');
    await guardDone;
    if (process.env.GUARD_DEBUG) console.log(guardOut);
  }
  const figures = await judge(ws, env, model, archive, guardOut, mended);
  await live.dispose();
  model.dispose();
  await archive.dispose();
  // The run's brokers (its own TMPDIR): ended, so the next run starts clean.
  for (const pid of [
    ...(await processesNaming(path.join(tmp, 'tmp'))),
    ...(await processesNaming(path.join(tmp, 'bin'))),
  ]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  if (!process.env.GUARD_KEEP) await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  else console.log(`kept ${tmp}`);
  return figures;
}

async function judge(
  ws: string,
  env: NodeJS.ProcessEnv,
  model: ReturnType<typeof benchModel>,
  archive: JobArchive,
  guardOut: string,
  mended: ReadonlyMap<string, number>,
): Promise<Figures> {
  const jobs = model.allJobs().filter((j) => !j.flags.includes('log-only'));
  const status = await run(process.execPath, [COMPANION, 'status', '--json', '--all'], { cwd: ws, env });
  let listed: { id: string; status?: string; pid?: number }[] = [];
  try {
    const s = JSON.parse(status.out) as Record<string, unknown>;
    listed = [s.running, s.recent, s.latestFinished ? [s.latestFinished] : []].flat().filter(Boolean) as typeof listed;
  } catch {
    // nothing listed
  }
  const ids = new Set(listed.map((j) => j.id));
  const lostJobs = jobs.filter((j) => !ids.has(j.id));
  const lost = lostJobs.length;
  if (process.env.GUARD_DEBUG)
    for (const j of lostJobs)
      console.log(`  lost ${j.id} ${j.status} ${j.flags.join(',')} ${JSON.stringify(j.history ?? [])}`);
  let resultFailures = 0;
  let fieldsLost = 0;
  for (const j of jobs) {
    const e = archive.get(j.stateDir, j.id);
    const finished = isTerminalStatus(e?.record?.status) || isTerminalStatus(j.record?.status);
    if (finished && (await run(process.execPath, [COMPANION, 'result', j.id], { cwd: ws, env })).code !== 0) {
      resultFailures++;
      if (process.env.GUARD_DEBUG) console.log(`  result failed ${j.id} ${j.status} ${j.flags.join(',')}`);
    }
    const now = await fs.readFile(path.join(j.stateDir, 'jobs', `${j.id}.json`), 'utf8').then(
      (t) => JSON.parse(t) as Record<string, unknown>,
      () => undefined,
    );
    const had = e?.record ?? {};
    if (
      ['kind', 'request', 'threadId'].some((k) => had[k] != null && JSON.stringify(now?.[k]) !== JSON.stringify(had[k]))
    )
      fieldsLost++;
  }
  const activeNoProcess = listed.filter((j) => {
    if (j.status !== 'queued' && j.status !== 'running') return false;
    try {
      return typeof j.pid !== 'number' || !process.kill(j.pid, 0);
    } catch {
      return true;
    }
  }).length;
  const summary = /guardian stopped .*?: (\d+) write\(s\).*; (\d+) undone/.exec(guardOut);
  // A job the guardian wrote for, deleted again afterwards (the monitor saw a deletion after the write).
  let deletedAfter = 0;
  for (const [id, at] of mended) {
    const h = archive.get(jobs.find((j) => j.id === id)?.stateDir ?? '', id)?.history ?? [];
    if (h.some((x) => x.what === 'deleted' && x.atMs > at)) deletedAfter++;
  }
  return {
    created: jobs.length,
    lost,
    resultFailures,
    activeNoProcess,
    fieldsLost,
    writes: Number(summary?.[1] ?? 0),
    undone: Number(summary?.[2] ?? 0),
    deletedAfter,
  };
}

const EMPTY: Figures = {
  created: 0,
  lost: 0,
  resultFailures: 0,
  activeNoProcess: 0,
  fieldsLost: 0,
  writes: 0,
  undone: 0,
  deletedAfter: 0,
};

async function main(): Promise<void> {
  const busy = Array.from({ length: LOAD }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  // Stopped early: the busy loops go too.
  process.once('SIGTERM', () => {
    for (const b of busy) b.kill('SIGKILL');
    process.exit(143);
  });
  const rows: string[] = [];
  try {
    for (const n of SIZES)
      for (const mix of MIXES)
        for (let r = 1; r <= RUNS; r++) {
          const off = process.env.GUARD_ONLY === 'on' ? EMPTY : await oneRun(n, mix, false);
          const on = await oneRun(n, mix, true);
          const row =
            `${n} | ${mix} | ${r} | ${off.created}/${on.created} | ${off.lost}/${on.lost} | ` +
            `${off.resultFailures}/${on.resultFailures} | ${off.activeNoProcess}/${on.activeNoProcess} | ` +
            `${off.fieldsLost}/${on.fieldsLost} | ${on.writes} | ${on.undone} | ${on.deletedAfter} | ${os.loadavg()[0].toFixed(1)}`;
          console.log(row);
          rows.push(row);
        }
  } finally {
    for (const b of busy) b.kill('SIGKILL');
  }
  console.log(
    '\nlaunches | mix | run | jobs created (without/with) | lost from status --all (without/with) | result failures | active with no process | records missing kind/request/threadId | guardian writes | undone and redone | deleted after a guardian write | load',
  );
  for (const r of rows) console.log(r);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});

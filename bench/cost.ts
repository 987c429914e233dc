// `npm run bench:cost`: what the archive costs on a real-sized workspace, as users run it.
// - `codex-jobs status --json` (the default path, archive included) and `status --all --json` as
//   whole processes on the 1 GiB workspace with 6 running jobs: time, and what the archive writes,
//   first run and second run (the second must write nothing);
// - the extension's model (JobsModel + LiveUpdates + a background archive) on that workspace: the
//   one-time first copy, then one running job appending a line a second: CPU as a share of a core,
//   the first 20 s and the next 20 s;
// - change-to-model latency on that workspace (200 isolated writes, p95);
// - a 2 GiB sparse log: what the CLI and the extension copy of it;
// - `status --all` over 1,000 state dirs with at most 256 open files: every job, no failed read.
// Options: --companion <path> (or CODEX_COMPANION) also times the companion's `status --json` and
// `status --json --all` on the same dir; --quick (100 MB of logs, 200 state dirs); --cpu-seconds N (default 20); --only
// cli|ext|latency|sparse|many|usage; --reuse-archive (the extension phase starts from the archive a run left);
// --cpu-prof <file> (a CPU profile of the append phase); --rounds N (default 9). `usage`: the usage ledger
// following one running task's growing session file, and finding one thread's file among 10,000 (bench/usage.ts).
// Each whole-process figure is printed beside its floors, measured in the same rounds: `node -e 0`
// and a process reading the same files synchronously (bench/floor.ts); with GNU time, CPU times too.
// The live path's floors (bench/liveFloor.ts): watch -> read -> parse latency, the CPU of a line's read.
import { execFile, spawn, type ChildProcess } from 'child_process';
import { promises as fs } from 'fs';
import * as inspector from 'inspector';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import { JobArchive } from '../src/core/archive/archive';
import { LiveUpdates } from '../src/core/model/live';
import { JobsModel } from '../src/core/model/model';
import { generateWorkspace, type GeneratedWorkspace } from './generate';
import { latencyBench } from './latency';
import { liveFloor, type LiveFloor } from './liveFloor';
import { benchModel } from './model';
import { usageBench } from './usage';
import { FigureTable, median, now } from './table';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const companion = opt('--companion') ?? process.env.CODEX_COMPANION;
const cpuSeconds = Number(opt('--cpu-seconds') ?? 20);
const repo = path.resolve(__dirname, '..', '..');
const CLI = path.join(repo, 'dist', 'cli.js');
const FLOOR = path.join(__dirname, 'floor.js');
const FAKE = path.join(repo, 'test', 'fixtures', 'fake-plugin', 'scripts', 'codex-companion.mjs');
const base = path.join(os.tmpdir(), 'codex-jobs-bench');
const MB = 1024 * 1024;
v8.setFlagsFromString('--expose-gc');
/** A full collection: what an earlier phase left for the collector is not the next phase's cost. */
const collect = vm.runInNewContext('gc') as () => void;
const figures = new FigureTable();
const row = figures.row;

/** Bytes and files under a dir, and the newest mtime. */
async function du(dir: string): Promise<{ bytes: number; files: number; newest: number }> {
  let bytes = 0;
  let files = 0;
  let newest = 0;
  for (const name of (await fs.readdir(dir, { recursive: true }).catch(() => [])) as string[]) {
    const st = await fs.stat(path.join(dir, name)).catch(() => undefined);
    if (!st?.isFile()) continue;
    bytes += st.size;
    files++;
    newest = Math.max(newest, st.mtimeMs);
  }
  return { bytes, files, newest };
}

/** GNU time, when there: a process's CPU (user + system) says more than its wall time on a loaded machine. */
const TIME = '/usr/bin/time';
let timeWorks: boolean | undefined;

/** Runs a whole process: its wall time, and its CPU time (user + system, ms) where GNU time can say. */
async function run(
  cmd: string,
  argv: string[],
  env: Record<string, string>,
  cwd = repo,
): Promise<{ ms: number; cpuMs?: number; out: string }> {
  timeWorks ??= await fs.access(TIME).then(
    () => true,
    () => false,
  );
  const cpuFile = path.join(base, `cpu-${process.pid}.txt`);
  const [file, full] = timeWorks ? [TIME, ['-f', '%U %S', '-o', cpuFile, cmd, ...argv]] : [cmd, argv];
  const r = await new Promise<{ ms: number; out: string }>((resolve, reject) => {
    const t = now();
    execFile(file, full, { cwd, env: { ...process.env, ...env }, maxBuffer: 512 * MB }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${cmd} ${argv.join(' ')}: ${String(err)} ${stderr}`));
      resolve({ ms: now() - t, out: stdout });
    });
  });
  if (!timeWorks) return r;
  const [user, sys] = (await fs.readFile(cpuFile, 'utf8')).trim().split(/\s+/).slice(-2).map(Number);
  await fs.rm(cpuFile, { force: true });
  return { ...r, cpuMs: (user + sys) * 1000 };
}

/** Idle stand-in workers whose command lines name their jobs, so verification finds them running. */
async function startWorkers(ws: GeneratedWorkspace, ids: string[]): Promise<ChildProcess[]> {
  const empty = path.join(base, 'no-plugin-data');
  const kids = ids.map((id) =>
    spawn(process.execPath, [FAKE, 'task-worker', '--cwd', ws.workspace, '--job-id', id], {
      env: { ...process.env, CLAUDE_PLUGIN_DATA: empty },
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
  await Promise.all(kids.map((k) => new Promise((r) => k.stdout!.once('data', r))));
  return kids;
}

/** Marks the given jobs running with those pids, in their records and the index. */
async function markRunning(ws: GeneratedWorkspace, ids: string[], pids: number[]): Promise<void> {
  const jobsDir = path.join(ws.stateDir, 'jobs');
  const statePath = path.join(ws.stateDir, 'state.json');
  const state = JSON.parse(await fs.readFile(statePath, 'utf8'));
  for (const [i, id] of ids.entries()) {
    const file = path.join(jobsDir, `${id}.json`);
    const rec = JSON.parse(await fs.readFile(file, 'utf8'));
    const running = { ...rec, status: 'running', phase: 'investigating', pid: pids[i], completedAt: undefined };
    delete running.rendered;
    delete running.result;
    await fs.writeFile(file, JSON.stringify(running, null, 2));
    state.jobs = state.jobs.map((e: { id: string }) =>
      e.id === id ? { ...e, status: 'running', phase: 'investigating', pid: pids[i], completedAt: undefined } : e,
    );
  }
  await fs.writeFile(statePath, JSON.stringify(state, null, 2) + '\n');
}

async function cliBench(ws: GeneratedWorkspace, logMB: number, runningIds: string[]): Promise<void> {
  const archiveDir = path.join(base, 'cost-archive-cli');
  await fs.rm(archiveDir, { recursive: true, force: true });
  const env = { CODEX_JOBS_ARCHIVE_DIR: archiveDir };
  const status = ['status', '--json', '--state-root', ws.stateRoot, ws.workspace];
  const first = await run(process.execPath, [CLI, ...status], env);
  const after1 = await du(archiveDir);
  const json = JSON.parse(first.out);
  // Verified alive: running, or stalled (alive, its log silent for a while).
  const live = (j: { status: string }) => j.status === 'running' || j.status === 'stalled';
  const running = json.jobs.filter(live).length;
  // The six marked running have live workers: anything else is a verification to look into.
  type Shown = { id: string; status: string; verification: { detail?: string } | null };
  for (const j of (json.jobs as Shown[]).filter((j) => runningIds.includes(j.id) && !live(j)))
    console.error(`    marked running, shown ${j.status}: ${j.id}: ${j.verification?.detail ?? 'no verification'}`);
  row(
    `status --json (default path), whole process, ${logMB} MB workspace: first run`,
    `${first.ms.toFixed(0)} ms; ${json.jobs.length} jobs, ${running} verified alive; archive wrote ${(after1.bytes / MB).toFixed(2)} MB in ${after1.files} files`,
  );
  // Whole process against whole process, interleaved round by round so that the machine's drift
  // falls on all alike: ours (default path, then --all, then --version), their floors (`node -e 0`,
  // and a process reading the same files synchronously: bench/floor.ts), and the companion's (its
  // status, its --all).
  const rounds = Number(opt('--rounds') ?? 9);
  type Kind = 'ours' | 'all' | 'version' | 'node' | 'floor' | 'theirs' | 'theirsAll';
  const kinds: Kind[] = ['ours', 'all', 'version', 'node', 'floor', 'theirs', 'theirsAll'];
  const t = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  const cpu = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  const time = async (k: Kind, p: Promise<{ ms: number; cpuMs?: number }>) => {
    const r = await p;
    t[k].push(r.ms);
    if (r.cpuMs !== undefined) cpu[k].push(r.cpuMs);
    return r.ms;
  };
  const livePids = (json.jobs as { pid: number | null; status: string }[]).filter(live).map((j) => String(j.pid));
  let wrote = 0;
  let touched = 0;
  const companionRun = (extra: string[]) =>
    run(
      process.execPath,
      [companion!, 'status', '--json', ...extra],
      { CLAUDE_PLUGIN_DATA: ws.pluginData },
      ws.workspace,
    );
  for (let i = 0; i < rounds; i++) {
    const before = await du(archiveDir);
    await time('ours', run(process.execPath, [CLI, ...status], env));
    await time('all', run(process.execPath, [CLI, 'status', '--json', '--all', '--state-root', ws.stateRoot], env));
    const after = await du(archiveDir);
    wrote += Math.abs(after.bytes - before.bytes);
    if (after.newest > before.newest) touched++;
    await time('node', run(process.execPath, ['-e', '0'], {}));
    await time('floor', run(process.execPath, [FLOOR, ws.stateDir, ...livePids], {}));
    await time('version', run(process.execPath, [CLI, '--version'], {}));
    if (!companion) continue;
    // The companion's own `status --json` (its default: running jobs and the latest few) and
    // `status --json --all` (every job of the workspace), on the same dir.
    await time('theirs', companionRun([]));
    await time('theirsAll', companionRun(['--all']));
  }
  const m = (k: Kind) => median(t[k]);
  const mc = (k: Kind) => median(cpu[k]);
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
  const spread = (k: Kind) =>
    `${m(k).toFixed(0)} ms (${range(t[k])})` + (cpu[k].length ? `; CPU ${mc(k).toFixed(0)} ms (${range(cpu[k])})` : '');
  row(`floor: node -e 0, whole process (median of ${rounds}, min–max)`, spread('node'));
  row(
    'floor: a process reading the same files synchronously (state.json, every record, a 64 KB tail of every log, /proc of the live pids)',
    spread('floor'),
  );
  row(
    `status --json (default path), second and later runs (median of ${rounds}, min–max)`,
    `${spread('ours')}; archive wrote ${wrote} bytes, ${touched} of ${rounds} rounds touched a file`,
    'writes nothing',
    wrote === 0 && touched === 0,
  );
  const cpuRatio = (a: Kind, b: Kind) => (cpu[a].length ? `; CPU ${(mc(a) / mc(b)).toFixed(2)}x` : '');
  row(
    '  status --json / the floor process; / node -e 0',
    `${(m('ours') / m('floor')).toFixed(2)}x${cpuRatio('ours', 'floor')}; ${(m('ours') / m('node')).toFixed(2)}x${cpuRatio('ours', 'node')}`,
    '<= 1.5x the floor process',
    m('ours') <= 1.5 * m('floor'),
  );
  row(`--version, whole process (median of ${rounds}, min–max)`, spread('version'));
  row(
    '  --version / node -e 0',
    `${(m('version') / m('node')).toFixed(2)}x${cpuRatio('version', 'node')}`,
    '<= 1.1x',
    m('version') <= 1.1 * m('node'),
  );
  row(`status --all --json, whole process, same one state dir (median of ${rounds}, min–max)`, spread('all'));
  if (!companion) {
    row('companion status --json --all, whole process', 'not run (pass --companion <path to codex-companion.mjs>)');
    return;
  }
  row(`companion status --json, same dir, whole process (median of ${rounds}, min–max)`, spread('theirs'));
  row(`companion status --json --all, same dir, whole process (median of ${rounds}, min–max)`, spread('theirsAll'));
  row(
    '  codex-jobs / companion: status (default path) vs its status; --all vs its --all (still faster than the companion)',
    `${(m('ours') / m('theirs')).toFixed(2)}x${cpuRatio('ours', 'theirs')}; ${(m('all') / m('theirsAll')).toFixed(2)}x${cpuRatio('all', 'theirsAll')}`,
    '< 1x both',
    m('theirs') > m('ours') && m('theirsAll') > m('all'),
  );
}

/** The extension's model over one generated workspace, its only root; no home or temp dir is searched. */
function extensionModel(ws: GeneratedWorkspace, archive: JobArchive, name: string): JobsModel {
  return benchModel({ base, stateRoot: ws.stateRoot, folders: [{ path: ws.workspace, name }], archive });
}

async function extensionBench(ws: GeneratedWorkspace, appendTo: string, floor: LiveFloor): Promise<void> {
  const archiveDir = path.join(base, 'cost-archive-ext');
  // --reuse-archive: start from the archive an earlier run left (the first copy is then quick).
  if (!args.includes('--reuse-archive')) await fs.rm(archiveDir, { recursive: true, force: true });
  const archive = new JobArchive(archiveDir);
  const model = extensionModel(ws, archive, 'big');
  const live = new LiveUpdates(model, { archive });
  const t0 = now();
  const c0 = process.cpuUsage();
  await live.start();
  await live.watcher.ready();
  await model.settled();
  while (archive.copying) await new Promise((r) => setTimeout(r, 200));
  await model.settled();
  const c1 = process.cpuUsage(c0);
  const firstMs = now() - t0;
  row(
    'extension model: first look, archive copy in the background (once)',
    `${(firstMs / 1000).toFixed(1)} s wall, ${((c1.user + c1.system) / 1000).toFixed(0)} ms CPU; copied ${(archive.bytesCopied / MB).toFixed(0)} MB, archive ${(archive.totalBytes / MB).toFixed(0)} MB (limit 512 MB, per-job cap 32 MB)`,
  );
  collect();
  {
    const b0 = process.cpuUsage();
    const t = now();
    const ticks = live.timer.ticks;
    await new Promise((r) => setTimeout(r, 5000));
    const b = process.cpuUsage(b0);
    row(
      '  baseline, no appends: 6 running jobs re-verified every 2 s',
      `${(((b.user + b.system) / 1000 / (now() - t)) * 100).toFixed(2)} % of a core; ${live.timer.ticks - ticks} re-verifications`,
    );
  }
  let changes = 0;
  model.onDidChange(() => changes++);
  const batches0 = live.watcher.batches;
  const copied0 = archive.bytesCopied;
  const written0 = archive.entriesWritten;
  const log = path.join(ws.stateDir, 'jobs', `${appendTo}.log`);
  collect();
  const profile = opt('--cpu-prof');
  const session = profile ? await startProfile() : undefined;
  // Two windows: the first lines after the first look (the line path still being compiled), then
  // the same again: what a running editor spends on each line from then on.
  let line = 0;
  for (const window of ['first', 'next']) {
    const w0 = now();
    const cpu0 = process.cpuUsage();
    for (let s = 0; s < cpuSeconds; s++) {
      await fs.appendFile(log, `[${new Date().toISOString()}] Running command: one more line ${line++}\n`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const cpu = process.cpuUsage(cpu0);
    const wall = now() - w0;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const share = cpuMs / wall;
    row(
      `extension model, one running job appending a line a second, ${window} ${cpuSeconds} s`,
      `${(share * 100).toFixed(2)} % of a core (${cpuMs.toFixed(0)} ms CPU, ${(cpuMs / cpuSeconds).toFixed(2)} ms a line: ${(cpuMs / cpuSeconds / floor.cpuPerLineMs).toFixed(0)}x the floor's read and parse); ${live.watcher.batches - batches0} batches, ${changes} model changes; copied ${archive.bytesCopied - copied0} bytes, ${archive.entriesWritten - written0} entry writes (both windows)`,
      '<= 0.2 %',
      share <= 0.002,
    );
  }
  if (session && profile) await stopProfile(session, profile);
  await live.dispose();
  model.dispose();
  await archive.dispose();
}

/** `--cpu-prof <file>`: a CPU profile of the append phase only (open it in DevTools). */
async function startProfile(): Promise<inspector.Session> {
  const session = new inspector.Session();
  session.connect();
  const post = (m: string, p?: object) =>
    new Promise<void>((res, rej) => session.post(m, p ?? {}, (err) => (err ? rej(err) : res())));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 250 });
  await post('Profiler.start');
  return session;
}

async function stopProfile(session: inspector.Session, file: string): Promise<void> {
  const profile = await new Promise<unknown>((res, rej) =>
    session.post('Profiler.stop', (err, r) => (err ? rej(err) : res(r.profile))),
  );
  await fs.writeFile(file, JSON.stringify(profile));
  session.disconnect();
}

async function sparseBench(): Promise<void> {
  const ws = await generateWorkspace({
    base,
    name: 'sparse',
    indexed: 1,
    records: 1,
    logBytesTotal: 64 * 1024,
    pluginData: path.join(base, 'plugin-data-sparse'),
  });
  const id = ws.ids[0];
  const log = path.join(ws.stateDir, 'jobs', `${id}.log`);
  const size = 2 * 1024 * MB;
  if ((await fs.stat(log)).size !== size) {
    const fh = await fs.open(log, 'r+');
    await fh.truncate(size);
    await fh.write('[2026-12-01T00:00:00.000Z] the end of a 2 GiB log\n', size - 51);
    await fh.close();
  }
  const cliDir = path.join(base, 'cost-archive-sparse-cli');
  await fs.rm(cliDir, { recursive: true, force: true });
  const r = await run(process.execPath, [CLI, 'status', '--json', '--state-root', ws.stateRoot, ws.workspace], {
    CODEX_JOBS_ARCHIVE_DIR: cliDir,
  });
  const d = await du(cliDir);
  row(
    '2 GiB sparse log: CLI status',
    `${r.ms.toFixed(0)} ms; archive wrote ${d.bytes} bytes (the log is skipped with a note)`,
    'bounded',
    d.bytes < MB,
  );
  const extDir = path.join(base, 'cost-archive-sparse-ext');
  await fs.rm(extDir, { recursive: true, force: true });
  const archive = new JobArchive(extDir);
  const model = extensionModel(ws, archive, 'sparse');
  const t = now();
  await model.refresh();
  await model.settled();
  while (archive.copying) await new Promise((res) => setTimeout(res, 100));
  await model.settled();
  const first = archive.bytesCopied;
  await model.refresh();
  await model.settled();
  row(
    '2 GiB sparse log: extension archive, once',
    `${(first / MB).toFixed(1)} MB copied in ${((now() - t) / 1000).toFixed(1)} s (its first 16 MB and last 16 MB); then ${archive.bytesCopied - first} bytes`,
    '<= 48 MB once, then 0',
    first <= 48 * MB && archive.bytesCopied === first,
  );
  model.dispose();
  await archive.dispose();
}

async function manyDirsBench(n: number): Promise<void> {
  const root = path.join(base, `many-${n}`, 'state');
  const marker = path.join(root, '.done');
  if (!(await fs.stat(marker).catch(() => undefined))) {
    await fs.rm(path.dirname(root), { recursive: true, force: true });
    for (let d = 0; d < n; d++) {
      const dir = path.join(root, `ws${d}-${String(d).padStart(16, '0')}`);
      await fs.mkdir(path.join(dir, 'jobs'), { recursive: true });
      const jobs = [0, 1, 2].map((j) => ({
        id: `task-many${String(d).padStart(4, '0')}-job${j}00`,
        status: 'completed',
        kind: 'task',
        createdAt: new Date(Date.now() - 3_600_000).toISOString(),
        completedAt: new Date(Date.now() - 3_000_000).toISOString(),
      }));
      for (const j of jobs) {
        await fs.writeFile(path.join(dir, 'jobs', `${j.id}.json`), JSON.stringify(j));
        await fs.writeFile(path.join(dir, 'jobs', `${j.id}.log`), `[${j.createdAt}] Starting Codex Task.\n`);
      }
      await fs.writeFile(path.join(dir, 'state.json'), JSON.stringify({ version: 1, jobs }));
    }
    await fs.writeFile(marker, '');
  }
  const archiveDir = path.join(base, `cost-archive-many`);
  await fs.rm(archiveDir, { recursive: true, force: true });
  // Twice: the first look archives every job, the second reads the thousand archive dirs it left.
  for (const look of ['fresh archive', 'archive kept']) {
    const r = await run(
      '/bin/sh',
      ['-c', `ulimit -n 256; exec "${process.execPath}" "${CLI}" status --json --all --state-root "${root}"`],
      { CODEX_JOBS_ARCHIVE_DIR: archiveDir },
    );
    const json = JSON.parse(r.out);
    const ok = json.jobs.length === n * 3 && json.counts.attention === 0 && json.warnings.length === 0;
    const first = json.warnings[0] ? ` (first: ${json.warnings[0].file}: ${json.warnings[0].message})` : '';
    row(
      `status --all over ${n} state dirs, at most 256 open files, ${look}`,
      `${r.ms.toFixed(0)} ms; ${json.jobs.length} of ${n * 3} jobs, ${json.counts.attention} attention, ${json.warnings.length} warnings${first}`,
      'every job, no failed read',
      ok,
    );
  }
}

async function main(): Promise<void> {
  await fs.mkdir(base, { recursive: true });
  await fs.stat(CLI).catch(() => {
    throw new Error(`${CLI} is not built: npm run build`);
  });
  const logBytes = quick ? 100 * MB : 1024 * MB;
  console.error(`generating 50 indexed jobs, 200 records, ${logBytes / MB} MB of logs (cached in ${base})`);
  // A plugin data dir of its own: `--all` then reads the same one state dir as the companion's `--all`.
  const ws = await generateWorkspace({
    base,
    name: 'big',
    indexed: 50,
    records: 200,
    logBytesTotal: logBytes,
    pluginData: path.join(base, 'plugin-data-cost'),
  });
  const runningIds = ws.ids.slice(-6);
  const workers = await startWorkers(ws, runningIds);
  try {
    await markRunning(
      ws,
      runningIds,
      workers.map((w) => w.pid!),
    );
    console.error(
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    const only = opt('--only');
    if (!only || only === 'cli') await cliBench(ws, logBytes / MB, runningIds);
    // The live path's floors, in this process on the same disk: a watch event, the read of the
    // appended bytes and the parse of the line.
    const floorLog = path.join(base, 'live-floor.log');
    await fs.writeFile(floorLog, '');
    const floor = await liveFloor(floorLog);
    row(
      'floor: in-process watch -> read appended bytes -> parse a line, p50 / p95 (60 isolated appends)',
      `${floor.latencyP50.toFixed(2)} ms / ${floor.latencyP95.toFixed(2)} ms`,
    );
    row(
      'floor: CPU of reading one appended line and parsing it (warm)',
      `${(floor.cpuPerLineMs * 1000).toFixed(0)} µs`,
    );
    if (!only || only === 'ext') await extensionBench(ws, runningIds[0], floor);
    // Change-to-model on the same workspace, its six jobs running (after the CPU phase, whose archive it does not touch).
    if (!only || only === 'latency') await latencyBench(ws, { base, row, floor });
    if (!only || only === 'sparse') await sparseBench();
    if (!only || only === 'many') await manyDirsBench(quick ? 200 : 1000);
    // One running task whose Codex session file grows (the usage ledger's live path).
    if (!only || only === 'usage') await usageBench({ base, row, cpuSeconds });
  } finally {
    for (const w of workers) w.kill('SIGKILL');
  }
  figures.print();
  console.log(
    `load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

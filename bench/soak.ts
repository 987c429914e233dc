// The soak benchmark (`npm run bench:soak -- --minutes 30`): the extension's core (the model with
// the archive and live updates, bench/soakModel.ts) and `codex-jobs watch`, each in a process of its
// own, beside a stand-in that keeps a state dir the way the companion does (bench/standin.ts), at 1
// and 10 new jobs a second. Every 30 s it prints, per process: RSS, heap used, CPU share of a core,
// event-loop delay (p99 over the window, from bench/soakProbe.ts), and jobs the stand-in created
// against jobs in that process's archive. Then a load of 10,000 archived jobs: the first tree in
// the model, and `status --json` as a whole process, with their memory.
//
// Options: --minutes N (per rate, default 5), --rates 1,10, --subjects model,watch, --every 30 (s),
// --history 10000 (0: skip), --tree DIR (a built codex-jobs tree to measure, default this one:
// run it against an older build to compare; its out/bench/soakModel.js and dist/cli.js are used).
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { slugHash } from './generate';

interface Options {
  minutes: number;
  rates: number[];
  subjects: string[];
  everyS: number;
  history: number;
  tree: string;
}

function options(argv: string[]): Options {
  const get = (name: string, dflt: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
  };
  return {
    minutes: Number(get('minutes', '5')),
    rates: get('rates', '1,10').split(',').filter(Boolean).map(Number),
    subjects: get('subjects', 'model,watch').split(',').filter(Boolean),
    everyS: Number(get('every', '30')),
    history: Number(get('history', '10000')),
    tree: path.resolve(get('tree', path.resolve(__dirname, '..', '..'))),
  };
}

const here = path.resolve(__dirname);
const PROBE = path.join(here, 'soakProbe.js');
const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;

interface Probe {
  t: number;
  rss: number;
  heapUsed: number;
  cpu: number;
  eldP99: number;
  eldMax: number;
  maxRss?: number;
}

interface Subject {
  name: string;
  child: ChildProcess;
  probeFile: string;
  archive: string;
  exit?: string;
  stderr: string;
  seen: number;
  peakRss: number;
  p99s: number[];
  cpus: number[];
}

function readProbe(file: string): Probe[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Probe);
}

async function archivedIds(archive: string, stateDir: string): Promise<Set<string>> {
  const sub = path.join(archive, createHash('sha256').update(stateDir).digest('hex').slice(0, 16));
  const names = await fs.readdir(sub).catch(() => [] as string[]);
  return new Set(names.filter((n) => /^(task|review)-.*\.json$/.test(n)).map((n) => n.slice(0, -5)));
}

async function createdIds(file: string): Promise<string[]> {
  return (await fs.readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

function startSubject(name: string, o: Options, base: string, ws: string, stateRoot: string): Subject {
  const archive = path.join(base, `${name}-archive`);
  const probeFile = path.join(base, `${name}.probe`);
  const env = {
    ...process.env,
    SOAK_PROBE_FILE: probeFile,
    SOAK_PROBE_MS: '5000',
    CODEX_JOBS_ARCHIVE_DIR: archive,
    SOAK_FAKE_TTY: '1',
    NO_COLOR: '1',
  };
  const args =
    name === 'model'
      ? [
          path.join(o.tree, 'out/bench/soakModel.js'),
          '--state-root',
          stateRoot,
          '--workspace',
          ws,
          '--archive',
          archive,
        ]
      : [path.join(o.tree, 'dist/cli.js'), 'watch', '--state-root', stateRoot, ws];
  const child = spawn(process.execPath, ['--require', PROBE, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const s: Subject = { name, child, probeFile, archive, stderr: '', seen: 0, peakRss: 0, p99s: [], cpus: [] };
  child.stderr!.on('data', (d: Buffer) => (s.stderr = (s.stderr + d.toString()).slice(-4000)));
  child.on('exit', (code, sig) => (s.exit = sig ?? `exit ${code}`));
  return s;
}

async function report(subjects: Subject[], created: string[], stateDir: string, elapsedS: number): Promise<void> {
  for (const s of subjects) {
    const lines = readProbe(s.probeFile);
    const fresh = lines.slice(s.seen);
    s.seen = lines.length;
    const last = lines.at(-1);
    for (const l of fresh) {
      s.peakRss = Math.max(s.peakRss, l.rss);
      s.p99s.push(l.eldP99);
      s.cpus.push(l.cpu);
    }
    const cpu = fresh.length ? fresh.reduce((n, l) => n + l.cpu, 0) / fresh.length : NaN;
    const p99 = fresh.length ? Math.max(...fresh.map((l) => l.eldP99)) : NaN;
    const have = await archivedIds(s.archive, stateDir);
    const kept = created.filter((id) => have.has(id)).length;
    console.log(
      `  ${String(elapsedS).padStart(5)} s  ${s.name.padEnd(5)}  rss ${last ? mb(last.rss) : '-'}  heap ${
        last ? mb(last.heapUsed) : '-'
      }  cpu ${(cpu * 100).toFixed(1)} %  loop p99 ${p99.toFixed(1)} ms  created ${created.length}  archived ${kept}${
        s.exit ? `  (ended: ${s.exit})` : ''
      }`,
    );
  }
}

/** A workspace under `base` and its state dir, with an empty index, as the companion leaves one. */
async function emptyWorkspace(base: string): Promise<{ ws: string; stateRoot: string; stateDir: string }> {
  const ws = path.join(base, 'ws');
  await fs.mkdir(ws);
  const stateRoot = path.join(base, 'plugin-data', 'state');
  const stateDir = path.join(stateRoot, slugHash(await fs.realpath(ws)));
  await fs.mkdir(path.join(stateDir, 'jobs'), { recursive: true });
  await fs.writeFile(path.join(stateDir, 'state.json'), JSON.stringify({ version: 1, config: {}, jobs: [] }));
  return { ws, stateRoot, stateDir };
}

async function soakAt(o: Options, rate: number): Promise<void> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), `soak-${rate}-`));
  const { ws, stateRoot, stateDir } = await emptyWorkspace(base);
  const ids = path.join(base, 'created.ids');
  console.log(`\n== ${rate} new job(s) a second for ${o.minutes} min (${base}; load ${os.loadavg()[0].toFixed(1)})`);
  const subjects = o.subjects.map((n) => startSubject(n, o, base, ws, stateRoot));
  await new Promise((r) => setTimeout(r, 3000));
  const standin = spawn(
    process.execPath,
    [
      path.join(here, 'standin.js'),
      ...['--state-dir', stateDir, '--workspace', ws, '--ids', ids],
      ...['--rate', String(rate), '--minutes', String(o.minutes)],
    ],
    { stdio: 'inherit' },
  );
  const standinDone = new Promise<void>((r) => standin.on('exit', () => r()));
  const started = Date.now();
  const timer = setInterval(
    () => void createdIds(ids).then((c) => report(subjects, c, stateDir, Math.round((Date.now() - started) / 1000))),
    o.everyS * 1000,
  );
  await standinDone;
  clearInterval(timer);
  // What was left behind is given time to reach the archive (at most a minute).
  const created = await createdIds(ids);
  for (let i = 0; i < 60; i++) {
    const counts = await Promise.all(subjects.map((s) => archivedIds(s.archive, stateDir)));
    if (counts.every((have, k) => subjects[k].exit || created.every((id) => have.has(id)))) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await report(subjects, created, stateDir, Math.round((Date.now() - started) / 1000));
  for (const s of subjects) {
    const have = await archivedIds(s.archive, stateDir);
    const missing = created.filter((id) => !have.has(id)).length;
    const sorted = [...s.p99s].sort((a, b) => a - b);
    const cpu = s.cpus.length ? s.cpus.reduce((a, b) => a + b, 0) / s.cpus.length : NaN;
    console.log(
      `  ${s.name}: peak rss ${mb(s.peakRss)}, mean cpu ${(cpu * 100).toFixed(1)} %, loop p99 (5 s windows) median ${(
        sorted[Math.floor(sorted.length / 2)] ?? NaN
      ).toFixed(
        1,
      )} / worst ${(sorted.at(-1) ?? NaN).toFixed(1)} ms, ${created.length} created, ${missing} not archived${
        s.exit ? `, ENDED: ${s.exit} ${s.stderr.slice(-300)}` : ''
      }`,
    );
    s.child.kill('SIGTERM');
  }
  await new Promise((r) => setTimeout(r, 1000));
  await fs.rm(base, { recursive: true, force: true }).catch(() => undefined);
}

/** An archive holding `n` finished, pruned jobs of one state dir (entries as the archive writes them). */
async function writeHistory(archive: string, stateDir: string, n: number): Promise<void> {
  const sub = path.join(archive, createHash('sha256').update(stateDir).digest('hex').slice(0, 16));
  await fs.mkdir(sub, { recursive: true });
  const now = Date.now();
  for (let i = 0; i < n; i += 200)
    await Promise.all(
      Array.from({ length: Math.min(200, n - i) }, async (_, k) => {
        const at = now - ((i + k + 1) / n) * 25 * 86_400_000;
        const id = `task-${Math.floor(at).toString(36)}-${(i + k).toString(36).padStart(6, '0')}`;
        const iso = new Date(at).toISOString();
        const record = {
          id,
          kind: 'task',
          kindLabel: 'rescue',
          title: 'Codex Task',
          jobClass: 'task',
          summary: `Archived task ${i + k}`,
          status: 'completed',
          phase: 'done',
          pid: null,
          createdAt: iso,
          startedAt: iso,
          updatedAt: iso,
          completedAt: new Date(at + 3000).toISOString(),
          rendered: 'Done.',
        };
        const log = `[${iso}] Starting Codex Task.\n[${iso}] Turn completed.\n`;
        const entry = {
          id,
          stateDir,
          record,
          logOffset: log.length,
          logBytes: log.length,
          lifeBytes: log.length,
          firstSeenMs: at,
          lastSeenMs: at + 5000,
          lastLive: false,
          lastStatus: 'completed',
          goneAtMs: at + 5000,
          goneHow: 'pruned',
          history: [
            { atMs: at, what: 'created', status: 'running' },
            { atMs: at + 3000, what: 'status', status: 'completed' },
            { atMs: at + 5000, what: 'deleted', status: 'completed', files: 'record, log', by: 'pruned' },
          ],
          evictedBytes: 0,
          skippedBytes: 0,
        };
        await fs.writeFile(path.join(sub, `${id}.json`), JSON.stringify(entry));
        await fs.writeFile(path.join(sub, `${id}.log`), log);
      }),
    );
}

function timed(o: Options, args: string[], env: NodeJS.ProcessEnv): { ms: number; maxRss: number; out: string } {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    cwd: o.tree,
  });
  const ms = performance.now() - t;
  const kb = Number(/(\d+)\s*$/.exec(r.stderr ?? '')?.[1] ?? NaN);
  return { ms, maxRss: kb * 1024, out: r.stdout ?? '' };
}

async function historyLoad(o: Options): Promise<void> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'soak-history-'));
  const { ws, stateRoot, stateDir } = await emptyWorkspace(base);
  const archive = path.join(base, 'archive');
  await writeHistory(archive, stateDir, o.history);
  console.log(`\n== ${o.history} archived jobs (${base}; load ${os.loadavg()[0].toFixed(1)})`);
  const env = { ...process.env, CODEX_JOBS_ARCHIVE_DIR: archive };
  for (const round of ['first', 'second']) {
    const m = timed(
      o,
      [
        path.join(o.tree, 'out/bench/soakModel.js'),
        '--once',
        ...['--state-root', stateRoot, '--workspace', ws, '--archive', archive],
      ],
      env,
    );
    const first = JSON.parse(m.out.trim().split('\n').at(-1) ?? '{}') as { firstTreeMs?: number; jobs?: number };
    console.log(
      `  model, ${round} run: first tree ${first.firstTreeMs?.toFixed(0)} ms (${first.jobs} jobs in it), whole process ${m.ms.toFixed(0)} ms, max rss ${mb(m.maxRss)}`,
    );
    const s = timed(o, [path.join(o.tree, 'dist/cli.js'), 'status', '--json', '--state-root', stateRoot, ws], env);
    let shown = NaN;
    try {
      shown = (JSON.parse(s.out) as { jobs: unknown[] }).jobs.length;
    } catch {
      // not JSON: shown as NaN
    }
    console.log(
      `  status --json, ${round} run: ${s.ms.toFixed(0)} ms as a whole process, max rss ${mb(s.maxRss)}, ${shown} jobs printed`,
    );
  }
  await fs.rm(base, { recursive: true, force: true }).catch(() => undefined);
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  console.log(
    `soak of ${o.tree}: ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  if (o.history > 0) await historyLoad(o);
  for (const rate of o.rates) await soakAt(o, rate);
}

void main();

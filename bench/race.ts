// `npm run bench:race`: N parallel background launches through the fake companion, whose unlocked
// state.json writes drop jobs and delete their files (races 1 and 2), while codex-jobs watches and
// archives. Every write to a log is recorded by the fake (a ledger: bytes, text, and which life of
// the file, inode and birth time, took it), so the table says exactly how much the archive kept,
// how much was lost, and how short-lived the files were whose bytes were lost.
// The ground truth is the stand-in's own: its ledger has every byte it wrote, every deletion of a
// job's files (and the status it had), and its completion or cancel lines; so each run also says how
// many jobs every view shows (the tree's model, `status`, `status --all`), how many final statuses
// are untruthful, how many deleted jobs carry no flag, and whether `log` prints every byte kept.
// Options: --jobs N (default 32), --run-ms N (how long each job runs, default 3000), --runs N
// (default 1), --load N (busy loops beside it, default 0; the issue's runs use 4).
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { monitorEventLoopDelay } from 'perf_hooks';
import { JobArchive } from '../src/core/archive/archive';
import { LiveUpdates } from '../src/core/model/live';
import { benchModel } from './model';

const args = process.argv.slice(2);
const opt = (name: string, d: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const N = opt('--jobs', 32);
const runMs = opt('--run-ms', 3000);
const RUNS = opt('--runs', 1);
const LOAD = opt('--load', 0);
const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
const FAKE = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'fake-plugin', 'scripts', 'codex-companion.mjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The reference catcher: one native watch, a synchronous open of every log created; lists what it caught. */
const CATCHER = `
  const fs = require('fs');
  const [dir, out] = process.argv.slice(1);
  const caught = [];
  fs.watch(dir, (event, name) => {
    if (event !== 'rename' || !name || !name.endsWith('.log')) return;
    try {
      const fd = fs.openSync(dir + '/' + name, 'r');
      const st = fs.fstatSync(fd);
      caught.push(name.slice(0, -4) + '\\t' + st.ino + ':' + st.birthtimeMs);
    } catch {}
  });
  process.on('SIGTERM', () => { fs.writeFileSync(out, caught.join('\\n')); process.exit(0); });
  process.stdout.write('ready');`;

async function main(): Promise<void> {
  const busy = Array.from({ length: LOAD }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  let failed = 0;
  const runs: RunFigures[] = [];
  try {
    for (let r = 1; r <= RUNS; r++) {
      console.log(`\n--- run ${r} of ${RUNS}${LOAD ? `, ${LOAD} busy loops beside it` : ''}`);
      const f = await oneRun();
      runs.push(f);
      failed += f.failed;
    }
  } finally {
    for (const b of busy) b.kill('SIGKILL');
  }
  // One line per run, for the table in the issue's closing note.
  console.log(
    '\nrun | created | shown tree/status/--all | untruthful | deleted unflagged | `log` bytes printed/archived/written | bytes lost | load (1 min)',
  );
  runs.forEach((f, i) =>
    console.log(
      `${i + 1} | ${f.created} | ${f.shown.join('/')} | ${f.untruthful} | ${f.unflagged} | ${f.log.join('/')} | ${f.lost} | ${f.load.toFixed(1)}`,
    ),
  );
  process.exitCode = failed > 0 ? 1 : 0;
}

interface RunFigures {
  failed: number;
  created: number;
  shown: number[];
  untruthful: number;
  unflagged: number;
  log: number[];
  lost: number;
  load: number;
}

function cli(argv: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...argv], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const out: Buffer[] = [];
    c.stdout.on('data', (d: Buffer) => out.push(d));
    c.on('exit', () => resolve(Buffer.concat(out).toString()));
  });
}

async function oneRun(): Promise<RunFigures> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-race-'));
  const workspace = path.join(tmp, 'ws');
  const pluginData = path.join(tmp, 'plugin-data');
  const ledger = path.join(tmp, 'ledger.tsv');
  await fs.mkdir(workspace);
  await fs.writeFile(ledger, '');
  const archive = new JobArchive(path.join(tmp, 'archive'));
  const model = benchModel({
    base: tmp,
    stateRoot: path.join(pluginData, 'state'),
    folders: [{ path: workspace, name: 'ws' }],
    archive,
  });
  const live = new LiveUpdates(model, { debounceMs: 30, archive });
  await live.start();
  await live.watcher.ready();

  const env = {
    ...process.env,
    CLAUDE_PLUGIN_DATA: pluginData,
    FAKE_COMPANION_MODE: `exit-after-ms:${runMs}`,
    FAKE_COMPANION_PROGRESS_MS: '100',
    FAKE_COMPANION_LEDGER: ledger,
  };
  // One job first: the state dir exists and is watched, as in everyday use.
  await new Promise((r) =>
    spawn(process.execPath, [FAKE, 'task', '--background', '--json', '--cwd', workspace, 'warm-up'], {
      env: { ...env, FAKE_COMPANION_MODE: 'exit' },
      stdio: 'ignore',
    }).on('exit', r),
  );
  while (model.allJobs().length === 0) await sleep(50);
  await live.watcher.ready();
  await sleep(300);
  const t0 = Date.now();
  // The floor: a process doing nothing but opening every new log at once, synchronously.
  const caughtFile = path.join(tmp, 'caught.txt');
  const catcher = spawn(process.execPath, ['-e', CATCHER, path.join(model.allJobs()[0].stateDir, 'jobs'), caughtFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const catcherDone = new Promise((r) => catcher.on('exit', r));
  await new Promise((r) => catcher.stdout.once('data', r));
  const catcherFrom = Date.now();
  // How late this process, the one watching, gets to run: a file that lives less than that can be
  // created and deleted before any code here sees it.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  // Launched from another process, as users do: spawning is synchronous work that would otherwise
  // stall this process, the one doing the watching.
  const launcher = `
    const { spawn } = require('child_process');
    const [fake, ws, n] = process.argv.slice(1);
    const kinds = [['task', '--background'], ['review'], ['task', '--background'], ['adversarial-review']];
    Promise.all(Array.from({ length: Number(n) }, (_, i) => new Promise((resolve) => {
      const c = spawn(process.execPath, [fake, ...kinds[i % 4], '--json', '--cwd', ws, 'race job ' + i], { stdio: ['ignore', 'pipe', 'ignore'] });
      // A foreground review prints no id; it runs its job in this process, until it ends.
      if (kinds[i % 4][0] !== 'task') return c.on('exit', () => resolve(null));
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.on('exit', () => {
        let id = null;
        try { id = JSON.parse(out).jobId; } catch {}
        // Every sixth job (a background task) is cancelled while it runs, as a user would.
        if (!id || i % 6 !== 0) return resolve(id);
        setTimeout(() => spawn(process.execPath, [fake, 'cancel', id, '--cwd', ws], { stdio: 'ignore' }).on('exit', () => resolve(id)), 700);
      });
    }))).then((ids) => process.stdout.write(JSON.stringify(ids)));`;
  const launched = await new Promise<(string | null)[]>((resolve) => {
    const child = spawn(process.execPath, ['-e', launcher, FAKE, workspace, String(N)], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', () => resolve(JSON.parse(out || '[]') as (string | null)[]));
  });

  // Until every worker is done: the ledger stops growing.
  let last = -1;
  for (;;) {
    await sleep(1000);
    const size = (await fs.stat(ledger)).size;
    if (size === last && Date.now() - t0 > runMs + 1000) break;
    last = size;
  }
  loopDelay.disable();
  catcher.kill('SIGTERM');
  await catcherDone;
  const caught = new Set((await fs.readFile(caughtFile, 'utf8').catch(() => '')).split('\n'));
  const load = os.loadavg()[0];
  await sleep(500);
  await model.idle();
  // Bytes still in the state dir are not lost: one more look copies whatever the last events left.
  await model.refresh();
  await model.idle();
  await archive.flush();

  interface Write {
    id: string;
    bytes: number;
    life: string;
    ms: number;
    text: string;
  }
  const entries: Write[] = (await fs.readFile(ledger, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, bytes, life, ms, text] = line.split('\t');
      return { id, bytes: Number(bytes), life, ms: Number(ms), text: JSON.parse(text) as string };
    });
  const writes = entries.filter((w) => w.life !== 'deleted');
  const deletions = entries.filter((w) => w.life === 'deleted');
  const byJob = new Map<string, Write[]>();
  for (const w of writes) byJob.set(w.id, [...(byJob.get(w.id) ?? []), w]);
  const stateDir = model.allJobs()[0]?.stateDir ?? '';
  const state = JSON.parse(await fs.readFile(path.join(stateDir, 'state.json'), 'utf8').catch(() => '{"jobs":[]}')) as {
    jobs: { id: string }[];
  };
  let totalWritten = 0;
  let lost = 0;
  const lostJobs: string[] = [];
  const how = new Map<string, number>();
  let lives = 0;
  let catcherMissed = 0;
  let bothMissed = 0;
  /** Per life that lost bytes: how long it can have lasted (until the job's next life began). */
  const lostLives: (number | undefined)[] = [];
  for (const [id, ws] of byJob) {
    const e = archive.get(stateDir, id);
    // Every write's text is unique (a timestamp and a step number): kept if the archive's copy has it.
    const copy = await fs.readFile(archive.entryPaths(stateDir, id).log, 'utf8').catch(() => '');
    const jobLives = [...new Set(ws.map((w) => w.life))];
    lives += jobLives.length;
    const missedByCatcher = new Set(
      jobLives.filter((life) => ws.find((w) => w.life === life)!.ms > catcherFrom && !caught.has(`${id}\t${life}`)),
    );
    catcherMissed += missedByCatcher.size;
    let jobLost = 0;
    let jobBytes = 0;
    jobLives.forEach((life, i) => {
      const missing = ws.filter((w) => w.life === life && !copy.includes(w.text));
      if (missing.length === 0) return;
      jobLost += missing.reduce((n, w) => n + w.bytes, 0);
      if (missedByCatcher.has(life)) bothMissed++;
      const next = ws.find((w) => w.life === jobLives[i + 1]);
      lostLives.push(next ? next.ms - ws.find((w) => w.life === life)!.ms : undefined);
    });
    for (const w of ws) jobBytes += w.bytes;
    totalWritten += jobBytes;
    lost += jobLost;
    if (jobLost > 0) lostJobs.push(`${id} (${jobLost} of ${jobBytes} bytes${e ? '' : ', never seen'})`);
    const j = model.findJob(stateDir, id);
    const word = j
      ? (j.flags.find(
          (f) => f.startsWith('deleted') || f === 'pruned' || f === 'unindexed' || f === 'record-missing',
        ) ?? 'intact')
      : 'not shown';
    how.set(word, (how.get(word) ?? 0) + 1);
  }
  // Ground truth: how each job ended (its cancel line, or its final block), and which were deleted
  // while queued or running.
  const truth = new Map<string, string>();
  for (const [id, ws] of byJob) {
    const all = ws.map((w) => w.text).join('');
    truth.set(
      id,
      all.includes('Cancelled by user.') ? 'cancelled' : all.includes('] Final output\n') ? 'completed' : 'unknown',
    );
  }
  const deletedActive = new Set(deletions.filter((d) => d.text === 'queued' || d.text === 'running').map((d) => d.id));
  for (const [id] of byJob) if (new Set(byJob.get(id)!.map((w) => w.life)).size > 1) deletedActive.add(id);
  await archive.flush();
  /** Jobs a view shows that say the wrong ending, and deleted ones that do not say so; `view` names the view. */
  type Shown = { id: string; status: string; flags: string[] };
  const judge = (view: string, find: (id: string) => Shown | undefined, untruthful: string[], unflagged: string[]) => {
    for (const [id, want] of truth) {
      const j = find(id);
      // 'unknown': killed with no last word anywhere; `stale` is then the truth.
      if (j && (want === 'unknown' ? j.status !== 'stale' : j.status !== want))
        untruthful.push(`${view}: ${id} ${want} shown ${j.status}`);
      // record-missing says it too: its record was deleted, its index entry kept by another writer.
      const storyFlags = ['deleted-while-running', 'deleted-by-concurrent-writer', 'recreated', 'record-missing'];
      if (deletedActive.has(id) && !j?.flags.some((f) => storyFlags.includes(f)))
        unflagged.push(`${view}: ${id} (${j ? j.flags.join(',') || 'no flags' : 'not shown'})`);
    }
  };
  const untruthful: string[] = [];
  const unflagged: string[] = [];
  judge('tree', (id) => model.findJob(stateDir, id), untruthful, unflagged);
  // The other views, as users run them, from the archive this process kept.
  await live.dispose();
  model.dispose();
  await archive.dispose();
  const cliEnv = { CODEX_JOBS_ARCHIVE_DIR: archive.dir };
  const root = path.join(pluginData, 'state');
  const ids = [...byJob.keys()];
  const shownBy = async (view: string, argv: string[]) => {
    const out = await cli(['status', '--json', '--state-root', root, ...argv], cliEnv).catch(() => '{"jobs":[]}');
    const jobs = (JSON.parse(out || '{"jobs":[]}') as { jobs: Shown[] }).jobs;
    judge(view, (id) => jobs.find((j) => j.id === id), untruthful, unflagged);
    return ids.filter((id) => jobs.some((j) => j.id === id)).length;
  };
  const [statusShown, allShown] = [await shownBy('status', [workspace]), await shownBy('status --all', ['--all'])];
  let logShort = 0;
  let logBytes = 0;
  let keptBytes = 0;
  for (const id of ids) {
    const out = Buffer.byteLength(await cli(['log', id, '--state-root', root, workspace], cliEnv));
    const kept = await fs.stat(archive.entryPaths(stateDir, id).log).then(
      (s) => s.size,
      () => 0,
    );
    logBytes += out;
    keptBytes += kept;
    if (out < kept) logShort++;
  }
  const bounded = lostLives.filter((d): d is number => d !== undefined);
  const lostLivesText =
    lostLives.length === 0
      ? '0'
      : `${lostLives.length}, lasting at most ${bounded.sort((a, b) => a - b).join(', ')} ms${bounded.length < lostLives.length ? ` (and ${lostLives.length - bounded.length} a job's last)` : ''}`;
  const rows: [string, string][] = [
    ['parallel launches', String(N)],
    ['job ids printed by the companion', String(launched.filter(Boolean).length)],
    ['jobs left in state.json at the end', String(state.jobs.length)],
    ['jobs shown by codex-jobs', `${model.allJobs().length} (with the warm-up job)`],
    ['  of which', [...how].map(([w, n]) => `${n} ${w}`).join(', ')],
    ['log bytes written (ledger)', String(totalWritten)],
    ['log bytes archived', String(totalWritten - lost)],
    ['log bytes lost', `${lost}${lostJobs.length ? ` in ${lostJobs.length} jobs: ${lostJobs.join('; ')}` : ''}`],
    ['log files (lives) written', String(lives)],
    ['lives that lost bytes', lostLivesText],
    [
      '  a bare catcher missed',
      `${catcherMissed}, ${bothMissed} of them the same (one process doing nothing but open each new log at once)`,
    ],
    [
      'event-loop delay p50/p99/max',
      [0.5, 0.99].map((q) => (loopDelay.percentile(q * 100) / 1e6).toFixed(0)).join('/') +
        `/${(loopDelay.max / 1e6).toFixed(0)} ms`,
    ],
    ['load average (1 min)', `${load.toFixed(1)} on ${os.cpus().length} cores`],
    ['records archived', String([...byJob.keys()].filter((id) => archive.get(stateDir, id)?.record).length)],
    ['jobs created (ledger)', String(byJob.size)],
    [
      '  shown by the tree / status / status --all',
      `${ids.filter((id) => model.findJob(stateDir, id)).length} / ${statusShown} / ${allShown}`,
    ],
    [
      '  ended (truth)',
      ['completed', 'cancelled', 'unknown']
        .map((s) => `${[...truth.values()].filter((v) => v === s).length} ${s}`)
        .join(', '),
    ],
    [
      'untruthful final statuses (tree, status, --all)',
      `${untruthful.length}${untruthful.length ? `: ${untruthful.join('; ')}` : ''}`,
    ],
    ['deleted while queued/running', String(deletedActive.size)],
    [
      '  of them without a flag (tree, status, --all)',
      `${unflagged.length}${unflagged.length ? `: ${unflagged.join('; ')}` : ''}`,
    ],
    [
      '`log` bytes printed / archived / written',
      `${logBytes} / ${keptBytes} / ${totalWritten}; ${logShort} jobs printed fewer than the archive holds`,
    ],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  if (process.env.RACE_KEEP) console.log(`kept ${tmp}; state dir ${stateDir}; archive ${archive.dir}`);
  else await fs.rm(tmp, { recursive: true, force: true });
  const missing = ids.length * 3 - ids.filter((id) => model.findJob(stateDir, id)).length - statusShown - allShown;
  return {
    failed: lost + untruthful.length + unflagged.length + logShort + missing > 0 ? 1 : 0,
    created: byJob.size,
    shown: [ids.filter((id) => model.findJob(stateDir, id)).length, statusShown, allShown],
    untruthful: untruthful.length,
    unflagged: unflagged.length,
    log: [logBytes, keptBytes, totalWritten],
    lost,
    load,
  };
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});

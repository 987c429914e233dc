// The codex-jobs command line, built from the same core as the extension.
//   codex-jobs status [--json] [--all] [path]      the same statuses and flags as the tree
//   codex-jobs watch [path]                        a live view, until Ctrl-C
//   codex-jobs log <id> [--follow] [path]          a job's log
//   codex-jobs brokers [--json]                    every broker and its class
//   codex-jobs reap [--dry-run] [--yes]            end orphan brokers, clear dead dirs
// --state-root <dir> (repeatable) replaces root discovery; --grace-seconds N (brokers, reap: default
// 30) is how young an unreferenced broker counts as starting. Exit: 0 done, 1 failed, 2 usage error.
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { JobsModel } from '../core/model';
import { LiveUpdates } from '../core/live';
import { createProcessTable } from '../core/processes';
import { candidateRoots, defaultHostEnv, enumerateStateDirs } from '../core/discovery';
import { isSafeJobId } from '../core/reader';
import { scanBrokers } from '../core/brokers';
import { planReap, reap } from '../core/reaper';
import { countJobs } from '../core/classify';
import { elapsedMs, formatBytes, formatDuration, kindLabelOf, titleOf } from '../core/format';
import { DEFAULT_SETTINGS, type Job, type ReadWarning, type StateRoot } from '../core/types';
import { JobArchive } from '../core/archive';
import { LogFollower, planJobLog, readParts } from '../core/jobLog';

class UsageError extends Error {}

interface Args {
  command: string;
  positional: string[];
  flags: Set<string>;
  stateRoots: string[];
  graceMs: number;
}

export function parseArgs(argv: string[]): Args {
  const a: Args = { command: argv[0] ?? 'status', positional: [], flags: new Set(), stateRoots: [], graceMs: 30_000 };
  for (let i = 1; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--state-root') {
      const v = argv[++i];
      if (!v) throw new UsageError('--state-root needs a directory');
      a.stateRoots.push(path.resolve(v));
    } else if (x.startsWith('--state-root=')) a.stateRoots.push(path.resolve(x.slice(13)));
    else if (x === '--grace-seconds') {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new UsageError('--grace-seconds needs a number of seconds');
      a.graceMs = v * 1000;
    } else if (x.startsWith('--')) a.flags.add(x.slice(2));
    else a.positional.push(x);
  }
  return a;
}

const table = createProcessTable();
const out = (s: string) => process.stdout.write(`${s}\n`);

async function roots(a: Args): Promise<StateRoot[]> {
  if (a.stateRoots.length) return a.stateRoots.map((p) => ({ path: p, source: 'cli' as const }));
  return (await candidateRoots(defaultHostEnv(), [])).roots;
}

/** The CLI keeps what it sees too, in a per-user dir (CODEX_JOBS_ARCHIVE_DIR overrides it). */
export function cliArchive(): JobArchive {
  const base =
    process.env.CODEX_JOBS_ARCHIVE_DIR ??
    path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'codex-jobs', 'archive');
  // A one-shot process: big logs are left to the extension's background copier (archive.ts).
  return new JobArchive(base, undefined, undefined, { background: false });
}

const archive = cliArchive();

function modelFor(a: Args, folder: string): JobsModel {
  const host = defaultHostEnv();
  // With --state-root, discovery looks nowhere else: no home, no temp dir.
  const m = new JobsModel({
    host: a.stateRoots.length
      ? {
          ...host,
          env: {},
          homedir: path.join(os.tmpdir(), '.codex-jobs-none'),
          tmpdir: path.join(os.tmpdir(), '.codex-jobs-none'),
        }
      : host,
    table,
    archive,
    settings: { ...DEFAULT_SETTINGS, extraRoots: a.stateRoots },
  });
  m.setFolders([{ path: folder, name: path.basename(folder) }]);
  return m;
}

function jobJson(j: Job) {
  const d = j.display;
  return {
    id: j.id,
    status: j.status,
    recordedStatus: j.recordedStatus ?? null,
    flags: j.flags,
    kind: d.kind ?? null,
    kindLabel: kindLabelOf(j),
    title: titleOf(j),
    phase: d.phase ?? null,
    pid: d.pid ?? null,
    verification: j.verification ? { outcome: j.verification.outcome, detail: j.verification.detail } : null,
    summary: d.summary ?? null,
    errorMessage: d.errorMessage ?? null,
    createdAt: d.createdAt ?? null,
    startedAt: d.startedAt ?? null,
    updatedAt: d.updatedAt ?? null,
    completedAt: d.completedAt ?? null,
    threadId: d.threadId ?? null,
    stateDir: j.stateDir,
    recordPath: j.recordPath,
    logPath: j.logPath,
    logBytes: j.log.size ?? null,
    archived: j.archived ? { how: j.archived.how, logPath: j.archived.logPath, logBytes: j.archived.logBytes } : null,
    inferred: j.inferred ? { status: j.inferred.status, evidence: j.inferred.evidence } : null,
    history: (j.history ?? []).map((h) => ({ ...h, at: new Date(h.atMs).toISOString() })),
  };
}

async function collect(
  a: Args,
): Promise<{ workspace: string | null; stateDirs: string[]; jobs: Job[]; warnings: ReadWarning[]; model: JobsModel }> {
  if (a.flags.has('all')) {
    // Through the model like a workspace: the archive included, opens bounded by a pool.
    const dirs = await enumerateStateDirs(await roots(a));
    const m = modelFor(a, process.cwd());
    const r = await m.readStateDirs(dirs);
    return { workspace: null, stateDirs: dirs.map((d) => d.stateDir), ...r, model: m };
  }
  const folder = path.resolve(a.positional[0] ?? process.cwd());
  const m = modelFor(a, folder);
  await m.refresh();
  // Jobs whose files are gone appear once the archive has compared what it kept.
  await m.settled();
  const f = m.folders[0];
  return {
    workspace: folder,
    stateDirs: f.snapshots.map((s) => s.stateDir),
    jobs: f.jobs,
    warnings: [...f.warnings, ...archive.warnings],
    model: m,
  };
}

function render(jobs: Job[], warnings: ReadWarning[]): string {
  const now = Date.now();
  const lines = jobs.map((j) => {
    const el = elapsedMs(j, now);
    return [
      j.status.padEnd(11),
      j.id.padEnd(24),
      `${kindLabelOf(j)} · ${titleOf(j)}`.padEnd(44),
      (j.display.phase ?? '').padEnd(14),
      el !== undefined ? formatDuration(el).padEnd(8) : ''.padEnd(8),
      j.flags.join(','),
    ].join(' ');
  });
  const c = countJobs(jobs);
  lines.push(`${c.total} jobs: ${c.running} running, ${c.queued} queued, ${c.attention} need attention`);
  for (const w of warnings) lines.push(`warning: ${w.file}: ${w.message}`);
  return lines.join('\n');
}

async function status(a: Args): Promise<number> {
  const r = await collect(a);
  r.model.dispose();
  if (a.flags.has('json')) {
    out(
      JSON.stringify(
        {
          workspace: r.workspace,
          stateDirs: r.stateDirs,
          counts: countJobs(r.jobs),
          jobs: r.jobs.map(jobJson),
          warnings: r.warnings,
        },
        null,
        2,
      ),
    );
  } else {
    if (r.stateDirs.length === 0) out(`No Codex companion state for ${r.workspace ?? 'any workspace'}.`);
    out(render(r.jobs, r.warnings));
  }
  return 0;
}

async function watchCommand(a: Args): Promise<number> {
  const folder = path.resolve(a.positional[0] ?? process.cwd());
  const m = modelFor(a, folder);
  const live = new LiveUpdates(m, { archive });
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    timer = undefined;
    const f = m.folders[0];
    process.stdout.write(
      `\x1b[2J\x1b[H${folder}  (${new Date().toLocaleTimeString()}; Ctrl-C to quit)\n\n${render(f?.jobs ?? [], f?.warnings ?? [])}\n`,
    );
  };
  m.onDidChange(() => (timer ??= setTimeout(draw, 100)));
  await live.start();
  draw();
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await live.dispose();
  return 0;
}

async function logCommand(a: Args): Promise<number> {
  const id = a.positional[0];
  if (!id) throw new UsageError('log needs a job id');
  if (!isSafeJobId(id)) throw new UsageError(`"${id}" is not a job id`);
  const r = await collect({ ...a, positional: a.positional.slice(1) });
  const job = r.jobs.find((j) => j.id === id);
  if (!job) {
    process.stderr.write(`codex-jobs: no job ${id} in ${r.stateDirs.join(', ') || 'any state dir'}\n`);
    return 1;
  }
  // One merged view: the state dir's file where it is whole, the archive's copy where it holds more.
  const plan = await planJobLog(r.model.logSource(job));
  r.model.dispose();
  if (!plan.exists && !a.flags.has('follow')) {
    process.stderr.write(`codex-jobs: no log for ${id} (${job.logPath} does not exist and nothing is archived)\n`);
    return 1;
  }
  for await (const chunk of readParts(plan.parts)) await write(chunk);
  if (!a.flags.has('follow')) return 0;
  const follower = new LogFollower(plan.follow, (chunk) => void write(chunk));
  follower.start();
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  follower.dispose();
  return 0;
}

function write(chunk: Buffer): Promise<void> {
  return new Promise((resolve) => (process.stdout.write(chunk) ? resolve() : process.stdout.once('drain', resolve)));
}

async function brokerScan(a: Args) {
  return scanBrokers({ tmpdir: os.tmpdir(), stateRoots: await roots(a), graceMs: a.graceMs, table });
}

async function brokersCommand(a: Args): Promise<number> {
  const scan = await brokerScan(a);
  if (a.flags.has('json')) {
    out(
      JSON.stringify(
        {
          brokers: scan.entries.map((e) => ({
            key: e.key,
            class: e.class,
            reason: e.reason,
            dir: e.dir ?? null,
            pid: e.pid ?? null,
            ageMs: e.ageMs ?? null,
            endpoint: e.endpoint ?? null,
            referencedBy: e.referencedBy,
            children: e.children.map((c) => ({ pid: c.pid, argv: c.argv ?? [] })),
            rssBytes: e.rssBytes ?? null,
            files: e.files,
          })),
          warnings: scan.warnings,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  for (const e of scan.entries)
    out(
      `${e.class.padEnd(12)} ${(e.dir ?? `pid ${e.pid}`).padEnd(40)} ${e.pid ? `pid ${e.pid}` : ''} ${e.ageMs !== undefined ? formatDuration(e.ageMs) : ''} ${e.children.length ? `${e.children.length} children` : ''} ${formatBytes(e.rssBytes)}  ${e.reason}`,
    );
  if (scan.entries.length === 0) out('No brokers and no broker session dirs.');
  return 0;
}

async function ask(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((r) => rl.question(question, r));
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

async function reapCommand(a: Args): Promise<number> {
  const plan = planReap(await brokerScan(a));
  for (const e of plan.reap) out(`would reap ${e.dir ?? `pid ${e.pid}`} (${e.class}): ${e.reason}`);
  for (const s of plan.skip) out(`would leave ${s.entry.dir ?? `pid ${s.entry.pid}`}: ${s.why}`);
  if (a.flags.has('dry-run') || plan.reap.length === 0) {
    out(`${plan.reap.length} to reap, ${plan.skip.length} left alone${a.flags.has('dry-run') ? ' (dry run)' : ''}`);
    return 0;
  }
  if (!a.flags.has('yes')) {
    if (!process.stdin.isTTY) throw new UsageError('reap needs --yes when not run from a terminal (or --dry-run)');
    if (!(await ask(`Reap ${plan.reap.length}? [y/N] `))) return 1;
  }
  const s = await reap(plan, { table });
  for (const o of s.outcomes)
    if (o.result !== 'skipped') out(`${o.result}: ${o.entry.dir ?? `pid ${o.entry.pid}`}: ${o.detail}`);
  out(
    `reaped ${s.reaped}, already gone ${s.alreadyGone}, skipped ${s.skipped}, failed ${s.failed} in ${(s.ms / 1000).toFixed(1)} s`,
  );
  return s.failed ? 1 : 0;
}

const COMMANDS: Record<string, (a: Args) => Promise<number>> = {
  status,
  watch: watchCommand,
  log: logCommand,
  brokers: brokersCommand,
  reap: reapCommand,
};

export async function main(argv: string[]): Promise<number> {
  try {
    const a = parseArgs(argv);
    if (a.command === 'help' || a.flags.has('help')) {
      out(
        'usage: codex-jobs <status|watch|log|brokers|reap> [--json] [--all] [--follow] [--dry-run] [--yes] [--grace-seconds N] [--state-root <dir>]... [path]',
      );
      return 0;
    }
    const run = COMMANDS[a.command];
    if (!run) throw new UsageError(`unknown command "${a.command}"`);
    return await run(a);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(
        `codex-jobs: ${err.message}\nusage: codex-jobs <status|watch|log|brokers|reap> [options] [path]\n`,
      );
      return 2;
    }
    process.stderr.write(`codex-jobs: ${(err as Error).message ?? String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // Watchers and pipes are closed; whatever else is pending must not keep the CLI alive.
    setTimeout(() => process.exit(code), 50).unref();
  });
}

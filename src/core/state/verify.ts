// A pid names a job's process only if that process is alive, is the companion running that job,
// and started no earlier than the job existed. Everything else is said plainly.
import * as path from 'path';
import type { CoreSettings, DerivedStatus, Job, ProcInfo, ProcessTable, Verification } from '../vocab/types';
import { parseTime } from '../vocab/format';
import { isNodeRuntime } from '../os/processes';
import { isActiveRecorded, isTerminalStatus } from '../vocab/status';
import { slugOf, stateDirName } from '../discovery/discovery';
import { jobKey } from '../vocab/keys';
import { isPluginScriptPath, scriptFileExists, singleOption } from '../os/identity';

/** /proc start times have tick resolution and boot time whole seconds. */
export const START_TOLERANCE_MS = 1500;

/**
 * How long before recording its job a foreground review may have started: its git work before
 * createJobRecord takes seconds on a large repo, never a quarter of an hour.
 */
export const FOREGROUND_LEAD_MS = 15 * 60_000;

export interface CommandMatch {
  ok: boolean;
  role?: 'task-worker' | 'foreground';
  why: string;
}

function short(argv: readonly string[]): string {
  const s = argv.map((a) => (a.includes('/') || a.includes('\\') ? path.basename(a) : a)).join(' ');
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/**
 * Is this command line the companion running this job? argv[1] must BE the companion script (any
 * plugin version's `.../scripts/codex-companion.mjs`) and argv[2] the subcommand: a word anywhere
 * else in another program's arguments proves nothing. (That argv[0] is Node is checked on the process.)
 */
export function matchCompanionCommand(
  argv: readonly string[] | undefined,
  job: { id: string; kind?: string },
): CommandMatch {
  if (!argv || argv.length === 0)
    return { ok: false, why: 'its command line is empty (a kernel thread or an exited process)' };
  if (!isPluginScriptPath(argv[1], 'codex-companion.mjs'))
    return { ok: false, why: `it is \`${short(argv)}\`, not the companion` };
  const sub = argv[2];
  const rest = argv.slice(3);
  if (sub === 'task-worker') {
    const id = singleOption(rest, '--job-id');
    return id === job.id
      ? { ok: true, role: 'task-worker', why: `it is \`codex-companion.mjs task-worker --job-id ${id}\`` }
      : { ok: false, why: `it is the task-worker of another job (${id ?? 'no single --job-id'})` };
  }
  const kind = job.kind ?? (job.id.startsWith('review-') ? 'review' : 'task');
  if (sub === kind) {
    return {
      ok: true,
      role: 'foreground',
      why: `it is \`codex-companion.mjs ${sub}\` (a foreground ${sub}; its command line does not name the job)`,
    };
  }
  return { ok: false, why: `it is \`codex-companion.mjs ${sub ?? ''}\`, not a ${kind} for this job` };
}

/** Is `dir` the workspace or inside it (the foreground companion runs where the user called it)? */
function within(dir: string, workspace: string): boolean {
  const rel = path.relative(workspace, dir);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export function earliestKnownMs(job: Job): number | undefined {
  if (job.earliestKnownMs !== undefined) return job.earliestKnownMs;
  let t: number | undefined;
  for (const s of [job.index, job.record]) {
    for (const v of [s?.createdAt, s?.startedAt]) {
      const ms = parseTime(v);
      if (ms !== undefined && (t === undefined || ms < t)) t = ms;
    }
  }
  return t;
}

function latestStartedMs(job: Job): number | undefined {
  const t = [job.index?.startedAt, job.record?.startedAt].map(parseTime).filter((x): x is number => x !== undefined);
  return t.length ? Math.max(...t) : undefined;
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

export function verifyJobProcess(job: Job, info: ProcInfo | undefined, now: number): Verification {
  const pid = typeof job.display.pid === 'number' ? job.display.pid : undefined;
  const base = { pid, checkedAtMs: now };
  if (pid === undefined)
    return { ...base, outcome: 'no-pid', detail: 'No pid is recorded for this job, so its process cannot be checked.' };
  const unseen = processStateVerdict(pid, info);
  if (unseen) return { ...base, ...unseen };
  const seen = { ...base, argv: info!.argv, startTimeMs: info!.startTimeMs };
  const m = matchCompanionCommand(info!.argv, { id: job.id, kind: job.display.kind });
  if (!m.ok) return { ...seen, outcome: 'reused', detail: `pid ${pid} is alive, but ${m.why}.` };
  const program = programVerdict(pid, info!);
  if (program) return { ...seen, ...program };
  const start = info!.startTimeMs;
  if (start === undefined)
    return { ...seen, outcome: 'unsupported', detail: `pid ${pid}: its start time could not be read.` };
  const verdict = timingVerdict(job, info!, pid, start, m);
  return { ...seen, ...verdict };
}

type Verdict = Pick<Verification, 'outcome' | 'detail'>;

/** A process that is not there, not ours to read, or not readable: said plainly. */
function processStateVerdict(pid: number, info: ProcInfo | undefined): Verdict | undefined {
  if (!info || info.state === 'unknown')
    return {
      outcome: 'unsupported',
      detail: `pid ${pid} could not be checked${info?.error ? ` (${info.error})` : ''}.`,
    };
  if (info.state === 'gone') return { outcome: 'gone', detail: `pid ${pid} no longer exists.` };
  if (info.state === 'zombie')
    return { outcome: 'zombie', detail: `pid ${pid} has exited (a zombie waiting for its parent).` };
  if (info.state === 'eperm')
    return {
      outcome: 'eperm',
      detail: `pid ${pid} is alive but belongs to another user; its command line cannot be read.`,
    };
  return undefined;
}

/** A command line that names the companion, run by something other than Node or naming no file: not it. */
function programVerdict(pid: number, info: ProcInfo): Verdict | undefined {
  if (!isNodeRuntime(info)) {
    // Our own process whose executable cannot be read is doubt, not proof of another program.
    if (process.platform === 'linux' && info.exe === undefined)
      return { outcome: 'unsupported', detail: `pid ${pid}: its executable could not be read.` };
    return {
      outcome: 'reused',
      detail: `pid ${pid} names the companion, but its program is ${info.exe ?? info.argv?.[0] ?? 'unknown'}, not Node.`,
    };
  }
  if (!scriptFileExists(info.argv![1]))
    return { outcome: 'reused', detail: `pid ${pid} names ${info.argv![1]}, which is not a file: not the companion.` };
  return undefined;
}

/** Whether the companion process started when (and, in the foreground, ran where) that job's would. */
function timingVerdict(job: Job, info: ProcInfo, pid: number, start: number, m: CommandMatch): Verdict {
  const created = earliestKnownMs(job);
  // A task-worker is spawned after its job is created. A foreground review or task creates its own
  // job, after git work that can take seconds on a large repo, and records its pid at startedAt: it
  // started before that, and a process that started later holds a reused pid.
  if (m.role === 'task-worker' && created !== undefined && start < created - START_TOLERANCE_MS) {
    return {
      outcome: 'reused',
      detail: `pid ${pid} is a companion process, but it started at ${clock(start)}, before the job was created (${clock(created)}).`,
    };
  }
  const recorded = m.role === 'foreground' ? latestStartedMs(job) : undefined;
  if (m.role === 'foreground') {
    const fg = foregroundVerdict(job, info, pid, start, created, recorded);
    if (fg) return fg;
  }
  if (recorded !== undefined && start > recorded + START_TOLERANCE_MS) {
    return {
      outcome: 'reused',
      detail: `pid ${pid} is a companion process, but it started at ${clock(start)}, after the job recorded that pid (${clock(recorded)}).`,
    };
  }
  const order =
    m.role === 'task-worker'
      ? created !== undefined
        ? ', after the job was created'
        : ''
      : recorded !== undefined
        ? ', before the job recorded it'
        : '';
  return { outcome: 'verified', detail: `pid ${pid}: ${m.why}, started ${clock(start)}${order}.` };
}

/** Nothing in a foreground process's command line names the job: where it runs and when it started must. */
function foregroundVerdict(
  job: Job,
  info: ProcInfo,
  pid: number,
  start: number,
  created: number | undefined,
  recorded: number | undefined,
): Verdict | undefined {
  const ws = job.display.workspaceRoot;
  if (recorded === undefined && created === undefined)
    return { outcome: 'unsupported', detail: `pid ${pid}: the job records no start time.` };
  const first = created ?? recorded!;
  if (start < first - FOREGROUND_LEAD_MS)
    return {
      outcome: 'reused',
      detail: `pid ${pid} is a companion foreground process, but it started at ${clock(start)}, long before the job (${clock(first)}).`,
    };
  if (info.cwd !== undefined || process.platform === 'linux') {
    if (!ws) return { outcome: 'unsupported', detail: `pid ${pid}: the job records no workspace.` };
    if (info.cwd === undefined)
      return { outcome: 'unsupported', detail: `pid ${pid}: its working dir could not be read.` };
    if (!within(info.cwd.replace(/ \(deleted\)$/, ''), ws))
      return {
        outcome: 'reused',
        detail: `pid ${pid} is a companion ${job.display.kind ?? ''} process, but it runs in ${info.cwd}, not in ${ws}.`,
      };
  }
  return undefined;
}

export function deriveStatus(
  job: Job,
  v: Verification | undefined,
  settings: Pick<CoreSettings, 'stalledAfterMs'>,
  now: number,
): DerivedStatus {
  const s = job.recordedStatus;
  // No status anywhere, and no process that could be running it: it is gone (see findRunner).
  if (!s) return v?.outcome === 'gone' ? 'stale' : 'unknown';
  if (isTerminalStatus(s)) return s;
  switch (v?.outcome) {
    case 'verified': {
      if (s === 'queued') return 'queued';
      const d = job.display;
      const last = job.log.exists
        ? job.log.mtimeMs
        : Math.max(parseTime(d.updatedAt) ?? 0, parseTime(d.startedAt) ?? 0) || undefined;
      return last !== undefined && now - last > settings.stalledAfterMs ? 'stalled' : 'running';
    }
    case 'gone':
    case 'zombie':
      return 'stale';
    case 'reused':
      return 'pid-reused';
    default:
      return 'unverified';
  }
}

export interface JobCheck {
  verification: Verification | undefined;
  status: DerivedStatus;
}

/** One process-table batch for every job that claims to run: each job's verification and derived status. */
export async function checkJobs(
  jobs: readonly Job[],
  table: ProcessTable,
  settings: Pick<CoreSettings, 'stalledAfterMs'>,
  now = Date.now(),
): Promise<Map<Job, JobCheck>> {
  const active = jobs.filter((j) => isActiveRecorded(j.recordedStatus));
  const pids = active.map((j) => j.display.pid).filter((p): p is number => typeof p === 'number');
  const infos = pids.length ? await table.inspect(pids) : new Map<number, ProcInfo>();
  const recordless = jobs.filter(isRecordless);
  const listed = recordless.some((j) => !goneRunners.has(runnerKey(j))) ? await listProcesses(table) : undefined;
  const out = new Map<Job, JobCheck>();
  for (const j of jobs) {
    const pid = j.display.pid;
    const verification = isActiveRecorded(j.recordedStatus)
      ? verifyJobProcess(j, typeof pid === 'number' ? infos.get(pid) : undefined, now)
      : isRecordless(j)
        ? await findRunner(j, listed, now)
        : undefined;
    out.set(j, { verification, status: deriveStatus(j, verification, settings, now) });
  }
  return out;
}

/**
 * Seen only as a log (its record never read, its index entry gone): no pid names its process. It
 * can still be told gone: a task's worker names its job (`task-worker --job-id <id>`), and the
 * process that creates a job (`task`, `review`, `adversarial-review`) or runs it in the foreground is
 * one of those subcommands. With none of them running, nothing runs the job.
 */
export function isRecordless(j: Job): boolean {
  return !j.recordedStatus && !j.record && !j.index && typeof j.display.pid !== 'number';
}

/** Jobs found with no process that could run them: a job's runner never comes back (bounded). */
const goneRunners = new Set<string>();
const runnerKey = jobKey;

async function listProcesses(table: ProcessTable): Promise<ProcInfo[] | undefined> {
  try {
    const all = await table.list();
    return all.length ? all : undefined; // an empty table is a table that could not be read
  } catch {
    return undefined;
  }
}

/**
 * Whether a companion process can be doing a job's work, or still be creating it: its task-worker
 * (named by id), or a process of a subcommand that creates such jobs (`task`, `review`,
 * `adversarial-review`) working in the job's workspace (its `--cwd`, else its working dir, inside
 * the workspace whose state dir this is). Doubt counts as "can".
 */
async function couldRun(p: ProcInfo, j: Job): Promise<boolean> {
  const argv = p.argv;
  if (p.state === 'gone' || p.state === 'zombie') return false;
  if (!argv || !isPluginScriptPath(argv[1], 'codex-companion.mjs')) return false;
  const sub = argv[2];
  if (sub === 'task-worker') {
    const named = singleOption(argv.slice(3), '--job-id');
    return named === j.id || named === null;
  }
  const kinds = j.id.startsWith('review-')
    ? ['review', 'adversarial-review']
    : j.id.startsWith('task-')
      ? ['task']
      : ['task', 'review', 'adversarial-review'];
  if (!kinds.includes(sub)) return false;
  const opt = singleOption(argv.slice(3), '--cwd');
  const where = opt ? (path.isAbsolute(opt) ? opt : p.cwd && path.resolve(p.cwd, opt)) : p.cwd;
  if (!where || opt === null) return true;
  return worksIn(where.replace(/ \(deleted\)$/, ''), path.basename(j.stateDir));
}

/** Whether `dir` or a dir above it is the workspace whose state dir is named `name` (`<slug>-<hash>`). */
async function worksIn(dir: string, name: string): Promise<boolean> {
  for (let d = dir, i = 0; i < 64; d = path.dirname(d), i++) {
    if (name.startsWith(`${slugOf(d)}-`) && (await stateDirName(d)) === name) return true;
    if (path.dirname(d) === d) return false;
  }
  return true;
}

export async function findRunner(j: Job, procs: readonly ProcInfo[] | undefined, now: number): Promise<Verification> {
  const base = { checkedAtMs: now };
  const k = runnerKey(j);
  const gone: Verification = {
    ...base,
    outcome: 'gone',
    detail: `No record of it was read, and no companion process can be running it (no task-worker for ${j.id}, no ${j.id.startsWith('review-') ? 'review' : 'task'} in its workspace).`,
  };
  if (goneRunners.has(k)) return gone;
  if (!procs)
    return {
      ...base,
      outcome: 'unsupported',
      detail: 'No record of it was read, and the process list could not be read.',
    };
  for (const p of procs)
    if (await couldRun(p, j))
      return {
        ...base,
        outcome: 'unsupported',
        detail: `No record of it was read; pid ${p.pid} (\`codex-companion.mjs ${p.argv?.[2] ?? ''}\`) may be running it.`,
      };
  if (goneRunners.size > 1000) goneRunners.clear();
  goneRunners.add(k);
  return gone;
}

/** checkJobs as new job objects, in the order given: the jobs given are not changed. */
export async function verifyJobs(
  jobs: readonly Job[],
  table: ProcessTable,
  settings: Pick<CoreSettings, 'stalledAfterMs'>,
  now = Date.now(),
): Promise<Job[]> {
  const checks = await checkJobs(jobs, table, settings, now);
  return jobs.map((j) => {
    const c = checks.get(j)!;
    return { ...j, verification: c.verification, status: c.status };
  });
}

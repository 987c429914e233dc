// A pid names a job's process only if that process is alive, is the companion running that job,
// and started no earlier than the job existed. Everything else is said plainly.
import * as path from 'path';
import type { CoreSettings, DerivedStatus, Job, ProcInfo, ProcessTable, Verification } from './types';
import { TERMINAL_STATUSES } from './types';
import { parseTime } from './format';

/** /proc start times have tick resolution and boot time whole seconds. */
export const START_TOLERANCE_MS = 1500;

export interface CommandMatch {
  ok: boolean;
  role?: 'task-worker' | 'foreground';
  why: string;
}

function short(argv: readonly string[]): string {
  const s = argv.map((a) => (a.includes('/') || a.includes('\\') ? path.basename(a) : a)).join(' ');
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function optionValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1];
    if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
  }
  return undefined;
}

/** Is this command line the companion running this job (any plugin version's script path)? */
export function matchCompanionCommand(
  argv: readonly string[] | undefined,
  job: { id: string; kind?: string },
): CommandMatch {
  if (!argv || argv.length === 0)
    return { ok: false, why: 'its command line is empty (a kernel thread or an exited process)' };
  const at = argv.findIndex((a) => path.basename(a.replace(/\\/g, '/')) === 'codex-companion.mjs');
  if (at < 0) return { ok: false, why: `it is \`${short(argv)}\`, not the companion` };
  const sub = argv[at + 1];
  const rest = argv.slice(at + 2);
  if (sub === 'task-worker') {
    const id = optionValue(rest, '--job-id');
    return id === job.id
      ? { ok: true, role: 'task-worker', why: `it is \`codex-companion.mjs task-worker --job-id ${id}\`` }
      : { ok: false, why: `it is the task-worker of another job (${id ?? 'no --job-id'})` };
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
  if (!info || info.state === 'unknown')
    return {
      ...base,
      outcome: 'unsupported',
      detail: `pid ${pid} could not be checked${info?.error ? ` (${info.error})` : ''}.`,
    };
  if (info.state === 'gone') return { ...base, outcome: 'gone', detail: `pid ${pid} no longer exists.` };
  if (info.state === 'zombie')
    return { ...base, outcome: 'zombie', detail: `pid ${pid} has exited (a zombie waiting for its parent).` };
  if (info.state === 'eperm')
    return {
      ...base,
      outcome: 'eperm',
      detail: `pid ${pid} is alive but belongs to another user; its command line cannot be read.`,
    };
  const seen = { argv: info.argv, startTimeMs: info.startTimeMs };
  const m = matchCompanionCommand(info.argv, { id: job.id, kind: job.display.kind });
  if (!m.ok) return { ...base, ...seen, outcome: 'reused', detail: `pid ${pid} is alive, but ${m.why}.` };
  const start = info.startTimeMs;
  const created = earliestKnownMs(job);
  // A task-worker is spawned after its job is created. A foreground review or task creates its own
  // job, after git work that can take seconds on a large repo, and records its pid at startedAt: it
  // started before that, and a process that started later holds a reused pid.
  if (
    m.role === 'task-worker' &&
    created !== undefined &&
    start !== undefined &&
    start < created - START_TOLERANCE_MS
  ) {
    return {
      ...base,
      ...seen,
      outcome: 'reused',
      detail: `pid ${pid} is a companion process, but it started at ${clock(start)}, before the job was created (${clock(created)}).`,
    };
  }
  const recorded = m.role === 'foreground' ? latestStartedMs(job) : undefined;
  if (recorded !== undefined && start !== undefined && start > recorded + START_TOLERANCE_MS) {
    return {
      ...base,
      ...seen,
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
  const when = start !== undefined ? `, started ${clock(start)}${order}` : '';
  return { ...base, ...seen, outcome: 'verified', detail: `pid ${pid}: ${m.why}${when}.` };
}

export function deriveStatus(
  job: Job,
  v: Verification | undefined,
  settings: Pick<CoreSettings, 'stalledAfterMs'>,
  now: number,
): DerivedStatus {
  const s = job.recordedStatus;
  if (!s) return 'unknown';
  if (TERMINAL_STATUSES.includes(s)) return s;
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

/** One process-table batch for every job that claims to run; every job gets its derived status. */
export async function verifyJobs(
  jobs: readonly Job[],
  table: ProcessTable,
  settings: Pick<CoreSettings, 'stalledAfterMs'>,
  now = Date.now(),
): Promise<void> {
  const active = jobs.filter((j) => j.recordedStatus === 'queued' || j.recordedStatus === 'running');
  const pids = active.map((j) => j.display.pid).filter((p): p is number => typeof p === 'number');
  const infos = pids.length ? await table.inspect(pids) : new Map<number, ProcInfo>();
  for (const j of jobs) {
    if (j.recordedStatus === 'queued' || j.recordedStatus === 'running') {
      const pid = j.display.pid;
      j.verification = verifyJobProcess(j, typeof pid === 'number' ? infos.get(pid) : undefined, now);
    } else {
      j.verification = undefined;
    }
    j.status = deriveStatus(j, j.verification, settings, now);
  }
}

// Launching companion jobs from the editor while holding the workspace launch lock, from before the
// spawn until the new job is durably registered (index entry, record, verified process), then
// checking that no other job vanished from the index meanwhile.
import type { ChildProcess } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InvalidArgumentError, launchArgProblems, normalEffort } from '../vocab/argCheck';
import { causeLine, childProcessModule, endChildGroup, startChild } from '../os/childProcess';
import { resolveWorkspaceRoot, stateDirName } from '../discovery/discovery';
import { withWorkspaceLock, type LockContext, type LockOptions } from './lock';
import { preflightStateDir, recheckStateDir } from '../io/preflight';
import { parseJsonBounded } from '../io/safeFs';
import { createProcessTable } from '../os/processes';
import { isSafeJobId, listJobsDir, readJobRecord, readStateFile, rootOfStateDir } from '../io/reader';
import { reconcile } from '../state/reconcile';
import { parseTime } from '../vocab/format';
import { verifyJobProcess } from '../state/verify';
import type { JobFields, ParsedState, ProcessTable } from '../vocab/types';
import { isTerminalStatus } from '../vocab/status';
import { sleep } from '../vocab/async';

export type LaunchKind = 'review' | 'adversarial-review' | 'task';

export interface LaunchRequest {
  /** Path of codex-companion.mjs. */
  companion: string;
  /** The Node binary to run it with. */
  node: string;
  workspaceFolder: string;
  kind: LaunchKind;
  /** adversarial-review only: what to focus on. */
  focus?: string;
  /** task only: the rescue prompt (required). */
  prompt?: string;
  /** task only: let Codex edit files. */
  write?: boolean;
  model?: string;
  /** task only: reasoning effort (the companion validates it). */
  effort?: string;
  /** task only: `--resume-last` (the companion resumes the workspace's latest task thread; the prompt may be empty). */
  resumeLast?: boolean;
  /** reviews: `--base <ref>` and `--scope`. */
  base?: string;
  scope?: 'auto' | 'working-tree' | 'branch';
  /** CLAUDE_PLUGIN_DATA for the companion, so the job lands under the root the tree watches. */
  pluginData?: string;
  /** The environment to start from (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** The companion's os.tmpdir() when no plugin data is set (default: ours). */
  tmpdir?: string;
  table?: ProcessTable;
  /** How long to hold the lock waiting for the job to be registered (default 20 s). */
  registerTimeoutMs?: number;
  pollMs?: number;
  lock?: LockOptions;
  log?: (message: string) => void;
}

export interface LaunchResult {
  ok: boolean;
  jobId?: string;
  /** The job's verified process: the task-worker, or the foreground review companion. */
  pid?: number;
  stateDir?: string;
  /** Jobs in the index before the launch that were gone from it after. */
  vanished: string[];
  /** From the spawn until the job was registered (or the wait ended). */
  waitedMs: number;
  lockWaitMs: number;
  /** The registration wait ran out: the lock was released and the job may still appear. */
  timedOut?: boolean;
  /** The lock was lost while held (removed, or taken over as stale): the launch was not exclusive. */
  compromised?: boolean;
  message: string;
}

export const DEFAULT_REGISTER_TIMEOUT_MS = 20_000;
/** How long a job's creation time may precede our spawn and still be ours (clock ticks, slow disks). */
const CREATED_SLACK_MS = 2_000;
/** How long we keep looking for the job after the companion exited. */
const AFTER_EXIT_GRACE_MS = 2_000;
/** A queued task whose worker is gone this long will not start. */
const DEAD_WORKER_GRACE_MS = 1_000;
/** How long a queued task's worker must be seen alive before it counts as started (see the loop). */
const QUEUED_ALIVE_GRACE_MS = 5_000;
const OUTPUT_LIMIT = 64 * 1024;

/**
 * The companion's command line. Every value from a record is checked first (argCheck): a value
 * that breaks its rule throws InvalidArgumentError, so none reaches the companion or git.
 */
export function companionArgs(
  req: Pick<
    LaunchRequest,
    'companion' | 'kind' | 'focus' | 'prompt' | 'write' | 'model' | 'effort' | 'base' | 'scope' | 'resumeLast'
  >,
): string[] {
  const problems = launchArgProblems(req);
  if (problems.length) throw new InvalidArgumentError(problems);
  const opt = (name: string, v: string | undefined) => (v ? [name, v] : []);
  if (req.kind === 'task') {
    // `--` ends the options: a prompt starting with "-" stays a prompt.
    return [
      req.companion,
      'task',
      '--background',
      '--json',
      ...(req.write ? ['--write'] : []),
      ...opt('--model', req.model),
      ...opt('--effort', req.effort && normalEffort(req.effort)),
      ...(req.resumeLast ? ['--resume-last'] : []),
      ...(req.resumeLast && !req.prompt?.trim() ? [] : ['--', req.prompt ?? '']),
    ];
  }
  const args = [
    req.companion,
    req.kind,
    '--json',
    ...opt('--base', req.base),
    ...opt('--scope', req.scope),
    ...opt('--model', req.model),
  ];
  if (req.kind === 'adversarial-review' && req.focus?.trim()) args.push('--', req.focus.trim());
  return args;
}

/** The state root the companion will use with this environment. */
export function companionStateRoot(env: NodeJS.ProcessEnv, tmpdir: string): string {
  return env.CLAUDE_PLUGIN_DATA ? path.join(env.CLAUDE_PLUGIN_DATA, 'state') : path.join(tmpdir, 'codex-companion');
}

interface IdSet {
  index?: ParsedState;
  indexIds: Set<string>;
  recordIds: Set<string>;
  /** false when state.json was there but could not be parsed even after retries. */
  indexReadable: boolean;
}

async function readIds(stateDir: string, attempts = 1): Promise<IdSet> {
  let index: ParsedState | undefined;
  let readable = true;
  for (let i = 0; i < attempts; i++) {
    const r = await readStateFile(path.join(stateDir, 'state.json'), rootOfStateDir(stateDir));
    index = r.value;
    readable = r.value !== undefined || r.missing;
    if (readable) break;
    await sleep(50);
  }
  const listing = await listJobsDir(path.join(stateDir, 'jobs'), rootOfStateDir(stateDir));
  return {
    index,
    indexIds: new Set((index?.entries ?? []).map((e) => e.id)),
    recordIds: new Set(listing.records.keys()),
    indexReadable: readable,
  };
}

/** The companion's `--json` launch payload: `{ "jobId": ... }`, pretty-printed. */
export function parseLaunchOutput(stdout: string): string | undefined {
  try {
    const v = parseJsonBounded(stdout).value as { jobId?: unknown };
    if (isSafeJobId(v?.jobId)) return v.jobId;
  } catch {
    // Fall through to a looser search: other lines may precede the payload.
  }
  const m = /"jobId"\s*:\s*"([^"]+)"/.exec(stdout);
  return m && isSafeJobId(m[1]) ? m[1] : undefined;
}

async function samePath(a: string | undefined, b: string): Promise<boolean> {
  if (!a) return false;
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    return (await fs.realpath(a)) === (await fs.realpath(b));
  } catch {
    return false;
  }
}

interface Registration {
  done: boolean;
  pid?: number;
  why: string;
  /** The worker of a queued task is gone: it will never start. */
  workerGone?: boolean;
  /** The worker of a queued task is verified alive: it runs, though its files may say queued a while. */
  workerAlive?: number;
  status?: string;
}

/** Is the job in the index and in jobs/, with its process verified (or already finished)? */
async function checkRegistered(
  stateDir: string,
  id: string,
  kind: LaunchKind,
  table: ProcessTable,
  expectPid?: number,
): Promise<Registration> {
  const st = await readStateFile(path.join(stateDir, 'state.json'), rootOfStateDir(stateDir));
  const rec = await readJobRecord(path.join(stateDir, 'jobs', `${id}.json`), id, rootOfStateDir(stateDir));
  const entry = st.value?.entries.find((e) => e.id === id);
  if (!rec.value) return { done: false, why: `job ${id} has no record in jobs/ yet` };
  if (!entry) return { done: false, why: `job ${id} is not in state.json yet` };
  const [job] = reconcile({
    stateDir,
    index: { entries: [entry] },
    records: new Map([[id, { fields: rec.value, mtimeMs: rec.mtimeMs }]]),
    logs: new Map(),
  });
  const status = job.display.status;
  if (isTerminalStatus(rec.value.status) && isTerminalStatus(entry.status))
    return { done: true, status, why: `job ${id} already ${rec.value.status}` };
  const pid = typeof job.display.pid === 'number' ? job.display.pid : undefined;
  const info = pid !== undefined ? (await table.inspect([pid])).get(pid) : undefined;
  const v = verifyJobProcess(job, info, Date.now());
  // A background task is registered once its worker has recorded itself running: until then the
  // worker's first state write is still to come, and it must not race the next launch.
  if (kind === 'task' && (rec.value.status === 'queued' || entry.status === 'queued')) {
    const gone = v.outcome === 'gone' || v.outcome === 'zombie';
    return {
      done: false,
      status,
      workerGone: gone,
      workerAlive: v.outcome === 'verified' ? pid : undefined,
      why: `job ${id} is queued; ${gone ? v.detail : 'waiting for its worker to record itself running'}`,
    };
  }
  if (v.outcome !== 'verified') return { done: false, status, why: `job ${id}: ${v.detail}` };
  if (expectPid !== undefined && pid !== expectPid)
    return { done: false, status, why: `job ${id} names pid ${pid}, not the companion we started (${expectPid})` };
  return { done: true, pid, status, why: v.detail };
}

/** A job id that appeared since `before` and fits this launch. */
async function findNewJob(
  stateDir: string,
  before: IdSet,
  kind: LaunchKind,
  workspaceRoot: string,
  spawnedAt: number,
  childPid: number | undefined,
): Promise<string | undefined> {
  const now = await readIds(stateDir);
  const fresh = [...new Set([...now.indexIds, ...now.recordIds])].filter(
    (id) => !before.indexIds.has(id) && !before.recordIds.has(id),
  );
  const weak: { id: string; created: number }[] = [];
  for (const id of fresh) {
    const rec = now.recordIds.has(id)
      ? (await readJobRecord(path.join(stateDir, 'jobs', `${id}.json`), id, rootOfStateDir(stateDir))).value
      : undefined;
    const entry = now.index?.entries.find((e) => e.id === id);
    const f: Partial<JobFields> = { ...entry, ...rec };
    // A foreground review records its own pid: the companion we spawned.
    if (childPid !== undefined && kind !== 'task' && (rec?.pid === childPid || entry?.pid === childPid)) return id;
    const created = parseTime(f.createdAt);
    const kindOk = f.kind === kind || (!f.kind && id.startsWith(kind === 'task' ? 'task-' : 'review-'));
    if (
      kindOk &&
      created !== undefined &&
      created >= spawnedAt - CREATED_SLACK_MS &&
      (await samePath(f.workspaceRoot, workspaceRoot))
    )
      weak.push({ id, created });
  }
  // Someone else's launch may have landed too: only an unambiguous match is ours.
  return weak.length === 1 ? weak[0].id : undefined;
}

interface Spawned {
  pid?: number;
  error?: string;
  exited: boolean;
  exitCode?: number | null;
  exitSignal?: NodeJS.Signals | null;
  exitedAt?: number;
  stdout: string;
  output: () => Promise<string>;
  cleanup: () => Promise<void>;
  /** Ends, with its whole group, the companion we started if it still runs (see launchJob for when). */
  end: () => Promise<void>;
}

/** A fresh handle: not started yet, no output, nothing to clean up or end. */
function notSpawned(): Spawned {
  return {
    exited: false,
    stdout: '',
    output: async () => '',
    cleanup: async () => undefined,
    end: async () => undefined,
  };
}

async function spawnCompanion(
  req: LaunchRequest,
  env: NodeJS.ProcessEnv,
  args: string[],
  timeoutMs: number,
): Promise<Spawned> {
  return req.kind === 'task' ? spawnTask(req, env, args, timeoutMs) : spawnReview(req, env, args);
}

/**
 * `task --background` prints the job id and exits at once; its worker detaches itself (its own
 * group, which ending this one's does not touch). Should it hang, its group is ended at the deadline.
 */
function spawnTask(req: LaunchRequest, env: NodeJS.ProcessEnv, args: string[], timeoutMs: number): Spawned {
  const s = notSpawned();
  const child = startChild(req.node, args, {
    cwd: req.workspaceFolder,
    env,
    timeoutMs: timeoutMs + AFTER_EXIT_GRACE_MS,
    maxOutput: OUTPUT_LIMIT,
  });
  s.pid = child.pid;
  void child.done.then((o) => {
    if (o.startError) s.error = o.startError;
    s.exited = true;
    s.exitCode = o.code;
    s.exitSignal = o.signal;
    s.exitedAt = child.exitedAt ?? Date.now();
    s.stdout = o.stdout;
  });
  s.output = async () => child.stderr() || child.stdout();
  s.end = async () => {
    if (!s.exited) await child.end();
  };
  return s;
}

/**
 * A review runs in the companion's foreground for its whole length: detached, so it survives this
 * window; its progress goes to the job's log. Its own output goes to a scratch file, read only if
 * it fails before registering (unix: the file is unlinked while it may still write to it).
 */
async function spawnReview(req: LaunchRequest, env: NodeJS.ProcessEnv, args: string[]): Promise<Spawned> {
  const s = notSpawned();
  // Listeners go on before any await: a spawn error is emitted on the next tick.
  const watch = (child: ChildProcess) => {
    s.pid = child.pid;
    child.once('error', (err) => (s.error = err.message));
    child.once('exit', (code, signal) => {
      s.exited = true;
      s.exitCode = code;
      s.exitSignal = signal;
      s.exitedAt = Date.now();
    });
  };
  let out: { dir: string; file: string } | undefined;
  let fh: fs.FileHandle | undefined;
  try {
    if (process.platform !== 'win32') {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-launch-'));
      out = { dir, file: path.join(dir, 'output.txt') };
      s.output = async () => fs.readFile(out!.file, 'utf8').catch(() => '');
      s.cleanup = async () => fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      fh = await fs.open(out.file, 'w');
    }
    const stdio = fh ? fh.fd : 'ignore';
    const child = childProcessModule().spawn(req.node, args, {
      cwd: req.workspaceFolder,
      env,
      detached: true,
      stdio: ['ignore', stdio, stdio],
      windowsHide: true,
      shell: false,
    });
    watch(child);
    child.unref();
    // Only a review that never registered is ended (see launchJob): it is ours, and no job yet.
    s.end = async () => {
      if (!s.exited) await endChildGroup(child);
    };
  } catch (err) {
    s.error = (err as Error).message;
  } finally {
    await fh?.close().catch(() => undefined);
  }
  return s;
}

function validate(req: LaunchRequest): string | undefined {
  if (!['review', 'adversarial-review', 'task'].includes(req.kind)) return `Unknown job kind "${String(req.kind)}".`;
  if (req.kind === 'task' && !req.prompt?.trim() && !req.resumeLast) return 'A rescue task needs a prompt.';
  if (!path.isAbsolute(req.companion)) return `The companion path ${req.companion} is not absolute.`;
  try {
    companionArgs(req);
  } catch (err) {
    if (err instanceof InvalidArgumentError) return `Not started: ${err.message}.`;
    throw err;
  }
  return undefined;
}

/** The request checked, then its companion script and workspace folder: why it cannot start, if it cannot. */
async function refusal(req: LaunchRequest): Promise<string | undefined> {
  const invalid = validate(req);
  if (invalid) return invalid;
  for (const [what, p] of [
    ['companion script', req.companion],
    ['workspace folder', req.workspaceFolder],
  ] as const) {
    try {
      await fs.stat(p);
    } catch (err) {
      return `The ${what} ${p} cannot be used: ${(err as Error).message}`;
    }
  }
  return undefined;
}

/** What one launch works from, worked out before the lock is taken. */
interface LaunchPlan {
  req: LaunchRequest;
  log: (message: string) => void;
  table: ProcessTable;
  timeoutMs: number;
  pollMs: number;
  env: NodeJS.ProcessEnv;
  workspaceRoot: string;
  stateDir: string;
  args: string[];
}

async function planLaunch(req: LaunchRequest): Promise<LaunchPlan> {
  const env: NodeJS.ProcessEnv = { ...(req.env ?? process.env) };
  if (req.pluginData) env.CLAUDE_PLUGIN_DATA = req.pluginData;
  const workspaceRoot = await resolveWorkspaceRoot(req.workspaceFolder);
  return {
    req,
    log: req.log ?? (() => undefined),
    table: req.table ?? createProcessTable(),
    timeoutMs: req.registerTimeoutMs ?? DEFAULT_REGISTER_TIMEOUT_MS,
    pollMs: req.pollMs ?? 40,
    env,
    workspaceRoot,
    stateDir: path.join(companionStateRoot(env, req.tmpdir ?? os.tmpdir()), await stateDirName(workspaceRoot)),
    args: companionArgs(req),
  };
}

/** What the wait under the lock decides; the caller adds the lock's figures and the vanished jobs. */
type Verdict = Omit<LaunchResult, 'vanished' | 'lockWaitMs' | 'stateDir' | 'waitedMs'>;
type LockedOutcome = Omit<LaunchResult, 'vanished' | 'lockWaitMs' | 'stateDir'>;

/**
 * Starts a review, adversarial review or background rescue task through the companion and waits,
 * holding `<stateDir>/launch.lock`, until the new job is durably registered. Never throws for
 * expected failures: every outcome is in the result.
 */
export async function launchJob(req: LaunchRequest): Promise<LaunchResult> {
  const refused = await refusal(req);
  if (refused) return { ok: false, vanished: [], waitedMs: 0, lockWaitMs: 0, message: refused };
  const plan = await planLaunch(req);
  const { stateDir } = plan;
  const locked = await withWorkspaceLock(stateDir, (ctx) => launchLocked(plan, ctx), {
    ...req.lock,
    log: req.lock?.log ?? plan.log,
  });

  if (!locked.ok)
    return {
      ok: false,
      stateDir,
      vanished: [],
      waitedMs: 0,
      lockWaitMs: locked.lockWaitMs,
      message: `Not launched: ${locked.message}`,
    };
  // Not started (the state dir was refused): no ids were noted, so none can have vanished.
  const { outcome, before = { indexIds: new Set(), recordIds: new Set(), indexReadable: true } } = locked.value;
  const result: LaunchResult = { ...outcome, stateDir, vanished: [], lockWaitMs: locked.lockWaitMs };
  if (locked.compromised) {
    result.compromised = true;
    result.message += ` Warning: the launch lock was lost while held (${locked.compromisedReason ?? 'unknown reason'}), so another launcher may have raced this one.`;
  }
  return withVanished(result, stateDir, before);
}

/** Lost updates are silent in the companion: say so when a job dropped out of the index meanwhile. */
async function withVanished(result: LaunchResult, stateDir: string, before: IdSet): Promise<LaunchResult> {
  const after = await readIds(stateDir, 5);
  if (before.indexReadable && after.indexReadable) {
    result.vanished = [...before.indexIds].filter((id) => !after.indexIds.has(id)).sort();
    if (result.vanished.length) {
      const deleted = result.vanished.filter((id) => !after.recordIds.has(id));
      result.message += ` ${result.vanished.length} job(s) vanished from state.json during the launch (${result.vanished.join(', ')})${deleted.length ? `; ${deleted.length} of them lost their record too` : ''}.`;
    }
  }
  return result;
}

/** Under the lock: the state dir checked, the ids before noted, the companion started and waited for. */
async function launchLocked(plan: LaunchPlan, ctx: LockContext): Promise<{ outcome: LockedOutcome; before?: IdSet }> {
  const { req, stateDir, args } = plan;
  // What the companion will write (state.json, jobs/) must be what it seems before it is started.
  const pre = await preflightStateDir(stateDir);
  if (!pre.ok)
    return {
      outcome: { ok: false, waitedMs: 0, message: `Not launched: ${pre.message}; the companion was not started.` },
    };
  const before = await readIds(stateDir, 5);
  const spawnedAt = Date.now();
  const sp = await spawnCompanion(req, plan.env, args, plan.timeoutMs);
  plan.log(
    `launch ${req.kind}: started ${path.basename(req.node)} ${args.slice(1, 3).join(' ')} (pid ${sp.pid ?? '?'}) in ${req.workspaceFolder}`,
  );
  let last: LockedOutcome | undefined;
  try {
    const verdict = await awaitRegistration(plan, sp, before, spawnedAt);
    last = { ...verdict, waitedMs: Date.now() - spawnedAt, compromised: ctx.compromised || undefined };
    return { outcome: last, before };
  } finally {
    // A launch that failed leaves nothing of ours waiting: the short-lived `task --background`
    // companion, or a review that never registered a job, is ended with its process group. A
    // review that registered is a job: it runs on (detached), and the tree shows it.
    if (!last?.ok && (req.kind === 'task' || !last?.jobId)) await sp.end();
    await sp.cleanup();
    // The companion could have been raced into a link swapped in while it ran: say so.
    const changed = await recheckStateDir(stateDir, pre.checked);
    if (changed && last) last.message += ` Warning: afterwards ${changed} (changed while the companion ran).`;
  }
}

/** Polls until the job is registered, the companion fails or exits without one, or the deadline passes. */
async function awaitRegistration(plan: LaunchPlan, sp: Spawned, before: IdSet, spawnedAt: number): Promise<Verdict> {
  const { req, stateDir, timeoutMs } = plan;
  const childPid = sp.pid;
  const deadline = spawnedAt + timeoutMs;
  let id: string | undefined;
  let why = 'waiting for the companion to write the job';
  let workerGoneSince: number | undefined;
  let workerAliveSince: number | undefined;
  for (;;) {
    if (sp.error) return { ok: false, message: `Could not start the companion with ${req.node}: ${sp.error}` };
    // A task names its job on stdout; only without that (or for a review) is the state diffed.
    if (!id && req.kind === 'task' && sp.exited) id = parseLaunchOutput(sp.stdout);
    if (!id && (req.kind !== 'task' || sp.exited))
      id = await findNewJob(stateDir, before, req.kind, plan.workspaceRoot, spawnedAt, childPid);
    if (id) {
      const r = await checkRegistered(stateDir, id, req.kind, plan.table, req.kind === 'task' ? undefined : childPid);
      why = r.why;
      if (r.done) return registered(req.kind, id, r);
      workerGoneSince = r.workerGone ? (workerGoneSince ?? Date.now()) : undefined;
      // The companion's queued write can land after its worker's running one (in place, no lock),
      // and the files then say queued until the worker writes again. Its worker verified alive
      // that long has made its first write: the job runs.
      workerAliveSince = r.workerAlive !== undefined ? (workerAliveSince ?? Date.now()) : undefined;
      const queued = queuedVerdict(req.kind, id, r, workerAliveSince, workerGoneSince);
      if (queued) return queued;
    }
    if (sp.exited && !id && (sp.exitCode !== 0 || Date.now() - (sp.exitedAt ?? 0) > AFTER_EXIT_GRACE_MS))
      return exitedUnregistered(sp);
    if (Date.now() >= deadline) {
      const ending = !sp.exited && (req.kind === 'task' || !id);
      return {
        ok: false,
        jobId: id,
        timedOut: true,
        message: `The ${req.kind} was not registered within ${Math.round(timeoutMs / 1000)} s (${why}); the launch lock was released${ending ? ` and the companion we started (pid ${childPid ?? '?'}) was ended with its process group` : ' and the job may still appear'}.`,
      };
    }
    await sleep(plan.pollMs);
  }
}

const registered = (kind: LaunchKind, id: string, r: Registration): Verdict => ({
  ok: true,
  jobId: id,
  pid: r.pid,
  message: `Started ${kind} ${id}${r.pid ? ` (pid ${r.pid})` : ''}: ${r.why}`,
});

/** A queued task decided by its worker: seen alive long enough (it runs), or gone long enough (it never will). */
function queuedVerdict(
  kind: LaunchKind,
  id: string,
  r: Registration,
  workerAliveSince: number | undefined,
  workerGoneSince: number | undefined,
): Verdict | undefined {
  if (workerAliveSince !== undefined && Date.now() - workerAliveSince > QUEUED_ALIVE_GRACE_MS)
    return {
      ok: true,
      jobId: id,
      pid: r.workerAlive,
      message: `Started ${kind} ${id} (pid ${r.workerAlive}): its worker runs, though its files still say queued (the companion's own queued write landed after the worker's).`,
    };
  if (workerGoneSince !== undefined && Date.now() - workerGoneSince > DEAD_WORKER_GRACE_MS)
    return { ok: false, jobId: id, message: `Job ${id} was queued, but its worker exited before starting: ${r.why}` };
  return undefined;
}

/** The companion ended without a job: the line that holds the cause, not Node's stack footer. */
async function exitedUnregistered(sp: Spawned): Promise<Verdict> {
  const out = causeLine(await sp.output(), 600);
  const how = sp.exitSignal ? `was killed by ${sp.exitSignal}` : `exited with code ${sp.exitCode}`;
  return { ok: false, message: `The companion ${how} before registering a job${out ? `: ${out}` : '.'}` };
}

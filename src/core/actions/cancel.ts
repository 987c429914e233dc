// Cancelling a job: the companion's own `cancel` under the launch lock, then making sure the job's
// process really ended. The companion signals only the recorded pid's process group, which misses a
// foreground review that is not a group leader; and it signals whatever now owns a stale pid. So the
// process is identified (command line + start time) before anything is signalled, and again
// immediately before every signal.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { causeLine, howItEnded, runChild } from '../os/childProcess';
import { resolveWorkspaceRoot, stateDirName } from '../discovery/discovery';
import { preflightStateDir, recheckStateDir } from '../io/preflight';
import { companionStateRoot } from './launcher';
import { withWorkspaceLock, type LockOptions } from './lock';
import { sameProcess } from '../os/processes';
import { isActiveRecorded } from '../vocab/status';
import { descendants, terminate, type SignalSent } from '../os/terminate';
import { verifyJobProcess } from '../state/verify';
import type { Job, ProcInfo, ProcessTable, VerifyOutcome } from '../vocab/types';
import { sleep } from '../vocab/async';

export interface CancelOptions {
  table: ProcessTable;
  /** codex-companion.mjs and the Node to run it; without them the process is signalled directly. */
  companion?: string;
  node?: string;
  /** Where the companion runs (default: the job's recorded workspaceRoot). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  tmpdir?: string;
  /** After SIGTERM, how long before SIGKILL (default 3 s). */
  termTimeoutMs?: number;
  /** After SIGKILL, how long to wait for the exit (default 2 s). */
  killTimeoutMs?: number;
  /** How long the companion's cancel may take (default 30 s; it may talk to the app server). */
  companionTimeoutMs?: number;
  /** After the companion's cancel, how long its signal gets to take effect (default 1 s). */
  companionGraceMs?: number;
  lock?: LockOptions;
  log?: (message: string) => void;
}

export type { SignalSent };

export interface CompanionCancel {
  ran: boolean;
  ok?: boolean;
  exitCode?: number | null;
  /** Its stdout (the `--json` payload) or stderr, shortened. */
  output?: string;
  /** Why it was not run. */
  skipped?: string;
  /** Not run because the state dir failed the preflight (a link, a FIFO...): `skipped` names the file. */
  refusedStateDir?: boolean;
}

export interface CancelOutcome {
  /** The job's process (and the descendants it had) no longer run, and nothing was refused. */
  ok: boolean;
  jobId: string;
  pid?: number;
  /** What the job's pid was before anything was done. */
  before: VerifyOutcome;
  companion: CompanionCancel;
  /** The companion's cancel returned but the job's process kept running. */
  survivedCompanion: boolean;
  signals: SignalSent[];
  /** Signals not sent because the target was not (or no longer) the job's process, or is ours. */
  refused: string[];
  /** Pids of the job's process tree still running at the end. */
  remaining: number[];
  message: string;
}

const ended = (i: ProcInfo | undefined) => !i || i.state === 'gone' || i.state === 'zombie';

/**
 * Descendants of `root` by parent pid. A descendant that leads its own session was started detached
 * to outlive its parent (the workspace's shared app-server broker): it and its subtree are left to
 * the broker view.
 */
export function descendantsOf(root: number, all: readonly ProcInfo[]): ProcInfo[] {
  return descendants(all, root, { skipSessionLeaders: true });
}

/** The CLAUDE_PLUGIN_DATA that makes the companion use this state dir's root (null: unset it). */
function envForStateDir(stateDir: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...base };
  const root = path.dirname(stateDir);
  if (path.basename(root) === 'state') env.CLAUDE_PLUGIN_DATA = path.dirname(root);
  else delete env.CLAUDE_PLUGIN_DATA;
  return env;
}

async function samePath(a: string, b: string): Promise<boolean> {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    return (await fs.realpath(a)) === (await fs.realpath(b));
  } catch {
    return false;
  }
}

async function runCompanionCancel(
  node: string,
  companion: string,
  id: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<CompanionCancel> {
  const o = await runChild(node, [companion, 'cancel', id, '--json'], { cwd, env, timeoutMs, maxOutput: 16_384 });
  if (o.startError) return { ran: false, skipped: `could not start ${node}: ${o.startError}` };
  if (o.ended) return { ran: true, ok: false, exitCode: null, output: howItEnded(o, timeoutMs) };
  return {
    ran: true,
    ok: o.code === 0,
    exitCode: o.code,
    output: o.code === 0 ? o.stdout.trim().slice(0, 1000) : causeLine(o.stderr || o.stdout, 1000),
  };
}

/**
 * Cancels a queued or running job and makes sure its process tree ended. Never throws: every
 * step taken, and every signal refused, is in the outcome.
 */
export async function cancelJob(job: Job, opts: CancelOptions): Promise<CancelOutcome> {
  const log = opts.log ?? (() => undefined);
  const pid = typeof job.display.pid === 'number' ? job.display.pid : undefined;
  const out: CancelOutcome = {
    ok: false,
    jobId: job.id,
    pid,
    before: 'no-pid',
    companion: { ran: false },
    survivedCompanion: false,
    signals: [],
    refused: [],
    remaining: [],
    message: '',
  };
  try {
    return await cancel(job, opts, out, log);
  } catch (err) {
    out.message = `Cancel of ${job.id} stopped on an unexpected error: ${(err as Error).message}`;
    return out;
  }
}

async function cancel(
  job: Job,
  opts: CancelOptions,
  out: CancelOutcome,
  log: (m: string) => void,
): Promise<CancelOutcome> {
  const { table } = opts;
  const pid = out.pid;
  const active = isActiveRecorded(job.recordedStatus);
  const inspect = async (p: number) => (await table.inspect([p])).get(p);

  const info0 = pid !== undefined ? await inspect(pid) : undefined;
  const v0 = verifyJobProcess(job, info0, Date.now());
  out.before = v0.outcome;
  if (v0.outcome === 'reused' || v0.outcome === 'eperm' || v0.outcome === 'unsupported') {
    // The companion's cancel would signal that pid's group without checking: it is not run either.
    out.refused.push(`pid ${pid}: ${v0.detail}`);
    out.message = `Refused to cancel ${job.id} by signal: ${v0.detail} Nothing was signalled, and the companion's cancel was not run (it signals whatever process group the recorded pid names).`;
    return out;
  }
  // A finished job whose recorded process still runs as that job (a review that outlived an earlier
  // cancel) is still ended below; anything else finished has nothing left to cancel.
  if (!active && v0.outcome !== 'verified') {
    out.ok = true;
    out.message = `${job.id} is already ${job.recordedStatus ?? 'finished'}; nothing to cancel.`;
    return out;
  }

  // Snapshot the tree now: once the job's process is gone, its children are re-parented and lost.
  const root = v0.outcome === 'verified' ? info0 : undefined;
  const all = root ? await table.list() : undefined;
  const tree = root && all ? descendantsOf(root.pid, all) : [];

  // 1. The companion's own cancel, which also records the job as cancelled.
  if (opts.companion && opts.node && active) {
    out.companion = await companionCancel(job, opts, root, inspect, log);
  } else {
    out.companion = {
      ran: false,
      skipped: !active
        ? `the job is recorded ${job.recordedStatus ?? 'without a status'}`
        : 'the companion was not found',
    };
  }

  if (!root) {
    out.ok = out.refused.length === 0;
    const refusedRun = out.companion.refusedStateDir
      ? ` The companion's cancel was not run: ${out.companion.skipped}.`
      : '';
    out.message = `${job.id}: ${v0.detail}${out.companion.ran ? ` The companion's cancel ${out.companion.ok ? 'recorded it cancelled' : `failed: ${out.companion.output ?? ''}`}.` : refusedRun}`;
    return out;
  }

  // 2. Did the job's process really end?
  const stillRuns = await outlives(root, out.companion.ran ? (opts.companionGraceMs ?? 1000) : 0, inspect);
  if (out.companion.ran && stillRuns) out.survivedCompanion = true;

  // 3. End what is left ourselves: SIGTERM, then SIGKILL, re-identifying before each signal. The
  // group is signalled only through the verified job process leading it.
  const t = await terminate([root, ...tree], {
    table,
    termMs: opts.termTimeoutMs ?? 3000,
    killMs: opts.killTimeoutMs ?? 2000,
    groupLeaders: new Set([root.pid]),
    log: (m) => log(`cancel ${out.jobId}: ${m}`),
  });
  out.signals.push(...t.signals);
  out.refused.push(...t.refused);
  out.remaining = t.remaining;
  out.ok = t.remaining.length === 0 && out.refused.length === 0;
  out.message = summary(out, root, tree);
  return out;
}

/** Whether the job's process still runs as itself once the grace after the companion's cancel ran out. */
async function outlives(
  root: ProcInfo,
  graceMs: number,
  inspect: (p: number) => Promise<ProcInfo | undefined>,
): Promise<boolean> {
  const grace = Date.now() + graceMs;
  let cur = await inspect(root.pid);
  while (sameProcess(root, cur) && Date.now() < grace) {
    await sleep(50);
    cur = await inspect(root.pid);
  }
  return sameProcess(root, cur);
}

/** "Cancel <id>: the companion's cancel succeeded; sent SIGTERM to group 123; pid 123 ended." */
function summary(out: CancelOutcome, root: ProcInfo, tree: readonly ProcInfo[]): string {
  const parts: string[] = [];
  if (out.companion.ran)
    parts.push(
      `the companion's cancel ${out.companion.ok ? 'succeeded' : `failed (${out.companion.output || `exit ${out.companion.exitCode}`})`}`,
    );
  else if (out.companion.skipped) parts.push(`the companion's cancel was not run (${out.companion.skipped})`);
  if (out.survivedCompanion) parts.push(`pid ${root.pid} kept running after it (not its process group's leader)`);
  if (out.signals.length)
    parts.push(
      `sent ${out.signals.map((s) => `${s.signal} to ${s.target === 'group' ? 'group ' : ''}${s.pid}`).join(', ')}`,
    );
  if (out.refused.length) parts.push(`refused: ${out.refused.join('; ')}`);
  parts.push(
    out.remaining.length
      ? `still running: ${out.remaining.join(', ')}`
      : `pid ${root.pid}${tree.length ? ` and ${tree.length} descendant(s)` : ''} ended`,
  );
  return `Cancel ${out.jobId}: ${parts.join('; ')}.`;
}

async function companionCancel(
  job: Job,
  opts: CancelOptions,
  root: ProcInfo | undefined,
  inspect: (p: number) => Promise<ProcInfo | undefined>,
  log: (m: string) => void,
): Promise<CompanionCancel> {
  const cwd = opts.cwd ?? job.display.workspaceRoot;
  if (!cwd) return { ran: false, skipped: 'the job records no workspace to run the companion in' };
  try {
    if (!(await fs.stat(cwd)).isDirectory()) return { ran: false, skipped: `${cwd} is not a directory` };
  } catch {
    return { ran: false, skipped: `the job's workspace ${cwd} does not exist` };
  }
  // The companion finds the job by its own state dir: only run it if that is the job's.
  const env = envForStateDir(job.stateDir, opts.env ?? process.env);
  const theirs = path.join(
    companionStateRoot(env, opts.tmpdir ?? os.tmpdir()),
    await stateDirName(await resolveWorkspaceRoot(cwd)),
  );
  if (!(await samePath(theirs, job.stateDir)))
    return { ran: false, skipped: `run from ${cwd}, the companion would look in ${theirs}, not ${job.stateDir}` };

  const locked = await withWorkspaceLock(
    job.stateDir,
    async (): Promise<CompanionCancel> => {
      const pid = typeof job.display.pid === 'number' ? job.display.pid : undefined;
      if (pid !== undefined) {
        const now = await inspect(pid);
        // Re-identify just before the companion signals that pid's group.
        if (root ? !sameProcess(root, now) && !ended(now) : !ended(now)) {
          return {
            ran: false,
            skipped: `pid ${pid} now belongs to another process; the companion's cancel would signal it`,
          };
        }
      }
      // It rewrites state.json and the job's record and appends to its log: none may lead elsewhere.
      const pre = await preflightStateDir(job.stateDir, { jobId: job.id });
      if (!pre.ok) return { ran: false, refusedStateDir: true, skipped: pre.message };
      log(`cancel ${job.id}: running the companion's cancel`);
      const r = await runCompanionCancel(
        opts.node!,
        opts.companion!,
        job.id,
        cwd,
        env,
        opts.companionTimeoutMs ?? 30_000,
      );
      const changed = await recheckStateDir(job.stateDir, pre.checked, { jobId: job.id });
      if (changed)
        Object.assign(r, {
          ok: false,
          output: `${r.output ? `${r.output}; ` : ''}afterwards ${changed} (changed while it ran: what it wrote is not verified)`,
        });
      return r;
    },
    opts.lock,
  );
  if (!locked.ok) return { ran: false, skipped: locked.message };
  return locked.value;
}

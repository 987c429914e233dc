// The one module that ends processes. Every signal is preceded by a fresh identity check of its
// target (same command line, same start time: sameProcess); nothing is sent to this process, its
// ancestors or its process group; a group is signalled only through a leader that is itself a
// verified target. SIGTERM first, SIGKILL for what outlives it; every step is a typed outcome.
import { spawn } from 'child_process';
import { exitingProcess, notYetEnded, sameProcess } from './processes';
import type { ProcInfo, ProcessTable } from '../vocab/types';
import { sleep } from '../vocab/async';

export interface SignalSent {
  pid: number;
  /** `group`: sent to -pid (the process is its group's leader). */
  target: 'group' | 'process';
  signal: NodeJS.Signals;
  delivered: boolean;
  error?: string;
}

export type TargetResult = 'ended' | 'already-gone' | 'refused' | 'survived';

export interface TargetOutcome {
  pid: number;
  result: TargetResult;
  /** The last signal it got before it ended. */
  endedBy?: 'SIGTERM' | 'SIGKILL';
  /** Why a signal was not sent. */
  refused?: string;
}

export interface TerminateOutcome {
  targets: TargetOutcome[];
  signals: SignalSent[];
  refused: string[];
  /** Pids still running as the very process they were. */
  remaining: number[];
}

export interface TerminateOptions {
  table: ProcessTable;
  /** After SIGTERM, how long before SIGKILL (default 3 s). */
  termMs?: number;
  /** After SIGKILL, how long to wait for the exit (default 2 s). */
  killMs?: number;
  /** Pids to signal as a group (-pid): honoured only for a target that leads its group. */
  groupLeaders?: ReadonlySet<number>;
  platform?: NodeJS.Platform;
  log?: (message: string) => void;
}

/**
 * Descendants of `root` by parent pid, from one listing. With `skipSessionLeaders`, a descendant that
 * leads its own session (started detached to outlive its parent, like the workspace's broker) is left
 * out with its subtree.
 */
export function descendants(
  all: readonly ProcInfo[],
  root: number,
  opts: { skipSessionLeaders?: boolean } = {},
): ProcInfo[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of all) {
    if (p.ppid === undefined || p.state !== 'alive') continue;
    const list = byParent.get(p.ppid) ?? [];
    list.push(p);
    byParent.set(p.ppid, list);
  }
  const out: ProcInfo[] = [];
  const seen = new Set<number>([root]);
  const queue = [root];
  while (queue.length) {
    for (const c of byParent.get(queue.shift()!) ?? []) {
      if (seen.has(c.pid)) continue;
      seen.add(c.pid);
      if (opts.skipSessionLeaders && c.sid !== undefined && c.sid === c.pid) continue;
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}

/** Our pid, our ancestors' pids and our process group: never signalled. */
export async function ourselves(table: ProcessTable): Promise<{ pids: Set<number>; pgid?: number }> {
  const pids = new Set<number>([process.pid]);
  let pgid: number | undefined;
  let pid: number | undefined = process.pid;
  for (let depth = 0; pid !== undefined && pid > 1 && depth < 64; depth++) {
    const info = (await table.inspect([pid])).get(pid);
    if (pid === process.pid) pgid = info?.pgid;
    pids.add(pid);
    pid = info?.ppid;
  }
  return { pids, pgid };
}

/** Waits until none of `procs` still runs (or exits) as itself; returns those that still do. */
export async function waitEnded(table: ProcessTable, procs: readonly ProcInfo[], ms: number): Promise<ProcInfo[]> {
  const until = Date.now() + ms;
  for (;;) {
    if (procs.length === 0) return [];
    const infos = await table.inspect(procs.map((p) => p.pid));
    const left = procs.filter((p) => notYetEnded(p, infos.get(p.pid)));
    if (left.length === 0 || Date.now() >= until) return left;
    await sleep(100);
  }
}

/**
 * Ends `targets` (snapshots taken when they were identified): SIGTERM, then SIGKILL for what is still
 * the same process, each signal after a fresh identity check. Never throws.
 */
export async function terminate(targets: readonly ProcInfo[], o: TerminateOptions): Promise<TerminateOutcome> {
  const platform = o.platform ?? process.platform;
  const out: TerminateOutcome = { targets: [], signals: [], refused: [], remaining: [] };
  const self = await ourselves(o.table);
  const byPid = new Map<number, TargetOutcome>();
  for (const t of targets) byPid.set(t.pid, { pid: t.pid, result: 'already-gone' });
  const refuse = (t: ProcInfo, why: string) => {
    const r = byPid.get(t.pid)!;
    if (r.result !== 'refused') out.refused.push(why);
    r.result = 'refused';
    r.refused = why;
  };

  const signal = async (t: ProcInfo, sig: 'SIGTERM' | 'SIGKILL') => {
    if (byPid.get(t.pid)!.result === 'refused') return;
    if (t.pid <= 1 || self.pids.has(t.pid))
      return refuse(t, `pid ${t.pid} is this process or one of its ancestors; ${sig} not sent`);
    const now = (await o.table.inspect([t.pid])).get(t.pid);
    if (!now || now.state === 'gone' || now.state === 'zombie' || exitingProcess(t, now)) return;
    if (!sameProcess(t, now))
      return refuse(
        t,
        `pid ${t.pid} is no longer the process it was (now \`${(now.argv ?? []).join(' ').slice(0, 80)}\`); ${sig} not sent`,
      );
    const group =
      platform !== 'win32' &&
      !!o.groupLeaders?.has(t.pid) &&
      now.pgid === t.pid &&
      t.pgid === t.pid &&
      t.pid !== self.pgid;
    const sent: SignalSent = { pid: t.pid, target: group ? 'group' : 'process', signal: sig, delivered: false };
    try {
      if (platform === 'win32') await taskkill(t.pid);
      else process.kill(group ? -t.pid : t.pid, sig);
      sent.delivered = true;
      byPid.get(t.pid)!.endedBy = sig;
    } catch (err) {
      sent.error = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    }
    out.signals.push(sent);
    o.log?.(`${sig} to ${group ? 'group ' : ''}${t.pid}${sent.error ? ` failed (${sent.error})` : ''}`);
  };

  let left = await waitEnded(o.table, targets, 0);
  for (const t of left) byPid.get(t.pid)!.result = 'survived';
  if (left.length) {
    for (const t of left) await signal(t, 'SIGTERM');
    left = await waitEnded(o.table, left, o.termMs ?? 3000);
  }
  if (left.length) {
    for (const t of left) await signal(t, 'SIGKILL');
    left = await waitEnded(o.table, left, o.killMs ?? 2000);
  }
  const still = new Set(left.map((t) => t.pid));
  for (const r of byPid.values()) {
    if (r.result === 'survived' && !still.has(r.pid)) r.result = 'ended';
    if (r.result === 'refused' && !still.has(r.pid) && r.endedBy) r.result = 'ended';
  }
  out.targets = [...byPid.values()];
  out.remaining = [...still];
  return out;
}

/** Windows has no signals: taskkill ends the process (and its tree) by force. */
function taskkill(pid: number): Promise<void> {
  return new Promise((resolve, reject) =>
    spawn('taskkill', ['/PID', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true })
      .once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`taskkill exited ${code}`))))
      .once('error', reject),
  );
}

// Ends orphan brokers and clears dead session dirs, and nothing else. Every signal is preceded by a
// fresh identity check (same command line, same start time); only known files are ever removed.
import { promises as fs } from 'fs';
import * as net from 'net';
import * as path from 'path';
import { spawn } from 'child_process';
import { notYetEnded, sameProcess } from './processes';
import type { ProcInfo, ProcessTable } from './types';
import { BROKER_FILES, type BrokerEntry, type BrokerScan } from './brokers';

export interface ReapPlan {
  reap: BrokerEntry[];
  skip: { entry: BrokerEntry; why: string }[];
}

export type ReapResult = 'reaped' | 'already-gone' | 'failed' | 'skipped';
export type ReapStep = 'shutdown' | 'sigterm' | 'sigkill' | 'files';

export interface ReapOutcome {
  entry: BrokerEntry;
  result: ReapResult;
  /** How a live broker ended. */
  step?: ReapStep;
  detail: string;
}

export interface ReapSummary {
  outcomes: ReapOutcome[];
  reaped: number;
  alreadyGone: number;
  failed: number;
  skipped: number;
  ms: number;
}

export interface ReapOptions {
  table: ProcessTable;
  politeMs?: number;
  termMs?: number;
  killMs?: number;
  onProgress?: (done: number, total: number, entry: BrokerEntry) => void;
  isCancelled?: () => boolean;
  platform?: NodeJS.Platform;
}

/** The dry run: what would be reaped, what is left alone, and why. */
export function planReap(scan: BrokerScan): ReapPlan {
  const plan: ReapPlan = { reap: [], skip: [] };
  for (const e of scan.entries) {
    if (e.class === 'orphan-live' || e.class === 'dead') plan.reap.push(e);
    else plan.skip.push({ entry: e, why: e.class === 'in-use' ? `in use: ${e.reason}` : `${e.class}: ${e.reason}` });
  }
  return plan;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Still the very process we identified: alive, same command line, same start time. */
async function stillSame(table: ProcessTable, p: ProcInfo): Promise<boolean> {
  return sameProcess(p, (await table.inspect([p.pid])).get(p.pid));
}

async function waitGone(table: ProcessTable, procs: ProcInfo[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (procs.length === 0) return true;
    const infos = await table.inspect(procs.map((p) => p.pid));
    if (!procs.some((p) => notYetEnded(p, infos.get(p.pid)))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
}

function askToShutDown(socket: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socket);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      c.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    c.once('connect', () =>
      c.write(`${JSON.stringify({ id: 1, method: 'broker/shutdown', params: {} })}\n`, () => done(true)),
    );
    c.once('error', () => done(false));
  });
}

/** Signals only a re-verified process; a group only when the broker leads it (brokers are spawned detached). */
async function signal(
  table: ProcessTable,
  p: ProcInfo,
  sig: NodeJS.Signals,
  platform: NodeJS.Platform,
  ownGroup?: number,
): Promise<void> {
  if (p.pid <= 1 || p.pid === process.pid || !(await stillSame(table, p))) return;
  if (platform === 'win32') {
    await new Promise((r) =>
      spawn('taskkill', ['/PID', String(p.pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true })
        .once('exit', r)
        .once('error', r),
    );
    return;
  }
  try {
    if (p.pgid === p.pid && p.pgid !== ownGroup) process.kill(-p.pid, sig);
    else process.kill(p.pid, sig);
  } catch {
    // gone between the check and the signal
  }
}

async function removeKnownFiles(e: BrokerEntry): Promise<string> {
  if (!e.dir) return '';
  for (const f of BROKER_FILES) await fs.rm(path.join(e.dir, f), { force: true }).catch(() => undefined);
  try {
    await fs.rmdir(e.dir);
    return `removed ${e.dir}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${e.dir} was already gone`;
    return `kept ${e.dir}: it holds files that are not the broker's (${code})`;
  }
}

type Resolved = Required<Pick<ReapOptions, 'politeMs' | 'termMs' | 'killMs'>> & ReapOptions & { ownGroup?: number };

async function reapLive(e: BrokerEntry, o: Resolved): Promise<ReapOutcome> {
  const p = e.process!;
  const family = [p, ...e.children];
  if (!(await stillSame(o.table, p))) {
    const files = await removeKnownFiles(e);
    return { entry: e, result: 'already-gone', detail: `pid ${p.pid} had already exited. ${files}`.trim() };
  }
  const platform = o.platform ?? process.platform;
  let step: ReapStep | undefined;
  const socket = e.dir
    ? path.join(e.dir, 'broker.sock')
    : e.endpoint?.startsWith('unix:')
      ? e.endpoint.slice(5)
      : undefined;
  if (
    socket &&
    platform !== 'win32' &&
    (await askToShutDown(socket, 500)) &&
    (await waitGone(o.table, [p], o.politeMs))
  )
    step = 'shutdown';
  if (!step) {
    await signal(o.table, p, 'SIGTERM', platform, o.ownGroup);
    if (await waitGone(o.table, [p], o.termMs)) step = 'sigterm';
  }
  if (!step) {
    await signal(o.table, p, 'SIGKILL', platform, o.ownGroup);
    if (await waitGone(o.table, [p], o.killMs)) step = 'sigkill';
  }
  if (!step) return { entry: e, result: 'failed', detail: `pid ${p.pid} survived SIGKILL` };
  // Children that left the group (or outlived it) go too, each re-verified first.
  for (const c of e.children) await signal(o.table, c, 'SIGTERM', platform, o.ownGroup);
  if (!(await waitGone(o.table, e.children, o.termMs))) {
    for (const c of e.children) await signal(o.table, c, 'SIGKILL', platform, o.ownGroup);
    await waitGone(o.table, e.children, o.killMs);
  }
  const left = [];
  for (const c of family) if (await stillSame(o.table, c)) left.push(c.pid);
  const files = await removeKnownFiles(e);
  if (left.length)
    return { entry: e, result: 'failed', step, detail: `ended by ${step}, but ${left.join(', ')} still run. ${files}` };
  return {
    entry: e,
    result: 'reaped',
    step,
    detail:
      `ended by ${step === 'shutdown' ? 'broker/shutdown' : step.toUpperCase()}${e.children.length ? ` with ${e.children.length} child process(es)` : ''}. ${files}`.trim(),
  };
}

export async function reap(plan: ReapPlan, opts: ReapOptions): Promise<ReapSummary> {
  const t0 = Date.now();
  // Our own process group is never signalled, whatever a pid file says.
  const ownGroup = (await opts.table.inspect([process.pid])).get(process.pid)?.pgid;
  const o: Resolved = { politeMs: 1500, termMs: 3000, killMs: 2000, ...opts, ownGroup };
  const outcomes: ReapOutcome[] = plan.skip.map((s) => ({ entry: s.entry, result: 'skipped' as const, detail: s.why }));
  let done = 0;
  // A few at a time: each may wait seconds for an exit, and signals must not wait on each other.
  const queue = [...plan.reap];
  const worker = async () => {
    for (let e = queue.shift(); e; e = queue.shift()) {
      if (o.isCancelled?.()) {
        outcomes.push({ entry: e, result: 'skipped', detail: 'cancelled' });
        continue;
      }
      try {
        if (e.class === 'orphan-live' && e.process) outcomes.push(await reapLive(e, o));
        else {
          const files = await removeKnownFiles(e);
          outcomes.push({
            entry: e,
            result: files.startsWith('kept') ? 'failed' : files.includes('already gone') ? 'already-gone' : 'reaped',
            step: 'files',
            detail: files,
          });
        }
      } catch (err) {
        outcomes.push({ entry: e, result: 'failed', detail: String(err) });
      }
      o.onProgress?.(++done, plan.reap.length, e);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker));
  const count = (r: ReapResult) => outcomes.filter((x) => x.result === r).length;
  return {
    outcomes,
    reaped: count('reaped'),
    alreadyGone: count('already-gone'),
    failed: count('failed'),
    skipped: count('skipped'),
    ms: Date.now() - t0,
  };
}

// Ends orphan brokers and clears dead session dirs, and nothing else. Signals go through terminate
// (a fresh identity check before each); only known files are removed, only from the dir scanned.
import { constants, promises as fs } from 'fs';
import * as net from 'net';
import * as path from 'path';
import { sameProcess, unixSockets } from '../os/processes';
import type { ProcInfo, ProcessTable } from '../vocab/types';
import { boundSocketPaths, BROKER_FILES, type BrokerEntry, type BrokerScan } from './brokers';
import { terminate, waitEnded } from '../os/terminate';
import { mapLimit, sleep } from '../vocab/async';

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

/** Still the very process we identified: alive, same command line, same start time. */
async function stillSame(table: ProcessTable, p: ProcInfo): Promise<boolean> {
  return sameProcess(p, (await table.inspect([p.pid])).get(p.pid));
}

/** Is `dir` still the directory the scan saw (same dev/ino, not a link, a directory)? */
async function sameDir(dir: string, id: { dev: number; ino: number }): Promise<boolean> {
  try {
    const st = await fs.lstat(dir);
    return st.isDirectory() && !st.isSymbolicLink() && st.dev === id.dev && st.ino === id.ino;
  } catch {
    return false;
  }
}

/**
 * The socket of a verified broker: a socket (not a link) in its still-same session dir, named by its
 * own --endpoint. On Linux it must also be one the broker itself listens on (/proc/net/unix inode
 * among the broker's open fds): another program's socket put there gets not one byte.
 */
async function brokerSocket(e: BrokerEntry, platform: NodeJS.Platform): Promise<string | undefined> {
  if (!e.dir || !e.dirId || !e.process || platform === 'win32') return undefined;
  const sock = path.join(e.dir, 'broker.sock');
  if (e.endpoint !== `unix:${sock}` || !(await sameDir(e.dir, e.dirId))) return undefined;
  try {
    const st = await fs.lstat(sock);
    if (!st.isSocket()) return undefined;
    if (platform !== 'linux') return sock;
    const inodes = await listeningInodes(sock);
    if (inodes.size === 0) return undefined;
    const fds = await fs.readdir(`/proc/${e.process.pid}/fd`);
    for (const fd of fds) {
      const m = /^socket:\[(\d+)\]$/.exec(await fs.readlink(`/proc/${e.process.pid}/fd/${fd}`).catch(() => ''));
      if (m && inodes.has(m[1])) return (await sameDir(e.dir, e.dirId)) ? sock : undefined;
    }
  } catch {
    // not provably the broker's socket
  }
  return undefined;
}

/**
 * Inodes of the listening unix sockets bound to `file`. A path listed twice (the broker's socket
 * file replaced by another program's) is ambiguous: then nothing is returned.
 */
async function listeningInodes(file: string): Promise<Set<string>> {
  const out = new Set(
    (await unixSockets()).filter((s) => s.flags === '00010000' && s.path === file).map((s) => s.inode),
  );
  return out.size === 1 ? out : new Set();
}

function askToShutDown(socket: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socket);
    // Once written, the request may reach the broker even if this side gives up waiting (a loaded
    // machine runs our callbacks late): the broker then ends because we asked, so it counts as asked.
    let written = false;
    const done = (ok: boolean) => {
      clearTimeout(timer);
      c.destroy();
      resolve(ok || written);
    };
    const timer = setTimeout(() => done(false), ms);
    c.once('connect', () => {
      c.write(`${JSON.stringify({ id: 1, method: 'broker/shutdown', params: {} })}\n`, () => done(true));
      written = true;
    });
    c.once('error', () => done(false));
  });
}

/**
 * Removes the known broker files, and then the dir when empty, only from the very dir the scan saw.
 * Node has no unlinkat: on Linux each name is unlinked through /proc/self/fd/<fd of the opened dir>,
 * which resolves to that dir whatever its path now names; elsewhere the dir's dev/ino is compared
 * again right before each unlink. Only regular files and sockets are removed, never a link's target.
 */
export async function removeKnownFiles(e: BrokerEntry): Promise<string> {
  if (!e.dir) return '';
  const dir = e.dir;
  if (!e.dirId) return `kept ${dir}: it was not checked when scanned`;
  if (!(await sameDir(dir, e.dirId))) {
    try {
      await fs.lstat(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return `${dir} was already gone`;
    }
    return `kept ${dir}: it is no longer the directory that was scanned (replaced or a link); nothing removed`;
  }
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | (constants.O_NOFOLLOW ?? 0));
    const st = await handle.stat();
    if (st.dev !== e.dirId.dev || st.ino !== e.dirId.ino)
      return `kept ${dir}: it changed while opened; nothing removed`;
  } catch {
    await handle?.close().catch(() => undefined);
    handle = undefined;
    if (process.platform === 'linux') return `kept ${dir}: it could not be opened as a directory; nothing removed`;
  }
  // A socket some live process still listens on is that program's, whatever its name: kept.
  let bound = process.platform === 'linux' ? await boundSocketPaths() : new Set<string>();
  // A broker just ended (or its last child, which shares the socket) releases it a moment later on
  // a loaded machine: look again for a while before keeping the dir for a socket still held.
  for (let i = 0; i < 10 && bound.has(path.join(dir, 'broker.sock')); i++) {
    await sleep(200);
    bound = await boundSocketPaths();
  }
  try {
    const viaFd = handle && process.platform === 'linux' ? `/proc/self/fd/${handle.fd}` : undefined;
    for (const f of BROKER_FILES) {
      if (f === 'broker.sock' && bound.has(path.join(dir, f))) continue;
      const base = viaFd ?? dir;
      if (!viaFd && !(await sameDir(dir, e.dirId))) return `kept ${dir}: it was replaced while files were removed`;
      let st: import('fs').Stats;
      try {
        st = await fs.lstat(path.join(base, f));
      } catch {
        continue;
      }
      if (!st.isFile() && !st.isSocket()) continue;
      await fs.unlink(path.join(base, f)).catch(() => undefined);
    }
  } finally {
    await handle?.close().catch(() => undefined);
  }
  if (!(await sameDir(dir, e.dirId))) return `kept ${dir}: it was replaced while files were removed`;
  try {
    await fs.rmdir(dir);
    return `removed ${dir}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${dir} was already gone`;
    return `kept ${dir}: it holds files that are not the broker's (${code})`;
  }
}

type Resolved = Required<Pick<ReapOptions, 'politeMs' | 'termMs' | 'killMs'>> & ReapOptions;

async function reapLive(e: BrokerEntry, o: Resolved): Promise<ReapOutcome> {
  const p = e.process!;
  if (!(await stillSame(o.table, p))) {
    const files = await removeKnownFiles(e);
    return { entry: e, result: 'already-gone', detail: `pid ${p.pid} had already exited. ${files}`.trim() };
  }
  const platform = o.platform ?? process.platform;
  let step: ReapStep | undefined;
  const socket = await brokerSocket(e, platform);
  const asked = !!socket && (await askToShutDown(socket, 500));
  if (asked && (await waitEnded(o.table, [p], o.politeMs)).length === 0) step = 'shutdown';
  // The broker leads its group (spawned detached): the group goes with it; stragglers one by one.
  const t = await terminate([p, ...e.children], {
    table: o.table,
    termMs: o.termMs,
    killMs: o.killMs,
    groupLeaders: new Set([p.pid]),
    platform,
  });
  const root = t.targets.find((x) => x.pid === p.pid);
  step ??= root?.endedBy === 'SIGKILL' ? 'sigkill' : root?.endedBy === 'SIGTERM' ? 'sigterm' : undefined;
  // Asked to shut down, it ended later than politeMs but before any signal was needed (a slow exit
  // on a loaded machine): it ended because we asked, not by itself.
  if (!step && asked && (root?.result === 'ended' || root?.result === 'already-gone')) step = 'shutdown';
  const files = await removeKnownFiles(e);
  if (t.remaining.includes(p.pid))
    return { entry: e, result: 'failed', detail: `pid ${p.pid} survived SIGKILL. ${files}`.trim() };
  if (!step) return { entry: e, result: 'already-gone', detail: `pid ${p.pid} ended by itself. ${files}`.trim() };
  if (t.remaining.length)
    return {
      entry: e,
      result: 'failed',
      step,
      detail: `ended by ${step}, but ${t.remaining.join(', ')} still run. ${files}`,
    };
  return {
    entry: e,
    result: 'reaped',
    step,
    detail:
      `ended by ${step === 'shutdown' ? 'broker/shutdown' : step.toUpperCase()}${e.children.length ? ` with ${e.children.length} child process(es)` : ''}. ${files}`.trim(),
  };
}

/** Ends one planned broker (or clears its dead dir); a failure is an outcome, never thrown. */
async function reapOne(e: BrokerEntry, o: Resolved): Promise<ReapOutcome> {
  try {
    if (e.class === 'orphan-live' && e.process) return await reapLive(e, o);
    const files = await removeKnownFiles(e);
    return {
      entry: e,
      result: files.startsWith('kept') ? 'failed' : files.includes('already gone') ? 'already-gone' : 'reaped',
      step: 'files',
      detail: files,
    };
  } catch (err) {
    return { entry: e, result: 'failed', detail: String(err) };
  }
}

export async function reap(plan: ReapPlan, opts: ReapOptions): Promise<ReapSummary> {
  const t0 = Date.now();
  const o: Resolved = { politeMs: 1500, termMs: 3000, killMs: 2000, ...opts };
  const skipped = plan.skip.map((s): ReapOutcome => ({ entry: s.entry, result: 'skipped', detail: s.why }));
  // A few at a time: each may wait seconds for an exit, and signals must not wait on each other.
  // Outcomes are listed in the order they finish, the order the progress reports them in.
  const finished: ReapOutcome[] = [];
  let done = 0;
  await mapLimit(plan.reap, 8, async (e) => {
    if (o.isCancelled?.()) {
      finished.push({ entry: e, result: 'skipped', detail: 'cancelled' });
      return;
    }
    finished.push(await reapOne(e, o));
    o.onProgress?.(++done, plan.reap.length, e);
  });
  const outcomes = [...skipped, ...finished];
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

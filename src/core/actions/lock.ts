// The workspace launch lock: `<stateDir>/launch.lock`, a proper-lockfile directory lock.
//
// Why this lock and not the companion's own: a lock-aware companion guards each of its state writes
// with `state.json.lock`, held for one read-modify-write. We never take `state.json.lock`, and we
// hold `launch.lock` while we wait for a companion process to register its job. So a companion that
// takes `state.json.lock` during its own writes is never blocked by us (no lock-order cycle, no
// deadlock), and we never wait on it while holding anything it needs. `launch.lock` serialises only
// launchers that honour it (every codex-jobs window, its CLI, and any other tool that adopts it),
// which is what keeps two launches from starting from the same state.json baseline.
//
// proper-lockfile refreshes the directory's mtime every `update` ms; a holder that died (SIGKILL,
// crash, power loss) stops refreshing and its lock is taken over once older than `stale` ms. A
// holder that is alive but starved (a loaded machine, a blocked event loop) past `stale` loses it the
// same way: the stale time is 6 refresh periods so that takes a starvation of 25 s, and then the
// holder is told (`compromised`) and never removes the lock it no longer owns.
import { promises as fs } from 'fs';
import * as path from 'path';
import type * as Lockfile from 'proper-lockfile';
import { rootOfStateDir } from '../io/reader';
import { assertRealDir, isSafeFsError } from '../io/safeFs';
import { sleep } from '../vocab/async';

/** proper-lockfile (and graceful-fs, which patches fs as it loads) only when a lock is taken. */
const lockfileModule = (): typeof Lockfile =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('proper-lockfile') as typeof Lockfile;

export const LAUNCH_LOCK_NAME = 'launch.lock';
export const DEFAULT_STALE_MS = 30_000;
export const DEFAULT_UPDATE_MS = 5_000;
/** Longer than a launch may hold the lock (its registration timeout) plus a stale takeover. */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

export interface LockOptions {
  /** A lock not refreshed for this long belongs to a dead holder (proper-lockfile's minimum is 2000). */
  staleMs?: number;
  /** How often the holder refreshes the lock (at most staleMs / 2, at least 1000). */
  updateMs?: number;
  /** Overall deadline for acquiring, in-process queue included. */
  timeoutMs?: number;
  /** Backoff between attempts: starts at minDelayMs, grows by 1.3, capped at maxDelayMs, with jitter. */
  minDelayMs?: number;
  maxDelayMs?: number;
  log?: (message: string) => void;
}

export interface LockContext {
  lockPath: string;
  /** How long acquiring took. */
  lockWaitMs: number;
  /** Set when the lock was lost while held (its directory removed or taken over as stale). */
  compromised: boolean;
  compromisedReason?: string;
}

export type LockResult<T> =
  | {
      ok: true;
      value: T;
      lockPath: string;
      lockWaitMs: number;
      heldMs: number;
      compromised: boolean;
      compromisedReason?: string;
      releaseError?: string;
    }
  | { ok: false; reason: 'busy' | 'error'; lockPath: string; lockWaitMs: number; message: string };

export function launchLockPath(stateDir: string): string {
  return path.join(stateDir, LAUNCH_LOCK_NAME);
}

/** Which directory this is: a takeover removes the lock and makes a new one (a new inode and birth). */
async function dirIdentity(dir: string): Promise<string | undefined> {
  try {
    const st = await fs.stat(dir, { bigint: true });
    return `${st.dev}:${st.ino}:${st.birthtimeNs}`;
  } catch {
    return undefined;
  }
}

/**
 * One turn at a time per state dir inside this process, so concurrent launches from one window do
 * not all poll the file lock (and proper-lockfile's per-process bookkeeping sees one holder).
 */
const turns = new Map<string, Promise<void>>();

async function takeTurn(key: string, deadline: number): Promise<(() => void) | undefined> {
  const prev = turns.get(key) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((r) => (done = r));
  const tail = prev.then(() => mine);
  turns.set(key, tail);
  const release = () => {
    done();
    if (turns.get(key) === tail) turns.delete(key);
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    prev.then(() => false),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(true), Math.max(0, deadline - Date.now())))),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    // Give up our place, but only once the one before us is done, so order is kept.
    void prev.then(release);
    return undefined;
  }
  return release;
}

async function describeHolder(lockPath: string, staleMs: number): Promise<string> {
  try {
    const st = await fs.stat(lockPath);
    const since = st.birthtimeMs > 0 ? new Date(st.birthtimeMs).toISOString() : undefined;
    const age = Math.round((Date.now() - st.mtimeMs) / 1000);
    return (
      `another launch holds ${lockPath}${since ? ` since ${since}` : ''} (last refreshed ${age} s ago). ` +
      `If no launch is running, the lock frees itself once it has not been refreshed for ${Math.round(staleMs / 1000)} s, or remove that directory.`
    );
  } catch {
    return `another launch held ${lockPath} until a moment ago; try again.`;
  }
}

/** The lock's settings and deadline, fixed when a launch asks for it. */
interface LockPlan {
  key: string;
  lockPath: string;
  start: number;
  deadline: number;
  staleMs: number;
  updateMs: number;
  minDelayMs: number;
  maxDelayMs: number;
  log: (message: string) => void;
}

function lockPlan(stateDir: string, opts: LockOptions): LockPlan {
  const start = Date.now();
  const staleMs = Math.max(opts.staleMs ?? DEFAULT_STALE_MS, 2000);
  return {
    key: path.resolve(stateDir),
    lockPath: launchLockPath(stateDir),
    start,
    deadline: start + (opts.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS),
    staleMs,
    updateMs: Math.max(Math.min(opts.updateMs ?? DEFAULT_UPDATE_MS, staleMs / 2), 1000),
    minDelayMs: opts.minDelayMs ?? 25,
    maxDelayMs: opts.maxDelayMs ?? 250,
    log: opts.log ?? (() => undefined),
  };
}

/**
 * Runs `fn` holding `<stateDir>/launch.lock`. Creates the state dir (only that one level and its
 * parents, as the companion would) since the lock is made in it. Never throws for a busy or broken
 * lock; an error thrown by `fn` itself is passed on after the lock is released.
 */
export async function withWorkspaceLock<T>(
  stateDir: string,
  fn: (ctx: LockContext) => Promise<T>,
  opts: LockOptions = {},
): Promise<LockResult<T>> {
  const plan = lockPlan(stateDir, opts);
  const fail = (reason: 'busy' | 'error', message: string): LockResult<T> => ({
    ok: false,
    reason,
    lockPath: plan.lockPath,
    lockWaitMs: Date.now() - plan.start,
    message,
  });

  // The turn is taken before any await, so launches from this process go in the order asked.
  const endTurn = await takeTurn(plan.key, plan.deadline);
  if (!endTurn) return fail('busy', `timed out waiting for this window's previous launch in ${stateDir} to finish.`);
  const unusable = await unusableStateDir(stateDir);
  if (unusable) {
    endTurn();
    return fail('error', unusable);
  }

  const ctx: LockContext = { lockPath: plan.lockPath, lockWaitMs: 0, compromised: false };
  try {
    const taken = await acquire(plan, ctx);
    if ('reason' in taken) return fail(taken.reason, taken.message);
    ctx.lockWaitMs = Date.now() - plan.start;
    return await runHolding(plan, ctx, taken.release, fn);
  } finally {
    endTurn();
  }
}

/** Makes the state dir if needed; why the lock cannot be made in it, if it cannot. */
async function unusableStateDir(stateDir: string): Promise<string | undefined> {
  try {
    await fs.mkdir(stateDir, { recursive: true });
  } catch (err) {
    return `could not create the state directory ${stateDir} for the launch lock: ${(err as Error).message}`;
  }
  try {
    // The lock is made in the state dir by its path: one that is a link (to anywhere) is not written into.
    await assertRealDir(stateDir, rootOfStateDir(stateDir));
  } catch (err) {
    const why = isSafeFsError(err) ? err.what : (err as Error).message;
    return `the state directory ${stateDir} ${why}; no launch lock taken there`;
  }
  return undefined;
}

/** Takes the file lock, retrying with backoff against the deadline; `ctx` learns of a later compromise. */
async function acquire(
  plan: LockPlan,
  ctx: LockContext,
): Promise<{ release: () => Promise<void> } | { reason: 'busy' | 'error'; message: string }> {
  const { lockPath, log } = plan;
  let delay = plan.minDelayMs;
  for (;;) {
    try {
      const release = await lockfileModule().lock(plan.key, {
        lockfilePath: lockPath,
        stale: plan.staleMs,
        update: plan.updateMs,
        retries: 0, // the loop below retries against an overall deadline instead
        realpath: false,
        onCompromised: (err) => {
          // Called from a timer: throwing here would be an uncaught exception in the editor.
          ctx.compromised = true;
          ctx.compromisedReason = err.message;
          log(`launch lock ${lockPath} compromised: ${err.message}`);
        },
      });
      return { release };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ELOCKED')
        return { reason: 'error', message: `could not take the launch lock ${lockPath}: ${(err as Error).message}` };
      const wait = delay * (0.75 + Math.random() * 0.5);
      if (Date.now() + wait > plan.deadline) {
        return {
          reason: 'busy',
          message: `Gave up after ${((Date.now() - plan.start) / 1000).toFixed(1)} s: ${await describeHolder(lockPath, plan.staleMs)}`,
        };
      }
      await sleep(wait);
      delay = Math.min(delay * 1.3, plan.maxDelayMs);
    }
  }
}

/** Runs `fn` with the lock held, then releases the lock if it is still ours. */
async function runHolding<T>(
  plan: LockPlan,
  ctx: LockContext,
  release: () => Promise<void>,
  fn: (ctx: LockContext) => Promise<T>,
): Promise<LockResult<T>> {
  // proper-lockfile's release removes the directory unconditionally, so after a stale takeover it
  // would remove the new holder's lock and let a third launcher in; its refresh notices a takeover
  // only on its next tick. So the directory we made is remembered and checked before release.
  const ours = await dirIdentity(plan.lockPath);
  const heldAt = Date.now();
  let releaseError: string | undefined;
  let value: T;
  try {
    value = await fn(ctx);
  } finally {
    // Released before the result is read, so a slow caller never keeps others waiting.
    releaseError = await releaseIfOurs(plan, ctx, release, ours);
  }
  return {
    ok: true,
    value,
    lockPath: plan.lockPath,
    lockWaitMs: ctx.lockWaitMs,
    heldMs: Date.now() - heldAt,
    compromised: ctx.compromised,
    compromisedReason: ctx.compromisedReason,
    releaseError,
  };
}

/** Removes the lock unless it was lost (compromised, removed or re-created by another launcher): why not, if not. */
async function releaseIfOurs(
  plan: LockPlan,
  ctx: LockContext,
  release: () => Promise<void>,
  ours: string | undefined,
): Promise<string | undefined> {
  const { lockPath } = plan;
  if (!ctx.compromised && (ours === undefined || (await dirIdentity(lockPath)) !== ours)) {
    ctx.compromised = true;
    ctx.compromisedReason = `${lockPath} was removed or taken over by another launcher while held`;
    plan.log(`launch lock ${lockPath} compromised: ${ctx.compromisedReason}`);
  }
  // Not ours any more: leave whatever is there now. proper-lockfile stops refreshing on its
  // next tick, when it finds the mtime is not the one it set.
  if (ctx.compromised) return 'the lock was not ours any more, so it was left in place';
  try {
    await release();
    return undefined;
  } catch (err) {
    // ERELEASED after a compromise: the lock is no longer ours to remove.
    return (err as Error).message;
  }
}

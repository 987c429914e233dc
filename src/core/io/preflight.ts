// The check made before the companion is started on a state dir (setup, a launch, cancel,
// task-resume-candidate), and again after it exited. The companion follows links and opens FIFOs
// like any file: given a state.json that is a link, it writes where the link points; given a FIFO,
// it blocks. So what it will read or write must be what it seems, before anything is started: the
// state dir and jobs/ real directories, state.json and the job's own files regular files (or
// missing) with one name only and within the read limits. The same checks the repairs make.
import type { Stats } from 'fs';
import * as path from 'path';
import { rootOfStateDir } from './reader';
import { assertRealDir, isSafeFsError, openRegular, READ_LIMITS, SafeFsError, toSafeFsError } from './safeFs';

export interface PreflightOptions {
  /** The job the command names: its record and log are checked too. */
  jobId?: string;
  /** The state dir may not exist yet (the companion makes it). */
  allowMissingDir?: boolean;
}

/** What was checked, to compare with the same check after the run. */
export interface StateDirCheck {
  dir?: { dev: number; ino: number };
  /** state.json as it was: undefined when missing. */
  state?: { ino: number; size: number; mtimeMs: number; ctimeMs: number };
}

export type Preflight = { ok: true; checked: StateDirCheck } | { ok: false; file: string; message: string };

/**
 * Checks a state dir before the companion is run on it. Never throws: a refusal names the file and
 * what it is ("…/state.json: is a symbolic link").
 */
export async function preflightStateDir(stateDir: string, opts: PreflightOptions = {}): Promise<Preflight> {
  const checked: StateDirCheck = {};
  try {
    let dir: Stats;
    try {
      dir = await assertRealDir(stateDir, rootOfStateDir(stateDir));
    } catch (err) {
      if (opts.allowMissingDir && isSafeFsError(err, 'missing') && err.file === stateDir) return { ok: true, checked };
      throw err;
    }
    checked.dir = { dev: dir.dev, ino: dir.ino };
    const st = await regularOrMissing(path.join(stateDir, 'state.json'), stateDir, READ_LIMITS.state);
    if (st) checked.state = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
    const jobs = path.join(stateDir, 'jobs');
    let jobsThere = true;
    try {
      await assertRealDir(jobs, stateDir);
    } catch (err) {
      if (!isSafeFsError(err, 'missing') || err.file !== jobs) throw err;
      jobsThere = false;
    }
    if (opts.jobId !== undefined && jobsThere) {
      // The companion reads the record and rewrites it in place, and appends to the log.
      await regularOrMissing(path.join(jobs, `${opts.jobId}.json`), jobs, READ_LIMITS.record);
      await regularOrMissing(path.join(jobs, `${opts.jobId}.log`), jobs);
    }
    return { ok: true, checked };
  } catch (err) {
    const e = toSafeFsError(stateDir, err);
    return { ok: false, file: e.file, message: `${e.file}: ${e.what}` };
  }
}

/** Stats of a regular file with one name, within `limit`; undefined when missing; a SafeFsError otherwise. */
async function regularOrMissing(file: string, root: string, limit?: number): Promise<Stats | undefined> {
  let opened: Awaited<ReturnType<typeof openRegular>>;
  try {
    // No link followed, no blocking open: a FIFO or device is refused from its lstat.
    opened = await openRegular(file, root);
  } catch (err) {
    if (isSafeFsError(err, 'missing') && err.file === file) return undefined;
    throw err;
  }
  const { fh, stats } = opened;
  await fh.close().catch(() => undefined);
  // A second name (a hard link) may be anywhere on the device: an in-place write goes there too.
  if (stats.nlink > 1)
    throw new SafeFsError(file, 'link', `has ${stats.nlink} names (hard links); one may be outside the state dir`);
  if (limit !== undefined && stats.size > limit)
    throw new SafeFsError(
      file,
      'too-large',
      `larger than the ${Math.round(limit / (1024 * 1024))} MB read limit (${stats.size} bytes)`,
    );
  return stats;
}

/**
 * The check again after the companion exited: what it could have been raced into (the state dir or
 * a file swapped for a link while it ran). Undefined when all is as before; else what changed.
 */
export async function recheckStateDir(
  stateDir: string,
  before: StateDirCheck,
  opts: PreflightOptions = {},
): Promise<string | undefined> {
  const now = await preflightStateDir(stateDir, opts);
  if (!now.ok) return now.message;
  if (
    before.dir &&
    now.checked.dir &&
    (before.dir.dev !== now.checked.dir.dev || before.dir.ino !== now.checked.dir.ino)
  )
    return `${stateDir}: was replaced by another directory while the companion ran`;
  return undefined;
}

/** Was state.json left exactly as it was (not written at all)? */
export function stateUntouched(before: StateDirCheck, after: StateDirCheck): boolean {
  const a = before.state;
  const b = after.state;
  if (!a || !b) return !a && !b;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

// Whether a state dir is quiet enough for the guardian to write into: nothing written there for a
// settle time, no lock of a lock-aware companion in place, and no companion command of that
// workspace alive that may be between its load and its save of state.json (the companion does not
// lock: a writer that loaded before our write and saves after it undoes it).
import { promises as fs } from 'fs';
import * as path from 'path';
import { rootOfStateDir } from '../io/reader';
import { openRealDir, toSafeFsError } from '../io/safeFs';
import { isPluginScriptPath, singleOption } from '../os/identity';
import { slugOf } from '../discovery/discovery';
import type { ProcInfo, ProcessTable } from '../vocab/types';

export type Quiet = { quiet: true } | { quiet: false; why: string; waitMs: number };

/** Companion commands that live for a whole job: they write state.json only when the job moves. */
const LONG_RUNNERS = new Set(['task-worker', 'review', 'adversarial-review', 'task']);
/** A long runner this young may still be writing its first records (load, then save, seconds under load). */
const YOUNG_MS = 5_000;

/**
 * The names a lock-aware companion (or an open upstream proposal) uses beside state.json: a
 * `state.json.lock` file or dir, a `.state.lock/` dir, `<lock>.candidate-<token>` while one is
 * taken. Our own `launch.lock` is taken by us, under the same rules, so it is not in this list.
 */
export function isForeignLock(name: string): boolean {
  if (name === 'launch.lock') return false;
  return name.endsWith('.lock') || /\.lock\.candidate-/.test(name);
}

/** The companion's subcommand in a command line, when it is a companion process at all. */
export function companionCommand(argv: readonly string[] | undefined): { sub: string; args: string[] } | undefined {
  if (!argv) return undefined;
  const i = argv.findIndex((a) => isPluginScriptPath(a, 'codex-companion.mjs'));
  if (i < 0 || i + 1 >= argv.length) return undefined;
  return { sub: argv[i + 1], args: argv.slice(i + 2) };
}

/**
 * Whether a companion process works on this state dir: its `--cwd` (or its working directory) has
 * the state dir's slug. A process whose workspace cannot be told counts as this one's: waiting is
 * the safe side.
 */
function ofStateDir(p: ProcInfo, args: string[], stateDir: string): boolean {
  const cwd = singleOption(args, '--cwd') ?? p.cwd;
  if (!cwd) return true;
  const slug = path.basename(stateDir).replace(/-[0-9a-f]{16}$/, '');
  // A subfolder of a repository maps to the repository's state dir: its own name may differ.
  return slugOf(cwd) === slug || cwd.split(/[\\/]/).some((part) => slugOf(part) === slug);
}

/** A companion process that may be between its load and its save of this state dir's index. */
export function busyCompanion(procs: readonly ProcInfo[], stateDir: string, now: number): ProcInfo | undefined {
  return procs.find((p) => {
    if (p.state !== 'alive') return false;
    const c = companionCommand(p.argv);
    if (!c || !ofStateDir(p, c.args, stateDir)) return false;
    const foreground = c.sub !== 'task' || !c.args.includes('--background');
    if (LONG_RUNNERS.has(c.sub) && foreground) return p.startTimeMs === undefined || now - p.startTimeMs < YOUNG_MS;
    return true;
  });
}

/** Never throws: a state dir that cannot be looked at is not quiet, and says why. */
export async function quietState(
  stateDir: string,
  settleMs: number,
  table: ProcessTable,
  now: number,
  /** When our own last write there ended: a change no later than that is ours, not a writer's. */
  ownUntil = 0,
): Promise<Quiet> {
  let pinned: Awaited<ReturnType<typeof openRealDir>> | undefined;
  try {
    // Looked at through a handle on the real dir: one swapped for a link meanwhile is never entered.
    pinned = await openRealDir(stateDir, rootOfStateDir(stateDir));
    const dir = pinned.listPath;
    let newest = 0;
    for (const f of [path.join(dir, 'state.json'), path.join(dir, 'jobs')]) {
      const st = await fs.lstat(f).catch(() => undefined);
      if (st) newest = Math.max(newest, st.mtimeMs, st.ctimeMs);
    }
    const age = now - newest;
    if (age < settleMs && newest > ownUntil)
      return { quiet: false, why: `written ${Math.max(0, Math.round(age))} ms ago`, waitMs: settleMs - age };
    const lock = (await fs.readdir(dir)).find(isForeignLock);
    if (lock) return { quiet: false, why: `${lock} is held by another writer`, waitMs: settleMs };
    const busy = busyCompanion(await table.list(), stateDir, now);
    if (busy)
      return {
        quiet: false,
        why: `companion process ${busy.pid} (${companionCommand(busy.argv)?.sub ?? '?'}) may be writing`,
        waitMs: settleMs,
      };
    return { quiet: true };
  } catch (err) {
    const e = toSafeFsError(stateDir, err);
    return { quiet: false, why: `${e.file}: ${e.what}`, waitMs: Math.max(settleMs, 5_000) };
  } finally {
    await pinned?.fh.close().catch(() => undefined);
  }
}

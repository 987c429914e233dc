// What the commands read: the state roots, a model of one workspace (or every state dir under the
// roots), the process table and the CLI's own archive. Paths the user names must exist.
import * as os from 'os';
import * as path from 'path';
import { fsCalls as fs } from '../core/io/fsCalls';
import { JobsModel } from '../core/model/model';
import { createProcessTable } from '../core/os/processes';
import { candidateRoots, defaultHostEnv, enumerateStateDirs } from '../core/discovery/discovery';
import { JobArchive } from '../core/archive/archive';
import type { LogSource } from '../core/archive/jobLog';
import { DEFAULT_SETTINGS, type Job, type ProcessTable, type ReadWarning, type StateRoot } from '../core/vocab/types';
import type { Args } from './args';
import { warningText } from './table';

let sharedTable: ProcessTable | undefined;
export const processTable = (): ProcessTable => (sharedTable ??= createProcessTable());

let sharedArchive: JobArchive | undefined;

/**
 * The CLI keeps what it sees too, in a per-user dir (CODEX_JOBS_ARCHIVE_DIR overrides it). Only a
 * long-lived command (`watch`, `log --follow`) holds logs open between reads.
 */
export function cliArchive(longLived = false): JobArchive {
  const base =
    process.env.CODEX_JOBS_ARCHIVE_DIR ??
    path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'codex-jobs', 'archive');
  // A one-shot process: big logs are left to the extension's background copier (archive.ts).
  return (sharedArchive ??= new JobArchive(base, undefined, undefined, { background: false, holdLogs: longLived }));
}

/** A directory the user named: missing or not a directory is an error (exit 1), said plainly. */
export async function requireDir(dir: string, what: string): Promise<void> {
  let st;
  try {
    st = await fs.stat(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${what} ${dir} does not exist` : `${what} ${dir} cannot be read (${code})`, {
      cause: err,
    });
  }
  if (!st.isDirectory()) throw new Error(`${what} ${dir} is not a directory`);
}

export async function checkStateRoots(a: Args): Promise<void> {
  for (const r of a.stateRoots) await requireDir(r, 'state root');
}

export async function roots(a: Args): Promise<StateRoot[]> {
  if (a.stateRoots.length) return a.stateRoots.map((p) => ({ path: p, source: 'cli' as const }));
  return (await candidateRoots(defaultHostEnv(), [])).roots;
}

/** The workspace folder of a command: its path argument, or the current directory. */
export async function workspaceFolder(a: Args, positional: string | undefined): Promise<string> {
  const folder = path.resolve(positional ?? process.cwd());
  await requireDir(folder, 'workspace');
  await checkStateRoots(a);
  return folder;
}

const longLivedCommand = (a: Args) =>
  a.command === 'watch' || a.command === 'wait' || a.command === 'guard' || a.follow;

export function modelFor(a: Args, folder: string): JobsModel {
  const host = defaultHostEnv();
  // With --state-root, discovery looks nowhere else: no home, no temp dir, no root a process names.
  const none = path.join(os.tmpdir(), '.codex-jobs-none');
  const m = new JobsModel({
    host: a.stateRoots.length ? { ...host, env: {}, homedir: none, tmpdir: none, learnRoots: false } : host,
    table: processTable(),
    archive: cliArchive(longLivedCommand(a)),
    settings: { ...DEFAULT_SETTINGS, extraRoots: a.stateRoots },
    // Only a long-lived command reads a file twice.
    cacheFiles: longLivedCommand(a),
    // Said once, on stderr, rather than dying of it.
    onMemory: (m) => void process.stderr.write(`codex-jobs: ${m}\n`),
  });
  m.setFolders([{ path: folder, name: path.basename(folder) }]);
  return m;
}

export interface Collected {
  workspace: string | null;
  stateDirs: string[];
  jobs: Job[];
  /** The core's read warnings, and the archive's when it was opened. */
  warnings: ReadWarning[];
  /** Where a job's log is, for the one merged reader (core/archive/jobLog.ts). */
  logSource(job: Job): LogSource;
}

/**
 * One workspace's jobs (`folderArg`, the command's path argument: the current directory when
 * undefined), or with --all those of every state dir under the roots.
 */
export async function collect(a: Args, folderArg: string | undefined): Promise<Collected> {
  if (a.all) {
    await checkStateRoots(a);
    // Through the model like a workspace: the archive included, opens bounded by a pool.
    const dirs = await enumerateStateDirs(await roots(a));
    const m = modelFor(a, process.cwd());
    const r = await m.readStateDirs(dirs);
    m.dispose();
    return { workspace: null, stateDirs: dirs.map((d) => d.stateDir), ...r, logSource: (j) => m.logSource(j) };
  }
  const folder = await workspaceFolder(a, folderArg);
  const m = modelFor(a, folder);
  await m.refresh();
  // Jobs whose files were deleted appear once the archive has compared what it kept.
  await m.settled();
  const f = m.folders[0];
  m.dispose();
  return {
    workspace: folder,
    stateDirs: f.snapshots.map((s) => s.stateDir),
    jobs: f.jobs,
    warnings: [...f.warnings, ...cliArchive().warnings],
    logSource: (j) => m.logSource(j),
  };
}

export function printWarnings(warnings: ReadWarning[], error: (line: string) => void): void {
  for (const w of warnings) error(`codex-jobs: ${warningText(w)}`);
}

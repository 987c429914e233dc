// Where a workspace's companion state is kept: the same `<slug>-<hash>` name the companion computes,
// looked for under every root the companion could have used.
import { createHash } from 'crypto';
import { fsCalls as fs } from '../io/fsCalls';
import * as os from 'os';
import * as path from 'path';
import type { FolderMapping, HostEnv, ProcessTable, StateRoot } from '../vocab/types';
import { runChild } from '../os/childProcess';
import { createProcessTable } from '../os/processes';
import { learnRoots, originText } from './roots';
import { readBoundedText } from '../io/safeFs';
import type { Stats } from 'fs';

export function defaultHostEnv(): HostEnv {
  return { env: process.env, homedir: os.homedir(), tmpdir: os.tmpdir(), platform: process.platform, learnRoots: true };
}

/** One listing serves every refresh within this long (a refresh can call discovery several times). */
const LEARN_CACHE_MS = 2000;
let learnCache: { at: number; roots: Promise<StateRoot[]> } | undefined;

/**
 * State roots named by live companion, task-worker and broker processes of this user: the
 * CLAUDE_PLUGIN_DATA (or temp dir) each was started with. Never throws.
 */
export function processRoots(table?: ProcessTable, platform: NodeJS.Platform = process.platform): Promise<StateRoot[]> {
  const now = Date.now();
  if (!table && learnCache && now - learnCache.at < LEARN_CACHE_MS) return learnCache.roots;
  const t = table ?? createProcessTable(platform);
  const roots = (async () => {
    try {
      const l = await learnRoots(t, await t.list(), { platform });
      return [
        ...l.stateRoots,
        ...l.tmpRoots.map((r): StateRoot => ({
          path: path.join(r.path, 'codex-companion'),
          source: 'process',
          learnedFrom: originText(r.learnedFrom),
          origin: r.learnedFrom,
        })),
      ];
    } catch {
      return [];
    }
  })();
  if (!table) learnCache = { at: now, roots };
  return roots;
}

/** The companion's slug: base name, runs of other characters as "-", trimmed, "workspace" if empty. */
export function slugOf(workspaceRoot: string): string {
  const base = path.basename(workspaceRoot) || 'workspace';
  return base.replace(/[^a-zA-Z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'workspace';
}

export function hashOf(canonicalRoot: string): string {
  return createHash('sha256').update(canonicalRoot).digest('hex').slice(0, 16);
}

/** `<slug>-<hash>`: the slug from the root as given, the hash from its real path (as the companion does). */
export async function stateDirName(workspaceRoot: string): Promise<string> {
  let canonical = workspaceRoot;
  try {
    canonical = await fs.realpath(workspaceRoot);
  } catch {
    // The companion hashes the path as given when realpath fails.
  }
  return `${slugOf(workspaceRoot)}-${hashOf(canonical)}`;
}

/** `git rev-parse --show-toplevel`, or the folder itself outside git (or without git, or when git hangs). */
export async function resolveWorkspaceRoot(folder: string, timeoutMs = 5000): Promise<string> {
  const o = await runChild('git', ['rev-parse', '--show-toplevel'], { cwd: folder, timeoutMs, maxOutput: 64 * 1024 });
  const top = o.stdout.trim();
  return o.code === 0 && !o.ended && top ? top : folder;
}

/**
 * The folder's git top level as `git rev-parse --show-toplevel` gives it (the folder itself outside
 * git), found by walking up for `.git` without starting a process. Git is asked whenever the walk
 * alone cannot be sure of its answer: a variable that moves git's search (GIT_DIR, GIT_CONFIG_*...), a `.git` file (a linked worktree, a
 * submodule) or link, a repository config naming a work tree, an include or a bare repository, a
 * repository owned by another user, a directory that is itself a git dir, a mount crossed on the way
 * up, or Windows (where git writes `/`).
 */
export async function workspaceRootOf(folder: string, timeoutMs = 5000): Promise<string> {
  const found = await walkForGit(folder).catch(() => undefined);
  return found ?? resolveWorkspaceRoot(folder, timeoutMs);
}

/** Variables that move where git looks or what its config says (GIT_DIR, GIT_CONFIG_*, ...); not GIT_SSL_CAINFO and the like. */
const GIT_SETUP_VARIABLE = /^GIT_(.*DIR.*|.*CONFIG.*|WORK_TREE|DISCOVERY.*|.*CEILING.*|NAMESPACE)$/;

/** What the walk is sure of: the top level, or the folder when no repository is above it; else undefined. */
async function walkForGit(folder: string): Promise<string | undefined> {
  if (process.platform === 'win32' || Object.keys(process.env).some((k) => GIT_SETUP_VARIABLE.test(k)))
    return undefined;
  // From where git starts: the physical directory (git's cwd has its links resolved).
  let dir = await fs.realpath(folder);
  const dev = (await fs.stat(dir)).dev;
  for (;;) {
    const dotGit = await lstatOrMissing(path.join(dir, '.git'));
    if (dotGit !== 'missing') return dotGit?.isDirectory() ? plainRepoTop(dir, path.join(dir, '.git')) : undefined;
    // A git dir itself (a bare repository, or inside .git): git says something else there.
    if ((await lstatOrMissing(path.join(dir, 'HEAD'))) !== 'missing') return undefined;
    const up = path.dirname(dir);
    if (up === dir) return folder;
    if ((await fs.stat(up)).dev !== dev) return undefined;
    dir = up;
  }
}

/** `dir`'s real path when `gitDir` is an ordinary repository of this user with nothing in its config that moves the top level. */
async function plainRepoTop(dir: string, gitDir: string): Promise<string | undefined> {
  const uid = process.getuid?.();
  const [head, objects, refs, top, gd] = await Promise.all(
    [path.join(gitDir, 'HEAD'), path.join(gitDir, 'objects'), path.join(gitDir, 'refs'), dir, gitDir].map((p) =>
      fs.lstat(p).catch(() => undefined),
    ),
  );
  if (!head?.isFile() || !objects?.isDirectory() || !refs?.isDirectory()) return undefined;
  if (uid === undefined || top?.uid !== uid || gd?.uid !== uid) return undefined;
  // A HEAD git would not take makes it look further up: left to git.
  const headText = await readBoundedText(path.join(gitDir, 'HEAD'), 4096, gitDir).catch(() => undefined);
  if (!headText || !/^(ref: refs\/|[0-9a-f]{40})/.test(headText.text)) return undefined;
  const config = await readBoundedText(path.join(gitDir, 'config'), 64 * 1024, gitDir).catch(() => undefined);
  if (!config || /worktree|bare\s*=\s*(true|yes|on|1)|include/i.test(config.text)) return undefined;
  return fs.realpath(dir);
}

/** What is at `file`; 'missing' only when nothing is (any other failure is undefined: the walk is not sure). */
async function lstatOrMissing(file: string): Promise<Stats | 'missing' | undefined> {
  try {
    return await fs.lstat(file);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : undefined;
  }
}

export function claudeConfigDir(host: HostEnv): string {
  return host.env.CLAUDE_CONFIG_DIR || path.join(host.homedir, '.claude');
}

export interface CandidateRoots {
  /** Roots that exist now, deduplicated by real path. */
  roots: StateRoot[];
  /** Every root looked at, existing or not (the watcher follows them; the welcome view names them). */
  all: StateRoot[];
  /** Human-readable places, patterns included. */
  searched: string[];
  /** Settings that could not be used. */
  warnings: string[];
}

function expandHome(p: string, host: HostEnv): string {
  return p === '~' ? host.homedir : p.startsWith('~/') ? path.join(host.homedir, p.slice(2)) : p;
}

export async function candidateRoots(
  host: HostEnv,
  extraRoots: readonly string[],
  opts: { table?: ProcessTable } = {},
): Promise<CandidateRoots> {
  const all: StateRoot[] = [];
  const warnings: string[] = [];
  // The companion's own rule: with CLAUDE_PLUGIN_DATA set, its state is there and nowhere else.
  const pd = host.env.CLAUDE_PLUGIN_DATA;
  if (pd && path.isAbsolute(pd)) all.push({ path: path.join(pd, 'state'), source: 'env' });
  else if (pd) warnings.push(`CLAUDE_PLUGIN_DATA "${pd}" is not an absolute path; ignored`);
  const dataDir = path.join(claudeConfigDir(host), 'plugins', 'data');
  try {
    for (const e of await fs.readdirTyped(dataDir)) {
      if (e.isDirectory()) all.push({ path: path.join(dataDir, e.name, 'state'), source: 'plugin-data' });
    }
  } catch {
    // No plugin data yet.
  }
  all.push({ path: path.join(host.tmpdir, 'codex-companion'), source: 'tmp' });
  for (const r of extraRoots) {
    const p = expandHome(r.trim(), host);
    if (!path.isAbsolute(p)) warnings.push(`state root "${r}" is not an absolute path; ignored`);
    else all.push({ path: path.normalize(p), source: 'setting' });
  }
  if (host.learnRoots ?? host.env === process.env) all.push(...(await processRoots(opts.table, host.platform)));
  const roots: StateRoot[] = [];
  const seen = new Set<string>();
  const allDedup: StateRoot[] = [];
  const seenAll = new Set<string>();
  for (const r of all) {
    if (!seenAll.has(r.path)) {
      seenAll.add(r.path);
      allDedup.push(r);
    }
    try {
      const real = await fs.realpath(r.path);
      if (!(await fs.stat(real)).isDirectory() || seen.has(real)) continue;
      seen.add(real);
      roots.push(r);
    } catch {
      // Not there (yet).
    }
  }
  const searched = [
    ...allDedup.filter((r) => r.source === 'env').map((r) => `${r.path} ($CLAUDE_PLUGIN_DATA)`),
    path.join(dataDir, '*', 'state'),
    path.join(host.tmpdir, 'codex-companion'),
    ...allDedup.filter((r) => r.source === 'setting').map((r) => r.path),
    ...allDedup.filter((r) => r.source === 'process' && r.learnedFrom).map((r) => `${r.path} (from ${r.learnedFrom})`),
  ];
  return { roots, all: allDedup, searched, warnings };
}

export async function mapFolder(
  folder: string,
  roots: readonly StateRoot[],
  knownRoot?: Promise<string>,
): Promise<FolderMapping> {
  const workspaceRoot = await (knownRoot ?? resolveWorkspaceRoot(folder));
  const dirName = await stateDirName(workspaceRoot);
  const candidates = await Promise.all(
    roots.map(async (root) => {
      const stateDir = path.join(root.path, dirName);
      let exists: boolean;
      try {
        exists = (await fs.stat(stateDir)).isDirectory();
      } catch {
        exists = false;
      }
      return { root, stateDir, exists };
    }),
  );
  return { folder, workspaceRoot, dirName, candidates };
}

const STATE_DIR_NAME = /^.+-[0-9a-f]{16}$/;

/** Every state dir under every root (any workspace, open or not); links are not followed out of a root. */
export async function enumerateStateDirs(
  roots: readonly StateRoot[],
): Promise<{ root: StateRoot; stateDir: string; name: string }[]> {
  const out: { root: StateRoot; stateDir: string; name: string }[] = [];
  for (const root of roots) {
    try {
      for (const e of await fs.readdirTyped(root.path)) {
        if (e.isDirectory() && STATE_DIR_NAME.test(e.name))
          out.push({ root, stateDir: path.join(root.path, e.name), name: e.name });
      }
    } catch {
      // A root that vanished has no state dirs.
    }
  }
  return out;
}

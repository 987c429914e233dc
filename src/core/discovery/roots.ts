// Roots learned from live processes: every companion, task-worker and broker of this user was
// started with the environment that chose its state root (CLAUDE_PLUGIN_DATA, else the temp dir) and
// its broker session dirs (the temp dir). Reading those environments finds a neighbour's state without
// any setting. Only processes whose identity is proved (Node running the plugin's script) are asked.
import * as path from 'path';
import { isNodeRuntime, readEnvironment, type EnvironmentRead } from '../os/processes';
import { identifyBroker, isPluginScriptPath, scriptFileExists, type BrokerCommand } from '../os/identity';
import type { ProcInfo, ProcessTable, RootOrigin, StateRoot } from '../vocab/types';

/** The temp dir Node's os.tmpdir() gives a process with this environment. */
export function tmpdirOf(
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform = process.platform,
): { dir: string; via: string } {
  if (platform === 'win32') {
    for (const v of ['TEMP', 'TMP'] as const) if (env[v]) return { dir: env[v]!.replace(/[\\/]+$/, ''), via: v };
    return { dir: path.win32.join(env.SystemRoot ?? env.windir ?? 'C:\\Windows', 'temp'), via: 'default tmp' };
  }
  for (const v of ['TMPDIR', 'TMP', 'TEMP'] as const) {
    const d = env[v];
    if (d) return { dir: d.length > 1 ? d.replace(/\/+$/, '') : d, via: v };
  }
  return { dir: '/tmp', via: 'default tmp' };
}

/** The companion's state root for an environment: $CLAUDE_PLUGIN_DATA/state, else <tmpdir>/codex-companion. */
export function stateRootOf(
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform = process.platform,
): { root: string; via: string } {
  if (env.CLAUDE_PLUGIN_DATA) return { root: path.join(env.CLAUDE_PLUGIN_DATA, 'state'), via: 'CLAUDE_PLUGIN_DATA' };
  const t = tmpdirOf(env, platform);
  return { root: path.join(t.dir, 'codex-companion'), via: t.via };
}

/** "CLAUDE_PLUGIN_DATA of broker pid 4242": where a learned root came from, in words. */
export const originText = (o: RootOrigin) => `${o.via} of ${o.process} pid ${o.pid}`;

/** A companion process proved so: Node, argv[1] the existing companion script, argv[2] its subcommand. */
export interface CompanionProcess {
  info: ProcInfo;
  subcommand: string;
  cwd?: string;
}

export function identifyCompanion(
  p: ProcInfo,
  platform: NodeJS.Platform = process.platform,
): CompanionProcess | undefined {
  const a = p.argv;
  if (p.state !== 'alive' || !a || a.length < 3 || !isPluginScriptPath(a[1], 'codex-companion.mjs')) return undefined;
  if (!/^[a-z][a-z-]*$/.test(a[2]) || !isNodeRuntime(p, platform) || !scriptFileExists(a[1])) return undefined;
  const i = a.indexOf('--cwd', 3);
  return { info: p, subcommand: a[2], cwd: i > 0 ? a[i + 1] : undefined };
}

export interface LearnedProcess {
  info: ProcInfo;
  /** `broker`, `task-worker`, or the companion's subcommand. */
  role: string;
  broker?: BrokerCommand;
  cwd?: string;
  env: EnvironmentRead;
}

export interface LearnedRoots {
  /** State roots named by live processes' environments (source `process`). */
  stateRoots: StateRoot[];
  /** Temp dirs where those processes make broker session dirs. */
  tmpRoots: { path: string; learnedFrom: RootOrigin }[];
  /** Every proved companion and broker process, with its environment (or why it could not be read). */
  processes: LearnedProcess[];
}

/**
 * Proves which of `all` are the companion or a broker, reads their environments, and returns the
 * roots they name. `all` is one process-table listing; nothing here signals anything.
 */
export async function learnRoots(
  table: ProcessTable,
  all: readonly ProcInfo[],
  opts: { uid?: number; platform?: NodeJS.Platform } = {},
): Promise<LearnedRoots> {
  const platform = opts.platform ?? process.platform;
  const uid = opts.uid ?? process.getuid?.();
  const out: LearnedRoots = { stateRoots: [], tmpRoots: [], processes: [] };
  const seenState = new Set<string>();
  const seenTmp = new Set<string>();
  for (const p of all) {
    if (p.state !== 'alive' || p.pid === process.pid) continue;
    if (uid !== undefined && p.uid !== undefined && p.uid !== uid) continue;
    const b = await identifyBroker(p, platform);
    const c = b ? undefined : identifyCompanion(p, platform);
    if (!b && !c) continue;
    const env = await readEnvironment(table, p, platform);
    const role = b ? 'broker' : c!.subcommand;
    out.processes.push({ info: p, role, broker: b, cwd: b?.cwd ?? c?.cwd ?? p.cwd, env });
    if (!env.ok) continue;
    const sr = stateRootOf(env.env, platform);
    const origin: RootOrigin = { pid: p.pid, process: role, via: sr.via };
    if (!seenState.has(sr.root)) {
      seenState.add(sr.root);
      out.stateRoots.push({ path: sr.root, source: 'process', learnedFrom: originText(origin), origin });
    }
    const t = tmpdirOf(env.env, platform);
    if (!seenTmp.has(t.dir)) {
      seenTmp.add(t.dir);
      out.tmpRoots.push({ path: t.dir, learnedFrom: { pid: p.pid, process: role, via: t.via } });
    }
  }
  return out;
}

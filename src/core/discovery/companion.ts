// Where the companion runtime, the Node to run it with, and the plugin data root are. Every lookup
// reports what it searched, so a failure can tell the user exactly which setting to set.
import { constants as fsc, promises as fs } from 'fs';
import * as path from 'path';
import { claudeConfigDir } from './discovery';
import type { HostEnv } from '../vocab/types';

/** The settings that override each lookup (named in every error message). */
export const SETTING_COMPANION = 'codexJobs.companionPath';
export const SETTING_NODE = 'codexJobs.nodePath';
export const SETTING_PLUGIN_DATA = 'codexJobs.pluginDataDir';

export type Found<T> =
  ({ ok: true } & T & { searched: string[] }) | { ok: false; message: string; searched: string[]; setting: string };

// ---------------------------------------------------------------- semver

interface SemVer {
  major: number;
  minor: number;
  patch: number;
  pre: string[];
}

export function parseSemver(s: string): SemVer | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(s.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ? m[4].split('.') : [] };
}

/** Semver precedence: numbers, then a release above its pre-releases, then pre-release fields. */
export function compareSemver(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (!x || !y) return x ? 1 : y ? -1 : 0;
  for (const k of ['major', 'minor', 'patch'] as const) if (x[k] !== y[k]) return x[k] - y[k];
  if (!x.pre.length || !y.pre.length) return (x.pre.length ? -1 : 0) - (y.pre.length ? -1 : 0);
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn && Number(p) !== Number(q)) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

// ---------------------------------------------------------------- file checks

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function isExecutable(p: string, platform: NodeJS.Platform): Promise<boolean> {
  if (!(await isFile(p))) return false;
  if (platform === 'win32') return true;
  try {
    await fs.access(p, fsc.X_OK);
    return true;
  } catch {
    return false;
  }
}

function expandHome(p: string, host: HostEnv): string {
  return p === '~' ? host.homedir : p.startsWith('~/') || p.startsWith('~\\') ? path.join(host.homedir, p.slice(2)) : p;
}

/** Environment lookup that is case-insensitive on Windows (`Path`, `PATHEXT`). */
export function envValue(host: HostEnv, name: string): string | undefined {
  if (host.platform !== 'win32') return host.env[name];
  const key = Object.keys(host.env).find((k) => k.toUpperCase() === name.toUpperCase());
  return key === undefined ? undefined : host.env[key];
}

// ---------------------------------------------------------------- the companion script

export interface CompanionScript {
  script: string;
  version?: string;
  source: 'setting' | 'plugin-cache';
}

/**
 * The setting when given, else the highest semver of
 * `<config>/plugins/cache/<marketplace>/codex/<version>/scripts/codex-companion.mjs`.
 */
export async function findCompanion(host: HostEnv, setting?: string): Promise<Found<CompanionScript>> {
  const configured = setting?.trim();
  if (configured) {
    const p = path.resolve(expandHome(configured, host));
    if (await isFile(p)) return { ok: true, script: p, source: 'setting', searched: [p] };
    return {
      ok: false,
      setting: SETTING_COMPANION,
      searched: [p],
      message: `The companion script set in ${SETTING_COMPANION} (${p}) is not a file. Point ${SETTING_COMPANION} at .../codex/<version>/scripts/codex-companion.mjs, or clear it to use the Claude plugin cache.`,
    };
  }
  const cache = path.join(claudeConfigDir(host), 'plugins', 'cache');
  const pattern = path.join(cache, '*', 'codex', '<version>', 'scripts', 'codex-companion.mjs');
  const found: { script: string; version: string }[] = [];
  let marketplaces: string[] = [];
  try {
    marketplaces = (await fs.readdir(cache, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    // No plugin cache at all.
  }
  for (const m of marketplaces) {
    const codexDir = path.join(cache, m, 'codex');
    let versions: string[];
    try {
      versions = (await fs.readdir(codexDir, { withFileTypes: true }))
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      continue;
    }
    for (const v of versions) {
      if (!parseSemver(v)) continue; // a half-installed or scratch dir, not a release
      const script = path.join(codexDir, v, 'scripts', 'codex-companion.mjs');
      if (await isFile(script)) found.push({ script, version: v });
    }
  }
  found.sort((a, b) => compareSemver(b.version, a.version) || a.script.localeCompare(b.script));
  if (found.length)
    return {
      ok: true,
      script: found[0].script,
      version: found[0].version,
      source: 'plugin-cache',
      searched: [pattern],
    };
  return {
    ok: false,
    setting: SETTING_COMPANION,
    searched: [pattern],
    message:
      `The Codex companion (codex-companion.mjs) was not found: looked for ${pattern}. ` +
      `Install the Codex plugin in Claude Code (/plugin install codex@openai-codex), set CLAUDE_CONFIG_DIR if your Claude config is elsewhere, ` +
      `or set ${SETTING_COMPANION} to the script's path.`,
  };
}

// ---------------------------------------------------------------- node

export interface NodeBinary {
  node: string;
  source: 'setting' | 'path' | 'runtime';
}

export interface RuntimeInfo {
  execPath: string;
  versions: NodeJS.ProcessVersions & { electron?: string };
}

/** Is the running executable plain Node (not Electron, which would start a window or ignore flags)? */
export function runtimeIsNode(rt: RuntimeInfo): boolean {
  if (rt.versions.electron) return false;
  const base = path.basename(rt.execPath).toLowerCase();
  return base === 'node' || base === 'node.exe';
}

/**
 * `node` on the PATH, searched here (no shell). On Windows each PATHEXT extension is tried, but only
 * `.exe`/`.com` are taken: `.cmd`/`.bat` shims need a shell, which we never spawn through.
 */
export async function searchPath(name: string, host: HostEnv): Promise<{ found?: string; searched: string[] }> {
  const sep = host.platform === 'win32' ? ';' : ':';
  const dirs = (envValue(host, 'PATH') ?? '')
    .split(sep)
    .map((d) => d.trim().replace(/^"(.*)"$/, '$1'))
    .filter(Boolean);
  const exts =
    host.platform === 'win32'
      ? (envValue(host, 'PATHEXT') ?? '.COM;.EXE;.BAT;.CMD')
          .split(';')
          .map((e) => e.trim().toLowerCase())
          .filter((e) => e === '.exe' || e === '.com')
      : [''];
  const searched: string[] = [];
  for (const dir of dirs) {
    if (!path.isAbsolute(dir)) continue; // a relative PATH entry would resolve against our cwd
    for (const ext of exts) {
      const p = path.join(dir, name + ext);
      searched.push(p);
      if (await isExecutable(p, host.platform)) return { found: p, searched };
    }
  }
  return { searched };
}

export async function findNode(
  host: HostEnv,
  setting?: string,
  runtime: RuntimeInfo = { execPath: process.execPath, versions: process.versions },
): Promise<Found<NodeBinary>> {
  const configured = setting?.trim();
  if (configured) {
    const p = path.resolve(expandHome(configured, host));
    if (await isExecutable(p, host.platform)) return { ok: true, node: p, source: 'setting', searched: [p] };
    return {
      ok: false,
      setting: SETTING_NODE,
      searched: [p],
      message: `The Node set in ${SETTING_NODE} (${p}) is not an executable file. Point ${SETTING_NODE} at a node${host.platform === 'win32' ? '.exe' : ''} binary, or clear it to use the one on the PATH.`,
    };
  }
  const onPath = await searchPath('node', host);
  if (onPath.found) return { ok: true, node: onPath.found, source: 'path', searched: onPath.searched };
  if (runtimeIsNode(runtime) && (await isExecutable(runtime.execPath, host.platform))) {
    return { ok: true, node: runtime.execPath, source: 'runtime', searched: [...onPath.searched, runtime.execPath] };
  }
  const dirs = (envValue(host, 'PATH') ?? '').split(host.platform === 'win32' ? ';' : ':').filter(Boolean);
  return {
    ok: false,
    setting: SETTING_NODE,
    searched: onPath.searched,
    message:
      `No Node.js was found to run the companion: no node${host.platform === 'win32' ? '.exe' : ''} in any PATH directory (${dirs.length ? dirs.join(host.platform === 'win32' ? ';' : ':') : 'PATH is empty'}), ` +
      `and this editor's own runtime is not Node. Install Node.js 18 or later, or set ${SETTING_NODE} to the node binary's path.`,
  };
}

// ---------------------------------------------------------------- plugin data (CLAUDE_PLUGIN_DATA)

export interface PluginDataChoice {
  /** What to pass as CLAUDE_PLUGIN_DATA; undefined: leave it unset (the companion uses <tmp>/codex-companion). */
  dir?: string;
  source: 'setting' | 'marketplace-default' | 'single' | 'none';
  /** Where the job's state dir will live: `<dir>/state`, or `<tmpdir>/codex-companion`. */
  stateRoot: string;
  /** Why none was picked when several exist. */
  note?: string;
}

export const DEFAULT_PLUGIN_DATA_NAME = 'codex-openai-codex';

export async function choosePluginData(host: HostEnv, setting?: string): Promise<PluginDataChoice> {
  const tmpRoot = path.join(host.tmpdir, 'codex-companion');
  const configured = setting?.trim();
  if (configured) {
    const dir = path.resolve(expandHome(configured, host));
    return { dir, source: 'setting', stateRoot: path.join(dir, 'state') };
  }
  const dataDir = path.join(claudeConfigDir(host), 'plugins', 'data');
  const preferred = path.join(dataDir, DEFAULT_PLUGIN_DATA_NAME);
  if (await isDir(preferred))
    return { dir: preferred, source: 'marketplace-default', stateRoot: path.join(preferred, 'state') };
  let dirs: string[] = [];
  try {
    dirs = (await fs.readdir(dataDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    // No plugin data at all.
  }
  if (dirs.length === 1) {
    const dir = path.join(dataDir, dirs[0]);
    return { dir, source: 'single', stateRoot: path.join(dir, 'state') };
  }
  return {
    source: 'none',
    stateRoot: tmpRoot,
    note:
      dirs.length > 1
        ? `${dataDir} holds ${dirs.length} plugin data dirs (${dirs.join(', ')}); set ${SETTING_PLUGIN_DATA} to pick one. Jobs go to ${tmpRoot} meanwhile.`
        : undefined,
  };
}

// ---------------------------------------------------------------- all at once

export interface LaunchSettings {
  companionPath?: string;
  nodePath?: string;
  pluginDataDir?: string;
}

export type LaunchEnvironment =
  | { ok: true; companion: CompanionScript; node: NodeBinary; pluginData: PluginDataChoice }
  | { ok: false; message: string; setting: string; searched: string[] };

/** Everything a launch needs, or the first actionable problem. */
export async function resolveLaunchEnvironment(
  host: HostEnv,
  settings: LaunchSettings = {},
  runtime?: RuntimeInfo,
): Promise<LaunchEnvironment> {
  const [companion, node, pluginData] = await Promise.all([
    findCompanion(host, settings.companionPath),
    findNode(host, settings.nodePath, runtime),
    choosePluginData(host, settings.pluginDataDir),
  ]);
  if (!companion.ok)
    return { ok: false, message: companion.message, setting: companion.setting, searched: companion.searched };
  if (!node.ok) return { ok: false, message: node.message, setting: node.setting, searched: node.searched };
  return {
    ok: true,
    companion: { script: companion.script, version: companion.version, source: companion.source },
    node: { node: node.node, source: node.source },
    pluginData,
  };
}

// Who a process is, from its command line alone: a plugin script run by Node, a broker of one
// session dir. Below discovery, roots, verify and brokers, which all ask it (and so never each other).
import { statSync } from 'fs';
import * as path from 'path';
import type { ProcInfo } from '../vocab/types';
import { isNodeRuntime } from './processes';

const isAbsoluteAnywhere = (p: string) => path.posix.isAbsolute(p) || path.win32.isAbsolute(p);
const baseName = (p: string) => path.posix.basename(p.replace(/\\/g, '/'));

/** `<...>/scripts/<name>` given as an absolute path: the shape a plugin script is run by. */
export function isPluginScriptPath(p: string | undefined, name: string): p is string {
  if (!p || !isAbsoluteAnywhere(p) || baseName(p) !== name) return false;
  return baseName(path.posix.dirname(p.replace(/\\/g, '/'))) === 'scripts';
}

const scriptSeen = new Map<string, { ok: boolean; at: number }>();
/**
 * Does this script file exist as a regular file? One stat per path per 30 s (the plugin cache does
 * not move under a running job), so the re-verify timer costs no disk access.
 */
export function scriptFileExists(p: string, now = Date.now()): boolean {
  const hit = scriptSeen.get(p);
  if (hit && now - hit.at < 30_000) return hit.ok;
  let ok: boolean;
  try {
    ok = statSync(p).isFile();
  } catch {
    ok = false;
  }
  if (scriptSeen.size > 256) scriptSeen.clear();
  scriptSeen.set(p, { ok, at: now });
  return ok;
}

/** The one value of `--name v` / `--name=v`; undefined when absent, null when given twice (ambiguous). */
export function singleOption(args: readonly string[], name: string): string | null | undefined {
  let found: string | undefined;
  let count = 0;
  for (let i = 0; i < args.length; i++) {
    let v: string | undefined;
    if (args[i] === name) v = args[++i];
    else if (args[i].startsWith(`${name}=`)) v = args[i].slice(name.length + 1);
    else continue;
    count++;
    found = v;
  }
  return count > 1 || (count === 1 && found === undefined) ? null : found;
}

export interface BrokerCommand {
  script: string;
  endpoint: string;
  pidFile: string;
  cwd?: string;
  /** The one session dir both the endpoint and the pid file are in. */
  dir: string;
}

const OPTIONS = ['--endpoint', '--cwd', '--pid-file'];

/** The Windows endpoint the companion makes for a session dir. */
export const pipeEndpointOf = (dir: string) => `pipe:\\\\.\\pipe\\${path.win32.basename(dir)}-codex-app-server`;

/**
 * `node <...>/scripts/app-server-broker.mjs serve --endpoint E --cwd C --pid-file P`, exactly: argv[1]
 * the script, argv[2] `serve`, known options once each, and E and P naming one `cxc-*` dir.
 */
export function parseBrokerCommand(argv: readonly string[] | undefined): BrokerCommand | undefined {
  if (!argv || argv.length < 3 || !isPluginScriptPath(argv[1], 'app-server-broker.mjs') || argv[2] !== 'serve')
    return undefined;
  const rest = argv.slice(3);
  for (let i = 0; i < rest.length; i++) {
    const name = rest[i].split('=')[0];
    if (!OPTIONS.includes(name)) return undefined;
    if (!rest[i].includes('=')) i++;
  }
  const endpoint = singleOption(rest, '--endpoint');
  const pidFile = singleOption(rest, '--pid-file');
  const cwd = singleOption(rest, '--cwd');
  if (!endpoint || !pidFile || cwd === null) return undefined;
  const p = pidFile.includes('\\') && !pidFile.includes('/') ? path.win32 : path.posix;
  if (!p.isAbsolute(pidFile) || p.normalize(pidFile) !== pidFile || p.basename(pidFile) !== 'broker.pid')
    return undefined;
  const dir = p.dirname(pidFile);
  if (!p.basename(dir).startsWith('cxc-')) return undefined;
  if (endpoint !== `unix:${p.join(dir, 'broker.sock')}` && endpoint !== pipeEndpointOf(dir)) return undefined;
  return { script: argv[1], endpoint, pidFile, cwd: cwd ?? undefined, dir };
}

/** A proved broker: its command line as above, its program Node, its script an existing file. */
export function identifyBroker(p: ProcInfo, platform: NodeJS.Platform = process.platform): BrokerCommand | undefined {
  if (p.state !== 'alive') return undefined;
  const cmd = parseBrokerCommand(p.argv);
  if (!cmd || !isNodeRuntime(p, platform) || !scriptFileExists(cmd.script)) return undefined;
  return cmd;
}

/** The broker of session dir `dir` is the one whose command names its socket and pid file exactly. */
export function isBrokerOf(cmd: BrokerCommand | undefined, dir: string): boolean {
  return !!cmd && cmd.dir === dir;
}

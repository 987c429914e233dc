// Runs one short companion subcommand (`setup`, `task-resume-candidate`) to its end, after the state
// dir's preflight, with bounded output and a timeout that ends its whole process group, and parses its
// `--json` payload. Never throws: every outcome is in the result.
import * as os from 'os';
import * as path from 'path';
import { resolveWorkspaceRoot, stateDirName } from '../discovery/discovery';
import { companionStateRoot } from './launcher';
import { causeLine, howItEnded, runChild } from '../os/childProcess';
import { preflightStateDir, type StateDirCheck } from '../io/preflight';
import { parseJsonBounded } from '../io/safeFs';

export interface CompanionCommand {
  /** Path of codex-companion.mjs (absolute). */
  companion: string;
  node: string;
  /** The folder it runs in (the companion maps it to its workspace root). */
  cwd: string;
  /** CLAUDE_PLUGIN_DATA for the companion. */
  pluginData?: string;
  env?: NodeJS.ProcessEnv;
  tmpdir?: string;
  timeoutMs?: number;
}

export interface CommandOutcome {
  ok: boolean;
  exitCode?: number | null;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The parsed `--json` payload, when stdout held one. */
  json?: unknown;
  ms: number;
  message: string;
  /** The preflight refused the state dir (its message): nothing was started. */
  refused?: string;
  /** The state dir as the preflight saw it just before the start. */
  before?: StateDirCheck;
}

const OUTPUT_LIMIT = 256 * 1024;
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

export function commandEnv(cmd: Pick<CompanionCommand, 'env' | 'pluginData'>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...(cmd.env ?? process.env) };
  if (cmd.pluginData) env.CLAUDE_PLUGIN_DATA = cmd.pluginData;
  return env;
}

/** The state dir the companion will use for this command (same mapping as launches). */
export async function commandStateDir(cmd: CompanionCommand): Promise<string> {
  const root = await resolveWorkspaceRoot(cmd.cwd);
  return path.join(companionStateRoot(commandEnv(cmd), cmd.tmpdir ?? os.tmpdir()), await stateDirName(root));
}

export interface RunOptions {
  /** The state dir it will use, when the caller knows it already (else it is worked out here). */
  stateDir?: string;
}

/**
 * Runs one companion subcommand to its end: refused, with the file named, when its state dir fails
 * the preflight (nothing is started then); in its own process group, ended whole at the timeout.
 */
export async function runCompanionCommand(
  cmd: CompanionCommand,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<CommandOutcome> {
  const stateDir = opts.stateDir ?? (await commandStateDir(cmd));
  const pre = await preflightStateDir(stateDir, { allowMissingDir: true });
  if (!pre.ok)
    return {
      ok: false,
      refused: pre.message,
      stdout: '',
      stderr: '',
      ms: 0,
      message: `${pre.message}; the companion's ${args[0]} was not run.`,
    };
  const timeoutMs = cmd.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const o = await runChild(cmd.node, [cmd.companion, ...args], {
    cwd: cmd.cwd,
    env: commandEnv(cmd),
    timeoutMs,
    maxOutput: OUTPUT_LIMIT,
  });
  let json: unknown;
  try {
    json = parseJsonBounded(o.stdout).value;
  } catch {
    json = undefined;
  }
  const ok = o.code === 0 && !o.ended;
  const cause = ok ? '' : causeLine(o.stderr || o.stdout);
  return {
    ok,
    exitCode: o.code,
    signal: o.signal,
    stdout: o.stdout,
    stderr: o.stderr,
    json,
    ms: o.ms,
    before: pre.checked,
    message: ok
      ? `${args[0]} finished`
      : o.startError
        ? `Could not run the companion with ${cmd.node}: ${o.startError}`
        : `${args[0]} ${howItEnded(o, timeoutMs)}${cause ? `: ${cause}` : ''}`,
  };
}

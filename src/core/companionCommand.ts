// Runs one short companion subcommand (`setup`, `task-resume-candidate`) to its end, with bounded
// output and a timeout, and parses its `--json` payload. Never throws: every outcome is in the result.
import { spawn } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { resolveWorkspaceRoot, stateDirName } from './discovery';
import { companionStateRoot } from './launcher';

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

export function runCompanionCommand(cmd: CompanionCommand, args: readonly string[]): Promise<CommandOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (o: Omit<CommandOutcome, 'stdout' | 'stderr' | 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...o, stdout, stderr, ms: Date.now() - started });
    };
    const cap = (acc: string, d: Buffer) => (acc.length < OUTPUT_LIMIT ? acc + d.toString('utf8') : acc);
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(cmd.node, [cmd.companion, ...args], {
        cwd: cmd.cwd,
        env: commandEnv(cmd),
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
        shell: false,
      });
    } catch (err) {
      resolve({ ok: false, stdout, stderr, ms: 0, message: `Could not start ${cmd.node}: ${(err as Error).message}` });
      return;
    }
    const timeoutMs = cmd.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const timer = setTimeout(() => {
      // Our own child, by the handle we got from spawn: no pid is looked up.
      child.kill('SIGTERM');
      finish({ ok: false, message: `${args[0]} did not finish within ${Math.round(timeoutMs / 1000)} s.` });
    }, timeoutMs);
    child.stdout?.on('data', (d: Buffer) => (stdout = cap(stdout, d)));
    child.stderr?.on('data', (d: Buffer) => (stderr = cap(stderr, d)));
    child.once('error', (err) => finish({ ok: false, message: `Could not run the companion: ${err.message}` }));
    child.once('close', (code, signal) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout) as unknown;
      } catch {
        json = undefined;
      }
      const detail = (stderr || stdout).trim().split(/\r?\n/).slice(-3).join(' ');
      finish({
        ok: code === 0,
        exitCode: code,
        signal,
        json,
        message:
          code === 0
            ? `${args[0]} finished`
            : `${args[0]} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${detail ? `: ${detail}` : ''}`,
      });
    });
  });
}

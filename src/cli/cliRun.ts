// The commands, loaded by main.ts only when one is run (dist/cliRun.js, a bundle of its own):
// `--help` and `--version` never parse them, nor the core beneath them.
import type { Args, CommandName } from './args';
import type { Output } from './output';
import { useSynchronousCalls } from '../core/io/fsCalls';
import { statusCommand } from './commands/status';
import { watchCommand } from './commands/watch';
import { logCommand } from './commands/log';
import { waitCommand } from './commands/wait';
import { resultCommand } from './commands/result';
import { findingsCommand } from './commands/findings';
import { brokersCommand } from './commands/brokers';
import { reapCommand } from './commands/reap';

const COMMANDS: Record<CommandName, (a: Args, io: Output) => Promise<number>> = {
  status: statusCommand,
  watch: watchCommand,
  log: logCommand,
  wait: waitCommand,
  result: resultCommand,
  findings: findingsCommand,
  brokers: brokersCommand,
  reap: reapCommand,
};

/**
 * A command that reads once and exits makes its file calls synchronously (core/io/fsCalls.ts): in
 * a one-shot process a thread-pool round trip per small read is most of the time. Those that wait
 * and follow (watch, wait, log --follow) and reap, which signals and waits, keep the asynchronous ones.
 */
const oneShot = (a: Args) => a.command !== 'watch' && a.command !== 'wait' && a.command !== 'reap' && !a.follow;

export function runCommand(a: Args, io: Output): Promise<number> {
  if (oneShot(a)) useSynchronousCalls();
  return COMMANDS[a.command](a, io);
}

// The commands, loaded by main.ts only when one is run (dist/cliRun.js, a bundle of its own):
// `--help` and `--version` never parse them, nor the core beneath them.
import type { Args, CommandName } from './args';
import type { Output } from './output';
import { useSynchronousCalls } from '../core/io/fsCalls';
import { onListenerError } from '../core/vocab/emitter';
import { safeLine } from '../core/vocab/terminalText';

type Command = (a: Args, io: Output) => Promise<number>;

/* eslint-disable @typescript-eslint/no-require-imports */
/** Each command's module loaded when it runs: `status` does not load the watcher, `watch` not the findings. */
const COMMANDS: Record<CommandName, () => Command> = {
  status: () => (require('./commands/status') as typeof import('./commands/status')).statusCommand,
  watch: () => (require('./commands/watch') as typeof import('./commands/watch')).watchCommand,
  log: () => (require('./commands/log') as typeof import('./commands/log')).logCommand,
  wait: () => (require('./commands/wait') as typeof import('./commands/wait')).waitCommand,
  result: () => (require('./commands/result') as typeof import('./commands/result')).resultCommand,
  findings: () => (require('./commands/findings') as typeof import('./commands/findings')).findingsCommand,
  brokers: () => (require('./commands/brokers') as typeof import('./commands/brokers')).brokersCommand,
  reap: () => (require('./commands/reap') as typeof import('./commands/reap')).reapCommand,
  usage: () => (require('./commands/usage') as typeof import('./commands/usage')).usageCommand,
  timeline: () => (require('./commands/timeline') as typeof import('./commands/timeline')).timelineCommand,
  guard: () => (require('./commands/guard') as typeof import('./commands/guard')).guardCommand,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * A command that reads once and exits makes its file calls synchronously (core/io/fsCalls.ts): in
 * a one-shot process a thread-pool round trip per small read is most of the time. Those that wait
 * and follow (watch, wait, log --follow) and reap, which signals and waits, keep the asynchronous ones.
 */
const oneShot = (a: Args) =>
  a.command !== 'watch' && a.command !== 'wait' && a.command !== 'reap' && a.command !== 'guard' && !a.follow;

export function runCommand(a: Args, io: Output): Promise<number> {
  // A failing listener is a bug of ours: said on stderr, the command goes on. (Registered here, with
  // the emitter of this bundle: the one the commands' models fire through.)
  onListenerError((err) => io.error(`codex-jobs: warning: an event listener failed: ${safeLine(String(err))}`));
  if (oneShot(a)) useSynchronousCalls();
  return COMMANDS[a.command]()(a, io);
}

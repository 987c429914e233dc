// The codex-jobs command line, built from the same core as the extension: this file dispatches;
// args.ts is the grammar and help, output.ts where text goes, commands/ one file per command.
// Exit: 0 done (warnings included), 1 failed, 2 usage error (wait: 124 timed out, 130 interrupted).
import { helpHint, parseCommandLine, UsageError, type Args, type CommandName } from './args';
import { Output } from './output';
import { VERSION } from './version';
import { safeLine } from '../core/vocab/terminalText';
import { onListenerError } from '../core/vocab/emitter';
import { statusCommand } from './commands/status';
import { watchCommand } from './commands/watch';
import { logCommand } from './commands/log';
import { waitCommand } from './commands/wait';
import { resultCommand } from './commands/result';
import { findingsCommand } from './commands/findings';
import { brokersCommand } from './commands/brokers';
import { reapCommand } from './commands/reap';
import { guardCommand } from './commands/guard';

const COMMANDS: Record<CommandName, (a: Args, io: Output) => Promise<number>> = {
  status: statusCommand,
  watch: watchCommand,
  log: logCommand,
  wait: waitCommand,
  result: resultCommand,
  findings: findingsCommand,
  brokers: brokersCommand,
  reap: reapCommand,
  guard: guardCommand,
};

export async function main(argv: string[], io: Output): Promise<number> {
  try {
    const parsed = parseCommandLine(argv);
    switch (parsed.kind) {
      case 'version':
        await io.line(`codex-jobs ${VERSION}`);
        return 0;
      case 'help':
        await io.line(parsed.text);
        return 0;
      case 'usage-error':
        throw parsed.error;
      case 'run':
        return await COMMANDS[parsed.args.command](parsed.args, io);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      // A message of several lines (the jobs an ambiguous prefix fits) keeps its lines, each made safe.
      io.error(`codex-jobs: ${err.message.split('\n').map(safeLine).join('\n')}\n${helpHint(err.command)}`);
      return 2;
    }
    io.error(`codex-jobs: ${safeLine((err as Error)?.message ?? String(err))}`);
    return 1;
  }
}

if (require.main === module) {
  const io = new Output();
  // A failing listener is a bug of ours: said on stderr, the command goes on.
  onListenerError((err) => io.error(`codex-jobs: warning: an event listener failed: ${safeLine(String(err))}`));
  void main(process.argv.slice(2), io).then(async (code) => {
    process.exitCode = code;
    // Every byte reaches its reader before the process ends; then nothing else may keep it alive.
    await io.flush();
    setTimeout(() => process.exit(code), 50).unref();
  });
}

// The codex-jobs command line, built from the same core as the extension: this file dispatches;
// args.ts is the grammar and help, output.ts where text goes, commands/ one file per command.
// Exit: 0 done (warnings included), 1 failed, 2 usage error (wait: 124 timed out, 130 interrupted).
import { helpHint, isUsageError, parseCommandLine, type Args } from './args';
import { Output } from './output';
import { VERSION } from './version';
import { safeLine } from '../core/vocab/terminalText';

/** The commands and the core beneath them, parsed only when a command runs (dist/cliRun.js). */
const runCommand = (a: Args, io: Output): Promise<number> =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./cliRun') as typeof import('./cliRun')).runCommand(a, io);

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
        return await runCommand(parsed.args, io);
    }
  } catch (err) {
    if (isUsageError(err)) {
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
  void main(process.argv.slice(2), io).then(async (code) => {
    process.exitCode = code;
    // Every byte reaches its reader before the process ends; then nothing else may keep it alive.
    await io.flush();
    setTimeout(() => process.exit(code), 50).unref();
  });
}

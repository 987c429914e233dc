// The extension's core as the soak benchmark runs it, in a process of its own (measured by
// bench/soakProbe.ts): a model of one workspace with the archive and live updates, as the
// extension host holds them. Prints one line of JSON when the first tree is there:
// {"firstTreeMs": …, "jobs": …}.
//
//   node --require out/bench/soakProbe.js out/bench/soakModel.js --state-root R --workspace WS --archive A
import * as path from 'path';
import { JobArchive } from '../src/core/archive/archive';
import { LiveUpdates } from '../src/core/model/live';
import { benchModel } from './model';

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || !process.argv[i + 1]) throw new Error(`--${name} is required`);
  return process.argv[i + 1];
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const stateRoot = arg('state-root');
  const workspace = arg('workspace');
  const archive = new JobArchive(arg('archive'));
  const model = benchModel({
    base: path.dirname(arg('archive')),
    stateRoot,
    folders: [{ path: workspace, name: path.basename(workspace) }],
    archive,
  });
  const live = new LiveUpdates(model, { archive, logger: { ...console, debug: () => undefined } });
  await live.start();
  await model.settled();
  const jobs = model.folders.reduce((n, f) => n + f.jobs.length, 0);
  process.stdout.write(`${JSON.stringify({ firstTreeMs: performance.now() - t0, jobs })}\n`);
  if (process.argv.includes('--once')) {
    await live.dispose();
    model.dispose();
    await archive.dispose();
    return;
  }
  process.on('SIGTERM', () => {
    void live
      .dispose()
      .then(() => archive.dispose())
      .finally(() => process.exit(0));
  });
}

void main();

// Runs the core's repairs and cancel against one hostile case, inside the case's pid namespace
// (the harness starts it there). Prints one line per step, `STEP <name>` before and `DONE <name>
// <json>` after, so a hang names its step; `THREW <name> <message>` marks a repair that threw
// (repairs and cancel are documented never to throw). The core is loaded from CODEX_JOBS_HOSTILE_CORE.

import * as path from 'path';
import { coreModule } from './coreModule';
import type * as Snapshot from '../../src/core/state/snapshot';
import type * as Repair from '../../src/core/actions/repair';
import type * as Cancel from '../../src/core/actions/cancel';
import type * as Verify from '../../src/core/state/verify';
import type * as Processes from '../../src/core/os/processes';
import type * as Archive from '../../src/core/archive/archive';
import type * as Types from '../../src/core/vocab/types';

const core = process.env.CODEX_JOBS_HOSTILE_CORE ?? path.join(__dirname, '..', '..', 'src', 'core');
const load = <T>(name: string): T => coreModule<T>(core, name);

async function main(): Promise<void> {
  const [rootA, stateA, archiveDir, mode] = process.argv.slice(2);
  const { loadStateDir } = load<typeof Snapshot>('snapshot');
  const { markStaleFailed, restoreRecord, restoreToIndex } = load<typeof Repair>('repair');
  const { cancelJob } = load<typeof Cancel>('cancel');
  const { verifyJobs } = load<typeof Verify>('verify');
  const { createProcessTable } = load<typeof Processes>('processes');
  const { JobArchive } = load<typeof Archive>('archive');
  const { DEFAULT_SETTINGS } = load<typeof Types>('types');
  const table = createProcessTable();
  const archive = new JobArchive(archiveDir);
  const step = async (name: string, fn: () => Promise<unknown>) => {
    process.stdout.write(`STEP ${name}\n`);
    try {
      const r = await fn();
      process.stdout.write(`DONE ${name} ${JSON.stringify(r ?? null).slice(0, 2000)}\n`);
      return r;
    } catch (err) {
      process.stdout.write(`THREW ${name} ${String((err as Error)?.message ?? err).split('\n')[0]}\n`);
      return undefined;
    }
  };
  const snapshot = async () => {
    const s = await loadStateDir({ path: rootA, source: 'cli' }, stateA, DEFAULT_SETTINGS);
    // New job objects (an older core wrote the results into the jobs and returned nothing).
    const verified: unknown = await verifyJobs(s.jobs, table, DEFAULT_SETTINGS);
    return Array.isArray(verified) ? { ...s, jobs: verified as typeof s.jobs } : s;
  };
  const s0 = (await step('load', async () => {
    const s = await snapshot();
    return { jobs: s.jobs.map((j) => `${j.id}:${j.status}`), warnings: s.warnings.length };
  })) as unknown;
  if (!s0) return;
  const snap = await snapshot();
  if (mode === 'prime') {
    await archive.load();
    for (const j of snap.jobs) await step(`keep ${j.id}`, () => archive.keep(j));
    await archive.flush();
    await archive.dispose();
    return;
  }
  await archive.load();
  const opts = { table, archive };
  // The good and the bad job, and a few others: a case with 10,000 jobs is about reading, not repairing.
  const some = [
    ...snap.jobs.filter((j) => /good|bad/.test(j.id)),
    ...snap.jobs.filter((j) => !/good|bad/.test(j.id)).slice(0, 5),
  ];
  for (const job of some) {
    await step(`markStaleFailed ${job.id}`, () => markStaleFailed(job, opts));
    await step(`restoreToIndex ${job.id}`, () => restoreToIndex(job, opts));
    await step(`restoreRecord ${job.id}`, () => restoreRecord(job, opts));
    await step(`cancel ${job.id}`, async () => {
      const o = await cancelJob(job, { table, termTimeoutMs: 500, killTimeoutMs: 500, lock: { timeoutMs: 2000 } });
      return { ok: o.ok, message: o.message, signals: o.signals.length };
    });
  }
  await step('flush', () => archive.flush());
  await archive.dispose().catch(() => undefined);
  await step('reload', async () => {
    const s = await snapshot();
    return { jobs: s.jobs.map((j) => `${j.id}:${j.status}`) };
  });
}

main().then(
  () => {
    process.stdout.write('END\n');
    process.exitCode = 0;
  },
  (err) => {
    process.stdout.write(`THREW main ${String((err as Error)?.message ?? err)}\n`);
    process.exitCode = 1;
  },
);

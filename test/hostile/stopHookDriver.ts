// Runs Update Index Entry from Record on one job of a hostile case, inside the case's pid namespace
// (stopHook.test.ts starts it there). Prints `RESULT <json>` (the repair's answer, or `missing`
// when this core has no such repair), then `AFTER <json>`: what a fresh read then says of the job.
// Modes: `sync` (as shown), `changed` (its record is rewritten between the look and the repair).

import { promises as fs } from 'fs';
import * as path from 'path';
import { coreModule } from './coreModule';
import type * as Snapshot from '../../src/core/state/snapshot';
import type * as Repair from '../../src/core/actions/repair';
import type * as Verify from '../../src/core/state/verify';
import type * as Processes from '../../src/core/os/processes';
import type * as Archive from '../../src/core/archive/archive';
import type * as Types from '../../src/core/vocab/types';

const core = process.env.CODEX_JOBS_HOSTILE_CORE ?? path.join(__dirname, '..', '..', 'src', 'core');
const load = <T>(name: string): T => coreModule<T>(core, name);

async function main(): Promise<void> {
  const [rootA, stateA, archiveDir, mode, id] = process.argv.slice(2);
  const { loadStateDir } = load<typeof Snapshot>('snapshot');
  const { syncIndexEntry } = load<Partial<typeof Repair>>('repair');
  const { verifyJobs } = load<typeof Verify>('verify');
  const { createProcessTable } = load<typeof Processes>('processes');
  const { JobArchive } = load<typeof Archive>('archive');
  const { DEFAULT_SETTINGS } = load<typeof Types>('types');
  const table = createProcessTable();
  const archive = new JobArchive(archiveDir);
  await archive.load();
  const look = async () => {
    const s = await loadStateDir({ path: rootA, source: 'cli' }, stateA, DEFAULT_SETTINGS);
    // New job objects (an older core wrote the results into the jobs and returned nothing).
    const verified: unknown = await verifyJobs(s.jobs, table, DEFAULT_SETTINGS);
    return Array.isArray(verified) ? { ...s, jobs: verified as typeof s.jobs } : s;
  };
  const job = (await look()).jobs.find((j) => j.id === id);
  if (!job) throw new Error(`no job ${id}`);
  if (!syncIndexEntry) {
    process.stdout.write('RESULT "missing"\n');
    return;
  }
  if (mode === 'changed') {
    const file = path.join(stateA, 'jobs', `${id}.json`);
    const rec = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    await fs.writeFile(file, JSON.stringify({ ...rec, status: 'failed', errorMessage: 'changed meanwhile' }));
  }
  const r = await syncIndexEntry(job, { table, archive });
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
  await archive.flush();
  const again = (await look()).jobs.find((j) => j.id === id);
  const history = archive.get(stateA, id)?.history.map((h) => h.what) ?? [];
  process.stdout.write(
    `AFTER ${JSON.stringify({ index: again?.index?.status, record: again?.record?.status, history })}\n`,
  );
  await archive.dispose().catch(() => undefined);
}

main().then(
  () => process.stdout.write('END\n'),
  (err) => {
    process.stdout.write(`THREW ${String((err as Error)?.message ?? err)}\n`);
    process.exitCode = 1;
  },
);

// One state dir read whole: the index, every record and log preview, broker.json, reconciled.
// Process verification is the caller's step (it batches pids across dirs).
import * as path from 'path';
import type { CoreSettings, JobFields, LogPreview, ReadWarning, StateDirSnapshot, StateRoot } from './types';
import { listJobsDir, readBrokerFile, readJobRecord, readLogPreview, readStateFile } from './reader';
import { reconcile } from './reconcile';
import { promises as fs } from 'fs';

/** Enough parallel reads to hide latency, few enough not to exhaust file descriptors. */
const CONCURRENCY = 32;

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function loadStateDir(root: StateRoot, stateDir: string, settings: CoreSettings): Promise<StateDirSnapshot> {
  const readAtMs = Date.now();
  try {
    if (!(await fs.stat(stateDir)).isDirectory()) throw new Error('not a directory');
  } catch {
    return { stateDir, root: root.path, exists: false, jobs: [], warnings: [], readAtMs };
  }
  const jobsDir = path.join(stateDir, 'jobs');
  const [state, listing, broker] = await Promise.all([
    readStateFile(path.join(stateDir, 'state.json')),
    listJobsDir(jobsDir),
    readBrokerFile(path.join(stateDir, 'broker.json')),
  ]);
  const warnings: ReadWarning[] = [...state.warnings, ...listing.warnings, ...broker.warnings];
  const records = new Map<string, { fields: JobFields; mtimeMs?: number }>();
  const logs = new Map<string, LogPreview>();
  await mapLimit([...listing.records], CONCURRENCY, async ([id, file]) => {
    const r = await readJobRecord(file, id);
    warnings.push(...r.warnings);
    if (r.value) records.set(id, { fields: r.value, mtimeMs: r.mtimeMs });
  });
  await mapLimit([...listing.logs], CONCURRENCY, async ([id, file]) => {
    logs.set(id, await readLogPreview(file, settings.logTailBytes, settings.progressLines));
  });
  const jobs = reconcile({ stateDir, index: state.value, records, logs });
  return { stateDir, root: root.path, exists: true, config: state.value?.config, jobs, broker: broker.value, warnings, readAtMs };
}

// One state dir read whole: the index, every record and log preview, broker.json, reconciled.
// Process verification is the caller's step (it batches pids across dirs).
import * as path from 'path';
import type { CoreSettings, JobFields, LogPreview, ReadWarning, StateDirSnapshot, StateRoot } from '../vocab/types';
import { listJobsDir, readBrokerFile, readJobRecord, readLogPreview, readStateFile } from '../io/reader';
import { reconcile } from './reconcile';
import { promises as fs } from 'fs';
import { assertRealDir, toSafeFsError } from '../io/safeFs';
import { mapLimit } from '../vocab/async';

/** Enough parallel reads to hide latency, few enough not to exhaust file descriptors. */
const CONCURRENCY = 32;

/**
 * What a file held the last time it was read, keyed by path and valid while its size and mtime are
 * the same: a refresh then costs one stat per unchanged file instead of open, read, parse and close.
 */
/** Files whose parsed contents are kept: a few state dirs' records and logs many times over. */
const MAX_CACHED_FILES = 4000;

export class FileCache {
  private readonly entries = new Map<string, { mtimeMs: number; size: number; value: unknown }>();

  async read<T>(file: string, load: () => Promise<T>, key = file): Promise<T> {
    let st: import('fs').Stats;
    try {
      // lstat: a link is its own entry (refused by the load), never the stats of what it points at.
      st = await fs.lstat(file);
    } catch {
      this.entries.delete(key);
      return load();
    }
    const hit = this.entries.get(key);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.value as T;
    const value = await load();
    this.entries.delete(key);
    this.entries.set(key, { mtimeMs: st.mtimeMs, size: st.size, value });
    // Bounded: files come and go faster than full reads retain (a flood of short jobs); the
    // oldest put goes first.
    if (this.entries.size > MAX_CACHED_FILES) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  /** Forgets everything (memory is short). */
  clear(): void {
    this.entries.clear();
  }

  /** Forgets files not seen in the last full read of a dir. */
  retain(dirPrefix: string, seen: ReadonlySet<string>): void {
    for (const k of this.entries.keys()) if (k.startsWith(dirPrefix) && !seen.has(k)) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }
}

export async function loadStateDir(
  root: StateRoot,
  stateDir: string,
  settings: CoreSettings,
  cache?: FileCache,
): Promise<StateDirSnapshot> {
  const readAtMs = Date.now();
  try {
    // A state dir (and anything between it and its root) that is a link is not followed: one linked
    // to `/` would have us read /state.json and list /jobs.
    await assertRealDir(stateDir, root.path);
  } catch (err) {
    const e = toSafeFsError(stateDir, err);
    const warnings = e.reason === 'missing' ? [] : [{ file: e.file, message: `${e.message}; not read` }];
    return { stateDir, root: root.path, exists: false, jobs: [], warnings, readAtMs };
  }
  const jobsDir = path.join(stateDir, 'jobs');
  const [state, listing, broker] = await Promise.all([
    readStateFile(path.join(stateDir, 'state.json'), root.path),
    listJobsDir(jobsDir, root.path),
    readBrokerFile(path.join(stateDir, 'broker.json'), root.path),
  ]);
  const warnings: ReadWarning[] = [...state.warnings, ...listing.warnings, ...broker.warnings];
  const records = new Map<string, { fields: JobFields; mtimeMs?: number; fileId?: string }>();
  const logs = new Map<string, LogPreview>();
  const cached = <T>(file: string, load: () => Promise<T>, key = file) =>
    cache ? cache.read(file, load, key) : load();
  await mapLimit([...listing.records], CONCURRENCY, async ([id, file]) => {
    const r = await cached(file, () => readJobRecord(file, id, root.path));
    warnings.push(...r.warnings);
    if (r.value) records.set(id, { fields: r.value, mtimeMs: r.mtimeMs, fileId: r.fileId });
  });
  const tail = `${settings.logTailBytes}:${settings.progressLines}`;
  await mapLimit([...listing.logs], CONCURRENCY, async ([id, file]) => {
    const preview = await cached(
      file,
      () => readLogPreview(file, settings.logTailBytes, settings.progressLines, root.path),
      `${file}\u0000${tail}`,
    );
    if (preview.problem) warnings.push({ file, message: preview.problem });
    logs.set(id, preview);
  });
  cache?.retain(
    jobsDir,
    new Set([...listing.records.values(), ...[...listing.logs.values()].map((f) => `${f}\u0000${tail}`)]),
  );
  const jobs = reconcile({ stateDir, index: state.value, records, logs });
  return {
    stateDir,
    root: root.path,
    exists: true,
    config: state.value?.config,
    jobs,
    broker: broker.value,
    warnings,
    readAtMs,
  };
}

// Re-reading what a batch of file events names in one state dir, from the snapshot read before:
// only the files named are read again, and only the jobs whose files moved are made again (the
// rest are the very objects reconciled before). Functions of their inputs; nothing given changes.
import { readBrokerFile, readJobRecord, readLogPreview, readStateFile, rootOfStateDir } from '../io/reader';
import { reconcile } from '../state/reconcile';
import { loadStateDir, type FileCache } from '../state/snapshot';
import type { StateDirChange } from '../state/watcher';
import type {
  BrokerFile,
  CoreSettings,
  JobFields,
  LogPreview,
  ParsedState,
  ReadWarning,
  StateDirSnapshot,
  StateRoot,
} from '../vocab/types';
import { jobFile } from './pipeline';
import * as path from 'path';

export interface ReloadContext {
  settings: CoreSettings;
  now: () => number;
  cache?: FileCache;
  /** The roots found by the last full read (a state dir is read beneath its own). */
  roots: readonly StateRoot[];
}

/** A state dir's snapshot read again, and the jobs the files named (a changed index may name more). */
export interface Reloaded {
  snap: StateDirSnapshot;
  named: ReadonlySet<string>;
}

type Records = Map<string, { fields: JobFields; mtimeMs?: number; fileId?: string }>;

/** Re-reads what `change` names of the state dir `shown` shows, from `raw` (what `shown` was made from). */
export async function reload(
  ctx: ReloadContext,
  shown: StateDirSnapshot,
  raw: StateDirSnapshot | undefined,
  change: StateDirChange,
): Promise<Reloaded> {
  if (change.rescan) return { snap: await reloadWhole(ctx, shown), named: change.jobs };
  const lines = await reloadLogs(ctx, shown, raw, change);
  return lines ? { snap: lines, named: change.jobs } : reloadPartly(ctx, shown, raw, change);
}

function reloadWhole(ctx: ReloadContext, prev: StateDirSnapshot): Promise<StateDirSnapshot> {
  const root = ctx.roots.find((r) => r.path === prev.root) ?? { path: prev.root, source: 'setting' as const };
  return loadStateDir(root, prev.stateDir, ctx.settings, ctx.cache);
}

/**
 * Log lines only (no record, index or broker event): each named job is the one reconciled before
 * with its new log preview, and the rest stay the very objects they were. A log line then costs
 * its own read, not a pass that rebuilds every job's maps (undefined: not that case; read it all).
 */
async function reloadLogs(
  ctx: ReloadContext,
  snap: StateDirSnapshot,
  raw: StateDirSnapshot | undefined,
  change: StateDirChange,
): Promise<StateDirSnapshot | undefined> {
  if (!raw || change.index || change.broker || change.rescan || !change.records) return undefined;
  const records = change.records;
  const dir = snap.stateDir;
  const named = [...change.jobs].map((id) => ({ id, was: raw.jobs.find((j) => j.id === id) }));
  // A job whose record had an event, that had no record or log, or whose record was refused: read it
  // all (decided before any read, so that nothing is read twice).
  const plain = named.every(
    ({ id, was }) =>
      !records.has(id) &&
      !!was?.record &&
      was.log.exists &&
      !snap.warnings.some((w) => w.file === jobFile(dir, id, 'json')),
  );
  if (!plain) return undefined;
  const logs = await Promise.all(named.map(({ id }) => readPreview(ctx.settings, dir, id)));
  if (logs.some((l) => !l.exists)) return undefined;
  const updates = new Map<string, LogPreview>();
  named.forEach(({ id, was }, i) => {
    if (!sameLog(was!.log, logs[i])) updates.set(id, logs[i]);
  });
  if (updates.size === 0) return snap;
  // A log is no input of a job's time: the order reconcile gave stays.
  const jobs = raw.jobs.map((j) => {
    const log = updates.get(j.id);
    return log ? { ...j, log } : j;
  });
  return { ...snap, jobs, readAtMs: ctx.now() };
}

/** A job's log preview, as every re-read of a state dir's files takes it. */
function readPreview(settings: CoreSettings, stateDir: string, id: string): Promise<LogPreview & { problem?: string }> {
  const { logTailBytes, progressLines } = settings;
  return readLogPreview(jobFile(stateDir, id, 'log'), logTailBytes, progressLines, rootOfStateDir(stateDir));
}

/** What reconcile is given, taken from a snapshot and replaced piece by piece as files are read again. */
interface Inputs {
  index?: ParsedState;
  config?: ParsedState['config'];
  broker?: BrokerFile;
  records: Records;
  logs: Map<string, LogPreview>;
  warnings: ReadWarning[];
}

/** The snapshot already holds every input of reconcile: only what changed is read and replaced. */
async function reloadPartly(
  ctx: ReloadContext,
  snap: StateDirSnapshot,
  raw: StateDirSnapshot | undefined,
  change: StateDirChange,
): Promise<Reloaded> {
  const dir = snap.stateDir;
  let inputs = inputsOf(snap);
  let named: ReadonlySet<string> = change.jobs;
  if (change.index) {
    inputs = await withIndexRead(inputs, dir);
    // Ids only the index knew may now have records or logs never read.
    const unread = (inputs.index?.entries ?? []).map((e) => e.id).filter((id) => !inputs.records.has(id));
    if (unread.length) named = new Set([...change.jobs, ...unread]);
  }
  if (change.broker) {
    const file = path.join(dir, 'broker.json');
    const r = await readBrokerFile(file, rootOfStateDir(dir));
    inputs = { ...inputs, broker: r.value, warnings: [...without(inputs.warnings, file), ...r.warnings] };
  }
  const read = await withJobsRead(ctx.settings, inputs, dir, named, change.records);
  if (!read.moved && !change.index && !change.broker) return { snap, named };
  inputs = read.inputs;
  // Only the jobs whose files moved are made again; the rest are the ones reconciled before.
  const jobs = reconcile({
    stateDir: dir,
    index: inputs.index,
    records: inputs.records,
    logs: inputs.logs,
    previous: raw?.jobs,
  });
  const { warnings, broker, config } = inputs;
  return { snap: { ...snap, jobs, warnings, broker, config, readAtMs: ctx.now() }, named };
}

function inputsOf(snap: StateDirSnapshot): Inputs {
  const records: Records = new Map();
  const logs = new Map<string, LogPreview>();
  for (const j of snap.jobs) {
    if (j.archived) continue;
    if (j.record) records.set(j.id, { fields: j.record, mtimeMs: j.recordMtimeMs, fileId: j.recordFileId });
    if (j.log.exists) logs.set(j.id, j.log);
  }
  return {
    index: snapshotIndex(snap),
    config: snap.config,
    broker: snap.broker,
    records,
    logs,
    warnings: snap.warnings,
  };
}

/** The index read again. An entry that reads as before is the same entry: its job is not verified again for it. */
async function withIndexRead(inputs: Inputs, dir: string): Promise<Inputs> {
  const file = path.join(dir, 'state.json');
  const r = await readStateFile(file, rootOfStateDir(dir));
  const was = new Map((inputs.index?.entries ?? []).map((e) => [e.id, e]));
  const index = r.value && {
    ...r.value,
    entries: r.value.entries.map((e) => {
      const old = was.get(e.id);
      return old && JSON.stringify(old.raw) === JSON.stringify(e.raw) ? old : e;
    }),
  };
  const warnings = [...without(inputs.warnings, file), ...r.warnings];
  return { ...inputs, index, config: r.value?.config, warnings };
}

/** Each named job's record and log read again; `moved` when any differs from what was read before. */
async function withJobsRead(
  settings: CoreSettings,
  inputs: Inputs,
  dir: string,
  named: ReadonlySet<string>,
  recordEvents: ReadonlySet<string> | undefined,
): Promise<{ inputs: Inputs; moved: boolean }> {
  const records: Records = new Map(inputs.records);
  const logs = new Map(inputs.logs);
  let warnings = inputs.warnings;
  let moved = false;
  await Promise.all(
    [...named].map(async (id) => {
      const recFile = jobFile(dir, id, 'json');
      const known = records.get(id);
      // Only a log event named it: its record is as it was (a record event of its own re-reads it).
      const logOnly = recordEvents && !recordEvents.has(id) && known && !warnings.some((w) => w.file === recFile);
      const [rec, log] = await Promise.all([
        logOnly
          ? { value: known.fields, mtimeMs: known.mtimeMs, fileId: known.fileId, warnings: [] }
          : readJobRecord(recFile, id, rootOfStateDir(dir)),
        readPreview(settings, dir, id),
      ]);
      const refused = rec.warnings.length > 0 || warnings.some((w) => w.file === recFile);
      if (!refused && sameRecord(records.get(id), rec.value, rec.mtimeMs, rec.fileId) && sameLog(logs.get(id), log))
        return;
      moved = true;
      warnings = [...without(warnings, recFile), ...rec.warnings];
      if (rec.value) records.set(id, { fields: rec.value, mtimeMs: rec.mtimeMs, fileId: rec.fileId });
      else records.delete(id);
      if (log.exists) logs.set(id, log);
      else logs.delete(id);
    }),
  );
  return { inputs: { ...inputs, records, logs, warnings }, moved };
}

const without = (warnings: ReadWarning[], file: string) => warnings.filter((w) => w.file !== file);

function sameRecord(
  before: { fields: JobFields; mtimeMs?: number; fileId?: string } | undefined,
  now: JobFields | undefined,
  mtimeMs: number | undefined,
  fileId?: string,
): boolean {
  if (!before || !now) return !before && !now;
  // Another file under the same name was deleted and written again: a change even when it reads the same.
  if (before.mtimeMs !== mtimeMs || before.fileId !== fileId) return false;
  return before.fields === now || JSON.stringify(before.fields.raw) === JSON.stringify(now.raw);
}

function sameLog(before: LogPreview | undefined, now: LogPreview): boolean {
  if (!before || !now.exists) return !before && !now.exists;
  return before.size === now.size && before.mtimeMs === now.mtimeMs && before.fileId === now.fileId;
}

/** The index as the snapshot last saw it, rebuilt from the jobs' index entries. */
function snapshotIndex(snap: StateDirSnapshot): ParsedState | undefined {
  const entries = snap.jobs.filter((j) => j.index && !j.archived).map((j) => j.index!);
  if (entries.length === 0 && !snap.config) return undefined;
  return { version: 1, config: snap.config, entries };
}

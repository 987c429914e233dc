// The truthful model of every open workspace folder's jobs. It reads, verifies and emits; it never
// writes to a state dir. The UI renders it; the watcher and the CLI drive it.
import { Emitter, type Logger, silentLogger } from './emitter';
import { candidateRoots, mapFolder, resolveWorkspaceRoot } from './discovery';
import { FileCache, loadStateDir } from './snapshot';
import { verifyJobs } from './verify';
import { readBrokerFile, readJobRecord, readLogPreview, readStateFile } from './reader';
import { reconcile } from './reconcile';
import { claimsActive, countJobs, jobKey, type JobCounts } from './classify';
import type { ChangeBatch, StateDirChange } from './watcher';
import type { JobArchive } from './archive';
import * as path from 'path';
import type {
  CoreSettings,
  DerivedStatus,
  FolderMapping,
  HostEnv,
  Job,
  JobFields,
  LogPreview,
  ParsedState,
  ProcessTable,
  ReadWarning,
  StateDirSnapshot,
  StateRoot,
} from './types';

export interface WorkspaceFolderRef {
  /** Absolute path. */
  path: string;
  name: string;
}

export interface FolderState {
  folder: WorkspaceFolderRef;
  mapping?: FolderMapping;
  /** Snapshots of the state dirs that exist for this folder (one per root where it was found). */
  snapshots: StateDirSnapshot[];
  /** Jobs of every snapshot, newest first. */
  jobs: Job[];
  warnings: ReadWarning[];
}

export interface StatusTransition {
  job: Job;
  from: DerivedStatus;
  to: DerivedStatus;
}

export interface ModelChange {
  /** Every folder was rebuilt. */
  full: boolean;
  /** Folders whose set of jobs changed (for targeted tree refreshes). */
  folders: WorkspaceFolderRef[];
  /** Jobs that changed in place (same folder, same group), when known. */
  jobs?: Job[];
  /** Jobs whose derived status moved, for notifications. */
  transitions?: StatusTransition[];
}

export interface JobsModelOptions {
  host: HostEnv;
  table: ProcessTable;
  settings: CoreSettings;
  logger?: Logger;
  now?: () => number;
  /** Keeps what was seen; gone jobs are shown from it. */
  archive?: JobArchive;
}

export class JobsModel {
  private readonly changed = new Emitter<ModelChange>();
  readonly onDidChange = this.changed.event;

  private folderRefs: WorkspaceFolderRef[] = [];
  private state: FolderState[] = [];
  private rootList: StateRoot[] = [];
  private searchedList: string[] = [];
  private settings: CoreSettings;
  private disposed = false;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly cache = new FileCache();

  constructor(private readonly opts: JobsModelOptions) {
    this.settings = opts.settings;
    this.logger = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
  }

  get folders(): readonly FolderState[] {
    return this.state;
  }

  /** Roots that exist and were searched. */
  get roots(): readonly StateRoot[] {
    return this.rootList;
  }

  /** Every place looked for state (patterns included), for the welcome view. */
  get searched(): readonly string[] {
    return this.searchedList;
  }

  get currentSettings(): CoreSettings {
    return this.settings;
  }

  get hasStateDirs(): boolean {
    return this.state.some((f) => f.snapshots.length > 0);
  }

  allJobs(): Job[] {
    return this.state.flatMap((f) => f.jobs);
  }

  counts(): JobCounts {
    return countJobs(this.allJobs());
  }

  findJob(stateDir: string, id: string): Job | undefined {
    for (const f of this.state) {
      for (const j of f.jobs) if (j.id === id && j.stateDir === stateDir) return j;
    }
    return undefined;
  }

  setFolders(folders: readonly WorkspaceFolderRef[]): void {
    this.folderRefs = [...folders];
    this.workspaceRoots.clear();
  }

  /** A folder's git top level barely ever changes; asking git costs a process per folder per refresh. */
  private readonly workspaceRoots = new Map<string, Promise<string>>();

  private workspaceRootOf(folder: string): Promise<string> {
    let p = this.workspaceRoots.get(folder);
    if (!p) {
      p = resolveWorkspaceRoot(folder);
      this.workspaceRoots.set(folder, p);
    }
    return p;
  }

  setSettings(settings: CoreSettings): void {
    this.settings = settings;
  }

  /**
   * Every change to the model runs through this queue: a full rebuild, a partial re-read and a
   * re-verification each start from the state the previous one left, so none overwrites another.
   */
  private serial: Promise<void> = Promise.resolve();
  private queuedRefresh: Promise<void> | undefined;
  private pendingBatch: ChangeBatch | undefined;
  private queuedDrain: Promise<void> | undefined;

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.serial.then(() => (this.disposed ? undefined : op()));
    this.serial = run.catch((err) => this.logger.error(`model update failed: ${String(err)}`));
    return run;
  }

  /** Resolves once every queued update has run. */
  idle(): Promise<void> {
    return this.serial;
  }

  /** Where what the model sees is kept (the extension's and the CLI's archive), if anywhere. */
  get archive(): JobArchive | undefined {
    return this.opts.archive;
  }

  /** Re-reads everything. Calls made before a queued refresh starts share it. */
  refresh(): Promise<void> {
    if (this.queuedRefresh) return this.queuedRefresh;
    const p = this.enqueue(async () => {
      this.queuedRefresh = undefined;
      this.pendingBatch = undefined; // a full rebuild reads everything those events named
      await this.rebuild();
    });
    this.queuedRefresh = p;
    return p;
  }

  private async rebuild(): Promise<void> {
    const started = this.now();
    const found = await candidateRoots(this.opts.host, this.settings.extraRoots);
    const roots = found.roots;
    const next = await Promise.all(this.folderRefs.map((f) => this.loadFolder(f, roots)));
    const jobs = next.flatMap((f) => f.jobs);
    try {
      await verifyJobs(jobs, this.opts.table, this.settings, this.now());
    } catch (err) {
      // Verification failing must not hide what the files say; statuses stay `unverified`.
      this.logger.warn(`process verification failed: ${String(err)}`);
    }
    if (this.disposed) return;
    this.rootList = roots;
    this.searchedList = found.searched;
    this.searchedRoots = found.all.map((r) => r.path);
    this.state = next;
    this.logger.debug(`refreshed ${next.length} folder(s), ${jobs.length} job(s) in ${this.now() - started} ms`);
    this.changed.fire({ full: true, folders: next.map((f) => f.folder) });
  }

  /** The snapshot's jobs plus the archived ones whose files are gone. */
  private withArchived(snap: StateDirSnapshot): StateDirSnapshot {
    const archive = this.opts.archive;
    if (!archive) return snap;
    const onDisk = snap.jobs.filter((j) => !j.archived);
    const logOnly = new Map(onDisk.filter((j) => j.flags.includes('log-only')).map((j) => [j.id, j]));
    const present = new Set(onDisk.filter((j) => !logOnly.has(j.id)).map((j) => j.id));
    const gone: Job[] = [];
    for (const e of archive.gone(snap.stateDir)) {
      if (present.has(e.id)) continue;
      const j = archive.toJob(e);
      if (!j) continue;
      // Its worker may still be writing the log: show that live log with what the archive knows.
      const live = logOnly.get(e.id);
      if (live) {
        logOnly.delete(e.id);
        gone.push({ ...j, log: live.log, flags: [...j.flags, 'log-only'] });
      } else gone.push(j);
    }
    return { ...snap, jobs: [...onDisk.filter((j) => !j.flags.includes('log-only') || logOnly.has(j.id)), ...gone] };
  }

  /** Copies what is new into the archive in the background; newly gone jobs then appear as archived. */
  private archiveInBackground(snap: StateDirSnapshot): void {
    const archive = this.opts.archive;
    if (!archive || !snap.exists) return;
    const onDisk = snap.jobs.filter((j) => !j.archived);
    const indexSize = onDisk.filter((j) => j.index).length;
    const goneBefore = archive.gone(snap.stateDir).length;
    void archive.observe(snap.stateDir, onDisk, indexSize, this.now()).then(() => {
      if (this.disposed || archive.gone(snap.stateDir).length === goneBefore) return;
      void this.enqueue(async () => {
        for (const folder of this.state) {
          const i = folder.snapshots.findIndex((s) => s.stateDir === snap.stateDir);
          if (i < 0) continue;
          const next = this.withArchived(folder.snapshots[i]);
          await verifyJobs(next.jobs, this.opts.table, this.settings, this.now()).catch(() => undefined);
          folder.snapshots[i] = next;
          folder.jobs = folder.snapshots.flatMap((s) => s.jobs).sort((a, b) => jobTime(b) - jobTime(a));
          this.changed.fire({ full: false, folders: [folder.folder], jobs: next.jobs.filter((j) => j.archived) });
        }
      });
    });
  }

  private async loadFolder(folder: WorkspaceFolderRef, roots: StateRoot[]): Promise<FolderState> {
    try {
      const mapping = await mapFolder(folder.path, roots, this.workspaceRootOf(folder.path));
      const existing = mapping.candidates.filter((c) => c.exists);
      await this.opts.archive?.load();
      const snapshots = await Promise.all(
        existing.map(async (c) => {
          const snap = await loadStateDir(c.root, c.stateDir, this.settings, this.cache);
          this.archiveInBackground(snap);
          return this.withArchived(snap);
        }),
      );
      const jobs = snapshots.flatMap((s) => s.jobs).sort((a, b) => jobTime(b) - jobTime(a));
      return { folder, mapping, snapshots, jobs, warnings: snapshots.flatMap((s) => s.warnings) };
    } catch (err) {
      this.logger.error(`reading ${folder.path} failed: ${String(err)}`);
      return {
        folder,
        snapshots: [],
        jobs: [],
        warnings: [{ file: folder.path, message: `could not read its job state: ${String(err)}` }],
      };
    }
  }

  /** State dirs being shown, and every candidate root (for the watcher's plan). */
  watchPlan(): { stateDirs: string[]; roots: string[] } {
    const stateDirs = this.state.flatMap((f) => f.snapshots.map((s) => s.stateDir));
    const roots = new Set<string>(this.rootList.map((r) => r.path));
    for (const f of this.state) for (const c of f.mapping?.candidates ?? []) roots.add(c.root.path);
    for (const r of this.searchedRoots) roots.add(r);
    return { stateDirs: [...new Set(stateDirs)], roots: [...roots] };
  }

  private searchedRoots: string[] = [];

  /** Re-reads only what a batch of file events names; a layout change means a full refresh. */
  applyBatch(batch: ChangeBatch): Promise<void> {
    if (batch.layout) return this.refresh();
    if (this.pendingBatch) {
      mergeBatch(this.pendingBatch, batch);
      return this.queuedDrain ?? Promise.resolve();
    }
    this.pendingBatch = batch;
    this.queuedDrain = this.enqueue(async () => {
      const b = this.pendingBatch;
      this.pendingBatch = undefined;
      this.queuedDrain = undefined;
      if (b) await this.applyNow(b);
    });
    return this.queuedDrain;
  }

  private async applyNow(batch: ChangeBatch): Promise<void> {
    const touched: FolderState[] = [];
    const changedJobs: Job[] = [];
    const transitions: StatusTransition[] = [];
    for (const [stateDir, change] of batch.dirs) {
      for (const folder of this.state) {
        const i = folder.snapshots.findIndex((s) => s.stateDir === stateDir);
        if (i < 0) continue;
        const before = new Map(folder.snapshots[i].jobs.map((j) => [j.id, j]));
        const prev = folder.snapshots[i];
        const read = change.rescan ? await this.reloadWhole(prev) : await this.reloadPartly(prev, change);
        this.archiveInBackground(read);
        const next = this.withArchived(read);
        await verifyJobs(
          next.jobs.filter((j) => j.archived),
          this.opts.table,
          this.settings,
          this.now(),
        ).catch(() => undefined);
        if (this.disposed) return;
        folder.snapshots[i] = next;
        folder.jobs = folder.snapshots.flatMap((s) => s.jobs).sort((a, b) => jobTime(b) - jobTime(a));
        folder.warnings = folder.snapshots.flatMap((s) => s.warnings);
        touched.push(folder);
        for (const j of next.jobs) {
          const old = before.get(j.id);
          if (!old || change.jobs.has(j.id) || old.status !== j.status) changedJobs.push(j);
          if (old && old.status !== j.status) transitions.push({ job: j, from: old.status, to: j.status });
        }
      }
    }
    if (touched.length === 0) return;
    this.changed.fire({ full: false, folders: touched.map((f) => f.folder), jobs: changedJobs, transitions });
  }

  /** Re-checks every job that claims to be queued or running; fires only when a status moved. */
  reverify(): Promise<void> {
    return this.enqueue(() => this.reverifyNow());
  }

  private async reverifyNow(): Promise<void> {
    const active = this.allJobs().filter(claimsActive);
    if (active.length === 0) return;
    const before = new Map(active.map((j) => [jobKey(j), j.status]));
    await verifyJobs(active, this.opts.table, this.settings, this.now());
    if (this.disposed) return;
    const transitions: StatusTransition[] = [];
    for (const j of active) {
      const from = before.get(jobKey(j))!;
      if (from !== j.status) transitions.push({ job: j, from, to: j.status });
    }
    if (transitions.length === 0) return;
    const folders = this.state.filter((f) => transitions.some((t) => f.jobs.includes(t.job)));
    this.changed.fire({
      full: false,
      folders: folders.map((f) => f.folder),
      jobs: transitions.map((t) => t.job),
      transitions,
    });
  }

  /** Whether any job claims to run: the re-verify timer runs only then. */
  get anyActive(): boolean {
    return this.state.some((f) => f.jobs.some(claimsActive));
  }

  private async reloadWhole(prev: StateDirSnapshot): Promise<StateDirSnapshot> {
    const root = this.rootList.find((r) => r.path === prev.root) ?? { path: prev.root, source: 'setting' as const };
    const snap = await loadStateDir(root, prev.stateDir, this.settings, this.cache);
    await verifyJobs(snap.jobs, this.opts.table, this.settings, this.now()).catch((err) =>
      this.logger.warn(`process verification failed: ${String(err)}`),
    );
    return snap;
  }

  private async reloadPartly(snap: StateDirSnapshot, change: StateDirChange): Promise<StateDirSnapshot> {
    const dir = snap.stateDir;
    const jobsDir = path.join(dir, 'jobs');
    let warnings = snap.warnings;
    const drop = (file: string) => (warnings = warnings.filter((w) => w.file !== file));
    // The previous snapshot already holds every input of reconcile; replace only what changed.
    let index: ParsedState | undefined = snapshotIndex(snap);
    const records = new Map<string, { fields: JobFields; mtimeMs?: number }>();
    const logs = new Map<string, LogPreview>();
    for (const j of snap.jobs) {
      if (j.archived) continue;
      if (j.record) records.set(j.id, { fields: j.record, mtimeMs: j.recordMtimeMs });
      if (j.log.exists) logs.set(j.id, j.log);
    }
    let broker = snap.broker;
    let config = snap.config;
    if (change.index) {
      const file = path.join(dir, 'state.json');
      const r = await readStateFile(file);
      drop(file);
      warnings = [...warnings, ...r.warnings];
      index = r.value;
      config = r.value?.config;
      // Ids only the index knew may now have records or logs we never read.
      for (const e of r.value?.entries ?? []) if (!records.has(e.id)) change.jobs.add(e.id);
    }
    if (change.broker) {
      const file = path.join(dir, 'broker.json');
      const r = await readBrokerFile(file);
      drop(file);
      warnings = [...warnings, ...r.warnings];
      broker = r.value;
    }
    await Promise.all(
      [...change.jobs].map(async (id) => {
        const recFile = path.join(jobsDir, `${id}.json`);
        const [rec, log] = await Promise.all([
          readJobRecord(recFile, id),
          readLogPreview(path.join(jobsDir, `${id}.log`), this.settings.logTailBytes, this.settings.progressLines),
        ]);
        drop(recFile);
        warnings = [...warnings, ...rec.warnings];
        if (rec.value) records.set(id, { fields: rec.value, mtimeMs: rec.mtimeMs });
        else records.delete(id);
        if (log.exists) logs.set(id, log);
        else logs.delete(id);
      }),
    );
    const jobs = reconcile({ stateDir: dir, index, records, logs });
    await verifyJobs(jobs, this.opts.table, this.settings, this.now()).catch((err) =>
      this.logger.warn(`process verification failed: ${String(err)}`),
    );
    return { ...snap, jobs, warnings, broker, config, readAtMs: this.now() };
  }

  dispose(): void {
    this.disposed = true;
    this.changed.dispose();
  }
}

function mergeBatch(into: ChangeBatch, from: ChangeBatch): void {
  into.layout ||= from.layout;
  for (const [dir, c] of from.dirs) {
    const e = into.dirs.get(dir);
    if (!e) into.dirs.set(dir, { index: c.index, broker: c.broker, jobs: new Set(c.jobs), rescan: c.rescan });
    else {
      e.rescan ||= c.rescan;
      e.index ||= c.index;
      e.broker ||= c.broker;
      for (const id of c.jobs) e.jobs.add(id);
    }
  }
}

/** The index as the snapshot last saw it, rebuilt from the jobs' index entries. */
function snapshotIndex(snap: StateDirSnapshot): ParsedState | undefined {
  const entries = snap.jobs.filter((j) => j.index && !j.archived).map((j) => j.index!);
  if (entries.length === 0 && !snap.config) return undefined;
  return { version: 1, config: snap.config, entries };
}

export function jobTime(job: Job): number {
  const d = job.display;
  for (const t of [d.updatedAt, d.completedAt, d.startedAt, d.createdAt]) {
    const ms = t ? Date.parse(t) : NaN;
    if (!Number.isNaN(ms)) return ms;
  }
  return job.recordMtimeMs ?? 0;
}

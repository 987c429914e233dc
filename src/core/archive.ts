// What codex-jobs has seen, it keeps: every record and log it reads is copied into its own storage,
// records when they change (temp + rename), logs by appending only the new bytes. When the companion
// deletes a job's files (pruning, or a concurrent writer's lost update), the job lives on from here.
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import type { Logger } from './emitter';
import { silentLogger } from './emitter';
import { isSafeJobId, parseJobFields } from './reader';
import type { Job, JobFields, ReadWarning } from './types';

export type GoneHow = 'pruned' | 'deleted-while-running' | 'deleted-by-concurrent-writer';

export interface ArchiveEntry {
  id: string;
  stateDir: string;
  record?: Record<string, unknown>;
  index?: Record<string, unknown>;
  /** Source log bytes copied so far (the archive log may hold more: earlier lives of a re-created log). */
  logOffset: number;
  logBytes: number;
  recordMtimeMs?: number;
  firstSeenMs: number;
  lastSeenMs: number;
  lastStatus?: string;
  /** Whether a process was verified for it when last seen. */
  lastLive: boolean;
  goneAtMs?: number;
  goneHow?: GoneHow;
}

export interface ArchiveLimits {
  maxAgeMs: number;
  maxBytes: number;
}

export const DEFAULT_LIMITS: ArchiveLimits = { maxAgeMs: 30 * 24 * 3_600_000, maxBytes: 512 * 1024 * 1024 };

const COPY_CHUNK = 1024 * 1024;

export class JobArchive {
  private readonly entries = new Map<string, ArchiveEntry>();
  private loaded = false;
  warnings: ReadWarning[] = [];
  /** Bytes of log copied so far in this process; for benchmarks and tests. */
  bytesCopied = 0;
  private serial: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private limits: ArchiveLimits = DEFAULT_LIMITS,
    private readonly logger: Logger = silentLogger,
  ) {}

  setLimits(limits: ArchiveLimits): void {
    this.limits = limits;
  }

  private dirOf(stateDir: string): string {
    return path.join(this.dir, createHash('sha256').update(stateDir).digest('hex').slice(0, 16));
  }

  private key(stateDir: string, id: string): string {
    return `${stateDir}\u0000${id}`;
  }

  entryPaths(stateDir: string, id: string): { meta: string; log: string } {
    const d = this.dirOf(stateDir);
    return { meta: path.join(d, `${id}.json`), log: path.join(d, `${id}.log`) };
  }

  /** Reads what earlier sessions archived; a corrupt entry is skipped with a warning. */
  async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    let dirs: string[];
    try {
      dirs = await fs.readdir(this.dir);
    } catch {
      return;
    }
    for (const d of dirs) {
      let files: string[];
      try {
        files = await fs.readdir(path.join(this.dir, d));
      } catch {
        continue;
      }
      for (const f of files.filter((n) => n.endsWith('.json'))) {
        const file = path.join(this.dir, d, f);
        try {
          const e = JSON.parse(await fs.readFile(file, 'utf8')) as ArchiveEntry;
          if (!isSafeJobId(e.id) || typeof e.stateDir !== 'string' || typeof e.logOffset !== 'number') throw new Error('not an archive entry');
          this.entries.set(this.key(e.stateDir, e.id), e);
        } catch (err) {
          this.warnings.push({ file, message: `archive entry skipped: ${(err as Error).message}` });
        }
      }
    }
  }

  /** Resolves when everything observed so far is written. */
  flush(): Promise<void> {
    return this.serial;
  }

  get(stateDir: string, id: string): ArchiveEntry | undefined {
    return this.entries.get(this.key(stateDir, id));
  }

  /** Archived jobs of a state dir that are no longer on disk. */
  gone(stateDir: string): ArchiveEntry[] {
    return [...this.entries.values()].filter((e) => e.stateDir === stateDir && e.goneHow);
  }

  get totalBytes(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.logBytes + JSON.stringify(e.record ?? {}).length;
    return n;
  }

  /**
   * Takes in what a state dir holds now. Runs one call at a time; each copies only what changed.
   * `indexSize` tells ordinary pruning (a full index of 50) from a concurrent writer's deletion.
   */
  observe(stateDir: string, jobs: readonly Job[], indexSize: number, now = Date.now()): Promise<void> {
    const run = this.serial.then(() => this.observeNow(stateDir, jobs, indexSize, now));
    this.serial = run.catch((err) => this.logger.warn(`archiving failed: ${String(err)}`));
    return run;
  }

  private async observeNow(stateDir: string, jobs: readonly Job[], indexSize: number, now: number): Promise<void> {
    await this.load();
    await fs.mkdir(this.dirOf(stateDir), { recursive: true });
    const present = new Set<string>();
    for (const job of jobs) {
      present.add(job.id);
      const k = this.key(stateDir, job.id);
      const prev = this.entries.get(k);
      const e: ArchiveEntry = prev ? { ...prev } : { id: job.id, stateDir, logOffset: 0, logBytes: 0, firstSeenMs: now, lastSeenMs: now, lastLive: false };
      let changed = !prev;
      if (job.record && (job.recordMtimeMs !== e.recordMtimeMs || !e.record)) {
        e.record = job.record.raw;
        e.recordMtimeMs = job.recordMtimeMs;
        changed = true;
      }
      if (job.index && JSON.stringify(job.index.raw) !== JSON.stringify(e.index)) {
        e.index = job.index.raw;
        changed = true;
      }
      if (job.log.exists && job.log.size !== undefined && job.log.size !== e.logOffset) {
        changed = (await this.copyLog(job, e)) || changed;
      }
      const live = job.status === 'running' || job.status === 'queued' || job.status === 'stalled';
      if (e.lastStatus !== job.status || e.lastLive !== live || e.goneHow) changed = true;
      e.lastStatus = job.status;
      e.lastLive = live;
      e.lastSeenMs = now;
      delete e.goneHow;
      delete e.goneAtMs;
      this.entries.set(k, e);
      if (changed) await this.writeEntry(e);
    }
    // What was here before and is gone now: keep it, and say how it went.
    for (const e of this.entries.values()) {
      if (e.stateDir !== stateDir || present.has(e.id) || e.goneHow) continue;
      const terminal = e.lastStatus === 'completed' || e.lastStatus === 'failed' || e.lastStatus === 'cancelled';
      e.goneHow = e.lastLive ? 'deleted-while-running' : terminal && indexSize >= 50 ? 'pruned' : 'deleted-by-concurrent-writer';
      e.goneAtMs = now;
      await this.writeEntry(e);
    }
    await this.enforceLimits(now);
  }

  /** Appends the source log's new bytes; a log that shrank was re-created and starts over. */
  private async copyLog(job: Job, e: ArchiveEntry): Promise<boolean> {
    const { log } = this.entryPaths(e.stateDir, e.id);
    let src: import('fs/promises').FileHandle;
    try {
      src = await fs.open(job.logPath, 'r');
    } catch {
      return false;
    }
    try {
      const size = (await src.stat()).size;
      if (size < e.logOffset) {
        const note = Buffer.from(`\n[codex-jobs] the log was re-created at ${new Date().toISOString()}; what follows is its new content\n`);
        await fs.appendFile(log, note);
        e.logBytes += note.length;
        e.logOffset = 0;
      }
      const buf = Buffer.alloc(Math.min(COPY_CHUNK, Math.max(0, size - e.logOffset)));
      while (e.logOffset < size) {
        const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, size - e.logOffset), e.logOffset);
        if (bytesRead === 0) break;
        await fs.appendFile(log, buf.subarray(0, bytesRead));
        e.logOffset += bytesRead;
        e.logBytes += bytesRead;
        this.bytesCopied += bytesRead;
      }
      return true;
    } finally {
      await src.close();
    }
  }

  private async writeEntry(e: ArchiveEntry): Promise<void> {
    const { meta } = this.entryPaths(e.stateDir, e.id);
    const tmp = `${meta}.${process.pid}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(e));
    await fs.rename(tmp, meta);
  }

  /** Oldest first: entries past the age limit, then until the total fits. Live jobs are never evicted. */
  private async enforceLimits(now: number): Promise<void> {
    const evictable = [...this.entries.values()].filter((e) => !e.lastLive || e.goneHow).sort((a, b) => a.lastSeenMs - b.lastSeenMs);
    let total = this.totalBytes;
    for (const e of evictable) {
      const old = now - e.lastSeenMs > this.limits.maxAgeMs;
      if (!old && total <= this.limits.maxBytes) break;
      total -= e.logBytes + JSON.stringify(e.record ?? {}).length;
      this.entries.delete(this.key(e.stateDir, e.id));
      const p = this.entryPaths(e.stateDir, e.id);
      await fs.rm(p.meta, { force: true });
      await fs.rm(p.log, { force: true });
    }
  }

  /** A gone job rebuilt from the archive, for the model to show. */
  toJob(e: ArchiveEntry): Job | undefined {
    const fromRecord = e.record ? parseJobFields(e.record, 'archive').fields : undefined;
    const fromIndex = e.index ? parseJobFields(e.index, 'archive').fields : undefined;
    const display: JobFields | undefined = fromRecord ?? fromIndex;
    if (!display) return undefined;
    const jobsDir = path.join(e.stateDir, 'jobs');
    // Its process, if any, is verified like any other job's by the caller.
    const status = display.status === 'completed' || display.status === 'failed' || display.status === 'cancelled' ? display.status : 'unverified';
    return {
      id: e.id,
      stateDir: e.stateDir,
      record: fromRecord,
      index: fromIndex,
      display,
      recordedStatus: display.status,
      status,
      flags: ['archived', e.goneHow!],
      logPath: path.join(jobsDir, `${e.id}.log`),
      recordPath: path.join(jobsDir, `${e.id}.json`),
      log: { exists: false, progress: [] },
      archived: { how: e.goneHow!, atMs: e.goneAtMs ?? e.lastSeenMs, logPath: this.entryPaths(e.stateDir, e.id).log, logBytes: e.logBytes },
    };
  }
}

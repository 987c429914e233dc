// What codex-jobs has seen, it keeps: every record and log it reads is copied into its own storage,
// records when they change (temp + rename), logs by appending only the new bytes. When the companion
// deletes a job's files (pruning, or a concurrent writer's lost update), the job lives on from here.
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import type { FileHandle } from 'fs/promises';
import * as path from 'path';
import type { Logger } from './emitter';
import { silentLogger } from './emitter';
import { openRegular, readBoundedText, READ_LIMITS, writeFileAtomic } from './safeFs';
import { isVerifiedLive } from './classify';
import type { CaughtLog } from './logCatcher';
import { fileIdOf, isSafeJobId, parseJobFields, readJobRecord } from './reader';
import { isTerminalStatus, type Job, type JobFields, type ReadWarning } from './types';

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
  /** The source log's identity: a log deleted and re-created is a new file even when it has grown past our offset. */
  logFileId?: string;
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
/** Open log files at most; past that, logs are copied as before, without a handle kept. */
const MAX_HELD = 256;
/** A job seen finishing writes its final output after its record says so: its log stays open this long. */
const FINISHED_GRACE_MS = 10_000;

interface Held {
  fh: FileHandle;
  id: string;
}

export class JobArchive {
  private readonly entries = new Map<string, ArchiveEntry>();
  private loaded = false;
  warnings: ReadWarning[] = [];
  /** Bytes of log copied so far in this process; for benchmarks and tests. */
  bytesCopied = 0;
  private serial: Promise<void> = Promise.resolve();
  /** Open logs of unfinished jobs, by entry key. */
  private readonly held = new Map<string, Held>();
  /** Logs opened on a file event that no copy has taken over yet, oldest life first. */
  private readonly grabbed = new Map<string, Held[]>();
  private grabbedCount = 0;
  /** When a job whose log is held was first seen finished. */
  private readonly finishedSince = new Map<string, number>();
  /** Records read along with a job's first grabbed log, for jobs not archived yet. */
  private readonly grabbedRecords = new Map<string, Record<string, unknown>>();

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
          const e = JSON.parse((await readBoundedText(file, READ_LIMITS.archiveEntry)).text) as ArchiveEntry;
          if (!isSafeJobId(e.id) || typeof e.stateDir !== 'string' || typeof e.logOffset !== 'number')
            throw new Error('not an archive entry');
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
    // A newer look at a state dir supersedes one still waiting its turn: under a burst the archive
    // copies from the latest snapshot instead of working through every older one.
    const waiting = this.waiting.get(stateDir);
    if (waiting) {
      Object.assign(waiting.args, { jobs, indexSize, now });
      return waiting.run;
    }
    const args = { jobs, indexSize, now };
    const run = this.enqueue(() => {
      this.waiting.delete(stateDir);
      return this.observeNow(stateDir, args.jobs, args.indexSize, args.now);
    });
    this.waiting.set(stateDir, { args, run });
    return run;
  }

  /** Archive work runs one piece at a time; a failure is logged and does not stop what follows. */
  private enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.serial.then(fn);
    this.serial = run.catch((err) => this.logger.warn(`archiving failed: ${String(err)}`));
    return run;
  }

  private readonly waiting = new Map<
    string,
    { args: { jobs: readonly Job[]; indexSize: number; now: number }; run: Promise<void> }
  >();

  /** Archives one job now, without judging the others of its state dir (e.g. before a repair). */
  keep(job: Job, now = Date.now()): Promise<void> {
    return this.enqueue(async () => {
      await this.load();
      await fs.mkdir(this.dirOf(job.stateDir), { recursive: true });
      await this.observeOne(job.stateDir, job, now);
    });
  }

  private async observeNow(stateDir: string, jobs: readonly Job[], indexSize: number, now: number): Promise<void> {
    await this.load();
    await fs.mkdir(this.dirOf(stateDir), { recursive: true });
    const present = new Set<string>();
    const logOnly = new Set(jobs.filter((j) => j.flags.includes('log-only')).map((j) => j.id));
    for (const job of jobs) {
      // A job with only its log left is gone all the same; its log is still copied.
      if (!job.flags.includes('log-only')) present.add(job.id);
      await this.observeOne(stateDir, job, now);
    }
    // What was here before and is gone now: keep it, and say how it went.
    for (const e of this.entries.values()) {
      if (e.stateDir !== stateDir || present.has(e.id)) continue;
      let changed = false;
      if (!e.goneHow) {
        const terminal = isTerminalStatus(e.lastStatus);
        e.goneHow = e.lastLive
          ? 'deleted-while-running'
          : terminal && indexSize >= 50
            ? 'pruned'
            : 'deleted-by-concurrent-writer';
        e.goneAtMs = now;
        changed = true;
      }
      // Whatever was written before the deletion is still in the open files, also in lives opened
      // after the job was first found gone (its worker wrote on). A log-only job's copy did that.
      if (!logOnly.has(e.id)) changed = (await this.release(this.key(e.stateDir, e.id), e)) || changed;
      if (changed) await this.writeEntry(e);
    }
    await this.adoptUnseen(stateDir, new Set([...present, ...logOnly]), now);
    await this.enforceLimits(now);
  }

  private async observeOne(stateDir: string, job: Job, now: number): Promise<void> {
    const k = this.key(stateDir, job.id);
    const prev = this.entries.get(k);
    const e: ArchiveEntry = prev
      ? { ...prev }
      : { id: job.id, stateDir, logOffset: 0, logBytes: 0, firstSeenMs: now, lastSeenMs: now, lastLive: false };
    let changed = !prev;
    if (job.record && (job.recordMtimeMs !== e.recordMtimeMs || !e.record)) {
      e.record = job.record.raw;
      e.recordMtimeMs = job.recordMtimeMs;
      changed = true;
    }
    const grabbedRecord = this.grabbedRecords.get(k);
    this.grabbedRecords.delete(k);
    if (!e.record && grabbedRecord) {
      e.record = grabbedRecord;
      changed = true;
    }
    if (job.index && JSON.stringify(job.index.raw) !== JSON.stringify(e.index)) {
      e.index = job.index.raw;
      changed = true;
    }
    const grown =
      job.log.exists &&
      job.log.size !== undefined &&
      (job.log.size !== e.logOffset || (job.log.fileId !== undefined && job.log.fileId !== e.logFileId));
    // A held file that is no longer the one at the path (deleted, re-created) still has bytes to give.
    const other = [this.held.get(k), ...(this.grabbed.get(k) ?? [])].some(
      (h) => h && (!job.log.exists || job.log.fileId !== h.id),
    );
    // Lives grabbed since the last copy are taken over (or closed) even when nothing grew.
    if (grown || other || this.grabbed.has(k)) {
      changed = (await this.copyLog(job, e)) || changed;
    }
    if (!job.flags.includes('log-only')) {
      const live = isVerifiedLive(job);
      if (e.lastStatus !== job.status || e.lastLive !== live || e.goneHow) changed = true;
      e.lastStatus = job.status;
      e.lastLive = live;
      e.lastSeenMs = now;
      delete e.goneHow;
      delete e.goneAtMs;
    }
    const held = this.held.get(k);
    if (held && isTerminalStatus(job.status)) {
      const since = this.finishedSince.get(k) ?? now;
      this.finishedSince.set(k, since);
      if (now - since >= FINISHED_GRACE_MS) changed = (await this.release(k, e)) || changed;
    }
    this.entries.set(k, e);
    if (changed) await this.writeEntry(e);
  }

  /** Copies what a job's open logs still hold and closes them. */
  private release(k: string, e: ArchiveEntry): Promise<boolean> {
    this.finishedSince.delete(k);
    return this.drainAndClose(this.takeLives(k), e);
  }

  /** Copies each life in turn, then closes them all, also when a copy fails. */
  private async drainAndClose(lives: Held[], e: ArchiveEntry): Promise<boolean> {
    let changed = false;
    try {
      for (const h of lives) changed = (await this.drainLife(h, e)) || changed;
    } finally {
      await Promise.all(lives.map((h) => h.fh.close().catch(() => undefined)));
    }
    return changed;
  }

  /**
   * Appends the source log's new bytes. The log of a job that is not finished is kept open: when a
   * concurrent writer deletes it, the bytes written before the deletion are still read from the open
   * file, and a log re-created under the same name (the worker writes on) is a new life of it.
   */
  private async copyLog(job: Pick<Job, 'logPath' | 'status'>, e: ArchiveEntry): Promise<boolean> {
    const k = this.key(e.stateDir, e.id);
    // Files opened earlier, oldest life first: the one we held, then those grabbed on events since.
    const lives = this.takeLives(k);
    let cur: FileHandle | undefined;
    let curId: string | undefined;
    try {
      cur = (await openRegular(job.logPath)).fh;
      curId = fileIdOf(await cur.stat());
    } catch {
      await cur?.close().catch(() => undefined);
      cur = undefined;
    }
    let keep = cur ? lives.find((h) => h.id === curId) : undefined;
    let changed = await this.drainAndClose(
      lives.filter((h) => h !== keep),
      e,
    );
    if (!cur) return changed;
    if (keep) await cur.close();
    else keep = { fh: cur, id: curId! };
    changed = (await this.drainLife(keep, e)) || changed;
    // Finished: kept open only when seen running before (its final output may follow), for a while.
    const hold = !isTerminalStatus(job.status) || e.lastLive || this.finishedSince.has(k);
    if (hold && !this.held.has(k) && this.held.size < MAX_HELD) this.held.set(k, keep);
    else await keep.fh.close().catch(() => undefined);
    return changed;
  }

  private takeLives(k: string): Held[] {
    const grabbed = this.grabbed.get(k) ?? [];
    const lives = [this.held.get(k), ...grabbed].filter((h): h is Held => !!h);
    this.held.delete(k);
    this.grabbed.delete(k);
    this.grabbedCount -= grabbed.length;
    return lives;
  }

  /**
   * Opens a job's log at once, before the model has read anything and not queued behind copying:
   * bytes written before a deletion a moment later can then still be read. Called on every event
   * that may mean a new log. A log deleted and re-created between two events is one more life, kept
   * beside the others; the next copy of that job's log takes them all over. Never fails.
   */
  async grab(stateDir: string, id: string): Promise<void> {
    if (!this.mayTake(id)) return;
    let fh: FileHandle | undefined;
    try {
      fh = (await openRegular(path.join(stateDir, 'jobs', `${id}.log`))).fh;
      await this.take(stateDir, id, fh, fileIdOf(await fh.stat()));
    } catch {
      // gone already, or unreadable: nothing to keep
      await fh?.close().catch(() => undefined);
    }
  }

  /** Takes over a log a `LogCatcher` opened; closes it when not needed. Never fails. */
  async adoptOpened(log: CaughtLog): Promise<void> {
    const { stateDir, id, fh } = log;
    if (!this.mayTake(id)) return fh.close().catch(() => undefined);
    await this.take(stateDir, id, fh, fileIdOf(log)).catch(() => fh.close().catch(() => undefined));
  }

  private mayTake(id: string): boolean {
    return isSafeJobId(id) && this.held.size + this.grabbedCount < MAX_HELD;
  }

  private async take(stateDir: string, id: string, fh: FileHandle, fileId: string): Promise<void> {
    const k = this.key(stateDir, id);
    // Decided without awaiting: two grabs of one file keep one handle.
    if (this.held.get(k)?.id === fileId || this.grabbed.get(k)?.some((h) => h.id === fileId)) return fh.close();
    const first = !this.entries.has(k) && !this.grabbed.has(k);
    this.grabbed.set(k, [...(this.grabbed.get(k) ?? []), { fh, id: fileId }]);
    this.grabbedCount++;
    // A job the model has not read yet may lose its record before it does: keep that too.
    if (first) {
      const rec = await readJobRecord(path.join(stateDir, 'jobs', `${id}.json`), id).catch(() => undefined);
      if (rec?.value?.raw && !this.entries.has(k)) this.grabbedRecords.set(k, rec.value.raw);
    }
  }

  /**
   * Lives grabbed for jobs no look at the state dir has shown, all of them deleted since: the job came
   * and went between two looks. It is archived from what was grabbed.
   */
  private async adoptUnseen(stateDir: string, present: ReadonlySet<string>, now: number): Promise<void> {
    for (const [k, lives] of [...this.grabbed]) {
      const id = k.slice(k.indexOf('\u0000') + 1);
      if (!k.startsWith(`${stateDir}\u0000`) || present.has(id) || this.entries.has(k)) continue;
      const links = await Promise.all(
        lives.map((h) =>
          h.fh.stat().then(
            (st) => st.nlink,
            () => 0,
          ),
        ),
      );
      if (links.some((n) => n > 0)) continue; // still on disk: the next look shows it
      const record = this.grabbedRecords.get(k);
      this.grabbedRecords.delete(k);
      const e: ArchiveEntry = {
        id,
        stateDir,
        record,
        logOffset: 0,
        logBytes: 0,
        firstSeenMs: now,
        lastSeenMs: now,
        lastLive: false,
        goneAtMs: now,
        goneHow: 'deleted-by-concurrent-writer',
      };
      await this.release(k, e);
      this.entries.set(k, e);
      await this.writeEntry(e);
    }
  }

  /** Copies one life of a log; a different file than the one copied so far starts a new life. */
  private async drainLife(h: Held, e: ArchiveEntry): Promise<boolean> {
    let changed = false;
    if (e.logFileId !== undefined && e.logFileId !== h.id && e.logOffset > 0) {
      await this.markRecreated(e);
      changed = true;
    }
    e.logFileId = h.id;
    return (await this.drain(h.fh, e)) || changed;
  }

  private async markRecreated(e: ArchiveEntry): Promise<void> {
    const note = Buffer.from(
      `\n[codex-jobs] the log was re-created at ${new Date().toISOString()}; what follows is its new content\n`,
    );
    await fs.appendFile(this.entryPaths(e.stateDir, e.id).log, note);
    e.logBytes += note.length;
    e.logOffset = 0;
  }

  /** Copies what the open file has beyond our offset (it may be deleted already: it still reads). */
  private async drain(src: FileHandle, e: ArchiveEntry): Promise<boolean> {
    const size = (await src.stat()).size;
    if (size < e.logOffset) await this.markRecreated(e); // truncated in place
    if (size === e.logOffset) return false;
    const log = this.entryPaths(e.stateDir, e.id).log;
    const buf = Buffer.alloc(Math.min(COPY_CHUNK, size - e.logOffset));
    while (e.logOffset < size) {
      const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, size - e.logOffset), e.logOffset);
      if (bytesRead === 0) break;
      await fs.appendFile(log, buf.subarray(0, bytesRead));
      e.logOffset += bytesRead;
      e.logBytes += bytesRead;
      this.bytesCopied += bytesRead;
    }
    return true;
  }

  /** Closes the logs kept open; anything they still hold is copied first. */
  async dispose(): Promise<void> {
    await this.serial;
    for (const k of new Set([...this.held.keys(), ...this.grabbed.keys()])) {
      const e = this.entries.get(k);
      if (!e) for (const h of this.takeLives(k)) await h.fh.close().catch(() => undefined);
      else
        await this.release(k, e)
          .then((changed) => (changed ? this.writeEntry(e) : undefined))
          .catch(() => undefined);
    }
  }

  private async writeEntry(e: ArchiveEntry): Promise<void> {
    await writeFileAtomic(this.entryPaths(e.stateDir, e.id).meta, JSON.stringify(e));
  }

  /** Oldest first: entries past the age limit, then until the total fits. Live jobs are never evicted. */
  private async enforceLimits(now: number): Promise<void> {
    const evictable = [...this.entries.values()]
      .filter((e) => !e.lastLive || e.goneHow)
      .sort((a, b) => a.lastSeenMs - b.lastSeenMs);
    let total = this.totalBytes;
    for (const e of evictable) {
      const old = now - e.lastSeenMs > this.limits.maxAgeMs;
      if (!old && total <= this.limits.maxBytes) break;
      total -= e.logBytes + JSON.stringify(e.record ?? {}).length;
      for (const h of this.takeLives(this.key(e.stateDir, e.id))) await h.fh.close().catch(() => undefined);
      this.finishedSince.delete(this.key(e.stateDir, e.id));
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
    // Seen only as a log: the id is all that is known.
    const display: JobFields | undefined = fromRecord ?? fromIndex ?? parseJobFields({ id: e.id }, 'archive').fields;
    if (!display) return undefined;
    const jobsDir = path.join(e.stateDir, 'jobs');
    // Its process, if any, is verified like any other job's by the caller.
    const status = isTerminalStatus(display.status) ? display.status : 'unverified';
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
      archived: {
        how: e.goneHow!,
        atMs: e.goneAtMs ?? e.lastSeenMs,
        logPath: this.entryPaths(e.stateDir, e.id).log,
        logBytes: e.logBytes,
      },
    };
  }
}

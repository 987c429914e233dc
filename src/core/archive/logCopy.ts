// Copies jobs' logs into the archive: a little inline on each scan, the rest of a big log in the
// background, in steps. A log that is not finished is kept open between scans (heldLogs): when a
// concurrent writer deletes it, the bytes written before the deletion are still read from the open
// file, and a log re-created under the same name is one more file of it, copied after a marked note.
// Every function here changes only an entry being built (a draft, see entries.ts), never one handed out.
import type { FileHandle } from 'fs/promises';
import { fileIdOf, rootOfStateDir } from '../io/reader';
import { openRegular, readAt } from '../io/safeFs';
import { beginningLost } from '../io/logInference';
import type { Job } from '../vocab/types';
import { isTerminalStatus } from '../vocab/status';
import { closeFiles, HeldLogs, type Held } from '../state/heldLogs';
import { copyFromFile, type CopyOutcome } from './archiveCopier';
import { addEvent, type ArchiveEntry, type ArchiveLimits } from './entry';
import type { ArchiveStore } from './archiveStore';
import type { EntryWriter } from './entryWriter';
import type { WorkQueue } from './scheduler';
import { keyOf } from '../vocab/keys';

/** The background copier's step, and its pause between steps (≈ 40 MB/s at most). */
const STEP_BYTES = 4 * 1024 * 1024;
const STEP_PAUSE_MS = 100;

interface Backlog {
  logPath: string;
  status: Job['status'];
}

/** How one copy of a job's log goes. */
export interface CopyRequest {
  logPath: string;
  status: Job['status'];
  /** At most this many bytes now; the rest goes to the backlog. */
  budget: number;
  /** Finished a moment ago: its final output may still follow, so it is held like a running job's. */
  recent?: boolean;
  /** The file at logPath as the caller just saw it (fileIdOf), when known. */
  currentId?: string;
}

export class LogCopier {
  /** The logs kept open: by the last copy, and those opened on file events since. */
  readonly held = new HeldLogs();
  /** Bytes of log copied so far in this process; for benchmarks and tests. */
  bytesCopied = 0;
  private readonly backlog = new Map<string, Backlog>();
  private stepping = false;
  private disposed = false;

  constructor(
    private readonly store: ArchiveStore,
    private readonly limits: () => ArchiveLimits,
    private readonly holdLogs: boolean,
    private readonly queue: WorkQueue,
    private readonly writer: EntryWriter,
    /** After each background step: the limits are enforced (the archive grew). */
    private readonly afterStep: (now: number) => Promise<void>,
  ) {}

  /** Whether a big copy is still going on in the background (benchmarks wait for it). */
  get copying(): boolean {
    return this.backlog.size > 0 || this.stepping;
  }

  /** Whether k's log has bytes waiting for a background step. */
  inBacklog(k: string): boolean {
    return this.backlog.has(k);
  }

  /** Forgets k's log: its copy was dropped by the limits. */
  async forget(k: string): Promise<void> {
    this.backlog.delete(k);
    await this.held.closeAll(k);
  }

  /**
   * Appends the source log's new bytes to draft `e`'s copy. The log of a job that is not finished
   * is kept open; every file of it opened earlier (held, or opened on events since) is copied to its
   * end first, oldest first, and closed.
   */
  async copyLog(e: ArchiveEntry, req: CopyRequest, now: number): Promise<{ changed: boolean; more: boolean }> {
    const k = keyOf(e.stateDir, e.id);
    const opened = this.held.take(k);
    let cur: Held | undefined;
    if (opened.length === 1 && req.currentId !== undefined && opened[0].id === req.currentId) {
      // The one file held is the file at the path (a log line): read on from it, nothing to open.
      cur = opened[0];
    } else
      try {
        const { fh, stats } = await openRegular(req.logPath, rootOfStateDir(e.stateDir));
        cur = { fh, id: fileIdOf(stats) };
      } catch {
        cur = undefined;
      }
    const keep = cur ? opened.find((h) => h.id === cur.id) : undefined;
    const changed = await this.copyAndClose(
      opened.filter((h) => h !== keep),
      e,
      now,
    );
    if (!cur) return { changed, more: false };
    const file = keep ?? cur;
    if (keep && keep !== cur) await cur.fh.close().catch(() => undefined);
    // Finished: kept open only when seen running before (its final output may follow), for a while.
    const hold =
      this.holdLogs && (!isTerminalStatus(req.status) || e.lastLive || !!req.recent || this.held.finishedSince.has(k));
    // A held log's copy keeps its append handle too: a log line then opens nothing.
    try {
      const r = await this.copyFile(file, e, now, !hold, req.budget, hold ? this.held.outFor(k) : undefined);
      return { changed: r.changed || changed, more: r.more };
    } finally {
      if (!(hold && this.held.hold(k, file))) {
        await file.fh.close().catch(() => undefined);
        await this.held.closeOut(k);
      }
    }
  }

  /** Copies what a job's open logs still hold, to their end, and closes them. */
  async release(k: string, e: ArchiveEntry, now: number): Promise<boolean> {
    this.held.finishedSince.delete(k);
    this.backlog.delete(k);
    try {
      return await this.copyAndClose(this.held.take(k), e, now);
    } finally {
      await this.held.closeOut(k);
    }
  }

  /** Copies each open file in turn to its end, then closes them all, also when a copy fails. */
  private async copyAndClose(files: Held[], e: ArchiveEntry, now: number): Promise<boolean> {
    let changed = false;
    try {
      for (const h of files) changed = (await this.copyFile(h, e, now, true, Infinity)).changed || changed;
    } finally {
      await closeFiles(files);
    }
    return changed;
  }

  private async copyFile(
    h: Held,
    e: ArchiveEntry,
    now: number,
    final: boolean,
    budget: number,
    out?: { fh?: FileHandle },
  ): Promise<CopyOutcome> {
    await this.store.checkRoot();
    const first = e.logOffset === 0 && e.logBytes === 0 && e.evictedBytes === 0 && e.skippedBytes === 0;
    const r = await copyFromFile(h.fh, h.id, e, {
      target: this.store.paths(e.stateDir, e.id).log,
      root: this.store.dir,
      maxLogBytes: this.limits().maxLogBytes,
      final,
      budget,
      now,
      out,
    });
    this.bytesCopied += r.copied;
    if (first && r.copied > 0 && (await this.lostBeginning(e, now))) r.changed = true;
    return r;
  }

  /** The first bytes ever copied of a job's log lack the companion's first line: it was re-created unseen. */
  private async lostBeginning(e: ArchiveEntry, now: number): Promise<boolean> {
    let head: string;
    try {
      const { fh } = await openRegular(this.store.paths(e.stateDir, e.id).log, this.store.dir);
      try {
        head = (await readAt(fh, 0, 512)).toString('utf8');
      } finally {
        await fh.close().catch(() => undefined);
      }
    } catch {
      return false;
    }
    if (!beginningLost(head)) return false;
    // When it was deleted, and in what status, is not known: only that its worker wrote on.
    addEvent(e, { atMs: now, what: 'log-recreated' });
    e.logNote ??= 'its beginning was never seen: the log was deleted and re-created before Codex Jobs read it';
    return true;
  }

  /** A big copy goes on in the background, in steps, one step per pause. */
  toBacklog(k: string, job: Pick<Job, 'logPath' | 'status'>): void {
    this.backlog.set(k, { logPath: job.logPath, status: job.status });
    this.scheduleStep();
  }

  private scheduleStep(): void {
    if (this.disposed || this.backlog.size === 0) return;
    this.queue.after('backlog', STEP_PAUSE_MS, () => {
      const next = this.backlog.entries().next();
      if (next.done) return;
      const [k, b] = next.value;
      this.backlog.delete(k);
      this.stepping = true;
      void this.queue
        .run(() => this.step(k, b))
        .finally(() => {
          this.stepping = false;
          this.scheduleStep();
        });
    });
  }

  private async step(k: string, b: Backlog): Promise<void> {
    const e = this.store.entries.get(k);
    if (!e || this.disposed) return;
    const req = { logPath: b.logPath, status: b.status, budget: STEP_BYTES };
    const r = await this.store.entries.edit(e, (draft) => this.copyLog(draft, req, Date.now()));
    const now = this.store.entries.get(k);
    if (r.changed && now) await this.writer.write(now);
    if (r.more) this.backlog.set(k, b);
    await this.afterStep(Date.now());
  }

  /** Stops the background copy; logs still held are released by the archive's dispose. */
  dispose(): void {
    this.disposed = true;
    this.queue.cancel('backlog');
    this.backlog.clear();
  }
}

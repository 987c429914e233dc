// What the archive reads on a file event, before any scan of the state dir: a new log is opened at
// once (bytes written before a deletion a moment later can then still be read), a record read at
// once (its last version before a deletion is kept). A job that came and went between two scans is
// archived from these alone, as deleted by a concurrent writer.
import { promises as fs } from 'fs';
import * as path from 'path';
import type { OpenedLog } from '../state/logCatcher';
import { fileIdOf, isSafeJobId, readJobRecord, rootOfStateDir } from '../io/reader';
import { openRegular } from '../io/safeFs';
import type { Held } from '../state/heldLogs';
import { addEvent, newEntry, type ArchiveEntry } from './entry';
import type { ArchiveStore } from './archiveStore';
import type { EntryWriter } from './entryWriter';
import type { LogCopier } from './logCopy';
import { idUnder, keyOf } from '../vocab/keys';

export class EarlyReads {
  constructor(
    private readonly store: ArchiveStore,
    private readonly copier: LogCopier,
    private readonly writer: EntryWriter,
  ) {}

  private get held() {
    return this.copier.held;
  }

  /** Opens a job's log at once, not queued behind copying (see JobArchive.openLogEarly). Never fails. */
  async openLog(stateDir: string, id: string): Promise<void> {
    if (!this.held.mayTake(id)) return;
    try {
      const { fh, stats } = await openRegular(path.join(stateDir, 'jobs', `${id}.log`), rootOfStateDir(stateDir));
      await this.take(stateDir, id, { fh, id: fileIdOf(stats) }).catch(() => fh.close().catch(() => undefined));
    } catch {
      // gone already, or unreadable: nothing to keep
    }
  }

  /** Takes over a log a `LogCatcher` opened; closes it when not needed. Never fails. */
  async takeOpened(log: OpenedLog): Promise<void> {
    const { stateDir, id, fh } = log;
    if (!this.held.mayTake(id)) return fh.close().catch(() => undefined);
    await this.take(stateDir, id, { fh, id: fileIdOf(log) }).catch(() => fh.close().catch(() => undefined));
  }

  /** Reads a record at once on its file event (see JobArchive.readRecordEarly). Never fails. */
  async readRecord(stateDir: string, id: string): Promise<void> {
    if (!isSafeJobId(id)) return;
    const rec = await readJobRecord(path.join(stateDir, 'jobs', `${id}.json`), id, rootOfStateDir(stateDir)).catch(
      () => undefined,
    );
    if (rec?.value?.raw) this.held.records.set(keyOf(stateDir, id), rec.value.raw);
  }

  /** Into draft `e`: the latest record read on its own file event, when newer than the entry's. */
  takeRecord(k: string, e: ArchiveEntry): boolean {
    const rec = this.held.records.get(k);
    this.held.records.delete(k);
    if (!rec || JSON.stringify(rec) === JSON.stringify(e.record)) return false;
    e.record = rec;
    return true;
  }

  private async take(stateDir: string, id: string, h: Held): Promise<void> {
    const k = keyOf(stateDir, id);
    // Decided without awaiting: two opens of one file keep one handle.
    const first = !this.store.entries.has(k) && !this.held.hasOpened(k);
    if (!this.held.addOpened(k, h)) return h.fh.close();
    // A job the model has not read yet may lose its record before it does: keep that too.
    if (first && !this.held.records.has(k)) await this.readRecord(stateDir, id);
  }

  /**
   * Jobs no scan of the state dir has shown whose files were read on events, all of them deleted
   * since: the job came and went between two scans. Each is archived from what was read.
   */
  async adoptUnseen(stateDir: string, present: (id: string) => boolean, now: number): Promise<void> {
    for (const [k, files] of this.held.openedUnder(stateDir)) {
      const id = idUnder(k, stateDir)!;
      if (present(id) || this.store.knows(stateDir, id)) continue;
      const links = await Promise.all(
        files.map((h) =>
          h.fh.stat().then(
            (st) => st.nlink,
            () => 0,
          ),
        ),
      );
      if (links.some((n) => n > 0)) continue; // still on disk: the next scan shows it
      const e = deletedUnseen(stateDir, id, this.held.records.get(k), 'record, log', now);
      this.held.records.delete(k);
      await this.copier.release(k, e, now);
      await this.writer.write(this.store.entries.put(e));
    }
    await this.adoptRecordOnly(stateDir, present, now);
  }

  /**
   * A record read on its own event for a job no scan showed and whose log was never opened: the
   * job came and went between two scans all the same, and its record is all that was kept of it.
   */
  private async adoptRecordOnly(stateDir: string, present: (id: string) => boolean, now: number): Promise<void> {
    for (const [k, rec] of [...this.held.records]) {
      const id = idUnder(k, stateDir);
      if (id === undefined) continue;
      if (present(id) || this.store.knows(stateDir, id) || this.held.hasOpened(k)) continue;
      const gone = await fs.lstat(path.join(stateDir, 'jobs', `${id}.json`)).then(
        () => false,
        (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
      );
      if (!gone) continue; // still on disk (or unreadable): the next scan shows it
      this.held.records.delete(k);
      await this.writer.write(this.store.entries.put(deletedUnseen(stateDir, id, rec, 'record', now)));
    }
  }
}

/** A new entry for a job seen only on file events and deleted since. */
function deletedUnseen(
  stateDir: string,
  id: string,
  record: Record<string, unknown> | undefined,
  files: string,
  now: number,
): ArchiveEntry {
  const e = newEntry(stateDir, id, now);
  e.record = record;
  const status = typeof record?.status === 'string' ? record.status : undefined;
  e.lastStatus = status;
  e.goneAtMs = now;
  e.goneHow = 'deleted-by-concurrent-writer';
  addEvent(e, { atMs: now, what: 'created', status });
  addEvent(e, { atMs: now, what: 'deleted', status, files, by: e.goneHow });
  return e;
}

// Writes entries to disk: at once for any change a reader must not lose, a few seconds later (and on
// flush and dispose) when the only change is more copied log bytes. The copied bytes are in the
// archive's log already: bytes a crash left beyond its entry's count are taken as copied by the next
// copy (archiveCopier), never copied twice.
import type { ArchiveStore } from './archiveStore';
import type { ArchiveEntry } from './entry';
import type { WorkQueue } from './scheduler';
import { keyOf } from '../vocab/keys';

/** In the extension, how long an entry whose only change is copied log bytes waits for its write. */
export const OFFSET_WRITE_MS = 5000;
const TIMER = 'deferred-writes';

export class EntryWriter {
  /** Meta files written so far in this process; for benchmarks and tests. */
  written = 0;
  /** Keys of entries whose write waits (OFFSET_WRITE_MS). */
  private readonly deferred = new Set<string>();

  constructor(
    private readonly store: ArchiveStore,
    private readonly queue: WorkQueue,
  ) {}

  async write(e: ArchiveEntry): Promise<void> {
    this.deferred.delete(keyOf(e.stateDir, e.id));
    if (await this.store.write(e)) this.written++;
  }

  /** Whether an entry's write waits (it must stay in memory until then). */
  waits(k: string): boolean {
    return this.deferred.has(k);
  }

  /** Writes `e` in a moment: its only change is that more of its log was copied. */
  defer(e: ArchiveEntry): void {
    this.deferred.add(keyOf(e.stateDir, e.id));
    this.queue.after(TIMER, OFFSET_WRITE_MS, () => void this.queueWrites());
  }

  /** Queues the waiting writes, if any; resolves when they are made. */
  queueWrites(): Promise<void> | undefined {
    if (this.deferred.size === 0) return undefined;
    return this.queue.runLatest(TIMER, () => this.writeDeferred());
  }

  /** Writes the entries whose write waited, each as it is now; one removed since is not written back. */
  async writeDeferred(): Promise<void> {
    this.queue.cancel(TIMER);
    const due = [...this.deferred];
    this.deferred.clear();
    for (const k of due) {
      const e = this.store.entries.get(k);
      if (e) await this.write(e);
    }
  }
}

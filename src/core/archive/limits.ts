// When the archive's limits are applied: after growth (only growth can pass the size limit), and in
// a long-lived archive at least hourly for the age limit. A `status` that wrote nothing so never
// reads other workspaces' entries. What each limit drops is the store's (archiveStore.enforce).
import { promises as fs } from 'fs';
import type { ArchiveStore } from './archiveStore';
import { DEFAULT_LIMITS, type ArchiveEntry, type ArchiveLimits } from './entry';
import { rowFinished, type IndexRow, type SubIndex } from './archiveIndex';
import { keyOf } from '../vocab/keys';

/** How often a long-lived archive applies the age limit when nothing grew. */
const ENFORCE_EVERY_MS = 3_600_000;

export class LimitKeeper {
  private limits: ArchiveLimits;
  private lastEnforceMs = 0;

  constructor(
    private readonly store: ArchiveStore,
    limits: Partial<ArchiveLimits>,
    /** Whether this archive is long-lived (the extension): then the age limit is checked hourly. */
    private readonly longLived: boolean,
    /** A job's archived log was dropped: its open files and pending copy are of no more use. */
    private readonly dropped: (k: string) => Promise<void>,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get current(): ArchiveLimits {
    return this.limits;
  }

  set(limits: Partial<ArchiveLimits>): void {
    this.limits = { ...this.limits, ...limits };
  }

  async enforce(now: number): Promise<void> {
    const due = this.longLived && now - this.lastEnforceMs >= ENFORCE_EVERY_MS;
    if (!this.store.wroteSinceEnforce && !due) return;
    // The age pass looks at every entry's row: hourly (and first) in a long-lived archive, once in a
    // command. The size pass costs nothing until the total is over the limit: after every growth.
    const ages = due || this.lastEnforceMs === 0;
    if (ages) this.lastEnforceMs = now;
    for (const k of await enforceLimits(this.store, this.limits, now, ages)) await this.dropped(k);
  }
}

/**
 * Past the age limit, a gone finished job is dropped whole, one still on disk loses its log bulk
 * (the age pass, when `ages`: it looks at every row). Over the size limit, finished jobs' log bulk
 * goes, oldest first: those whose log is still in the state dir, then gone ones. A record and its
 * history are never dropped for size. Both work from the index: an entry is read only to be changed.
 * Returns the keys whose log bulk went (their held logs are of no more use).
 */
export async function enforceLimits(
  store: ArchiveStore,
  limits: ArchiveLimits,
  now: number,
  ages = true,
): Promise<string[]> {
  // The limits are the whole archive's: every state dir's entries count (each one's window is read,
  // as a look at it would: what is held stays within the window).
  await store.load();
  store.wroteSinceEnforce = false;
  const dropped: string[] = [];
  const seenMs = (idx: SubIndex, r: IndexRow) =>
    (idx.stateDir && store.entries.getIn(idx.stateDir, r.id)?.lastSeenMs) || r.lastSeenMs;
  if (ages)
    for (const [d, idx] of [...store.indexes.all()])
      for (const r of [...idx.rows.values()]) {
        if (!rowFinished(r) || now - seenMs(idx, r) <= limits.maxAgeMs) continue;
        const e = await store.entryFor(d, r.id);
        if (!e) continue;
        if (e.goneHow) await store.remove(keyOf(e.stateDir, e.id), e);
        else if (!(e.logBytes > 0 && (await evictLog(store, e)))) continue;
        dropped.push(keyOf(e.stateDir, e.id));
      }
  if (store.totalBytes > limits.maxBytes) {
    const order = [...store.indexes.all()]
      .flatMap(([d, idx]) =>
        [...idx.rows.values()].filter((r) => rowFinished(r) && r.logBytes > 0).map((r) => ({ d, r, idx })),
      )
      .sort((a, b) => Number(!!a.r.goneHow) - Number(!!b.r.goneHow) || seenMs(a.idx, a.r) - seenMs(b.idx, b.r));
    for (const { d, r } of order) {
      if (store.totalBytes <= limits.maxBytes) break;
      const e = await store.entryFor(d, r.id);
      if (e && e.logBytes > 0 && (await evictLog(store, e))) dropped.push(keyOf(e.stateDir, e.id));
    }
  }
  store.trimAll();
  return dropped;
}

async function evictLog(store: ArchiveStore, e: ArchiveEntry): Promise<boolean> {
  try {
    await fs.rm(store.paths(e.stateDir, e.id).log, { force: true });
  } catch (err) {
    store.fail(err);
    return false;
  }
  const evictedBytes = e.evictedBytes + e.logBytes;
  const logNote = `${evictedBytes} bytes of the archived log were dropped by the archive's size limit`;
  const next = { ...e, evictedBytes, logBytes: 0, logNote };
  // One not held in memory is written as it is, and stays on disk only.
  await store.write(store.entries.getIn(e.stateDir, e.id) ? store.entries.put(next) : next);
  return true;
}

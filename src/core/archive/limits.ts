// When the archive's limits are applied: after growth (only growth can pass the size limit), and in
// a long-lived archive at least hourly for the age limit. A `status` that wrote nothing so never
// reads other workspaces' entries. What each limit drops is the store's (archiveStore.enforce).
import type { ArchiveStore } from './archiveStore';
import { DEFAULT_LIMITS, type ArchiveLimits } from './entry';

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
    this.lastEnforceMs = now;
    for (const k of await this.store.enforce(this.limits, now)) await this.dropped(k);
  }
}

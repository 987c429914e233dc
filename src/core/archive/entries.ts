// The archive's entries in memory, copy-on-write: an entry handed out (get, gone, the change event)
// is never changed afterwards. Every change builds a new entry object and puts it in the old one's
// place, so a reader that kept the old one still holds what it read, and can tell a change by
// identity. With CODEX_JOBS_FREEZE=1 (the tests) every entry put here is frozen deeply, so a write
// into one throws.
import { Emitter, type Event } from '../vocab/emitter';
import { freezing, handOut } from '../vocab/freeze';
import { fitsJson, STRUCTURE_LIMITS } from '../io/safeFs';
import { keyOf } from '../vocab/keys';
import { differsBeyondSeen, type ArchiveEntry } from './entry';

/** One entry added, changed or removed: `before` is undefined when added, `after` when removed. */
export interface EntryChange {
  readonly stateDir: string;
  readonly id: string;
  readonly before?: ArchiveEntry;
  readonly after?: ArchiveEntry;
}

/**
 * What one piece of archive work changed (an observe of a state dir, a keep, a background copy
 * step, a load, ...). Changes to when an entry was last seen alone are not reported: that is kept
 * in memory for the limits' order and shows nowhere.
 */
export interface ArchiveChange {
  /** Each state dir with an entry added, changed or removed, once. */
  readonly stateDirs: readonly string[];
  /** Each entry changed, once: its version before this piece of work and after it. */
  readonly entries: readonly EntryChange[];
}

/** Whether a change moved an entry into or out of the state dir's deleted jobs (what `gone` lists). */
export function changesGone(c: EntryChange): boolean {
  return !!c.before?.goneHow !== !!c.after?.goneHow;
}

export class EntryMap {
  private readonly byKey = new Map<string, ArchiveEntry>();
  /** The same entries by state dir, then id: the model asks for every job's entry on every scan. */
  private readonly byDir = new Map<string, Map<string, ArchiveEntry>>();
  /** Per state dir, a count moved whenever its set of gone entries in memory changes (see goneVersion). */
  private readonly goneSeq = new Map<string, number>();
  /** Changes since the last `report`, by key: the first `before`, the latest `after`. */
  private pending = new Map<string, EntryChange>();
  private readonly changed = new Emitter<ArchiveChange>();
  readonly onDidChange: Event<ArchiveChange> = this.changed.event;

  get(k: string): ArchiveEntry | undefined {
    return this.byKey.get(k);
  }

  has(k: string): boolean {
    return this.byKey.has(k);
  }

  /** An entry by its state dir and id, without making their key. */
  getIn(stateDir: string, id: string): ArchiveEntry | undefined {
    return this.byDir.get(stateDir)?.get(id);
  }

  /** A state dir's entries; asked for several times per scan, so not a walk over every dir's. */
  ofDir(stateDir: string): ArchiveEntry[] {
    return [...(this.byDir.get(stateDir)?.values() ?? [])];
  }

  /** The state dirs with entries in memory. */
  stateDirs(): string[] {
    return [...this.byDir.keys()];
  }

  entries(): IterableIterator<[string, ArchiveEntry]> {
    return this.byKey.entries();
  }

  /** Puts a new entry (one nobody else holds) in place of the one under its key; it is not changed again. */
  put(e: ArchiveEntry): ArchiveEntry {
    const k = keyOf(e.stateDir, e.id);
    const before = this.byKey.get(k);
    if (before === e) return e;
    this.place(k, e);
    // A change already waiting to be reported points at the newest version, also a touched one.
    if (!before || differsBeyondSeen(before, e) || this.pending.has(k)) this.note(k, before, e);
    return e;
  }

  /**
   * Notes when an entry was last seen (in memory only): a new entry, not reported as a change. Every
   * scan touches every unchanged job, so this is kept cheap: the copy differs only in that field, and
   * is not compared.
   */
  touch(e: ArchiveEntry, now: number): ArchiveEntry {
    if (e.lastSeenMs === now) return e;
    const k = keyOf(e.stateDir, e.id);
    const before = this.byKey.get(k);
    const t = { ...e, lastSeenMs: now };
    this.place(k, t);
    if (!before || this.pending.has(k)) this.note(k, before, t);
    return t;
  }

  /**
   * A number that moves whenever the state dir's gone entries in memory change (one added, one
   * removed, one forgotten): cheaper to compare than the list, and it moves also when the list
   * keeps its length (the oldest forgotten as a new one goes).
   */
  goneVersion(stateDir: string): number {
    return this.goneSeq.get(stateDir) ?? 0;
  }

  private bumpGone(stateDir: string): void {
    this.goneSeq.set(stateDir, this.goneVersion(stateDir) + 1);
  }

  private place(k: string, e: ArchiveEntry): void {
    freeze(e);
    const before = this.byKey.get(k);
    if (!!before?.goneHow !== !!e.goneHow) this.bumpGone(e.stateDir);
    this.byKey.set(k, e);
    let dir = this.byDir.get(e.stateDir);
    if (!dir) this.byDir.set(e.stateDir, (dir = new Map()));
    dir.set(e.id, e);
  }

  remove(k: string): void {
    const e = this.byKey.get(k);
    if (!e) return;
    this.byKey.delete(k);
    this.byDir.get(e.stateDir)?.delete(e.id);
    if (e.goneHow) this.bumpGone(e.stateDir);
    this.note(k, e, undefined);
  }

  /**
   * Lets go of an entry held in memory, written and unchanged on disk (an old gone job outside the
   * window the model shows): not a change, nothing is reported. The index still lists it, and it is
   * read again on demand.
   */
  forget(k: string): void {
    const e = this.byKey.get(k);
    if (!e) return;
    this.byKey.delete(k);
    const dir = this.byDir.get(e.stateDir);
    dir?.delete(e.id);
    if (dir?.size === 0) this.byDir.delete(e.stateDir);
    if (e.goneHow) this.bumpGone(e.stateDir);
  }

  /** How many entries are held in memory. */
  get size(): number {
    return this.byKey.size;
  }

  /**
   * Runs `change` on a private copy of `e` and puts the copy in its place when it differs, also when
   * `change` throws half way (what it did to files so far is then said by the entry). Not put when
   * `e` was replaced or removed meanwhile. Resolves to what `change` returned.
   */
  async edit<R>(e: ArchiveEntry, change: (draft: ArchiveEntry) => Promise<R>): Promise<R> {
    const draft = { ...e };
    try {
      return await change(draft);
    } finally {
      const k = keyOf(e.stateDir, e.id);
      if (this.byKey.get(k) === e && differsFrom(e, draft)) this.put(draft);
    }
  }

  /** The latest version of `e` (itself, when not replaced since), or undefined when removed. */
  latest(e: ArchiveEntry): ArchiveEntry | undefined {
    return this.getIn(e.stateDir, e.id);
  }

  /** Fires one change event with everything changed since the last call, if anything. */
  report(): void {
    if (this.pending.size === 0) return;
    const entries = [...this.pending.values()].filter((c) => c.before !== c.after);
    this.pending = new Map();
    if (entries.length === 0) return;
    this.changed.fire({ stateDirs: [...new Set(entries.map((c) => c.stateDir))], entries });
  }

  dispose(): void {
    this.changed.dispose();
  }

  private note(k: string, before: ArchiveEntry | undefined, after: ArchiveEntry | undefined): void {
    const first = this.pending.get(k);
    const e = (after ?? before)!;
    this.pending.set(k, { stateDir: e.stateDir, id: e.id, before: first ? first.before : before, after });
  }
}

/**
 * Freezes an entry deeply when freezing is on (handOut). A record nested deeper than any the
 * archive keeps on disk (it writes a bounded copy) is frozen only at its top: a deep walk would
 * overflow the stack.
 */
function freeze(e: ArchiveEntry): void {
  if (!freezing) return;
  const deep = (v: unknown) => fitsJson(v, STRUCTURE_LIMITS.jsonDepth);
  if (deep(e.record) && deep(e.index)) handOut(e);
  else {
    handOut(e.history);
    Object.freeze(e.record);
    Object.freeze(e.index);
    Object.freeze(e);
  }
}

function differsFrom(a: ArchiveEntry, b: ArchiveEntry): boolean {
  return a.lastSeenMs !== b.lastSeenMs || differsBeyondSeen(a, b);
}

// The archive as the rest of the core sees it: what a reader (the model, a repair, a view) reads
// from it, and what the model tells it. JobArchive (archive.ts) is the one implementation.
import type { Event } from '../vocab/emitter';
import type { Job, ReadWarning } from '../vocab/types';
import type { OpenedLog } from '../state/logCatcher';
import type { ArchiveEntry, ArchiveLimits } from './entry';
import type { ArchiveChange } from './entries';

/** What is read from the archive. Every entry it gives is never changed afterwards. */
export interface ArchiveView {
  /** The archive's own dir: the root its copies are opened beneath. */
  readonly dir: string;
  /** Problems with the archive itself ("archive unavailable: …", skipped entries); never thrown. */
  readonly warnings: readonly ReadWarning[];
  readonly totalBytes: number;
  /** Whether a big copy is still going on in the background. */
  readonly copying: boolean;
  /**
   * Fired after each piece of archive work (an observe, a keep, a repair noted, a background copy
   * step, a load) with the entries it added, changed or removed; see ArchiveChange.
   */
  readonly onDidChange: Event<ArchiveChange>;
  get(stateDir: string, id: string): ArchiveEntry | undefined;
  /** Archived jobs of a state dir that are no longer on disk. */
  gone(stateDir: string): ArchiveEntry[];
  /** The flags a job's history gives it (kept after its files come back). */
  flagsOf(stateDir: string, id: string): ('deleted-while-running' | 'recreated')[];
  /** A gone job rebuilt from its entry, for the model to show. */
  toJob(e: ArchiveEntry): Job | undefined;
  entryPaths(stateDir: string, id: string): { meta: string; log: string };
}

/** What the archive is told: what was read, what a repair did, and when to load, write and stop. */
export interface ArchiveFeed {
  /** Reads what earlier sessions archived (for these state dirs, or all). Never throws. */
  load(stateDirs?: readonly string[]): Promise<void>;
  /** What a scan of a state dir found (see JobArchive.observe). */
  observe(stateDir: string, jobs: readonly Job[], indexSize: number, now?: number): Promise<void>;
  /** Archives one job now, without judging the others of its state dir (e.g. before a repair). */
  keep(job: Job, now?: number): Promise<void>;
  /** A repair wrote a job's files back. */
  noteRestored(stateDir: string, id: string, now?: number): Promise<void>;
  /** A file event may mean a new log: open it at once. */
  openLogEarly(stateDir: string, id: string): Promise<void>;
  /** A record's file event: read it at once. */
  readRecordEarly(stateDir: string, id: string): Promise<void>;
  /** A log the watcher's log catcher opened, handed over. */
  adoptOpened(log: OpenedLog): Promise<void>;
  /** Resolves when everything observed so far is written. */
  flush(): Promise<void>;
  setLimits(limits: Partial<ArchiveLimits>): void;
  /** Copies what open logs still hold, writes what waits, closes everything. */
  dispose(): Promise<void>;
}

export type { ArchiveChange, EntryChange } from './entries';

/** The whole archive as the model holds it. */
export type Archive = ArchiveView & ArchiveFeed;

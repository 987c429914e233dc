// What the archive keeps of one job (an entry), and the small rules over it. An entry handed out is
// never changed: a change builds a new entry (see entries.ts), so these helpers return new values.
import type { JobHistoryEvent } from '../vocab/types';
import { isActiveRecorded, isTerminalStatus } from '../vocab/status';

export type GoneHow = 'pruned' | 'deleted-while-running' | 'deleted-by-concurrent-writer';
export const GONE_HOWS: readonly GoneHow[] = ['pruned', 'deleted-while-running', 'deleted-by-concurrent-writer'];

/** One thing that happened to a job, as far as the archive saw it. */
export type HistoryEvent = JobHistoryEvent;
export const EVENT_KINDS: readonly HistoryEvent['what'][] = [
  'created',
  'status',
  'deleted',
  'recreated',
  'log-recreated',
  'restored',
];
/** History kept per job: the first events and the latest ones. */
export const MAX_HISTORY = 64;

export interface ArchiveEntry {
  id: string;
  stateDir: string;
  record?: Record<string, unknown>;
  index?: Record<string, unknown>;
  /** Bytes of the current source log file taken so far, copied or skipped. */
  logOffset: number;
  /** Bytes in the archive's copy of the log now (it may hold the log's earlier, re-created files too). */
  logBytes: number;
  recordMtimeMs?: number;
  /** The record file's identity (inode, birth): another one under the same name means it was deleted and written again. */
  recordFileId?: string;
  /** The source log's identity: a log deleted and re-created is a new file even when it has grown past our offset. */
  logFileId?: string;
  firstSeenMs: number;
  lastSeenMs: number;
  lastStatus?: string;
  /** Whether a process was verified for it when last seen. */
  lastLive: boolean;
  goneAtMs?: number;
  goneHow?: GoneHow;
  history: HistoryEvent[];
  /** Archive log bytes the size limit dropped; the offset stays, so they are never copied again. */
  evictedBytes: number;
  /** Source bytes left out of the copy by the per-job cap (a marked gap in the copy). */
  skippedBytes: number;
  /**
   * Bytes copied from the current source log file (the per-job cap counts these). The name is kept
   * as it is on disk: "life" is the log between two re-creations.
   */
  lifeBytes: number;
  /** Why some of the log is not (yet) in the copy, for the tooltip and `status --json`. */
  logNote?: string;
}

export interface ArchiveLimits {
  maxAgeMs: number;
  maxBytes: number;
  /** Per job: a log past this keeps its first and last parts with a marked gap. */
  maxLogBytes: number;
}

export const DEFAULT_LIMITS: ArchiveLimits = {
  maxAgeMs: 30 * 24 * 3_600_000,
  maxBytes: 512 * 1024 * 1024,
  maxLogBytes: 32 * 1024 * 1024,
};

/**
 * Which gone entries of a state dir are held in memory (and shown): the most recent, at most
 * `maxGone`, gone within `maxAgeMs`. Older ones stay on disk, listed in the index, read on demand.
 */
export interface ArchiveWindow {
  maxGone: number;
  maxAgeMs: number;
}

export const DEFAULT_WINDOW: ArchiveWindow = { maxGone: 500, maxAgeMs: 7 * 24 * 3_600_000 };

export function newEntry(stateDir: string, id: string, now: number): ArchiveEntry {
  return {
    id,
    stateDir,
    logOffset: 0,
    logBytes: 0,
    firstSeenMs: now,
    lastSeenMs: now,
    lastLive: false,
    history: [],
    evictedBytes: 0,
    skippedBytes: 0,
    lifeBytes: 0,
  };
}

/**
 * Adds an event to an entry being built (never one handed out), keeping the first events and the
 * latest within MAX_HISTORY. The history array is a new one: the old array stays as it was.
 */
export function addEvent(e: ArchiveEntry, ev: HistoryEvent): void {
  const h = [...e.history, ev];
  e.history = h.length > MAX_HISTORY ? [...h.slice(0, 8), ...h.slice(h.length - (MAX_HISTORY - 8))] : h;
}

/** Flags a job's history gives it, which stay after its files come back. */
export function historyFlags(e: ArchiveEntry): ('deleted-while-running' | 'recreated')[] {
  const out: ('deleted-while-running' | 'recreated')[] = [];
  // Deleted while queued or running, whoever did it and whether its process was verified then: the
  // flag stays once its files come back (the worker writes on), so the story is never lost.
  if (e.history.some((h) => h.what === 'deleted' && (h.by === 'deleted-while-running' || deletedActive(h))))
    out.push('deleted-while-running');
  // Its files went while it was not finished and came back (its worker wrote on), or its log was
  // deleted and written again. A finished job written back by a repair is not `recreated`.
  const unfinished = (h: HistoryEvent) => !isTerminalStatus(h.status);
  const activeDeletion = e.history.some((h) => h.what === 'deleted' && unfinished(h));
  if (
    e.history.some((h) => (h.what === 'log-recreated' && unfinished(h)) || (h.what === 'recreated' && activeDeletion))
  )
    out.push('recreated');
  return out;
}

/** A deletion of a job that was queued or running (not a pruning of a finished one). */
function deletedActive(h: HistoryEvent): boolean {
  // The status seen then: queued/running as verified, or unverified/stale/stalled; never a finished one.
  return h.by !== 'pruned' && h.status !== undefined && !isTerminalStatus(h.status);
}

export function wasActive(status: string | undefined): boolean {
  return isActiveRecorded(status);
}

/** Whether two versions of an entry differ in anything but when it was last seen (kept in memory only). */
export function differsBeyondSeen(a: ArchiveEntry, b: ArchiveEntry): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof ArchiveEntry>;
  for (const k of keys) if (k !== 'lastSeenMs' && a[k] !== b[k]) return true;
  return false;
}

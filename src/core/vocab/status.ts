// The one status vocabulary: for every derived status what it means (live, needs attention,
// terminal, failure), its word, its sentence and its verb; for every flag its text. The tree, the
// status bar, notifications and the CLI read these tables and predicates instead of comparing
// strings inline. A new status or flag is one row here (the tables are keyed by the unions, so
// the compiler asks for it). The statuses the companion records are listed once, below; every
// other list of them (active, terminal, the reader's check) is taken from that list.

/** Recorded while a job waits or runs: the only jobs whose pids are worth checking. */
const ACTIVE = ['queued', 'running'] as const;
/** Recorded when a job ends. It never goes back to an active one, though one ending may overwrite another. */
const TERMINAL = ['completed', 'failed', 'cancelled'] as const;

/** Every status the companion records, in the order a job moves through them. */
export const RECORDED_STATUSES = [...ACTIVE, ...TERMINAL] as const;
export type RecordedStatus = (typeof RECORDED_STATUSES)[number];
export type ActiveStatus = (typeof ACTIVE)[number];
export type TerminalStatus = (typeof TERMINAL)[number];

export const ACTIVE_STATUSES: readonly RecordedStatus[] = ACTIVE;
export const TERMINAL_STATUSES: readonly RecordedStatus[] = TERMINAL;

/** A status the companion records (anything else read from its files is dropped). */
export function isRecordedStatus(s: unknown): s is RecordedStatus {
  return RECORDED_STATUSES.includes(s as RecordedStatus);
}

/** The companion recorded how the job ended. */
export function isTerminalStatus(s: unknown): s is TerminalStatus {
  return TERMINAL_STATUSES.includes(s as RecordedStatus);
}

/** The files claim queued or running: the only jobs whose pids are worth checking. */
export function isActiveRecorded(s: unknown): s is ActiveStatus {
  return ACTIVE_STATUSES.includes(s as RecordedStatus);
}

/**
 * What we show the user: the recorded status checked against the operating system. `queued` and
 * `running` are shown only with their process verified (queued also before its worker starts);
 * the three endings as recorded.
 */
export type DerivedStatus =
  | RecordedStatus
  | 'stalled' // verified alive, but the log has been silent too long
  | 'stale' // recorded queued/running, process gone (or a zombie)
  | 'pid-reused' // a live process has that pid, but it is something else
  | 'unverified' // cannot tell (EPERM, no pid recorded, unsupported platform)
  | 'unknown'; // no usable status anywhere

export type JobFlag =
  | 'unindexed' // record on disk, missing from state.json (race 1's loser)
  | 'record-missing' // in state.json, no jobs/<id>.json (race 2's victim)
  | 'log-missing' // no jobs/<id>.log
  | 'disagreement' // index and record differ on status
  | 'partial-index' // index entry lacks fields the record had to fill
  | 'archived' // its files were deleted from the state dir; shown from codex-jobs' own archive
  | 'pruned' // removed by the companion's ordinary pruning of old finished jobs
  | 'deleted-while-running' // its files were deleted while its process still ran
  | 'deleted-by-concurrent-writer' // its files were deleted by a writer that lost it from the index
  | 'blocks-stop' // index says queued/running, process gone or record finished: the companion's Stop hook nags about it forever
  | 'log-only' // only its log is in the state dir: a worker still writing after its record and entry were deleted
  | 'recreated' // its files were deleted and later written again (its worker kept writing); its history says when
  | 'inferred-from-log'; // its record's final write was lost: the status comes from the completion block its log ends with

export interface StatusInfo {
  /** A process may still be doing work for the job. */
  live: boolean;
  /** Its process was verified (running, queued, stalled): what a cancel can end. */
  verifiedLive: boolean;
  /** Something is wrong the user may want to act on. */
  attention: boolean;
  /** It has ended, for good or bad (finished, or found dead). */
  ended: boolean;
  /** It ended badly (a notification at level "failures"). */
  failure: boolean;
  /** The companion recorded how it ended (completed, failed, cancelled): what Re-run and Resume start from. */
  finished: boolean;
  /** The status in one or two words, for rows: "running", "pid reused". */
  word: string;
  /** What it means, in a sentence fragment, for tooltips and the CLI. */
  text: string;
  /** How a notification says it: "Codex rescue · … <verb>". */
  verb: string;
}

export const STATUS: Readonly<Record<DerivedStatus, StatusInfo>> = {
  running: {
    live: true,
    verifiedLive: true,
    attention: false,
    ended: false,
    finished: false,
    failure: false,
    word: 'running',
    text: 'Running (process verified)',
    verb: 'is running',
  },
  queued: {
    live: true,
    verifiedLive: true,
    attention: false,
    ended: false,
    finished: false,
    failure: false,
    word: 'queued',
    text: 'Queued',
    verb: 'is queued',
  },
  stalled: {
    live: true,
    verifiedLive: true,
    attention: true,
    ended: false,
    finished: false,
    failure: false,
    word: 'stalled',
    text: 'Stalled: process alive, log silent',
    verb: 'has stalled',
  },
  unverified: {
    live: true,
    verifiedLive: false,
    attention: false,
    ended: false,
    finished: false,
    failure: false,
    word: 'unverified',
    text: 'Unverified: its process could not be checked',
    verb: 'could not be checked',
  },
  stale: {
    live: false,
    verifiedLive: false,
    attention: true,
    ended: true,
    finished: false,
    failure: true,
    word: 'stale',
    text: 'Stale: recorded as running, but its process is gone',
    verb: 'stopped: its process is gone',
  },
  'pid-reused': {
    live: false,
    verifiedLive: false,
    attention: true,
    ended: true,
    finished: false,
    failure: true,
    word: 'pid reused',
    text: 'PID reused: the recorded pid now belongs to another program',
    verb: 'stopped: its pid now belongs to another program',
  },
  completed: {
    live: false,
    verifiedLive: false,
    attention: false,
    ended: true,
    finished: true,
    failure: false,
    word: 'completed',
    text: 'Completed',
    verb: 'completed',
  },
  failed: {
    live: false,
    verifiedLive: false,
    attention: false,
    ended: true,
    finished: true,
    failure: true,
    word: 'failed',
    text: 'Failed',
    verb: 'failed',
  },
  cancelled: {
    live: false,
    verifiedLive: false,
    attention: false,
    ended: true,
    finished: true,
    failure: false,
    word: 'cancelled',
    text: 'Cancelled',
    verb: 'was cancelled',
  },
  unknown: {
    live: false,
    verifiedLive: false,
    attention: true,
    ended: false,
    finished: false,
    failure: false,
    word: 'unknown',
    text: 'Unknown: no usable status in its files',
    verb: 'has an unknown status',
  },
};

export interface FlagInfo {
  /** A short word for rows ("unindexed"); empty when the row says nothing about it. */
  word: string;
  /** What it means, for tooltips and the CLI. */
  text: string;
  /** Something the user may want to repair. */
  attention: boolean;
}

export const FLAGS: Readonly<Record<JobFlag, FlagInfo>> = {
  unindexed: {
    word: 'unindexed',
    text: 'Missing from state.json (dropped by a concurrent writer); its record is still on disk',
    attention: true,
  },
  'record-missing': {
    word: 'record missing',
    text: 'Listed in state.json, but jobs/<id>.json is gone (deleted by a concurrent writer)',
    attention: true,
  },
  'log-missing': { word: '', text: 'No log file', attention: false },
  disagreement: {
    word: '',
    text: 'state.json and the job record disagree on its status; the newer one is shown',
    attention: false,
  },
  'partial-index': {
    word: '',
    text: 'Its state.json entry is partial; the rest comes from the record',
    attention: false,
  },
  archived: {
    word: 'archived',
    text: 'Its files are gone from the state dir; shown from the Codex Jobs archive, with its log',
    attention: false,
  },
  pruned: { word: 'pruned', text: 'Removed by the companion pruning old finished jobs', attention: false },
  'deleted-while-running': {
    word: 'deleted while running',
    text: 'Its files were deleted while it was queued or running (a concurrent writer lost it)',
    attention: true,
  },
  'deleted-by-concurrent-writer': {
    word: 'deleted by a concurrent writer',
    text: 'Its files were deleted by a concurrent writer that dropped it from state.json',
    attention: true,
  },
  'blocks-stop': {
    word: 'blocks stop',
    text: "Still queued/running in state.json although its process is gone or its record says it finished: the companion's Stop hook reports it as still running at every stop",
    attention: true,
  },
  'log-only': {
    word: 'log only',
    text: 'Only its log is in the state dir: a worker still writing after its record and entry were deleted',
    attention: false,
  },
  recreated: {
    word: 'recreated',
    text: 'Its files were deleted and later written again; its history says when',
    attention: false,
  },
  'inferred-from-log': {
    word: 'inferred from log',
    text: 'Its record still says running, but its process is gone and its log ends with how it finished',
    attention: false,
  },
};

/** The text of a flag, also for one this build does not know yet. */
export function flagText(flag: string): string {
  return (FLAGS as Record<string, FlagInfo | undefined>)[flag]?.text ?? flag;
}

export function flagWord(flag: string): string {
  return (FLAGS as Record<string, FlagInfo | undefined>)[flag]?.word ?? flag;
}

export const isLiveStatus = (s: DerivedStatus): boolean => STATUS[s].live;
export const isVerifiedLiveStatus = (s: DerivedStatus): boolean => STATUS[s].verifiedLive;
export const isAttentionStatus = (s: DerivedStatus): boolean => STATUS[s].attention;
export const isEndedStatus = (s: DerivedStatus): boolean => STATUS[s].ended;
export const isFailureStatus = (s: DerivedStatus): boolean => STATUS[s].failure;
export const isFinishedStatus = (s: DerivedStatus): boolean => STATUS[s].finished;
/** Recorded as queued/running, its process found gone or replaced (stale, pid reused). */
export const isFoundDeadStatus = (s: DerivedStatus): boolean => STATUS[s].ended && !STATUS[s].finished;
export const isAttentionFlag = (f: JobFlag): boolean => FLAGS[f]?.attention ?? false;

/** Every derived status, in the order filters and tests list them. */
export const ALL_STATUSES = Object.keys(STATUS) as DerivedStatus[];

// The shared vocabulary of the core. Every field read from disk is optional: the companion
// writes its files without locks, so any of them can be missing, torn or of the wrong type.
import type { DerivedStatus, JobFlag, RecordedStatus, TerminalStatus } from './status';

// The status words and flags are defined with their tables in status.ts; named here too, beside
// every other shared type.
export type { DerivedStatus, JobFlag, RecordedStatus } from './status';

/** One job as one file describes it (an index entry or a record), validated field by field. */
export interface JobFields {
  id: string;
  kind?: string;
  kindLabel?: string;
  title?: string;
  summary?: string;
  jobClass?: string;
  status?: RecordedStatus;
  phase?: string;
  pid?: number | null;
  logFile?: string;
  workspaceRoot?: string;
  sessionId?: string;
  threadId?: string;
  turnId?: string;
  write?: boolean;
  createdAt?: string;
  updatedAt?: string;
  startedAt?: string;
  completedAt?: string;
  cancelledAt?: string;
  errorMessage?: string;
  rendered?: string;
  result?: unknown;
  request?: Record<string, unknown>;
  /** Everything the file held for this job, unknown fields included, untouched. */
  raw: Record<string, unknown>;
}

/** A problem with what was on disk; shown in the UI, never thrown. */
export interface ReadWarning {
  file: string;
  message: string;
}

export interface ParsedState {
  version?: number;
  config?: Record<string, unknown>;
  entries: JobFields[];
  raw?: Record<string, unknown>;
}

export interface BrokerFile {
  endpoint?: string;
  pidFile?: string;
  logFile?: string;
  sessionDir?: string;
  pid?: number;
  raw: Record<string, unknown>;
}

/** The result of reading one file tolerantly. `value` is the best partial result. */
export interface ReadResult<T> {
  value: T | undefined;
  warnings: ReadWarning[];
  /** ENOENT: the file is not there (distinct from "there but unreadable"). */
  missing: boolean;
  mtimeMs?: number;
  size?: number;
  /** Inode and birth time of the file read (fileIdOf): a file deleted and written again is another one. */
  fileId?: string;
}

// ---------------------------------------------------------------- processes

export type ProcState = 'alive' | 'zombie' | 'gone' | 'eperm' | 'unknown';

/** What the operating system says about one pid at one moment. */
export interface ProcInfo {
  pid: number;
  state: ProcState;
  argv?: string[];
  /** Process start, epoch milliseconds (Linux: boot time + start ticks; ~10 ms resolution). */
  startTimeMs?: number;
  ppid?: number;
  pgid?: number;
  sid?: number;
  uid?: number;
  rssBytes?: number;
  /** The executable's path (Linux: /proc/<pid>/exe), when readable. */
  exe?: string;
  /** The working directory (Linux: /proc/<pid>/cwd), when readable. */
  cwd?: string;
  /** Why `unknown`, when it is. */
  error?: string;
}

/** Batched process inspection; one implementation per platform. */
export interface ProcessTable {
  /** One batch for all pids: never one child process per pid. */
  inspect(pids: readonly number[]): Promise<Map<number, ProcInfo>>;
  /** Every process visible to this user (for finding brokers with no dir). */
  list(): Promise<ProcInfo[]>;
}

export type VerifyOutcome =
  | 'verified' // alive, command line is the one the record names, started no earlier than the job
  | 'gone'
  | 'zombie'
  | 'reused' // alive, but a different command line or started before the job existed
  | 'eperm' // alive, but we may not look at it
  | 'no-pid'
  | 'unsupported';

export interface Verification {
  pid?: number;
  outcome: VerifyOutcome;
  /** One sentence for the tooltip: how we know. */
  detail: string;
  argv?: string[];
  startTimeMs?: number;
  checkedAtMs: number;
}

// ---------------------------------------------------------------- the model

export interface LogLine {
  /** ISO timestamp from the `[...]` prefix, when the line has one. */
  time?: string;
  text: string;
}

export interface LogPreview {
  exists: boolean;
  size?: number;
  mtimeMs?: number;
  /** Inode and birth time of the log file. */
  fileId?: string;
  /** Last progress lines (`[ISO] message`), oldest first, bounded. */
  progress: LogLine[];
}

export interface Job {
  id: string;
  stateDir: string;
  /** The state.json entry, when there is one. */
  index?: JobFields;
  /** jobs/<id>.json, when it is there. */
  record?: JobFields;
  recordMtimeMs?: number;
  /** Inode and birth time of jobs/<id>.json as read: another one means it was deleted and written again. */
  recordFileId?: string;
  /** Index and record merged; on disagreement the newer side's fields win. */
  display: JobFields;
  /** The status the files claim (after merging). */
  recordedStatus?: RecordedStatus;
  status: DerivedStatus;
  flags: JobFlag[];
  verification?: Verification;
  /** Always <stateDir>/jobs/<id>.log: the record's own `logFile` is never trusted as a path. */
  logPath: string;
  recordPath: string;
  log: LogPreview;
  /** Earliest creation time known for the job, epoch ms (index entries re-added after a lost update get a fresh createdAt). */
  earliestKnownMs?: number;
  /** What the archive saw happen to the job, oldest first. */
  history?: JobHistoryEvent[];
  /** Set when the record says queued/running, its process is gone and its log ends with a completion block. */
  inferred?: InferredEnd;
  /** What the companion's Stop hook says of its id, read from the whole index (stopHook.ts). */
  stopHook?: StopHookMark;
  /** Set when the job is shown from the archive because its files were deleted. */
  archived?: {
    how: 'pruned' | 'deleted-while-running' | 'deleted-by-concurrent-writer';
    atMs: number;
    logPath: string;
    logBytes: number;
  };
}

/** One thing the archive saw happen to a job. */
export interface JobHistoryEvent {
  atMs: number;
  what: 'created' | 'status' | 'deleted' | 'recreated' | 'log-recreated' | 'restored';
  /** The status seen (for `deleted`: the status it had when its files were deleted). */
  status?: string;
  /** For `deleted`: which of its files were deleted. */
  files?: string;
  /** For `deleted`: who deleted it, as far as can be told. */
  by?: 'pruned' | 'deleted-while-running' | 'deleted-by-concurrent-writer';
  /** For `restored`: what was written back, and by whom ("put back in the index by the guardian"). */
  note?: string;
}

/** How a job ended, read from the end of its log (logInference.ts). */
export interface InferredEnd {
  status: TerminalStatus;
  /** The log line or block title it was read from. */
  evidence: string;
  /** The `Final output` block's body, when there is one: what Show Result shows. */
  rendered?: string;
}

export interface StateDirSnapshot {
  stateDir: string;
  /** The candidate root it was found under. */
  root: string;
  exists: boolean;
  config?: Record<string, unknown>;
  jobs: Job[];
  broker?: BrokerFile;
  warnings: ReadWarning[];
  readAtMs: number;
}

/** A candidate state root and where it came from. */
export interface StateRoot {
  path: string;
  /** `env`: this process's $CLAUDE_PLUGIN_DATA; `process`: learned from a live companion or broker. */
  source: 'plugin-data' | 'tmp' | 'setting' | 'cli' | 'env' | 'process';
  /** For `process` roots, in words: "CLAUDE_PLUGIN_DATA of broker pid 4242". */
  learnedFrom?: string;
  /** For `process` roots: which process named it, and how. */
  origin?: RootOrigin;
}

/** The live process a root was learned from. */
export interface RootOrigin {
  pid: number;
  /** `broker`, `task-worker`, or the companion's subcommand. */
  process: string;
  /** `CLAUDE_PLUGIN_DATA`, `TMPDIR`, `TEMP`, `TMP`, or `default tmp` (none of them set). */
  via: string;
}

/** One workspace folder mapped to its state directories (one per root where it exists). */
export interface FolderMapping {
  folder: string;
  workspaceRoot: string;
  /** `<slug>-<hash>` */
  dirName: string;
  /** Every place looked (for the welcome view), and which of them exist. */
  candidates: { root: StateRoot; stateDir: string; exists: boolean }[];
}

export interface CoreSettings {
  /** Extra state roots from the user's settings. */
  extraRoots: string[];
  /** A verified job whose log is silent longer than this is `stalled`. */
  stalledAfterMs: number;
  /** How much of a log's end is read for previews. */
  logTailBytes: number;
  /** How many progress lines a preview keeps. */
  progressLines: number;
}

export const DEFAULT_SETTINGS: CoreSettings = {
  extraRoots: [],
  stalledAfterMs: 10 * 60_000,
  logTailBytes: 64 * 1024,
  progressLines: 5,
};

/** The environment discovery depends on, injectable for tests. */
export interface HostEnv {
  env: Record<string, string | undefined>;
  homedir: string;
  tmpdir: string;
  platform: NodeJS.Platform;
  /** Also learn roots from live companion and broker processes (default: when `env` is process.env). */
  learnRoots?: boolean;
}

/** What the companion's Stop hook's runs say about one job id (worked out in stopHook.ts). */
export interface StopHookMark {
  /** Some run that sees an entry with this id reports it (now, or once the jobs named before it end). */
  nags: boolean;
  /** The runs that name it now. */
  namedIn: (string | null)[];
  /** The session that started it (its first entry's `sessionId`), when it has one. */
  session?: string;
  /** In its own session's run, the id named instead of it. */
  behind?: string;
  /** Its own session's run throws: nothing is named there. */
  fails?: string;
}

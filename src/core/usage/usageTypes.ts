// What Codex's session files say a thread spent, and how much of the account's windows is used, as
// values. Every number comes from a `token_count` event of a rollout file (`$CODEX_HOME/sessions/…`),
// read in any of the shapes Codex has written (tokenEvents.ts says which).

/** Token counts as Codex reports them (TokenUsage). */
export interface TokenCounts {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  total: number;
}

/** One rate-limit window (RateLimitWindow): how much is used and when it resets. */
export interface LimitWindow {
  /** 0–100. */
  usedPercent: number;
  /** 300 for the 5-hour window, 10080 for the weekly one. */
  windowMinutes?: number;
  /** Epoch ms: from `resets_at`, or `resets_in_seconds` after the event's time. */
  resetsAtMs?: number;
}

/** The account's windows as one event reported them (RateLimitSnapshot). */
export interface LimitsReading {
  primary?: LimitWindow;
  secondary?: LimitWindow;
  planType?: string;
  credits?: { hasCredits?: boolean; unlimited?: boolean; balance?: string };
  /** Newer Codex reports several limits; `codex` (or none) is the account's own. */
  limitId?: string;
}

/** One `token_count` event, normalised. */
export interface TokenEvent {
  /** The line's `timestamp`, epoch ms. */
  atMs?: number;
  /** Cumulative for the thread (`info.total_token_usage`). */
  total?: TokenCounts;
  /** The last response's (`info.last_token_usage`): what the context held. */
  last?: TokenCounts;
  contextWindow?: number;
  limits?: LimitsReading;
}

/** What one job spent, from its thread's session file. */
export interface JobUsage {
  /** The session file read. */
  sessionFile: string;
  /** Spent during the job (the thread's totals at its end less those before it began). */
  tokens: TokenCounts;
  /** cached / input, 0–1; null with no input. */
  cacheRatio: number | null;
  /** The largest share of the model's context window one response used, 0–1. */
  peakContextShare: number | null;
  contextWindow: number | null;
  /** The rise of the 5-hour window's used_percent across the job, null with fewer than two readings. */
  burn5h: { percent: number; estimate: boolean; overlapping: number } | null;
  /** token_count events with counts during the job. */
  events: number;
  firstAtMs: number | null;
  lastAtMs: number | null;
  /** Part of a huge file was not read: counts may miss turns in its middle. */
  partial: boolean;
}

/** A job's usage, or why there is none. */
export type UsageOutcome = { usage: JobUsage; reason: null } | { usage: null; reason: string };

/** The account's windows: the newest reading found in any session file. */
export interface AccountWindows {
  /** When Codex reported it (the event's time), epoch ms. */
  asOfMs: number;
  file: string;
  primary?: LimitWindow;
  secondary?: LimitWindow;
  planType?: string;
  credits?: LimitsReading['credits'];
}

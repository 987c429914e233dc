// Why a job failed, in the kinds users recognise. The texts matched are the companion's own
// (scripts/codex-companion.mjs, lib/codex.mjs, lib/app-server.mjs) and the Codex CLI's usage-limit
// and login messages as they reach a record's errorMessage or the log's "Codex error: ..." lines.
import type { Job } from './types';
import { formatLocal, plausibleMs } from './dates';
import { parseTime } from './format';

export { formatLocal };

export type ErrorKind =
  | 'usage-limit'
  | 'auth'
  | 'cli-missing'
  | 'app-server-exited'
  | 'turn-start-failed'
  | 'turn-failed'
  | 'cancelled'
  | 'unknown';

export type ErrorAction =
  | 'remind-at-reset' // usage limit with a reset time: remind at that time
  | 'rerun'
  | 'codex-login' // run `codex login` in a terminal
  | 'install-codex' // put `npm install -g @openai/codex` in a terminal
  | 'open-log';

export interface ErrorInfo {
  kind: ErrorKind;
  /** A codicon id. */
  icon: string;
  /** Short, for the row's description. */
  label: string;
  /** One line for the tooltip and notifications. */
  description: string;
  action?: ErrorAction;
  actionTitle?: string;
  /** usage-limit: when the text says the limit resets, epoch ms. */
  resetAtMs?: number;
  /** The text the kind was recognised from (first line, bounded). */
  detail?: string;
}

const MAX_TEXT = 8 * 1024;

/** How each kind is shown: its icon and its words. */
export const KIND_DISPLAY: Record<ErrorKind, { icon: string; label: string }> = {
  'usage-limit': { icon: 'dashboard', label: 'usage limit' },
  auth: { icon: 'account', label: 'login required' },
  'cli-missing': { icon: 'tools', label: 'Codex CLI missing' },
  'app-server-exited': { icon: 'server-process', label: 'app-server exited' },
  'turn-start-failed': { icon: 'debug-disconnect', label: 'turn did not start' },
  'turn-failed': { icon: 'error', label: 'turn failed' },
  cancelled: { icon: 'circle-slash', label: 'cancelled by user' },
  unknown: { icon: 'error', label: 'failed' },
};

const USAGE =
  /usage limit|rate[ _-]?limit|too many requests|status:? 429\b|quota (?:exceeded|exhausted)|insufficient_quota/i;
const AUTH =
  /not logged in|codex login|\b401 Unauthori[sz]ed|status:? 401\b|unauthori[sz]ed|authentication (?:failed|required)|login required|refresh token|sign in again|log out and sign in|invalid api key|incorrect api key|OPENAI_API_KEY/i;
// The companion's ensureCodexAvailable / getCodexAvailability texts, and a CLI too old for app-server.
const CLI =
  /Codex CLI is not installed|missing required runtime support|advanced runtime unavailable|spawn codex ENOENT|codex: (?:command )?not found|unknown variant|unrecognized subcommand '?app-server|upgrade (?:the )?codex/i;
const APP_SERVER =
  /codex app-server exited unexpectedly|codex app-server connection closed|codex app-server client is closed|app-server stdin is not available|broker connection is not connected|Failed to parse codex app-server JSONL/i;
const TURN_START = /\b(?:turn|review|thread)\/(?:start|resume)\b|failed to start (?:the )?(?:turn|thread)/i;
const CANCELLED = /^Cancelled by user\.?$/im;

/** The texts a failed job's error can be read from: errorMessage, stderr captured in the result, the log's last lines. */
export function errorTexts(job: Job): string[] {
  const d = job.display;
  const out: string[] = [];
  const add = (s: unknown) => {
    if (typeof s === 'string' && s.trim()) out.push(s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) : s);
  };
  add(d.errorMessage);
  const r = d.result as Record<string, unknown> | undefined;
  if (r && typeof r === 'object') {
    add(r.failureMessage);
    add(r.parseError);
    const codex = r.codex as Record<string, unknown> | undefined;
    if (codex && typeof codex === 'object') add(codex.stderr);
  }
  for (const l of job.log.progress) add(l.text);
  return out;
}

/** Classifies a failed (or cancelled) job; undefined for a job that did not end in error. */
export function classifyJobError(job: Job, now = Date.now()): ErrorInfo | undefined {
  if (job.status !== 'failed' && job.status !== 'cancelled') return undefined;
  const texts = errorTexts(job);
  const base = parseTime(job.display.completedAt) ?? parseTime(job.display.updatedAt) ?? now;
  if (job.status === 'cancelled')
    return {
      ...make(
        'cancelled',
        'Cancelled by the user.',
        texts.find((t) => CANCELLED.test(t)),
      ),
      action: 'rerun',
      actionTitle: 'Re-run',
    };
  return classifyErrorText(texts, base) ?? fallback(job, texts);
}

/** The kind of a set of error texts (the first that matches wins, in order of how actionable it is). */
export function classifyErrorText(texts: readonly string[], baseMs: number): ErrorInfo | undefined {
  const find = (re: RegExp) => texts.find((t) => re.test(t));
  const usage = find(USAGE);
  if (usage) {
    const reset = parseResetTime(usage, baseMs);
    const at = reset !== undefined ? `; try again at ${formatLocal(reset, baseMs)}` : '';
    const info = make('usage-limit', `Codex usage limit reached${at}.`, usage);
    info.resetAtMs = reset;
    info.action = reset !== undefined ? 'remind-at-reset' : 'rerun';
    info.actionTitle = reset !== undefined ? 'Re-run at Reset' : 'Re-run';
    return info;
  }
  const auth = find(AUTH);
  if (auth)
    return {
      ...make('auth', 'Codex is not logged in (or its login expired): run `codex login`.', auth),
      action: 'codex-login',
      actionTitle: 'Run codex login',
    };
  const cli = find(CLI);
  if (cli)
    return {
      ...make(
        'cli-missing',
        'The Codex CLI is missing or too old for the companion: install it with `npm install -g @openai/codex`.',
        cli,
      ),
      action: 'install-codex',
      actionTitle: 'Install Codex CLI',
    };
  const server = find(APP_SERVER);
  if (server)
    return {
      ...make('app-server-exited', `The Codex app-server exited: ${firstLine(server)}`, server),
      action: 'rerun',
      actionTitle: 'Re-run',
    };
  const start = find(TURN_START);
  if (start)
    return {
      ...make('turn-start-failed', `The Codex turn failed to start: ${firstLine(start)}`, start),
      action: 'rerun',
      actionTitle: 'Re-run',
    };
  const cancelled = find(CANCELLED);
  // A foreground review that survived its cancel ends "failed" with "Cancelled by user." in its log.
  if (cancelled)
    return { ...make('cancelled', 'Cancelled by the user.', cancelled), action: 'rerun', actionTitle: 'Re-run' };
  const turn = find(/^Turn failed\.?$/m);
  if (turn)
    return { ...make('turn-failed', 'The Codex turn failed.', turn), action: 'open-log', actionTitle: 'Open Log' };
  return undefined;
}

function fallback(job: Job, texts: string[]): ErrorInfo {
  const msg = job.display.errorMessage?.trim() || texts[0];
  // Unknown errors are kept as they are: their first line is the description.
  return {
    ...make('unknown', msg ? firstLine(msg) : 'Failed (no error message recorded).', msg),
    action: 'open-log',
    actionTitle: 'Open Log',
  };
}

function make(kind: ErrorKind, description: string, detail?: string): ErrorInfo {
  return { kind, ...KIND_DISPLAY[kind], description, detail: detail ? firstLine(detail) : undefined };
}

function firstLine(s: string): string {
  const l = s.trim().split(/\r?\n/, 1)[0].trim();
  return l.length > 200 ? `${l.slice(0, 197)}...` : l;
}

const UNIT_MS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
};

/** The most of one unit a reset can be away ("in 9999 minutes"): a count with more digits is no time. */
const MAX_COUNT_DIGITS = 6;

/**
 * When a usage-limit text says the limit resets, as epoch ms: "try again in 3 days 6 hours 57
 * minutes", "try again at 3:28 PM" (the next such time after the error), "try again at Aug 8th, 2026
 * 12:30 PM", "resets in 40s". Undefined when it gives none, only a date without a year/time, a
 * clock time that is none ("99:99", "13:00 PM") or a moment that is not plausible (dates.ts).
 */
export function parseResetTime(textIn: string, baseMs: number): number | undefined {
  const t = textIn.replace(/\s+/g, ' ');
  const rel = /(?:try again|resets?|retry) in ((?:\d+(?:\.\d+)? ?[a-z]+,? ?(?:and )?)+)/i.exec(t);
  if (rel) {
    let ms = 0;
    for (const m of rel[1].matchAll(/(\d+)(?:\.(\d+))? ?([a-z]+)/gi)) {
      const unit = m[3].toLowerCase().replace(/s$/, '');
      const u = UNIT_MS[unit];
      // Counted before multiplying: "in 99999999999999 days" or 400 digits of hours is no reset time.
      if (u && m[1].length > MAX_COUNT_DIGITS) return undefined;
      if (u) ms += Number(`${m[1]}.${(m[2] ?? '0').slice(0, 3)}`) * u;
    }
    if (ms > 0) return plausibleMs(baseMs + ms, 'reset', Math.max(baseMs, Date.now()));
  }
  const abs =
    /(?:try again|resets?|retry) (?:at|after|on) ([^.;()\n]*?\d{1,2}:\d{2}(?: ?[AP]M)?|[^.;()\n]*?\d{4})(?=[.;,)\s]|$)/i.exec(
      t,
    );
  if (!abs) return undefined;
  const when = abs[1].trim().replace(/(\d)(st|nd|rd|th)\b/gi, '$1');
  const clock = /^(\d{1,2}):(\d{2})(?: ?([AP]M))?$/i.exec(when);
  if (clock) {
    const h = clockHour(Number(clock[1]), clock[3]);
    const min = Number(clock[2]);
    if (h === undefined || min > 59) return undefined;
    const d = new Date(baseMs);
    d.setHours(h, min, 0, 0);
    // A clock time earlier than the error means the same time on the next day.
    if (d.getTime() < baseMs - 60_000) d.setDate(d.getDate() + 1);
    return plausibleMs(d.getTime(), 'reset', Math.max(baseMs, Date.now()));
  }
  return plausibleMs(Date.parse(when), 'reset', Math.max(baseMs, Date.now()));
}

/** The hour of the day of a clock time: 0-23 alone, 1-12 with AM or PM; undefined for none ("25", "13 PM"). */
function clockHour(h: number, ampm: string | undefined): number | undefined {
  if (!ampm) return h <= 23 ? h : undefined;
  if (h < 1 || h > 12) return undefined;
  return (h % 12) + (ampm.toUpperCase() === 'PM' ? 12 : 0);
}

// Times read from files, and times shown. A time comes from text someone else wrote (a record's
// ISO field, an error's "try again in 3 days", an archive's count of ms), so it is checked where it
// is read: only a moment in a plausible range is a time, anything else is unknown. And showing one
// never throws (toISOString does, past year 275760) and always says the year when it is not this one.

const DAY_MS = 86_400_000;
const YEAR_MS = 365.25 * DAY_MS;
/** The furthest a Date can stand from 1970 either way (ECMA-262). */
const DATE_LIMIT_MS = 8.64e15;

/** What each kind of time may be: no earlier than `minMs`, no later than `aheadMs` past now. */
export const TIME_RANGES = {
  /** A record's or the archive's times: no computer clock says before 1970, nothing is decades ahead. */
  record: { minMs: Date.UTC(1970, 0, 1), aheadMs: 10 * YEAR_MS },
  /** When a usage limit resets: after the limits existed, and not further ahead than ten years. */
  reset: { minMs: Date.UTC(2000, 0, 1), aheadMs: 10 * YEAR_MS },
} as const;

export type TimeKind = keyof typeof TIME_RANGES;

/** Shown for a time that is not one. */
export const UNKNOWN_TIME = 'unknown time';

/** `ms` when it is a plausible moment of its kind, else undefined. */
export function plausibleMs(ms: unknown, kind: TimeKind = 'record', nowMs = Date.now()): number | undefined {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return undefined;
  const r = TIME_RANGES[kind];
  return ms >= r.minMs && ms <= nowMs + r.aheadMs ? ms : undefined;
}

/** An ISO 8601 date, with a time and zone or without: what the companion writes (toISOString). */
const ISO = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?(?:Z|[+-]\d\d(?::?\d\d)?)?)?$/i;

/**
 * A record's time as epoch ms: an ISO 8601 text of a plausible moment, else undefined. Date.parse
 * alone reads "-1" or "99" as years (2001, 1999), and a year 275760 or 0 as times.
 */
export function parseIsoTime(text: unknown, nowMs = Date.now()): number | undefined {
  if (typeof text !== 'string' || text.length > 40 || !ISO.test(text)) return undefined;
  return plausibleMs(Date.parse(text), 'record', nowMs);
}

/** A Date for `ms`, or undefined when no Date can hold it (NaN, Infinity, past year 275760). */
function dateOf(ms: number): Date | undefined {
  return Number.isFinite(ms) && Math.abs(ms) <= DATE_LIMIT_MS ? new Date(ms) : undefined;
}

/** Whether a Date can hold `ms` (so it can be shown). */
export function isShowable(ms: number): boolean {
  return dateOf(ms) !== undefined;
}

/** toISOString that never throws: undefined for a time no Date can hold. */
export function isoOf(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : dateOf(ms)?.toISOString();
}

/** A local year as text, four digits at least ("0000", "1900", "275760", "-0001"). */
export function yearText(y: number): string {
  return y < 0 ? `-${String(-y).padStart(4, '0')}` : String(y).padStart(4, '0');
}

/** Two digits at least: 5 → "05". */
export const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Local "2026-11-24 14:05:09"; UNKNOWN_TIME for a time no Date can hold. */
export function localTime(ms: number): string {
  const d = dateOf(ms);
  if (!d) return UNKNOWN_TIME;
  const date = `${yearText(d.getFullYear())}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  return `${date} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/**
 * A moment in the user's locale (24-hour clock): the clock time alone when it is within 20 hours of `nowMs` on the
 * same day, else the date and time, with the year whenever it is not the current year.
 * UNKNOWN_TIME for a time no Date can hold. Never throws.
 */
export function formatLocal(ms: number, nowMs = Date.now(), o: { seconds?: boolean } = {}): string {
  const d = dateOf(ms);
  if (!d) return UNKNOWN_TIME;
  // 24-hour, as the rows' "today 14:05": one clock format everywhere, whatever the host's locale.
  const time = d.toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    ...(o.seconds ? { second: '2-digit' } : {}),
  });
  const sameYear = d.getFullYear() === new Date().getFullYear();
  if (sameYear && Math.abs(ms - nowMs) < 20 * 3_600_000 && new Date(nowMs).getDate() === d.getDate()) return time;
  const date = d.toLocaleDateString(undefined, { weekday: 'short', month: 'short', day: 'numeric' });
  return `${date}${sameYear ? '' : ` ${yearText(d.getFullYear())}`} ${time}`;
}

// `token_count` events out of rollout lines, in every shape Codex has written them
// (codex-rs/protocol, TokenCountEvent):
//   oldest   payload: { type, input_tokens, cached_input_tokens, output_tokens, … } (one turn's counts)
//   then     payload: { type, info: { total_token_usage, last_token_usage, model_context_window } | null }
//   then     + rate_limits: { primary_used_percent, secondary_used_percent, primary_window_minutes, … }
//   then     + rate_limits: { primary: { used_percent, window_minutes, resets_in_seconds }, secondary }
//   newer    resets_at (epoch seconds) instead of resets_in_seconds; + credits, plan_type, limit_id
// A line is `{ timestamp, type: "event_msg", payload }`. Only lines naming "token_count" are parsed,
// each bounded in length and depth; everything else is skipped unread.
import { parseJsonBounded } from '../io/safeFs';
import { parseIsoTime } from '../vocab/dates';
import type { LimitWindow, LimitsReading, TokenCounts, TokenEvent } from './usageTypes';

/** A token_count line is about 1 KB; a longer one is not parsed. */
export const MAX_EVENT_LINE = 64 * 1024;
const NEEDLE = Buffer.from('"token_count"');
const NL = 0x0a;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

/** A count: a finite, non-negative number below 10^15 (anything else is not a count). */
function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e15 ? Math.floor(v) : undefined;
}

function percent(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1000 ? v : undefined;
}

/** A short string field (plan type, limit id, balance), or nothing. */
function word(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= 64 ? v : typeof v === 'number' ? String(v) : undefined;
}

function tokens(v: unknown): TokenCounts | undefined {
  const u = obj(v);
  if (!u) return undefined;
  const input = count(u.input_tokens);
  const output = count(u.output_tokens);
  const total = count(u.total_tokens) ?? (input !== undefined && output !== undefined ? input + output : undefined);
  if (input === undefined && output === undefined && total === undefined) return undefined;
  return {
    input: input ?? 0,
    cached: count(u.cached_input_tokens) ?? 0,
    output: output ?? 0,
    reasoning: count(u.reasoning_output_tokens) ?? 0,
    total: total ?? 0,
  };
}

/** A reset time: epoch seconds (ms when that large), an ISO text, or seconds after the event. */
function resetOf(w: Obj, atMs: number | undefined): number | undefined {
  const at = w.resets_at;
  if (typeof at === 'number' && Number.isFinite(at) && at > 0) return at > 1e11 ? at : at * 1000;
  if (typeof at === 'string') return parseIsoTime(at, Date.now() + 400 * 86_400_000);
  const inS = count(w.resets_in_seconds ?? w.reset_after_seconds);
  return inS !== undefined && atMs !== undefined ? atMs + inS * 1000 : undefined;
}

function window(v: unknown, atMs: number | undefined): LimitWindow | undefined {
  const w = obj(v);
  const used = w && percent(w.used_percent);
  if (!w || used === undefined) return undefined;
  const minutes = count(w.window_minutes ?? w.window_duration_mins);
  return { usedPercent: used, windowMinutes: minutes, resetsAtMs: resetOf(w, atMs) };
}

/** The flat shape some versions wrote: primary_used_percent, primary_window_minutes, … */
function flatWindow(r: Obj, which: 'primary' | 'secondary', atMs: number | undefined): LimitWindow | undefined {
  const used = percent(r[`${which}_used_percent`]);
  if (used === undefined) return undefined;
  const inS = count(r[`${which}_reset_after_seconds`]);
  return {
    usedPercent: used,
    windowMinutes: count(r[`${which}_window_minutes`]),
    resetsAtMs: inS !== undefined && atMs !== undefined ? atMs + inS * 1000 : undefined,
  };
}

export function limitsOf(v: unknown, atMs: number | undefined): LimitsReading | undefined {
  const r = obj(v);
  if (!r) return undefined;
  const primary = window(r.primary, atMs) ?? flatWindow(r, 'primary', atMs);
  const secondary = window(r.secondary, atMs) ?? flatWindow(r, 'secondary', atMs);
  if (!primary && !secondary) return undefined;
  const c = obj(r.credits);
  const credits = c && {
    hasCredits: typeof c.has_credits === 'boolean' ? c.has_credits : undefined,
    unlimited: typeof c.unlimited === 'boolean' ? c.unlimited : undefined,
    balance: word(c.balance),
  };
  return { primary, secondary, planType: word(r.plan_type), credits, limitId: word(r.limit_id) };
}

/** Whether an event's limits are the account's own (older Codex names none; newer names `codex`). */
export const isAccountReading = (e: TokenEvent) =>
  !!e.limits && (e.limits.limitId === undefined || e.limits.limitId === 'codex');

/** One parsed line as a token_count event, or undefined when it is not one. */
export function tokenEventOf(line: unknown): TokenEvent | undefined {
  const l = obj(line);
  const p = l && obj(l.payload);
  if (!l || !p || p.type !== 'token_count' || (l.type !== undefined && l.type !== 'event_msg')) return undefined;
  const atMs = parseIsoTime(l.timestamp, Date.now() + 86_400_000);
  const info = obj(p.info);
  const ev: TokenEvent = { atMs, limits: limitsOf(p.rate_limits, atMs) };
  if (info) {
    ev.total = tokens(info.total_token_usage);
    ev.last = tokens(info.last_token_usage);
    ev.contextWindow = count(info.model_context_window) || undefined;
  } else if (p.info === undefined) {
    // The oldest shape: the payload is one turn's TokenUsage.
    ev.last = tokens(p);
  }
  return ev;
}

export interface ScanResult {
  events: TokenEvent[];
  /** Bytes of `buf` taken: up to the end of its last whole line. */
  consumed: number;
  /** token_count lines too long, or not JSON. */
  skipped: number;
}

/**
 * The token_count events of the whole lines in `buf`. With `ignoreFirst` the bytes before the
 * first newline are the end of a line already passed (a read that began mid-line). A line with no
 * newline after it yet is left for the next read (`consumed` stops before it); with `final`, it is
 * tried too (a writer that ended without one).
 */
export function scanTokenLines(buf: Buffer, ignoreFirst = false, final = false): ScanResult {
  const events: TokenEvent[] = [];
  let skipped = 0;
  const lastNl = buf.lastIndexOf(NL);
  const consumed = final ? buf.length : lastNl + 1;
  let from = ignoreFirst ? buf.indexOf(NL) + 1 : 0;
  if (ignoreFirst && from === 0) return { events, consumed: final ? buf.length : 0, skipped };
  for (;;) {
    const hit = buf.indexOf(NEEDLE, from);
    if (hit < 0 || hit >= consumed) break;
    const start = buf.lastIndexOf(NL, hit) + 1;
    let end = buf.indexOf(NL, hit);
    if (end < 0) end = buf.length;
    from = end + 1;
    if (start < (ignoreFirst ? buf.indexOf(NL) + 1 : 0)) continue;
    if (end - start > MAX_EVENT_LINE) {
      skipped++;
      continue;
    }
    try {
      const ev = tokenEventOf(
        parseJsonBounded(buf.toString('utf8', start, end), { maxDepth: 16, maxChars: MAX_EVENT_LINE }).value,
      );
      if (ev) events.push(ev);
    } catch {
      skipped++;
    }
  }
  return { events, consumed, skipped };
}

// Usage in words, the same in the tree's tooltip, Show Result, the status bar and the CLI. Every
// text a person reads goes through a Translate (the editor's l10n, the CLI's English).
import { english, hhmm, relativeTime, type Translate } from '../vocab/format';
import { formatLocal } from '../vocab/dates';
import type { AccountWindows, JobUsage, LimitWindow } from './usageTypes';

/** A reading older than this is marked "as of …". */
export const STALE_MS = 10 * 60_000;

/** 950, 44.1k, 1.23M. */
export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1).replace(/\.?0+$/, '')}k`;
  return `${(n / 1_000_000).toFixed(2).replace(/\.?0+$/, '')}M`;
}

const pct = (share: number) => `${Math.round(share * 100)} %`;

/** "44.1k tokens": short, for a row. */
export const tokensShort = (u: JobUsage, t: Translate = english) => t('{0} tokens', formatTokens(u.tokens.total));

/** The usage's lines, for a tooltip or a result: tokens, cache, context, burn. */
export function usageLines(u: JobUsage, t: Translate = english): string[] {
  const k = u.tokens;
  const lines = [
    t(
      '{0} tokens: {1} input ({2} cached), {3} output ({4} reasoning)',
      formatTokens(k.total),
      formatTokens(k.input),
      formatTokens(k.cached),
      formatTokens(k.output),
      formatTokens(k.reasoning),
    ),
  ];
  if (u.cacheRatio !== null) lines.push(t('cache hit {0} of input', pct(u.cacheRatio)));
  if (u.peakContextShare !== null && u.contextWindow)
    lines.push(t('context peak {0} of {1}', pct(u.peakContextShare), formatTokens(u.contextWindow)));
  if (u.burn5h)
    lines.push(
      u.burn5h.estimate
        ? t(
            '5-hour window +{0} % (estimate: {1} other session(s) ran meanwhile)',
            u.burn5h.percent,
            u.burn5h.overlapping,
          )
        : t('5-hour window +{0} %', u.burn5h.percent),
    );
  if (u.partial) lines.push(t('the session file is huge: its middle was not read'));
  return lines;
}

/** "5h", "week", or the window's length. */
export function windowName(w: LimitWindow, fallback: string, t: Translate = english): string {
  if (w.windowMinutes === 300) return t('5h');
  if (w.windowMinutes === 10080) return t('week');
  if (w.windowMinutes) return w.windowMinutes % 60 === 0 ? `${w.windowMinutes / 60}h` : `${w.windowMinutes}m`;
  return fallback;
}

/** The used share now: 0 once its reset time has passed (the window began again). */
export function usedNow(w: LimitWindow, now: number): number {
  return w.resetsAtMs !== undefined && w.resetsAtMs <= now ? 0 : w.usedPercent;
}

/** "5h 63 % · resets 14:05, week 21 %", then "as of 12 min ago" when the reading is old. */
export function windowsText(w: AccountWindows, now: number, t: Translate = english): string {
  const parts: string[] = [];
  if (w.primary) {
    const reset = w.primary.resetsAtMs;
    const tail =
      reset === undefined ? '' : reset <= now ? ` · ${t('reset')}` : ` · ${t('resets {0}', clock(reset, now))}`;
    parts.push(`${windowName(w.primary, t('5h'), t)} ${Math.round(usedNow(w.primary, now))} %${tail}`);
  }
  if (w.secondary) parts.push(`${windowName(w.secondary, t('week'), t)} ${Math.round(usedNow(w.secondary, now))} %`);
  let text = parts.join(', ');
  if (now - w.asOfMs > STALE_MS) text += ` (${t('as of {0}', relativeTime(w.asOfMs, now, t))})`;
  return text;
}

/** A reset time: the clock alone today, else the day too. */
export function clock(ms: number, now: number): string {
  return ms - now < 20 * 3_600_000 && new Date(ms).getDate() === new Date(now).getDate()
    ? hhmm(new Date(ms))
    : formatLocal(ms, now);
}

/** The highest used share among the windows, now (for colours and the launch warning). */
export function highestUse(w: AccountWindows | undefined, now: number): number {
  if (!w) return 0;
  return Math.max(w.primary ? usedNow(w.primary, now) : 0, w.secondary ? usedNow(w.secondary, now) : 0);
}

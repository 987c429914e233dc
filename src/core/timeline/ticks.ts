// The time axis: where its ticks go and what they say, for any span from seconds to weeks. Pure and
// free of Node: the renderer runs it in the web page on every zoom and pan.

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** Tick spacings, smallest first: the first one at least `minPx` wide is used. */
const STEPS = [1, 2, 5, 10, 15, 30]
  .map((n) => n * S)
  .concat(
    [1, 2, 5, 10, 15, 30].map((n) => n * M),
    [1, 2, 3, 6, 12].map((n) => n * H),
    [1, 2, 7, 14, 28].map((n) => n * D),
  );

export interface Tick {
  atMs: number;
  label: string;
  /** A new day starts here: drawn stronger, labelled with the date. */
  major: boolean;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** The local offset from UTC at `ms`, in ms (so ticks fall on local minutes, hours and midnights). */
function offsetAt(ms: number): number {
  return -new Date(ms).getTimezoneOffset() * M;
}

export function tickLabel(ms: number, step: number): string {
  const d = new Date(ms);
  const date = `${MONTHS[d.getMonth()]} ${d.getDate()}`;
  if (step >= D) return date;
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0) return date;
  return step < M ? `${hm}:${pad(d.getSeconds())}` : hm;
}

/** The spacing for `spanMs` drawn over `widthPx`, ticks at least `minPx` apart. */
export function tickStep(spanMs: number, widthPx: number, minPx = 90): number {
  const msPerPx = spanMs / Math.max(1, widthPx);
  return STEPS.find((s) => s / msPerPx >= minPx) ?? Math.ceil((minPx * msPerPx) / (28 * D)) * 28 * D;
}

/** Ticks for the window [startMs, endMs] drawn `widthPx` wide; at most a few hundred whatever comes in. */
export function axisTicks(startMs: number, endMs: number, widthPx: number, minPx = 90): Tick[] {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs <= startMs) return [];
  const step = tickStep(endMs - startMs, widthPx, minPx);
  const off = offsetAt(startMs);
  let t = Math.ceil((startMs + off) / step) * step - off;
  const out: Tick[] = [];
  for (let i = 0; t <= endMs && i < 500; i++, t += step) {
    const local = new Date(t);
    // A day's step lands on local midnights only when the offset has not changed since the start.
    const major = local.getHours() === 0 && local.getMinutes() === 0 && local.getSeconds() === 0;
    out.push({ atMs: t, label: tickLabel(t, step), major });
  }
  return out;
}

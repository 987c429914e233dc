// Drawing the timeline in SVG: one group per bar (its row, its phases, its markers, its label), one
// per broker lane, the grid and the "now" line. Every string from a file goes in as textContent or an
// attribute value, never as markup. `build*` makes elements once per new picture; `place*` moves
// them for a new window (zoom, pan, time passing), which is all a zoom frame does.
import type { TimelineBar, TimelineBroker, MarkerKind } from '../../core/timeline/timelineTypes';

export const SVG_NS = 'http://www.w3.org/2000/svg';
export const ROW_H = 22;
const BAR_H = 14;
export const BROKER_ROW = 14;
const BROKER_H = 6;
/** Space between the jobs and the broker lanes (their heading). */
export const BROKERS_GAP = 22;

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  cls?: string,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (cls) el.setAttribute('class', cls);
  return el;
}

/** Maps time to x for the window shown. */
export interface Scale {
  startMs: number;
  endMs: number;
  width: number;
}

export const xOf = (s: Scale, ms: number): number => ((ms - s.startMs) / (s.endMs - s.startMs)) * s.width;

/** A marker's shape around (x, y), by what it tells: a tick for the usual, shapes for the races. */
export function markerPath(kind: MarkerKind | 'started' | 'orphaned' | 'dead', x: number, y: number): string {
  const r = 5;
  switch (kind) {
    case 'created':
    case 'status':
    case 'started':
      return `M${x - 1},${y - 7}h2v14h-2z`;
    case 'deleted-while-running':
    case 'deleted':
    case 'pruned':
    case 'dead':
      // A triangle pointing down: something was taken away.
      return `M${x - r},${y - r - 2}h${2 * r}l${-r},${2 * r + 2}z`;
    case 'marked-failed':
      return `M${x - 4},${y - 4}h8v8h-8z`;
    default:
      // A diamond: something came back, or went, at a moment not quite known.
      return `M${x},${y - r - 1}l${r + 1},${r + 1}l${-r - 1},${r + 1}l${-r - 1},${-r - 1}z`;
  }
}

export interface BarEls {
  bar: TimelineBar;
  g: SVGGElement;
  phases: SVGRectElement[];
  markers: SVGPathElement[];
  /** Made when its row is first scrolled near: text is what costs most to draw. */
  label?: SVGTextElement;
}

export function buildBar(bar: TimelineBar, selected: boolean): BarEls {
  const cls = ['bar', `tone-${bar.tone}`, `st-${bar.status}`];
  if (bar.live) cls.push('live');
  if (bar.skew.length) cls.push('skewed');
  if (selected) cls.push('selected');
  const g = svg('g', { 'data-key': bar.key, 'data-id': bar.id, role: 'listitem' }, cls.join(' '));
  g.setAttribute('aria-label', `${bar.label}, ${bar.word}${bar.elapsed ? `, ${bar.elapsed}` : ''}`);
  const y = bar.lane * ROW_H;
  // What the log told is drawn inset over the running part, so the bar's own tone shows around it.
  const phases = bar.phases.map((p) => {
    const inset = p.kind === 'queued' || p.kind === 'running' ? 0 : 3;
    const cls = `phase ${p.kind} phase-${p.kind}${p.n !== undefined && p.n % 2 === 0 ? ' even' : ''}`;
    return svg('rect', { y: y + (ROW_H - BAR_H) / 2 + inset, height: BAR_H - 2 * inset, rx: 2 }, cls);
  });
  g.append(...phases);
  const markers = bar.markers.map((m, i) =>
    svg('path', { 'data-marker': i }, `marker m-${m.kind}${m.approx ? ' approx' : ''}`),
  );
  g.append(...markers);
  return { bar, g, phases, markers };
}

function labelOf(e: BarEls): SVGTextElement {
  if (e.label) return e.label;
  const bar = e.bar;
  const label = svg('text', { y: bar.lane * ROW_H + ROW_H / 2 }, 'bar-label');
  const name = svg('tspan');
  name.textContent = bar.label;
  const rest = svg('tspan', {}, 'elapsed');
  rest.textContent = ` · ${bar.word}${bar.elapsed ? ` · ${bar.elapsed}` : ''}`;
  label.append(name, rest);
  e.g.append(label);
  return (e.label = label);
}

/** Puts the label beside the bar: after it, else before it, else inside at the left edge shown. */
function placeLabel(label: SVGTextElement, x0: number, x1: number, width: number): void {
  // Measuring each text would lay the page out once per bar: an estimate of 12px text is enough here.
  const room = (label.textContent?.length ?? 0) * 6.6;
  if (x1 + 6 + room < width) {
    label.setAttribute('x', String(x1 + 6));
    label.setAttribute('text-anchor', 'start');
  } else if (x0 - 6 > room || (x0 > 40 && x0 > width - x1)) {
    // Before it when it fits there, or when that side has more room (the text is then cut at the edge).
    label.setAttribute('x', String(x0 - 6));
    label.setAttribute('text-anchor', 'end');
  } else if (width - x1 > 40) {
    label.setAttribute('x', String(x1 + 6));
    label.setAttribute('text-anchor', 'start');
  } else {
    // The bar fills the view: on it, with a halo of the background (page.ts) to stay readable.
    label.setAttribute('x', String(Math.max(x0, 0) + 6));
    label.setAttribute('text-anchor', 'start');
  }
}

/** Clamps x to a little beyond the drawing, so a bar of days zoomed to seconds stays a sane number. */
const clampX = (x: number, width: number) => Math.max(-10, Math.min(width + 10, x));

/** Moves a bar for the window `s`; its label too when it is made or `near` (its row is in sight or close). */
export function placeBar(e: BarEls, s: Scale, near: boolean): void {
  const y = e.bar.lane * ROW_H + ROW_H / 2;
  e.bar.phases.forEach((p, i) => {
    const a = clampX(xOf(s, p.startMs), s.width);
    const b = clampX(xOf(s, p.endMs), s.width);
    e.phases[i].setAttribute('x', String(a));
    // A moment is still a visible sliver.
    e.phases[i].setAttribute('width', String(Math.max(2, b - a)));
  });
  e.bar.markers.forEach((m, i) =>
    e.markers[i].setAttribute('d', markerPath(m.kind, clampX(xOf(s, m.atMs), s.width), y)),
  );
  const x0 = clampX(xOf(s, e.bar.startMs), s.width);
  const x1 = Math.max(x0 + 2, clampX(xOf(s, e.bar.endMs), s.width));
  if (near || e.label) placeLabel(labelOf(e), x0, x1, s.width);
}

export interface BrokerEls {
  broker: TimelineBroker;
  g: SVGGElement;
  rect: SVGRectElement;
  markers: SVGPathElement[];
  label: SVGTextElement;
  top: number;
}

export function buildBroker(b: TimelineBroker, top: number): BrokerEls {
  const g = svg('g', { 'data-broker': b.key }, `broker b-${b.tone}${b.live ? ' live' : ''}`);
  const y = top + b.lane * BROKER_ROW;
  const rect = svg('rect', { y: y + (BROKER_ROW - BROKER_H) / 2, height: BROKER_H, rx: 1 });
  const markers = b.markers.map((m, i) => svg('path', { 'data-marker': i }, `marker m-${m.kind}`));
  const label = svg('text', { y: y + BROKER_ROW / 2 });
  label.textContent = b.label;
  g.append(rect, ...markers, label);
  return { broker: b, g, rect, markers, label, top };
}

export function placeBroker(e: BrokerEls, s: Scale): void {
  const y = e.top + e.broker.lane * BROKER_ROW + BROKER_ROW / 2;
  const a = clampX(xOf(s, e.broker.startMs), s.width);
  const b = Math.max(a + 2, clampX(xOf(s, e.broker.endMs), s.width));
  e.rect.setAttribute('x', String(a));
  e.rect.setAttribute('width', String(b - a));
  e.broker.markers.forEach((m, i) =>
    e.markers[i].setAttribute('d', markerPath(m.kind, clampX(xOf(s, m.atMs), s.width), y)),
  );
  e.label.setAttribute('x', String(b + 6 < s.width - 120 ? b + 6 : Math.max(a, 0) + 6));
}

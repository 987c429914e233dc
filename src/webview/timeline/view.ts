// The timeline on the page: a heading with the controls, the time axis, the bars and broker lanes
// in one SVG, the hover text and the context menu. A new picture (setLayout) rebuilds the bars; a
// zoom, a pan or time passing only moves them (place).
import type { BarCommand, PageMessage, TimelineScope } from '../../core/timeline/messages';
import type { TimelineBar, TimelineLayout, TimelineWindow } from '../../core/timeline/timelineTypes';
import { axisTicks } from '../../core/timeline/ticks';
import {
  BROKER_ROW,
  BROKERS_GAP,
  buildBar,
  buildBroker,
  placeBar,
  placeBroker,
  ROW_H,
  svg,
  xOf,
  type BarEls,
  type BrokerEls,
  type Scale,
} from './draw';
import { BarMenu, Tooltip } from './overlay';

/** What the page keeps across hiding and reloads (the editor's getState/setState). */
export interface SavedView {
  window?: TimelineWindow;
  /** The window's right edge stays at now as time passes. */
  follow: boolean;
  selected?: string;
  scope: TimelineScope;
}

export interface ViewHost {
  /** To the editor; absent in the HTML export. */
  post?(m: PageMessage): void;
  save(s: SavedView): void;
}

const MIN_SPAN_MS = 2000;
const MAX_SPAN_MS = 400 * 86_400_000;

export class TimelineView {
  layout: TimelineLayout | undefined;
  private bars: BarEls[] = [];
  private brokers: BrokerEls[] = [];
  private readonly byKey = new Map<string, BarEls>();
  private win: TimelineWindow | undefined;
  private follow: boolean;
  selected: string | undefined;
  scope: TimelineScope;
  /** The editor's clock minus ours: "now" is the editor's. */
  private clockOffset = 0;
  readonly body: HTMLDivElement;
  private readonly svgEl: SVGSVGElement;
  private readonly axis: SVGSVGElement;
  private readonly grid = svg('g', {}, 'grid');
  /** One highlight for the row under the pointer and one for the selected row, moved, not one per row. */
  private readonly hoverRow = svg('rect', { x: 0, height: ROW_H, visibility: 'hidden' }, 'row-hover');
  private readonly selRow = svg('rect', { x: 0, height: ROW_H, visibility: 'hidden' }, 'row-sel');
  private readonly barsG = svg('g', { role: 'list' }, 'bars');
  private readonly brokersG = svg('g', {}, 'brokers');
  private readonly nowLine = svg('line', {}, 'now-line');
  private readonly nowLabel = svg('text', { y: 12 }, 'now-label');
  private readonly count = document.createElement('span');
  private readonly heading = document.createElement('h1');
  private readonly scopeButton = document.createElement('button');
  readonly tip: Tooltip;
  readonly menu: BarMenu;

  constructor(
    root: HTMLElement,
    private readonly host: ViewHost,
    saved: SavedView | undefined,
  ) {
    this.win = saved?.window;
    this.follow = saved?.follow ?? true;
    this.selected = saved?.selected;
    this.scope = saved?.scope ?? 'workspace';
    root.append(makeHead(this, this.heading, this.count));
    if (host.post) this.appendScopeButton(root.firstElementChild as HTMLElement);
    this.axis = svg('svg', { height: 24, width: '100%' });
    const axisBox = document.createElement('div');
    axisBox.className = 'tl-axis';
    axisBox.append(this.axis);
    this.body = document.createElement('div');
    this.body.className = 'tl-body';
    this.body.tabIndex = 0;
    this.body.setAttribute('aria-label', 'Job timeline: arrow keys move, + and - zoom, Enter selects');
    this.svgEl = svg('svg', { width: '100%' });
    this.nowLabel.textContent = 'now';
    this.svgEl.append(this.grid, this.hoverRow, this.selRow, this.barsG, this.brokersG, this.nowLine);
    this.body.addEventListener('scroll', () => this.labelsSoon());
    this.body.append(this.svgEl);
    root.append(axisBox, this.body);
    this.tip = new Tooltip(root);
    this.menu = new BarMenu(root, (command, bar) => this.command(command, bar));
  }

  private appendScopeButton(head: HTMLElement): void {
    this.scopeButton.type = 'button';
    this.scopeButton.className = 'tl-scope';
    this.scopeButton.addEventListener('click', () =>
      this.host.post?.({ type: 'scope', scope: this.scope === 'all' ? 'workspace' : 'all' }),
    );
    head.append(this.scopeButton);
  }

  nowMs(): number {
    return this.host.post ? Date.now() + this.clockOffset : (this.layout?.nowMs ?? Date.now());
  }

  setLayout(layout: TimelineLayout, scope: TimelineScope): void {
    const scopeChanged = scope !== this.scope;
    this.layout = layout;
    this.scope = scope;
    this.clockOffset = layout.nowMs - Date.now();
    if (!this.win || scopeChanged) this.win = { ...layout.window };
    this.heading.textContent = layout.scope ? `Job timeline · ${layout.scope}` : 'Job timeline';
    const live = layout.bars.filter((b) => b.live).length;
    this.count.textContent = `${layout.bars.length} job${layout.bars.length === 1 ? '' : 's'}${live ? ` · ${live} running` : ''}`;
    this.scopeButton.textContent = scope === 'all' ? 'This Workspace' : 'All Workspaces';
    this.render();
  }

  private render(): void {
    const layout = this.layout!;
    this.bars = layout.bars.map((b) => buildBar(b, b.key === this.selected));
    this.byKey.clear();
    for (const e of this.bars) this.byKey.set(e.bar.key, e);
    if (this.selected && !this.byKey.has(this.selected)) this.selected = undefined;
    const sel = this.selected && this.byKey.get(this.selected);
    this.selRow.setAttribute('visibility', sel ? 'visible' : 'hidden');
    if (sel) this.selRow.setAttribute('y', String(sel.bar.lane * ROW_H));
    this.barsG.replaceChildren(...this.bars.map((e) => e.g));
    const top = layout.bars.length * ROW_H + BROKERS_GAP;
    this.brokers = layout.brokers.map((b) => buildBroker(b, top));
    const title = svg('text', { x: 6, y: top - 8 }, 'lanes-title');
    title.textContent = 'Brokers';
    this.brokersG.replaceChildren(...(this.brokers.length ? [title] : []), ...this.brokers.map((e) => e.g));
    const height = top + layout.brokers.length * BROKER_ROW + (layout.brokers.length ? 8 : 0);
    this.svgEl.setAttribute('height', String(Math.max(height, 40)));
    this.place();
  }

  private scale(): Scale {
    const w = this.win ?? this.layout?.window ?? { startMs: 0, endMs: 1 };
    return { startMs: w.startMs, endMs: w.endMs, width: Math.max(100, this.body.clientWidth) };
  }

  /** The rows in sight, with a screen's margin either way: those get their labels. */
  private nearLanes(): [number, number] {
    const top = this.body.scrollTop;
    const h = this.body.clientHeight || 800;
    return [Math.floor((top - h) / ROW_H), Math.ceil((top + 2 * h) / ROW_H)];
  }

  private labelsQueued = false;

  /** Scrolled: rows coming into sight get their labels on the next frame. */
  private labelsSoon(): void {
    if (this.labelsQueued) return;
    this.labelsQueued = true;
    requestAnimationFrame(() => {
      this.labelsQueued = false;
      const s = this.scale();
      const [a, b] = this.nearLanes();
      for (const e of this.bars.slice(Math.max(0, a), Math.max(0, b))) if (!e.label) placeBar(e, s, true);
    });
  }

  /** Moves everything for the window shown now; cheap enough for every zoom frame. */
  place(): void {
    if (!this.layout) return;
    const s = this.scale();
    const [a, b] = this.nearLanes();
    for (const e of this.bars) placeBar(e, s, e.bar.lane >= a && e.bar.lane <= b);
    for (const r of [this.hoverRow, this.selRow]) r.setAttribute('width', String(s.width));
    for (const e of this.brokers) placeBroker(e, s);
    this.placeAxis(s);
    const x = xOf(s, this.nowMs());
    const h = this.svgEl.getAttribute('height') ?? '0';
    for (const [k, v] of Object.entries({ x1: x, x2: x, y1: 0, y2: h })) this.nowLine.setAttribute(k, String(v));
    this.nowLabel.setAttribute('x', String(Math.min(x + 4, s.width - 28)));
  }

  private placeAxis(s: Scale): void {
    const ticks = axisTicks(s.startMs, s.endMs, s.width);
    const h = this.svgEl.getAttribute('height') ?? '0';
    this.grid.replaceChildren(
      ...ticks.map((t) =>
        svg('line', { x1: xOf(s, t.atMs), x2: xOf(s, t.atMs), y1: 0, y2: h }, t.major ? 'major' : ''),
      ),
    );
    this.axis.replaceChildren(
      ...ticks.map((t) => {
        const label = svg('text', { x: xOf(s, t.atMs) + 3, y: 16 }, t.major ? 'major' : '');
        label.textContent = t.label;
        return label;
      }),
      this.nowLabel,
    );
  }

  private setWindow(w: TimelineWindow): void {
    const now = this.nowMs();
    this.win = w;
    // Looking at the present keeps following it; looking back stays put.
    this.follow = w.endMs >= now && w.startMs < now;
    this.save();
    this.place();
  }

  zoom(factor: number, atX?: number): void {
    const s = this.scale();
    const span = s.endMs - s.startMs;
    const next = Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, span * factor));
    const at = s.startMs + ((atX ?? s.width / 2) / s.width) * span;
    const left = (at - s.startMs) / span;
    this.setWindow({ startMs: at - left * next, endMs: at + (1 - left) * next });
  }

  /** Pans by `dx` pixels (positive: later). */
  pan(dx: number): void {
    const s = this.scale();
    const d = (dx / s.width) * (s.endMs - s.startMs);
    this.setWindow({ startMs: s.startMs + d, endMs: s.endMs + d });
  }

  fit(): void {
    if (this.layout) this.setWindow({ ...this.layout.extent });
  }

  goNow(): void {
    const s = this.scale();
    const span = s.endMs - s.startMs;
    const now = this.nowMs();
    this.setWindow({ startMs: now - span * 0.9, endMs: now + span * 0.1 });
  }

  /** Time passed: live bars grow, the now line moves, and a window that follows now moves with it. */
  tick(): void {
    if (!this.layout) return;
    const now = this.nowMs();
    for (const e of this.bars)
      if (e.bar.live) {
        e.bar.endMs = now;
        const last = e.bar.phases[e.bar.phases.length - 1];
        if (last) last.endMs = now;
      }
    if (this.follow && this.win && this.win.endMs < now + (this.win.endMs - this.win.startMs) * 0.02) {
      const d = now + (this.win.endMs - this.win.startMs) * 0.05 - this.win.endMs;
      this.win = { startMs: this.win.startMs + d, endMs: this.win.endMs + d };
    }
    this.place();
  }

  get anyLive(): boolean {
    return this.bars.some((e) => e.bar.live);
  }

  barOf(key: string | undefined): TimelineBar | undefined {
    return key === undefined ? undefined : this.byKey.get(key)?.bar;
  }

  /** The bar whose row is at the page's height `clientY`. */
  barAt(clientY: number): TimelineBar | undefined {
    const lane = Math.floor((clientY - this.svgEl.getBoundingClientRect().top) / ROW_H);
    return this.bars[lane]?.bar;
  }

  /** Highlights the row under the pointer (none: undefined). */
  hover(bar: TimelineBar | undefined): void {
    this.hoverRow.setAttribute('visibility', bar ? 'visible' : 'hidden');
    if (bar) this.hoverRow.setAttribute('y', String(bar.lane * ROW_H));
  }

  /** Selects a bar here and, when `tell`, in the editor's tree. */
  select(key: string, tell: boolean): void {
    if (this.selected) this.byKey.get(this.selected)?.g.classList.remove('selected');
    const e = this.byKey.get(key);
    if (!e) return;
    this.selected = key;
    e.g.classList.add('selected');
    this.selRow.setAttribute('visibility', 'visible');
    this.selRow.setAttribute('y', String(e.bar.lane * ROW_H));
    this.save();
    if (tell) this.host.post?.({ type: 'select', key });
  }

  /** The bar after (1) or before (-1) the selected one, shown and selected. */
  step(d: 1 | -1): void {
    const i = this.bars.findIndex((e) => e.bar.key === this.selected);
    const next = this.bars[Math.max(0, Math.min(this.bars.length - 1, i < 0 ? 0 : i + d))];
    if (!next) return;
    this.select(next.bar.key, false);
    const y = next.bar.lane * ROW_H;
    if (y < this.body.scrollTop || y + ROW_H > this.body.scrollTop + this.body.clientHeight)
      this.body.scrollTop = y - this.body.clientHeight / 2;
  }

  /** Where a bar is on the page, for a menu opened from the keyboard. */
  barPoint(key: string): { x: number; y: number } | undefined {
    const e = this.byKey.get(key);
    if (!e) return undefined;
    const r = (e.phases[0] ?? e.g).getBoundingClientRect();
    return { x: Math.max(r.left, 10), y: r.bottom };
  }

  private command(command: BarCommand, bar: TimelineBar): void {
    this.host.post?.({ type: 'command', command, key: bar.key });
  }

  private save(): void {
    this.host.save({ window: this.win, follow: this.follow, selected: this.selected, scope: this.scope });
  }
}

/** The heading: the title, the count, the keys in a line, and the zoom buttons. */
function makeHead(view: TimelineView, heading: HTMLElement, count: HTMLElement): HTMLElement {
  const head = document.createElement('div');
  head.className = 'tl-head';
  heading.textContent = 'Job timeline';
  count.className = 'tl-count';
  const button = (label: string, title: string, fn: () => void, cls: string) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.title = title;
    b.className = cls;
    b.addEventListener('click', fn);
    return b;
  };
  const spacer = document.createElement('span');
  spacer.className = 'tl-spacer';
  const help = document.createElement('span');
  help.className = 'tl-help';
  help.textContent = 'Ctrl+wheel or +/− zoom · drag, Shift+wheel or ←/→ pan';
  head.append(heading, count, spacer, help);
  head.append(
    button('−', 'Zoom out (-)', () => view.zoom(1.5), 'tl-zoom-out'),
    button('+', 'Zoom in (+)', () => view.zoom(1 / 1.5), 'tl-zoom-in'),
    button('Fit', 'Show every job and broker (0)', () => view.fit(), 'tl-fit'),
    button('Now', 'Follow now (N)', () => view.goNow(), 'tl-now'),
  );
  return head;
}

// Mouse and keyboard on the timeline: Ctrl+wheel zooms at the pointer, Shift+wheel and dragging pan,
// a click selects, a right click opens the bar's menu, hovering shows its text; +/−, ←/→, 0 (fit),
// N (now), ↑/↓ (select), Enter (show in the tree) and the menu key do the same from the keyboard.
import type { TimelineView } from './view';

/** The bar (its key) or marker under an event's target. */
function hit(view: TimelineView, e: MouseEvent): { key?: string; marker?: number; broker?: string } {
  const el = e.target instanceof Element ? e.target : null;
  const broker = el?.closest('[data-broker]')?.getAttribute('data-broker') ?? undefined;
  // Anywhere on a job's row is that job.
  const key = el?.closest('[data-key]')?.getAttribute('data-key') ?? (broker ? undefined : view.barAt(e.clientY)?.key);
  const m = el?.getAttribute('data-marker');
  return {
    key: view.barOf(key) ? key : undefined,
    marker: m === null || m === undefined ? undefined : Number(m),
    broker,
  };
}

function hoverText(view: TimelineView, t: ReturnType<typeof hit>): string | undefined {
  if (t.broker) {
    const b = view.layout?.brokers.find((x) => x.key === t.broker);
    if (!b) return undefined;
    const m = t.marker !== undefined ? b.markers[t.marker] : undefined;
    return m ? `${m.approx ? '≈ ' : ''}${new Date(m.atMs).toLocaleString()}\n${m.text}` : b.title;
  }
  const bar = view.barOf(t.key);
  if (!bar) return undefined;
  const m = t.marker !== undefined ? bar.markers[t.marker] : undefined;
  if (m) return `${m.approx ? '≈ ' : ''}${new Date(m.atMs).toLocaleString()}\n${m.text}`;
  return bar.title;
}

export function wirePointer(view: TimelineView, post: ((key: string) => void) | undefined): void {
  const body = view.body;
  let drag: { x: number; moved: boolean } | undefined;
  body.addEventListener('wheel', (e) => {
    const r = body.getBoundingClientRect();
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      view.zoom(Math.exp(e.deltaY * 0.002), e.clientX - r.left);
    } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      e.preventDefault();
      view.pan(e.shiftKey ? e.deltaY : e.deltaX);
    }
  });
  body.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    view.menu.hide();
    drag = { x: e.clientX, moved: false };
  });
  window.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    if (!drag.moved && Math.abs(dx) < 4) return;
    drag.moved = true;
    body.classList.add('dragging');
    view.tip.hide();
    view.pan(-dx);
    drag.x = e.clientX;
  });
  window.addEventListener('pointerup', (e) => {
    const d = drag;
    drag = undefined;
    body.classList.remove('dragging');
    if (!d || d.moved) return;
    const t = hit(view, e);
    if (t.key) view.select(t.key, true);
  });
  body.addEventListener('mousemove', (e) => {
    if (drag?.moved) return;
    const t = hit(view, e);
    view.hover(view.barOf(t.key));
    const text = hoverText(view, t);
    const of = t.marker !== undefined ? `${t.key ?? t.broker}#${t.marker}` : (t.key ?? t.broker);
    if (!text || !of) return view.tip.hide();
    if (view.tip.of !== of) {
      view.tip.show(of, text, e.clientX, e.clientY);
      // The editor answers with the tree's own tooltip of the job.
      if (t.key && t.marker === undefined) post?.(t.key);
    } else view.tip.show(of, view.tip.el.textContent ?? text, e.clientX, e.clientY);
  });
  body.addEventListener('mouseleave', () => {
    view.tip.hide();
    view.hover(undefined);
  });
  body.addEventListener('contextmenu', (e) => {
    const t = hit(view, e);
    const bar = view.barOf(t.key);
    e.preventDefault();
    if (!bar) return;
    view.select(bar.key, false);
    view.tip.hide();
    view.menu.show(bar, e.clientX, e.clientY);
  });
  window.addEventListener('resize', () => view.place());
}

const KEYS: Record<string, (view: TimelineView) => void> = {
  '+': (v) => v.zoom(1 / 1.5),
  '=': (v) => v.zoom(1 / 1.5),
  '-': (v) => v.zoom(1.5),
  _: (v) => v.zoom(1.5),
  ArrowLeft: (v) => v.pan(-v.body.clientWidth / 8),
  ArrowRight: (v) => v.pan(v.body.clientWidth / 8),
  '0': (v) => v.fit(),
  Home: (v) => v.fit(),
  n: (v) => v.goNow(),
  N: (v) => v.goNow(),
  ArrowDown: (v) => v.step(1),
  ArrowUp: (v) => v.step(-1),
  Enter: (v) => v.selected && v.select(v.selected, true),
  Escape: (v) => {
    v.menu.hide();
    v.tip.hide();
  },
};

export function wireKeys(view: TimelineView): void {
  view.body.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const menuKey = e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey);
    if (menuKey) {
      const bar = view.barOf(view.selected);
      const at = bar && view.barPoint(bar.key);
      if (bar && at) view.menu.show(bar, at.x, at.y);
      e.preventDefault();
      return;
    }
    const fn = KEYS[e.key];
    if (!fn) return;
    e.preventDefault();
    fn(view);
  });
}

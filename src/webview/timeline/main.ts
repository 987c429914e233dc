// The timeline page's entry: in the editor's panel it takes pictures from the extension (postMessage)
// and keeps its zoom across hiding and reloads (getState/setState); in the HTML export it reads the
// one picture embedded in the page. The same drawing either way (view.ts).
import type { HostMessage, PageMessage, TimelineScope } from '../../core/timeline/messages';
import type { TimelineLayout } from '../../core/timeline/timelineTypes';
import { wireKeys, wirePointer } from './input';
import { TimelineView, type SavedView } from './view';

interface VsCodeApi {
  postMessage(m: PageMessage): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** Time passes on live bars once a second, only while the page is shown and something runs. */
const TICK_MS = 1000;

function savedOf(v: unknown): SavedView | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const s = v as Partial<SavedView>;
  const w = s.window;
  const okWindow =
    w && Number.isFinite(w.startMs) && Number.isFinite(w.endMs) && w.endMs > w.startMs ? { ...w } : undefined;
  return {
    window: okWindow,
    follow: s.follow !== false,
    selected: typeof s.selected === 'string' ? s.selected : undefined,
    scope: s.scope === 'all' ? 'all' : 'workspace',
  };
}

function inEditor(root: HTMLElement, api: VsCodeApi): void {
  const view = new TimelineView(
    root,
    { post: (m) => api.postMessage(m), save: (s) => api.setState(s) },
    savedOf(api.getState()),
  );
  let painted = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const ticking = () => {
    const want = view.anyLive && document.visibilityState === 'visible';
    if (want && !timer) timer = setInterval(() => view.tick(), TICK_MS);
    if (!want && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  document.addEventListener('visibilitychange', ticking);
  const draw = (layout: TimelineLayout, scope: TimelineScope) => {
    view.setLayout(layout, scope);
    ticking();
    if (!painted) {
      painted = true;
      // After the browser has drawn it, not only built it.
      requestAnimationFrame(() =>
        setTimeout(() => {
          const ms = performance.now();
          root.dataset.paintedMs = ms.toFixed(0);
          api.postMessage({ type: 'painted', bars: layout.bars.length, ms });
        }),
      );
    }
  };
  // The first picture is in the page: drawn at once, before the editor hears from it.
  const first = embedded();
  if (first) draw(first, view.scope);
  window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
    const m = e.data;
    if (m?.type === 'layout') draw(m.layout, m.scope);
    else if (m?.type === 'tooltip') view.tip.replace(m.key, m.text);
  });
  wirePointer(view, (key) => api.postMessage({ type: 'hover', key }));
  wireKeys(view);
  api.postMessage({ type: 'ready' });
}

/** The picture the page was made with, if any. */
function embedded(): TimelineLayout | null {
  return JSON.parse(document.getElementById('tl-data')?.textContent ?? 'null') as TimelineLayout | null;
}

function exported(root: HTMLElement): void {
  const view = new TimelineView(root, { save: () => undefined }, undefined);
  const layout = embedded();
  wirePointer(view, undefined);
  wireKeys(view);
  if (layout) view.setLayout(layout, 'workspace');
  performance.mark('timeline-drawn');
}

performance.mark('timeline-script');
const root = document.getElementById('tl');
if (root) {
  if (typeof acquireVsCodeApi === 'function') inEditor(root, acquireVsCodeApi());
  else exported(root);
}

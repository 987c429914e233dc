// The timeline's web page around the renderer (src/webview/timeline): the same page in the editor's
// panel and in the command line's HTML export. Colours are the editor's theme (`--vscode-*`), with a
// palette of our own behind each for the export (light, and dark under prefers-color-scheme). The
// Content-Security-Policy allows nothing but our nonce'd script and style: no network, no inline
// handler. The export's data is JSON in a non-executed script element, with `<`, `>`, `&` and the
// line separators escaped, so no text from a file can close the element or start markup.
import type { TimelineLayout } from './timelineTypes';

/** Theme colours: the editor's variable first, our palette when there is none (the export). */
const PALETTE = `
:root {
  --tl-bg: var(--vscode-editor-background, #ffffff);
  --tl-fg: var(--vscode-foreground, #1f1f1f);
  --tl-muted: var(--vscode-descriptionForeground, #616161);
  --tl-grid: var(--vscode-editorIndentGuide-background1, #e5e5e5);
  --tl-border: var(--vscode-contrastBorder, transparent);
  --tl-focus: var(--vscode-focusBorder, #0090f1);
  --tl-sel: var(--vscode-list-activeSelectionBackground, #0060c0);
  --tl-hover: var(--vscode-list-hoverBackground, #e8e8e8);
  --tl-tip-bg: var(--vscode-editorHoverWidget-background, #f8f8f8);
  --tl-tip-fg: var(--vscode-editorHoverWidget-foreground, #1f1f1f);
  --tl-tip-border: var(--vscode-editorHoverWidget-border, #c8c8c8);
  --tl-menu-bg: var(--vscode-menu-background, #ffffff);
  --tl-menu-fg: var(--vscode-menu-foreground, #1f1f1f);
  --tl-menu-sel: var(--vscode-menu-selectionBackground, #0060c0);
  --tl-menu-sel-fg: var(--vscode-menu-selectionForeground, #ffffff);
  --tl-btn-bg: var(--vscode-button-secondaryBackground, #e5e5e5);
  --tl-btn-fg: var(--vscode-button-secondaryForeground, #1f1f1f);
  --tl-running: var(--vscode-charts-blue, #1a72d6);
  --tl-queued: var(--vscode-charts-purple, #8a4fc7);
  --tl-ok: var(--vscode-testing-iconPassed, #2f8a3a);
  --tl-fail: var(--vscode-testing-iconFailed, #d0281b);
  --tl-warn: var(--vscode-charts-yellow, #a67400);
  --tl-cancelled: var(--vscode-disabledForeground, #8b8b8b);
  --tl-now: var(--vscode-charts-orange, #d35400);
  --tl-font: var(--vscode-font-family, system-ui, sans-serif);
  --tl-size: var(--vscode-font-size, 13px);
}
@media (prefers-color-scheme: dark) {
  :root {
    --tl-bg: var(--vscode-editor-background, #1e1e1e);
    --tl-fg: var(--vscode-foreground, #cccccc);
    --tl-muted: var(--vscode-descriptionForeground, #9d9d9d);
    --tl-grid: var(--vscode-editorIndentGuide-background1, #333333);
    --tl-hover: var(--vscode-list-hoverBackground, #2a2d2e);
    --tl-tip-bg: var(--vscode-editorHoverWidget-background, #252526);
    --tl-tip-fg: var(--vscode-editorHoverWidget-foreground, #cccccc);
    --tl-tip-border: var(--vscode-editorHoverWidget-border, #454545);
    --tl-menu-bg: var(--vscode-menu-background, #252526);
    --tl-menu-fg: var(--vscode-menu-foreground, #cccccc);
    --tl-btn-bg: var(--vscode-button-secondaryBackground, #3a3d41);
    --tl-btn-fg: var(--vscode-button-secondaryForeground, #cccccc);
    --tl-running: var(--vscode-charts-blue, #3794ff);
    --tl-queued: var(--vscode-charts-purple, #b180d7);
    --tl-ok: var(--vscode-testing-iconPassed, #73c991);
    --tl-fail: var(--vscode-testing-iconFailed, #f14c4c);
    --tl-warn: var(--vscode-charts-yellow, #cca700);
    --tl-cancelled: var(--vscode-disabledForeground, #8b8b8b);
    --tl-now: var(--vscode-charts-orange, #f28b30);
  }
}`;

const LAYOUT_CSS = `
html, body { margin: 0; padding: 0; height: 100%; background: var(--tl-bg); color: var(--tl-fg);
  font-family: var(--tl-font); font-size: var(--tl-size); overflow: hidden; }
#tl { display: flex; flex-direction: column; height: 100vh; }
.tl-head { display: flex; gap: 8px; align-items: center; padding: 6px 10px; flex: none; flex-wrap: wrap; }
.tl-head h1 { font-size: 1.1em; font-weight: 600; margin: 0 8px 0 0; }
.tl-head .tl-count { color: var(--tl-muted); }
.tl-head button { background: var(--tl-btn-bg); color: var(--tl-btn-fg); border: 1px solid var(--tl-border);
  border-radius: 2px; padding: 2px 8px; font: inherit; cursor: pointer; }
.tl-head button:focus-visible, .tl-body:focus-visible { outline: 1px solid var(--tl-focus); outline-offset: -1px; }
.tl-head .tl-spacer { flex: 1; }
.tl-axis { flex: none; height: 24px; border-bottom: 1px solid var(--tl-grid); }
.tl-axis text { fill: var(--tl-muted); font-size: 11px; }
.tl-axis text.major { fill: var(--tl-fg); font-weight: 600; }
.tl-body { flex: 1; overflow-y: auto; overflow-x: hidden; position: relative; cursor: grab; }
.tl-body.dragging { cursor: grabbing; }
svg { display: block; }
.grid line { stroke: var(--tl-grid); stroke-width: 1; }
.grid line.major { stroke: var(--tl-muted); stroke-opacity: 0.5; }
.now-line { stroke: var(--tl-now); stroke-width: 2; }
.now-label { fill: var(--tl-now); font-size: 11px; font-weight: 600; }
.row-hover { fill: var(--tl-hover); }
.row-sel { fill: var(--tl-sel); fill-opacity: 0.25; }
.bar rect.phase { stroke: var(--tl-border); stroke-width: 1; }
.bar rect.phase.queued { fill-opacity: 0.4; }
.bar text { fill: var(--tl-fg); font-size: 12px; dominant-baseline: central; pointer-events: none;
  paint-order: stroke; stroke: var(--tl-bg); stroke-width: 3px; stroke-linejoin: round; }
.bar text .elapsed { fill: var(--tl-muted); }
.tone-running rect.phase { fill: var(--tl-running); }
.tone-queued rect.phase { fill: var(--tl-queued); }
.tone-ok rect.phase { fill: var(--tl-ok); }
.tone-fail rect.phase { fill: var(--tl-fail); }
.tone-warn rect.phase { fill: var(--tl-warn); }
.tone-muted rect.phase { fill: var(--tl-cancelled); }
.bar.live rect.phase.running { fill-opacity: 0.85; }
.bar.skewed rect.phase { stroke: var(--tl-warn); stroke-dasharray: 3 2; stroke-width: 1; }
.bar rect.phase-starting { fill-opacity: 0.5; stroke-opacity: 0.5; }
.bar rect.phase-turn { fill-opacity: 0.9; }
.bar rect.phase-turn.even { fill-opacity: 0.65; }
.bar rect.phase-final { fill: var(--tl-fg); fill-opacity: 0.35; }
.bar rect.phase-error { fill: var(--tl-fail); stroke: var(--tl-fail); }
.marker { stroke: var(--tl-bg); stroke-width: 1; }
.m-created, .m-status { fill: var(--tl-fg); fill-opacity: 0.6; stroke: none; }
.m-deleted-while-running, .m-deleted, .m-pruned { fill: var(--tl-fail); }
.m-pruned { fill: var(--tl-cancelled); }
.m-recreated, .m-log-recreated { fill: var(--tl-warn); }
.m-restored { fill: var(--tl-ok); }
.m-marked-failed { fill: var(--tl-fail); stroke: var(--tl-fg); }
.m-index-drop { fill: var(--tl-bg); stroke: var(--tl-fail); stroke-width: 1.5; stroke-dasharray: 2 1; }
.broker rect { fill: var(--tl-muted); fill-opacity: 0.6; }
.broker.b-in-use rect { fill: var(--tl-running); }
.broker.b-orphan rect { fill: var(--tl-warn); }
.broker.b-dead rect { fill: var(--tl-cancelled); fill-opacity: 0.4; }
.m-started { fill: var(--tl-muted); stroke: none; }
.m-orphaned { fill: var(--tl-warn); }
.m-dead { fill: var(--tl-cancelled); }
.broker text { fill: var(--tl-muted); font-size: 10px; dominant-baseline: central; pointer-events: none; }
.lanes-title { fill: var(--tl-muted); font-size: 11px; font-weight: 600; }
.tl-tip { position: fixed; z-index: 10; max-width: 560px; white-space: pre-wrap; pointer-events: none;
  background: var(--tl-tip-bg); color: var(--tl-tip-fg); border: 1px solid var(--tl-tip-border);
  padding: 6px 8px; font-size: 12px; display: none; overflow-wrap: anywhere; }
.tl-menu { position: fixed; z-index: 11; display: none; background: var(--tl-menu-bg); color: var(--tl-menu-fg);
  border: 1px solid var(--tl-tip-border); padding: 4px 0; min-width: 140px; box-shadow: 0 2px 8px rgba(0,0,0,.3); }
.tl-menu button { display: block; width: 100%; text-align: left; background: none; border: none; color: inherit;
  font: inherit; padding: 3px 14px; cursor: pointer; }
.tl-menu button:hover, .tl-menu button:focus { background: var(--tl-menu-sel); color: var(--tl-menu-sel-fg); outline: none; }
.tl-empty { padding: 20px; color: var(--tl-muted); }
.tl-help { color: var(--tl-muted); font-size: 11px; }
`;

export const TIMELINE_CSS = PALETTE + LAYOUT_CSS;

/** The JSON of `value` safe inside a `<script type="application/json">` element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Script text safe inside a `<script>` element: no `</script` or `<!--` can end or bend it. */
export function inlineScript(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

export interface PageOptions {
  nonce: string;
  title: string;
  /**
   * The editor's webview: where its resources come from (`webview.cspSource`), the script's URI, and
   * the first picture, inline so the page draws it without asking (later ones come as messages).
   */
  webview?: { cspSource: string; scriptUri: string; layout?: TimelineLayout };
  /** The export: the renderer's code and the picture's data, both inline. */
  inline?: { script: string; layout: TimelineLayout };
}

const attr = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function timelinePage(o: PageOptions): string {
  const n = attr(o.nonce);
  const extra = o.webview ? ` ${o.webview.cspSource}` : '';
  const csp = [
    "default-src 'none'",
    `style-src 'nonce-${n}'${extra}`,
    `script-src 'nonce-${n}'`,
    `img-src data:${extra}`,
    `font-src${extra || " 'none'"}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const data = `<script nonce="${n}" type="application/json" id="tl-data">${scriptJson((o.webview ?? o.inline)?.layout ?? null)}</script>\n`;
  const script = o.webview
    ? `${data}<script nonce="${n}" src="${attr(o.webview.scriptUri)}"></script>`
    : `${data}<script nonce="${n}">${inlineScript(o.inline?.script ?? '')}</script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${attr(o.title)}</title>
<style nonce="${n}">${TIMELINE_CSS}</style>
</head>
<body>
<div id="tl" data-mode="${o.webview ? 'vscode' : 'export'}"></div>
${script}
</body>
</html>
`;
}

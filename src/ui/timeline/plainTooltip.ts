// The Jobs tree's tooltip of a job (jobTreeItem.ts, Markdown) as the plain text the timeline's hover
// shows: the page sets it as text, so the Markdown's own marks and escapes are taken out here.
import type * as vscode from 'vscode';

const THEME_ICONS: Record<string, string> = { warning: '⚠', error: '✖', info: 'ℹ' };

export function plainTooltip(md: vscode.MarkdownString): string {
  return (
    md.value
      // Our emphasis and code spans (file text in them is escaped, so these are ours).
      .replace(/(?<!\\)\*\*/g, '')
      .replace(/(?<!\\)`/g, '')
      .replace(/(?<!\\)\$\(([a-z-]+)\)/g, (_, id: string) => THEME_ICONS[id] ?? '')
      // Markdown's hard line break is two spaces before the new line.
      .replace(/ {2}\n/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .replace(/\\([\\`*_[\]<>|$])/g, '$1')
      .trim()
  );
}

import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { COMMANDS, EXTENSION_ID } from '../ids';
import { t } from '../l10n';
import { TIMELINE_VIEW_TYPE, TimelinePanel } from '../timeline/timelinePanel';
import type { TimelineScope } from '../../core/timeline/messages';

/** Show Job Timeline opens the one timeline panel (or shows it); a panel left open comes back after a reload. */
export function registerShowTimeline(deps: CommandDeps): vscode.Disposable {
  let current: TimelinePanel | undefined;
  const extensionUri = () =>
    vscode.extensions.getExtension(EXTENSION_ID)?.extensionUri ?? vscode.Uri.file(`${__dirname}/..`);
  const adopt = (panel: vscode.WebviewPanel, scope: TimelineScope) => {
    current?.dispose();
    const p = new TimelinePanel(panel, deps, extensionUri(), scope);
    current = p;
    p.onDidClose(() => current === p && (current = undefined));
    return p;
  };
  const command = vscode.commands.registerCommand(COMMANDS.showTimeline, () => {
    if (current) {
      current.panel.reveal();
      return current;
    }
    const panel = vscode.window.createWebviewPanel(TIMELINE_VIEW_TYPE, t('Job Timeline'), vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri(), 'dist')],
    });
    return adopt(panel, 'workspace');
  });
  const serializer = vscode.window.registerWebviewPanelSerializer(TIMELINE_VIEW_TYPE, {
    deserializeWebviewPanel: (panel, state: unknown) => {
      const scope = (state as { scope?: unknown } | undefined)?.scope === 'all' ? 'all' : 'workspace';
      adopt(panel, scope);
      return Promise.resolve();
    },
  });
  return vscode.Disposable.from(command, serializer, { dispose: () => current?.dispose() });
}

// The colours of every status icon, contributed by the extension (package.json `colors`) with a value
// per theme kind, each at least 3:1 against the side bar of every built-in theme (checked by the
// contrast test in the VS Code suite). VS Code's own testing.iconPassed and disabledForeground
// measured 1.8:1 and 2.1:1 on the light themes. Themes and users can still override them.
import * as vscode from 'vscode';

export const ICON_COLORS = {
  passed: 'codexJobs.icon.passed',
  failed: 'codexJobs.icon.failed',
  warning: 'codexJobs.icon.warning',
  error: 'codexJobs.icon.error',
  muted: 'codexJobs.icon.muted',
  info: 'codexJobs.icon.info',
} as const;

export type IconColor = keyof typeof ICON_COLORS;

/** A codicon in one of the colours above (or the theme's icon colour when none is given). */
export function coloredIcon(id: string, color?: IconColor): vscode.ThemeIcon {
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(ICON_COLORS[color]) : undefined);
}

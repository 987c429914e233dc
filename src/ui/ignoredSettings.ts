// Machine settings (where state, brokers and the companion are found) are read from the user's own
// settings only: VS Code drops a value a workspace sets for them, so that a cloned folder cannot point
// Codex Jobs at files of its choosing. It drops it silently (the configuration API never sees it), so
// the workspace's settings files are read for those keys and the user is told, once per key.
import * as path from 'path';
import * as vscode from 'vscode';
import { openRegular, readAt } from '../core/io/safeFs';
import { SECTION, SETTINGS } from './ids';
import { t } from './l10n';

const MACHINE_SETTINGS = [
  SETTINGS.stateRoots,
  SETTINGS.brokersExtraRoots,
  SETTINGS.companionPath,
  SETTINGS.nodePath,
  SETTINGS.pluginDataDir,
].map((k) => `${SECTION}.${k}`);

/** Only a settings file's first 256 KB is looked at: these keys sit at its top level. */
const READ_LIMIT = 256 * 1024;

/** The settings files of this workspace (each folder's .vscode/settings.json, the workspace file) and the root each is opened beneath. */
function settingsFiles(): { file: string; root: string }[] {
  const files = (vscode.workspace.workspaceFolders ?? [])
    .filter((f) => f.uri.scheme === 'file')
    .map((f) => ({ file: path.join(f.uri.fsPath, '.vscode', 'settings.json'), root: f.uri.fsPath }));
  const ws = vscode.workspace.workspaceFile;
  if (ws?.scheme === 'file') files.push({ file: ws.fsPath, root: path.dirname(ws.fsPath) });
  return files;
}

/** A settings file's first READ_LIMIT bytes, opened as every file another program writes is (safeFs). */
async function settingsText(file: string, root: string): Promise<string | undefined> {
  // No link below the folder followed, a FIFO or device refused without blocking, a huge file read in part.
  const opened = await openRegular(file, root).catch(() => undefined);
  if (!opened) return undefined;
  const { fh, stats } = opened;
  try {
    return (await readAt(fh, 0, Math.min(READ_LIMIT, stats.size), stats.size)).toString('utf8');
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** The machine settings named as keys in `text` (JSON with comments: a key is a quoted name and a colon). */
export function machineKeysIn(text: string): string[] {
  return MACHINE_SETTINGS.filter((k) => new RegExp(`"${k.replace(/\./g, '\\.')}"\\s*:`).test(text));
}

/** The full keys of machine settings that this workspace's settings files set, to no effect. */
export async function ignoredWorkspaceSettings(): Promise<string[]> {
  const found = new Set<string>();
  for (const { file, root } of settingsFiles()) {
    const text = await settingsText(file, root).catch(() => undefined);
    for (const k of machineKeysIn(text ?? '')) found.add(k);
  }
  return [...found];
}

/** Says which settings are ignored and why, with the way to set them where they count. */
export function registerIgnoredSettingsNotice(log: (m: string) => void): vscode.Disposable {
  const told = new Set<string>();
  const check = async () => {
    const fresh = (await ignoredWorkspaceSettings()).filter((k) => !told.has(k));
    if (fresh.length === 0) return;
    for (const k of fresh) told.add(k);
    log(`ignored workspace settings (machine scope): ${fresh.join(', ')}`);
    const open = t('Open User Settings');
    const pick = await vscode.window.showWarningMessage(
      t(
        "Codex Jobs ignores {0} in this workspace's settings: it says where to read state and run programs from, so only your user settings may set it.",
        fresh.join(', '),
      ),
      open,
    );
    if (pick === open) await vscode.commands.executeCommand('workbench.action.openSettings', fresh[0]);
  };
  const run = () => void check().catch((err: unknown) => log(`settings check: ${String(err)}`));
  run();
  const watcher = vscode.workspace.createFileSystemWatcher('**/.vscode/settings.json');
  return vscode.Disposable.from(
    watcher,
    watcher.onDidChange(run),
    watcher.onDidCreate(run),
    vscode.workspace.onDidGrantWorkspaceTrust(run),
  );
}

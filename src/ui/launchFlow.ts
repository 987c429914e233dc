// Launching from the editor: find the companion and Node (or say exactly what to set), launch under
// the workspace lock, and report what the launch found, including jobs that vanished meanwhile.
import * as vscode from 'vscode';
import { resolveLaunchEnvironment, type LaunchEnvironment, type LaunchSettings } from '../core/discovery/companion';
import { defaultHostEnv } from '../core/discovery/discovery';
import { launchJob, type LaunchRequest, type LaunchResult } from '../core/actions/launcher';
import type { CommandDeps } from './commandDeps';
import { SECTION } from './settings';
import { t } from './l10n';
import { quotaAllowsLaunch } from './usageLaunch';

export function launchSettings(): LaunchSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const s = (k: string) => (c.get<string>(k) || undefined)?.trim() || undefined;
  // Keys as in ids.SETTINGS (companionPath, nodePath, pluginDataDir).
  return { companionPath: s('companionPath'), nodePath: s('nodePath'), pluginDataDir: s('pluginDataDir') };
}

/** Arguments a command accepts instead of asking (for keybindings, tasks and tests). */
export interface LaunchArgs {
  folder?: string;
  focus?: string;
  prompt?: string;
  write?: boolean;
  model?: string;
  effort?: string;
}

export async function pickFolder(args?: LaunchArgs): Promise<string | undefined> {
  if (args?.folder) return args.folder;
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  if (folders.length === 0) {
    void vscode.window.showWarningMessage(t('Codex Jobs: open a folder to start a Codex job in it.'));
    return undefined;
  }
  if (folders.length === 1) return folders[0].uri.fsPath;
  return (await vscode.window.showWorkspaceFolderPick({ placeHolder: t('Start the Codex job in which folder?') }))?.uri
    .fsPath;
}

/** The companion, Node and plugin data dir to run; when one cannot be found, says what to set and gives nothing. */
export async function launchEnvironment(
  deps: Pick<CommandDeps, 'output'>,
): Promise<Extract<LaunchEnvironment, { ok: true }> | undefined> {
  const env = await resolveLaunchEnvironment(defaultHostEnv(), launchSettings());
  if (env.ok) return env;
  deps.output.warn(`cannot launch: ${env.message}; searched: ${env.searched.join(', ')}`);
  const openSettings = t('Open Settings');
  const showWhere = t('Show Where It Looked');
  // Said before any question is asked (prepareLaunch), with the fix as a button; the command itself
  // ends at once (nothing waits on the message).
  void vscode.window
    .showErrorMessage(t('Codex Jobs cannot start a job: {0}', env.message), openSettings, showWhere)
    .then(async (pick) => {
      if (pick === openSettings) await vscode.commands.executeCommand('workbench.action.openSettings', env.setting);
      if (pick === showWhere) deps.output.show(true);
    });
  return undefined;
}

/**
 * What a launch needs before any question is asked: a folder and a companion to run. Either is
 * missing: the user is told, with the fix, and nothing is asked.
 */
export async function prepareLaunch(
  deps: Pick<CommandDeps, 'output'>,
  args?: LaunchArgs,
): Promise<{ folder: string; env: Extract<LaunchEnvironment, { ok: true }> } | undefined> {
  const env = await launchEnvironment(deps);
  if (!env) return undefined;
  const folder = await pickFolder(args);
  return folder ? { folder, env } : undefined;
}

export async function runLaunch(
  deps: CommandDeps,
  folder: string,
  req: Pick<
    LaunchRequest,
    'kind' | 'focus' | 'prompt' | 'write' | 'model' | 'effort' | 'base' | 'scope' | 'resumeLast'
  >,
  /** Found before asking the user anything (see prepareLaunch); looked up here otherwise. */
  found?: Extract<LaunchEnvironment, { ok: true }>,
): Promise<LaunchResult | undefined> {
  const env = found ?? (await launchEnvironment(deps));
  if (!env) return undefined;
  const label = req.kind === 'task' ? t('rescue task') : req.kind === 'review' ? t('review') : t('adversarial review');
  // The 5-hour window nearly used: said first, with its reset (issue #28).
  if (!(await quotaAllowsLaunch(deps, label, () => void runLaunch(deps, folder, req, env)))) return undefined;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: t('Starting Codex {0}', label) },
    (progress) =>
      launchJob({
        ...req,
        companion: env.companion.script,
        node: env.node.node,
        workspaceFolder: folder,
        pluginData: env.pluginData.dir,
        table: deps.table,
        log: (m) => {
          deps.output.info(m);
          progress.report({ message: m });
        },
      }),
  );
  deps.output.info(
    `launch ${label}: ${result.message} (lock wait ${result.lockWaitMs} ms, registration ${result.waitedMs} ms)`,
  );
  if (result.vanished.length) {
    void vscode.window.showWarningMessage(
      t(
        'Codex Jobs: while launching, {0} job(s) vanished from state.json (a concurrent companion writer): {1}. They stay visible from their records and the archive.',
        result.vanished.length,
        result.vanished.join(', '),
      ),
    );
  }
  if (result.ok)
    void vscode.window.setStatusBarMessage(`$(check) ${t('Codex {0} started: {1}', label, result.jobId ?? '')}`, 5000);
  else void vscode.window.showErrorMessage(t('Codex Jobs: {0}', result.message));
  deps.refresh.request('jobs', `launched ${req.kind}`);
  return result;
}

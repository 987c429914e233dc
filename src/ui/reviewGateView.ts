// The stop review gate in the editor: per state dir in the folder row and the status bar tooltip,
// a warning when a write turns it off or two state dirs disagree, and the Enable/Disable commands'
// shared flow (the companion's own setup, under the launch lock, verified on disk).
import * as vscode from 'vscode';
import type { FolderState, JobsModel } from '../core/model/model';
import { folderGate, GateHistory, gateValue, whenTurnedOff, type FolderGate } from '../core/actions/reviewGate';
import { toggleReviewGate, type ToggleResult } from '../core/actions/reviewGate';
import { launchEnvironment, pickFolder, type LaunchArgs } from './launchFlow';
import type { CommandDeps } from './commandDeps';
import { COMMANDS, CONTEXT } from './ids';
import { t } from './l10n';
import { formatLocal } from '../core/vocab/dates';

const time = (ms: number) => formatLocal(ms);

/** The one monitor of this window (set by extension.ts), read by the tree and status bar hooks. */
let active: ReviewGateMonitor | undefined;
function setActive(m: ReviewGateMonitor | undefined): void {
  active = m;
}

/** The key under which the gate each state dir was last seen with is kept between sessions. */
const SEEN_KEY = 'codexJobs.reviewGate.seen';

export class ReviewGateMonitor implements vscode.Disposable {
  readonly history: GateHistory;
  private readonly sub: { dispose(): void };
  private readonly warned = new Set<string>();

  constructor(
    private readonly model: JobsModel,
    /** Where what was seen is kept between sessions (the extension's global state). */
    memento?: vscode.Memento,
    private readonly warn: (message: string, ...actions: string[]) => Thenable<string | undefined> = (m, ...a) =>
      vscode.window.showWarningMessage(m, ...a),
  ) {
    this.history = new GateHistory(
      memento && { get: () => memento.get(SEEN_KEY), set: (v) => void memento.update(SEEN_KEY, v) },
    );
    setActive(this);
    this.sub = model.onDidChange(() => this.observe());
    this.observe();
  }

  private view?: vscode.TreeView<unknown>;

  /** With one folder there is no folder row: the Jobs view's own description says the gate. */
  showIn<T>(view: vscode.TreeView<T>): vscode.TreeView<T> {
    this.view = view as vscode.TreeView<unknown>;
    this.render();
    return view;
  }

  /**
   * Enable shows where some state dir's gate is not on, Disable where some is on: the palette and
   * the title bar offer only what would change something.
   */
  private updateContext(): void {
    const dirs = this.model.folders.flatMap((f) => (f.snapshots.length ? this.gateOf(f).dirs : []));
    const canEnable = dirs.some((d) => d.value !== 'on');
    const canDisable = dirs.some((d) => d.value === 'on');
    if (canEnable !== this.canEnable)
      void vscode.commands.executeCommand('setContext', CONTEXT.gateCanEnable, (this.canEnable = canEnable));
    if (canDisable !== this.canDisable)
      void vscode.commands.executeCommand('setContext', CONTEXT.gateCanDisable, (this.canDisable = canDisable));
  }
  private canEnable: boolean | undefined;
  private canDisable: boolean | undefined;

  private render(): void {
    this.updateContext();
    if (!this.view) return;
    const folders = this.model.folders.filter((f) => f.snapshots.length > 0);
    if (this.model.folders.length !== 1 || folders.length !== 1) {
      this.view.description = undefined;
      return;
    }
    const g = this.gateOf(folders[0]);
    this.view.description = `${t('stop gate {0}', g.summary)}${g.warnings.length ? ' ⚠' : ''}`;
  }

  gateOf(folder: FolderState): FolderGate {
    return folderGate(folder.snapshots, this.history, time);
  }

  private observe(): void {
    for (const f of this.model.folders) {
      for (const s of f.snapshots) {
        if (!s.exists) continue;
        const change = this.history.observe(s.stateDir, gateValue(s.config), s.readAtMs || Date.now());
        if (change && change.from === 'on' && change.to !== 'on' && !change.ours) {
          const again = t('Enable Again');
          const when = whenTurnedOff({ afterMs: change.sinceMs, atMs: s.readAtMs || Date.now() }, time);
          void this.warn(
            t(
              "Codex Jobs: the stop review gate of {0} was turned off {1} by a write to {2} that was not Codex Jobs (a concurrent writer's lost update writes the default config).",
              f.folder.name,
              when,
              `${s.stateDir}/state.json`,
            ),
            again,
          ).then((pick) => {
            if (pick === again)
              void vscode.commands.executeCommand(COMMANDS.enableReviewGate, { folder: f.folder.path });
          });
        }
      }
      const g = this.gateOf(f);
      const key = `${f.folder.path}\u0000${g.dirs.map((d) => d.value).join(',')}`;
      if (g.disagree && !this.warned.has(key)) {
        this.warned.add(key);
        void this.warn(t('Codex Jobs: {0}', g.warnings[0]));
      }
    }
    this.render();
  }

  dispose(): void {
    this.history.close();
    this.sub.dispose();
    if (active === this) setActive(undefined);
  }
}

/** Folder row: "gate on" in the description, each state dir's gate in the tooltip. */
export function decorateFolderItem(item: vscode.TreeItem, folder: FolderState): void {
  if (folder.snapshots.length === 0) return;
  const g = active?.gateOf(folder) ?? folderGate(folder.snapshots);
  item.description = `${item.description ?? ''} · ${t('stop gate {0}', g.summary)}${g.disagree || g.warnings.length ? ' ⚠' : ''}`;
  const lines = g.dirs.map((d) =>
    d.value === 'on' ? t('stop review gate on: {0}', d.stateDir) : t('stop review gate off: {0}', d.stateDir),
  );
  // The folder's menu offers Enable where a state dir's gate is not on, Disable where one is.
  item.contextValue = [
    item.contextValue,
    g.dirs.some((d) => d.value !== 'on') ? 'gateOff' : '',
    g.dirs.some((d) => d.value === 'on') ? 'gateOn' : '',
  ]
    .filter(Boolean)
    .join(' ');
  item.tooltip = [typeof item.tooltip === 'string' ? item.tooltip : '', ...lines, ...g.warnings]
    .filter(Boolean)
    .join('\n');
}

/** Status bar tooltip lines. */
export function gateStatusText(model: JobsModel): string {
  const lines: string[] = [];
  for (const f of model.folders) {
    if (f.snapshots.length === 0) continue;
    const g = active?.gateOf(f) ?? folderGate(f.snapshots);
    lines.push(t('Stop review gate of {0}: {1}', f.folder.name, g.summary));
    lines.push(...g.warnings);
  }
  return lines.length ? `\n${lines.join('\n')}` : '';
}

/**
 * Enable/Disable Stop Review Gate: the companion's `setup --enable-review-gate|--disable-review-gate --json`.
 * Registered through registerTrustedCommand (the trust check is there).
 */
export async function runToggle(
  deps: CommandDeps,
  enable: boolean,
  args?: LaunchArgs,
): Promise<ToggleResult | undefined> {
  const folder = await pickFolder(args);
  if (!folder) return undefined;
  const env = await launchEnvironment(deps);
  if (!env) return undefined;
  const title = enable ? t('Enabling the Codex stop review gate') : t('Disabling the Codex stop review gate');
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, () =>
    toggleReviewGate({
      companion: env.companion.script,
      node: env.node.node,
      cwd: folder,
      pluginData: env.pluginData.dir,
      enable,
      history: active?.history,
      log: (m) => deps.output.info(m),
    }),
  );
  deps.output.info(`review gate: ${result.message}`);
  if (result.ok) void vscode.window.showInformationMessage(t('Codex Jobs: {0}', result.message));
  else void vscode.window.showErrorMessage(t('Codex Jobs: {0}', result.message));
  deps.refresh.request('jobs', enable ? 'stop review gate enabled' : 'stop review gate disabled');
  return result;
}

// Registrations only: the core does the work, src/ui renders it, the RefreshManager decides when.
import * as os from 'os';
import { defaultHostEnv } from './core/discovery/discovery';
import * as path from 'path';
import * as vscode from 'vscode';
import { JobsModel } from './core/model/model';
import { createProcessTable } from './core/os/processes';
import { JobArchive } from './core/archive/archive';
import { LiveUpdates } from './core/model/live';
import { BrokerMonitor } from './core/brokers/brokerMonitor';
import { JobsTreeProvider } from './ui/jobsTree';
import { ViewTick } from './ui/viewTick';
import { registerIgnoredSettingsNotice } from './ui/ignoredSettings';
import { onListenerError } from './core/vocab/emitter';
import { within } from './core/vocab/async';

import { JobsView } from './ui/jobsView';
import { JobDecorations } from './ui/jobDecorations';
import { JobsStatusBar } from './ui/statusBar';
import { ContextKeys } from './ui/contextKeys';
import { LogDocumentProvider } from './ui/logDocument';
import { ResultDocumentProvider } from './ui/resultDocument';
import { RecordDocumentProvider } from './ui/recordDocument';
import { LOG_SCHEME, RECORD_SCHEME, RESULT_SCHEME } from './ui/jobUris';
import { jobLookup } from './ui/jobLookup';
import {
  archiveLimits,
  brokerSettings,
  liveSettings,
  readCoreSettings,
  SECTION,
  showOtherWorkspaces,
} from './ui/settings';
import { JobNotifications } from './ui/notifications';
import { workspaceFolderRefs } from './ui/folders';
import { outputLogger } from './ui/outputLogger';
import type { CommandDeps } from './ui/commandDeps';
import { registerCommands } from './ui/commands';
import { BrokersTreeProvider } from './ui/brokersTree';
import { RefreshManager } from './ui/refreshManager';
import { FilterState } from './ui/jobFilter';
import { OtherWorkspaces } from './ui/otherWorkspaces';
import { SETTINGS, VIEWS } from './ui/ids';
import { t } from './ui/l10n';
import { FindingsDiagnostics } from './ui/diagnostics';
import { ReviewGateMonitor } from './ui/reviewGateView';
import { ResetReminders } from './ui/resetReminders';

/** Of the ~5 s VS Code gives deactivate, what the archive's last writes may take. */
const SHUTDOWN_MS = 4000;

export interface CodexJobsApi {
  model: JobsModel;
  live: LiveUpdates;
  notifications: JobNotifications;
  /** How long activate() took, in ms. */
  activationMs: number;
  jobsTree: JobsTreeProvider;
  jobsView: JobsView;
  statusBar: JobsStatusBar;
  logs: LogDocumentProvider;
  brokers: BrokerMonitor;
  brokersTree: BrokersTreeProvider;
  archive: JobArchive;
  refresh: RefreshManager;
  filter: FilterState;
  others: OtherWorkspaces;
  findings: FindingsDiagnostics;
  reviewGate: ReviewGateMonitor;
  reminders: ResetReminders;
}

export function activate(context: vscode.ExtensionContext): CodexJobsApi {
  const started = performance.now();
  const output = vscode.window.createOutputChannel(t('Codex Jobs'), { log: true });
  const logger = outputLogger(output);
  onListenerError((err) => output.error(`an event listener failed: ${(err as Error)?.stack ?? String(err)}`));
  const table = createProcessTable();
  const archive = new JobArchive(path.join(context.globalStorageUri.fsPath, 'archive'), archiveLimits(), logger);
  const host = defaultHostEnv();
  const model = new JobsModel({ archive, host, table, settings: readCoreSettings(), logger });
  model.setFolders(workspaceFolderRefs());
  const brokers = new BrokerMonitor(
    () => ({ ...brokerSettings(), tmpdir: os.tmpdir(), stateRoots: [...model.roots], table }),
    logger,
  );
  const others = new OtherWorkspaces(model);
  const filter = new FilterState(context.workspaceState);
  const jobsTree = new JobsTreeProvider(model, { filter, others, showOthers: showOtherWorkspaces });
  const jobsView = new JobsView(model, jobsTree, filter);
  const decorations = new JobDecorations(model, others);
  const tick = new ViewTick();
  tick.onTick(() => {
    jobsTree.tick();
    decorations.tick();
  });
  tick.setVisible(jobsView.view.visible);
  const brokersTree = new BrokersTreeProvider(brokers);
  const brokersView = vscode.window.createTreeView(VIEWS.brokers, { treeDataProvider: brokersTree });
  const refresh = new RefreshManager(
    {
      run: {
        jobs: () => model.refresh(),
        verify: () => model.reverify(),
        brokers: () => brokers.rescan(),
        others: () => (showOtherWorkspaces() && others.workspaces ? others.reload() : Promise.resolve()),
      },
      // Other workspaces are read only while the Jobs view is shown. Brokers are not gated: the status
      // bar counts orphans; they are scanned on a rebuild or when their view opens, never on a timer.
      visible: { others: () => jobsView.view.visible },
      files: (batch) => model.applyBatch(batch),
    },
    (m) => output.debug(m),
  );
  const live = new LiveUpdates(model, { ...liveSettings(), logger, archive, refresh });
  const findings = new FindingsDiagnostics(model, (m) => output.info(m));
  const reviewGate = new ReviewGateMonitor(model, context.globalState);
  // With one folder there is no folder row: the Jobs view's description says the gate.
  reviewGate.showIn(jobsView.view);
  const reminders = new ResetReminders();
  const deps: CommandDeps = {
    model,
    output,
    brokers,
    table,
    archive,
    refresh,
    filter,
    others,
    findings,
    reminders,
    reveal: (job) => jobsView.reveal(job),
  };
  const statusBar = new JobsStatusBar(model, brokers);
  const contextKeys = new ContextKeys(model);
  const notifications = new JobNotifications(model);
  const jobs = jobLookup(model, others);
  const logs = new LogDocumentProvider(model, jobs);
  // With no folder open there is nothing to show: no watcher, no timer.
  const follow = () => void (workspaceFolderRefs().length > 0 ? live.start() : live.stop());

  context.subscriptions.push(
    output,
    model,
    jobsTree,
    jobsView,
    filter,
    others,
    refresh,
    statusBar,
    contextKeys,
    notifications,
    logs,
    brokers,
    brokersTree,
    brokersView,
    brokersView.onDidChangeVisibility((e) => e.visible && refresh.request('brokers', 'Brokers view shown')),
    decorations,
    tick,
    registerIgnoredSettingsNotice((m) => output.warn(m)),
    findings,
    reviewGate,
    reminders,
    jobsView.view.onDidChangeVisibility((e) => {
      tick.setVisible(e.visible);
      if (e.visible) refresh.shown('others');
    }),
    model.onDidChange((e) => {
      if (!e.full) return;
      refresh.request('brokers', 'jobs model rebuilt');
      refresh.request('others', 'jobs model rebuilt');
    }),
    // Stopped again by deactivate, which waits for the archive's last writes.
    { dispose: () => void live.dispose() },
    { dispose: () => void archive.dispose() },
    vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, logs),
    vscode.workspace.registerTextDocumentContentProvider(RESULT_SCHEME, new ResultDocumentProvider(model, jobs)),
    vscode.workspace.registerTextDocumentContentProvider(RECORD_SCHEME, new RecordDocumentProvider(jobs)),
    ...registerCommands(deps),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      model.setFolders(workspaceFolderRefs());
      follow();
      refresh.request('jobs', 'workspace folders changed');
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      model.setSettings(readCoreSettings());
      live.setOptions(liveSettings());
      archive.setLimits(archiveLimits());
      if (e.affectsConfiguration(`${SECTION}.${SETTINGS.showAllWorkspaces}`)) jobsTree.refreshAll();
      refresh.request('jobs', 'settings changed');
    }),
  );
  contextKeys.update();
  follow();
  stopCore = async () => {
    await live.dispose();
    await archive.dispose();
  };
  const activationMs = performance.now() - started;
  output.info(`activated in ${activationMs.toFixed(1)} ms`);
  return {
    model,
    jobsTree,
    jobsView,
    statusBar,
    logs,
    brokers,
    brokersTree,
    live,
    notifications,
    archive,
    activationMs,
    refresh,
    filter,
    others,
    findings,
    reviewGate,
    reminders,
  };
}

/** What must finish before the window goes: the watchers stopped, the archive's pending writes made. */
let stopCore: (() => Promise<void>) | undefined;

/** VS Code waits a few seconds for this: the archive's last flush is awaited within that. */
export async function deactivate(): Promise<void> {
  const stop = stopCore;
  stopCore = undefined;
  if (stop) await within(stop(), SHUTDOWN_MS);
}

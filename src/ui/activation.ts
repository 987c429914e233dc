// What activate() builds, in the order it builds it: the core's objects (archive, model, brokers,
// other workspaces), the views, the refresh manager, live updates, then the panels and providers
// around them; and the listeners that tie them to the editor's events. extension.ts registers them.
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { defaultHostEnv } from '../core/discovery/discovery';
import { JobsModel } from '../core/model/model';
import { createProcessTable } from '../core/os/processes';
import { JobArchive } from '../core/archive/archive';
import { LiveUpdates } from '../core/model/live';
import { BrokerMonitor } from '../core/brokers/brokerMonitor';
import type { Logger } from '../core/vocab/emitter';
import type { ProcessTable } from '../core/vocab/types';
import { JobsTreeProvider } from './jobsTree';
import { ViewTick } from './viewTick';
import { JobsView } from './jobsView';
import { JobDecorations } from './jobDecorations';
import { JobsStatusBar } from './statusBar';
import { ContextKeys } from './contextKeys';
import { LogDocumentProvider } from './logDocument';
import { ResultDocumentProvider } from './resultDocument';
import { RecordDocumentProvider } from './recordDocument';
import { LOG_SCHEME, RECORD_SCHEME, RESULT_SCHEME } from './jobUris';
import { jobLookup, type JobLookup } from './jobLookup';
import {
  archiveLimits,
  brokerSettings,
  liveSettings,
  readCoreSettings,
  SECTION,
  showOtherWorkspaces,
} from './settings';
import { JobNotifications } from './notifications';
import { workspaceFolderRefs } from './folders';
import type { CommandDeps } from './commandDeps';
import { BrokersTreeProvider } from './brokersTree';
import { RefreshManager } from './refreshManager';
import { GuardianHost } from './guardianHost';
import { FilterState } from './jobFilter';
import { OtherWorkspaces } from './otherWorkspaces';
import { SETTINGS, VIEWS } from './ids';
import { FindingsDiagnostics } from './diagnostics';
import { ReviewGateMonitor } from './reviewGateView';
import { ResetReminders } from './resetReminders';
import type { UsageLedger } from '../core/usage/ledger';
import { createUsageLedger } from './usageView';
import { UsageStatusBar } from './usageStatusBar';

/** The core's objects: one process table, the archive, the model, the broker monitor, other workspaces. */
interface CoreParts {
  table: ProcessTable;
  archive: JobArchive;
  model: JobsModel;
  brokers: BrokerMonitor;
  others: OtherWorkspaces;
}

/** The Jobs and Brokers views, their tree providers, the filter, the row decorations and their tick. */
interface ViewParts {
  filter: FilterState;
  jobsTree: JobsTreeProvider;
  jobsView: JobsView;
  decorations: JobDecorations;
  tick: ViewTick;
  brokersTree: BrokersTreeProvider;
  brokersView: vscode.TreeView<unknown>;
}

/** Everything activate() made. */
export interface Parts extends CoreParts, ViewParts {
  output: vscode.LogOutputChannel;
  refresh: RefreshManager;
  live: LiveUpdates;
  findings: FindingsDiagnostics;
  reviewGate: ReviewGateMonitor;
  reminders: ResetReminders;
  deps: CommandDeps;
  statusBar: JobsStatusBar;
  guardian: GuardianHost;
  contextKeys: ContextKeys;
  notifications: JobNotifications;
  jobs: JobLookup;
  logs: LogDocumentProvider;
  /** Each job's usage and the account's windows (issue #28), and their status bar item. */
  usage: UsageLedger;
  usageBar: UsageStatusBar;
}

export function createParts(context: vscode.ExtensionContext, output: vscode.LogOutputChannel, logger: Logger): Parts {
  const core = createCore(context, logger);
  const views = createViews(context, core);
  const refresh = createRefresh(core, views, output);
  const live = new LiveUpdates(core.model, { ...liveSettings(), logger, archive: core.archive, refresh });
  return { output, ...core, ...views, refresh, live, ...createPanels(context, output, core, views, refresh) };
}

function createCore(context: vscode.ExtensionContext, logger: Logger): CoreParts {
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
  return { table, archive, model, brokers, others };
}

function createViews(context: vscode.ExtensionContext, { model, brokers, others, archive }: CoreParts): ViewParts {
  const filter = new FilterState(context.workspaceState);
  const jobsTree = new JobsTreeProvider(model, {
    filter,
    others,
    showOthers: showOtherWorkspaces,
    olderCount: (f) => f.snapshots.reduce((n, s) => n + archive.olderCount(s.stateDir), 0),
  });
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
  return { filter, jobsTree, jobsView, decorations, tick, brokersTree, brokersView };
}

function createRefresh(
  { model, brokers, others }: CoreParts,
  { jobsView }: ViewParts,
  output: vscode.LogOutputChannel,
): RefreshManager {
  return new RefreshManager(
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
}

/** Diagnostics, the review gate, reminders, the commands' dependencies, the status bar and the documents. */
function createPanels(
  context: vscode.ExtensionContext,
  output: vscode.LogOutputChannel,
  core: CoreParts,
  { filter, jobsView }: ViewParts,
  refresh: RefreshManager,
) {
  const { model, brokers, table, archive, others } = core;
  const findings = new FindingsDiagnostics(model, (m) => output.info(m));
  const reviewGate = new ReviewGateMonitor(model, context.globalState);
  // With one folder there is no folder row: the Jobs view's description says the gate.
  reviewGate.showIn(jobsView.view);
  const reminders = new ResetReminders();
  const usage = createUsageLedger(table, output);
  usage.follow(model);
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
    usage,
    reveal: (job) => jobsView.reveal(job),
  };
  const guardian = new GuardianHost(model, table, output, () => refresh.now('jobs', 'guardian').then(() => undefined));
  jobsView.showGuardian(guardian);
  const statusBar = new JobsStatusBar(model, brokers, guardian);
  const contextKeys = new ContextKeys(model);
  const notifications = new JobNotifications(model);
  const jobs = jobLookup(model, others);
  const logs = new LogDocumentProvider(model, jobs);
  const usageBar = new UsageStatusBar(usage);
  return {
    findings,
    reviewGate,
    reminders,
    deps,
    statusBar,
    guardian,
    contextKeys,
    notifications,
    jobs,
    logs,
    usage,
    usageBar,
  };
}

/** Opening the Brokers view scans the brokers. */
export function scanBrokersWhenShown({ brokersView, refresh }: Parts): vscode.Disposable {
  return brokersView.onDidChangeVisibility((e) => e.visible && refresh.request('brokers', 'Brokers view shown'));
}

/** The rows' ages tick only while the Jobs view is shown; other workspaces are read when it is. */
export function tickWhileShown({ jobsView, tick, refresh }: Parts): vscode.Disposable {
  return jobsView.view.onDidChangeVisibility((e) => {
    tick.setVisible(e.visible);
    if (e.visible) refresh.shown('others');
  });
}

/** A rebuilt model (new folders, new roots) may change which brokers and other workspaces there are. */
export function rescanOnRebuild({ model, refresh }: Parts): vscode.Disposable {
  return model.onDidChange((e) => {
    if (!e.full) return;
    refresh.request('brokers', 'jobs model rebuilt');
    refresh.request('others', 'jobs model rebuilt');
  });
}

/** The read-only log, result and record documents. */
export function documentProviders({ model, jobs, logs }: Parts): vscode.Disposable[] {
  return [
    vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, logs),
    vscode.workspace.registerTextDocumentContentProvider(RESULT_SCHEME, new ResultDocumentProvider(model, jobs)),
    vscode.workspace.registerTextDocumentContentProvider(RECORD_SCHEME, new RecordDocumentProvider(jobs)),
  ];
}

/** Folders added or removed: the model's folders, live updates on or off, a rescan. */
export function onFoldersChanged({ model, refresh }: Parts, follow: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeWorkspaceFolders(() => {
    model.setFolders(workspaceFolderRefs());
    follow();
    refresh.request('jobs', 'workspace folders changed');
  });
}

/** A codexJobs setting changed: every part that reads settings reads them again, then a rescan. */
export function onSettingsChanged({ model, live, archive, jobsTree, refresh }: Parts): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (!e.affectsConfiguration(SECTION)) return;
    model.setSettings(readCoreSettings());
    live.setOptions(liveSettings());
    archive.setLimits(archiveLimits());
    if (e.affectsConfiguration(`${SECTION}.${SETTINGS.showAllWorkspaces}`)) jobsTree.refreshAll();
    refresh.request('jobs', 'settings changed');
  });
}

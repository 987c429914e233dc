// Registrations only: the core does the work, src/ui renders it.
import * as os from 'os';
import * as vscode from 'vscode';
import { JobsModel } from './core/model';
import { createProcessTable } from './core/processes';
import { JobsTreeProvider } from './ui/jobsTree';
import { JobsStatusBar } from './ui/statusBar';
import { ContextKeys } from './ui/contextKeys';
import { LogDocumentProvider } from './ui/logDocument';
import { ResultDocumentProvider } from './ui/resultDocument';
import { RecordDocumentProvider } from './ui/recordDocument';
import { LOG_SCHEME, RECORD_SCHEME, RESULT_SCHEME } from './ui/jobUris';
import { archiveLimits, brokerSettings, liveSettings, readCoreSettings, SECTION } from './ui/settings';
import { JobArchive } from './core/archive';
import * as path from 'path';
import { LiveUpdates } from './core/live';
import { JobNotifications } from './ui/notifications';
import { workspaceFolderRefs } from './ui/folders';
import { outputLogger } from './ui/outputLogger';
import type { CommandDeps } from './ui/commands/deps';
import { registerRefresh } from './ui/commands/refresh';
import { registerOpenLog } from './ui/commands/openLog';
import { registerShowResult } from './ui/commands/showResult';
import { registerShowJobRecord } from './ui/commands/showJobRecord';
import { registerCopyJobId } from './ui/commands/copyJobId';
import { registerRevealStateDir } from './ui/commands/revealStateDir';
import { registerShowSearchedLocations } from './ui/commands/showSearchedLocations';
import { registerReapOrphanBrokers } from './ui/commands/reapOrphanBrokers';
import { registerStopBroker } from './ui/commands/stopBroker';
import { registerStartReview } from './ui/commands/startReview';
import { registerStartAdversarialReview } from './ui/commands/startAdversarialReview';
import { registerStartRescueTask } from './ui/commands/startRescueTask';
import { registerCancelJob } from './ui/commands/cancelJob';
import { registerRestoreToIndex } from './ui/commands/restoreToIndex';
import { registerRestoreRecord } from './ui/commands/restoreRecord';
import { registerMarkStaleFailed } from './ui/commands/markStaleFailed';
import { BrokerMonitor } from './core/brokerMonitor';
import { BrokersTreeProvider } from './ui/brokersTree';
import { FindingsDiagnostics } from './ui/diagnostics';
import { ReviewGateMonitor } from './ui/reviewGateView';
import { registerEnableReviewGate } from './ui/commands/enableReviewGate';
import { registerDisableReviewGate } from './ui/commands/disableReviewGate';
import { registerResumeRescueTask } from './ui/commands/resumeRescueTask';
import { registerRerunJob } from './ui/commands/rerunJob';
import { registerCopyResumeCommand } from './ui/commands/copyResumeCommand';
import { registerClearFindings } from './ui/commands/clearFindings';
import { registerRemindAtReset, ResetReminders } from './ui/commands/remindAtReset';
import { registerOpenFinding } from './ui/commands/openFinding';
import { registerRunCodexLogin } from './ui/commands/runCodexLogin';
import { registerInstallCodexCli } from './ui/commands/installCodexCli';

export interface CodexJobsApi {
  model: JobsModel;
  live: LiveUpdates;
  notifications: JobNotifications;
  /** How long activate() took, in ms. */
  activationMs: number;
  jobsTree: JobsTreeProvider;
  statusBar: JobsStatusBar;
  logs: LogDocumentProvider;
  brokers: BrokerMonitor;
  brokersTree: BrokersTreeProvider;
  archive: JobArchive;
  findings: FindingsDiagnostics;
  reviewGate: ReviewGateMonitor;
  reminders: ResetReminders;
}

export function activate(context: vscode.ExtensionContext): CodexJobsApi {
  const started = performance.now();
  const output = vscode.window.createOutputChannel('Codex Jobs', { log: true });
  const table = createProcessTable();
  const archive = new JobArchive(
    path.join(context.globalStorageUri.fsPath, 'archive'),
    archiveLimits(),
    outputLogger(output),
  );
  const model = new JobsModel({
    archive,
    host: { env: process.env, homedir: os.homedir(), tmpdir: os.tmpdir(), platform: process.platform },
    table,
    settings: readCoreSettings(),
    logger: outputLogger(output),
  });
  model.setFolders(workspaceFolderRefs());
  const jobsTree = new JobsTreeProvider(model);
  const brokers = new BrokerMonitor(
    () => ({ ...brokerSettings(), tmpdir: os.tmpdir(), stateRoots: [...model.roots], table }),
    outputLogger(output),
  );
  const brokersTree = new BrokersTreeProvider(brokers);
  const brokersView = vscode.window.createTreeView('codexJobs.brokers', { treeDataProvider: brokersTree });
  const statusBar = new JobsStatusBar(model, brokers);
  const contextKeys = new ContextKeys(model);
  const logs = new LogDocumentProvider(model);
  const deps: CommandDeps = { model, output, brokers, table, archive };
  const live = new LiveUpdates(model, { ...liveSettings(), logger: outputLogger(output) });
  const notifications = new JobNotifications(model);
  const findings = new FindingsDiagnostics(model, (m) => output.info(m));
  const reviewGate = new ReviewGateMonitor(model);
  const reminders = new ResetReminders();
  // With no folder open there is nothing to show: no watcher, no timer.
  const follow = () => void (workspaceFolderRefs().length > 0 ? live.start() : live.stop());
  const refresh = () => void model.refresh();

  context.subscriptions.push(
    output,
    model,
    jobsTree,
    statusBar,
    contextKeys,
    logs,
    notifications,
    brokers,
    brokersTree,
    brokersView,
    // Brokers are scanned when someone looks, and whenever the jobs model is rebuilt; never on a timer.
    brokersView.onDidChangeVisibility((e) => e.visible && void brokers.rescan()),
    model.onDidChange((e) => e.full && void brokers.rescan()),
    { dispose: () => void live.dispose() },
    { dispose: () => void archive.dispose() },
    reviewGate.showIn(
      vscode.window.createTreeView('codexJobs.jobs', { treeDataProvider: jobsTree, showCollapseAll: true }),
    ),
    vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, logs),
    vscode.workspace.registerTextDocumentContentProvider(RESULT_SCHEME, new ResultDocumentProvider(model)),
    vscode.workspace.registerTextDocumentContentProvider(RECORD_SCHEME, new RecordDocumentProvider(model)),
    registerRefresh(deps),
    registerOpenLog(deps),
    registerShowResult(deps),
    registerShowJobRecord(deps),
    registerCopyJobId(deps),
    registerRevealStateDir(deps),
    registerShowSearchedLocations(deps),
    registerReapOrphanBrokers(deps),
    registerStopBroker(deps),
    registerStartReview(deps),
    registerStartAdversarialReview(deps),
    registerStartRescueTask(deps),
    registerCancelJob(deps),
    registerRestoreToIndex(deps),
    registerRestoreRecord(deps),
    registerMarkStaleFailed(deps),
    findings,
    reviewGate,
    reminders,
    registerEnableReviewGate(deps),
    registerDisableReviewGate(deps),
    registerResumeRescueTask(deps),
    registerRerunJob(deps),
    registerCopyResumeCommand(deps),
    registerClearFindings(deps, findings),
    registerRemindAtReset(deps, reminders),
    registerOpenFinding(deps),
    registerRunCodexLogin(deps),
    registerInstallCodexCli(deps),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      model.setFolders(workspaceFolderRefs());
      follow();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      model.setSettings(readCoreSettings());
      live.setOptions(liveSettings());
      archive.setLimits(archiveLimits());
      refresh();
    }),
  );
  contextKeys.update();
  follow();
  const activationMs = performance.now() - started;
  output.info(`activated in ${activationMs.toFixed(1)} ms`);
  return {
    model,
    jobsTree,
    statusBar,
    logs,
    brokers,
    brokersTree,
    live,
    notifications,
    archive,
    activationMs,
    findings,
    reviewGate,
    reminders,
  };
}

export function deactivate(): void {}

// Registrations only: the core does the work, src/ui renders it, the RefreshManager decides when.
import * as vscode from 'vscode';
import type { JobsModel } from './core/model/model';
import type { JobArchive } from './core/archive/archive';
import type { LiveUpdates } from './core/model/live';
import type { BrokerMonitor } from './core/brokers/brokerMonitor';
import type { JobsTreeProvider } from './ui/jobsTree';
import { registerIgnoredSettingsNotice } from './ui/ignoredSettings';
import { onListenerError } from './core/vocab/emitter';
import { within } from './core/vocab/async';
import type { JobsView } from './ui/jobsView';
import type { JobsStatusBar } from './ui/statusBar';
import type { LogDocumentProvider } from './ui/logDocument';
import type { JobNotifications } from './ui/notifications';
import { workspaceFolderRefs } from './ui/folders';
import { outputLogger } from './ui/outputLogger';
import { registerCommands } from './ui/commands';
import type { BrokersTreeProvider } from './ui/brokersTree';
import type { RefreshManager } from './ui/refreshManager';
import type { FilterState } from './ui/jobFilter';
import type { OtherWorkspaces } from './ui/otherWorkspaces';
import { t } from './ui/l10n';
import type { FindingsDiagnostics } from './ui/diagnostics';
import type { ReviewGateMonitor } from './ui/reviewGateView';
import type { ResetReminders } from './ui/resetReminders';
import {
  createParts,
  documentProviders,
  onFoldersChanged,
  onSettingsChanged,
  rescanOnRebuild,
  scanBrokersWhenShown,
  tickWhileShown,
} from './ui/activation';

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
  usage: import('./core/usage/ledger').UsageLedger;
  usageBar: import('./ui/usageStatusBar').UsageStatusBar;
}

export function activate(context: vscode.ExtensionContext): CodexJobsApi {
  const started = performance.now();
  const output = vscode.window.createOutputChannel(t('Codex Jobs'), { log: true });
  const logger = outputLogger(output);
  onListenerError((err) => output.error(`an event listener failed: ${(err as Error)?.stack ?? String(err)}`));
  const p = createParts(context, output, logger);
  const { model, live, archive } = p;
  // With no folder open there is nothing to show: no watcher, no timer.
  const follow = () => void (workspaceFolderRefs().length > 0 ? live.start() : live.stop());

  context.subscriptions.push(
    output,
    model,
    p.jobsTree,
    p.jobsView,
    p.filter,
    p.others,
    p.refresh,
    p.statusBar,
    p.guardian,
    p.contextKeys,
    p.notifications,
    p.logs,
    p.brokers,
    p.brokersTree,
    p.brokersView,
    scanBrokersWhenShown(p),
    p.decorations,
    p.tick,
    registerIgnoredSettingsNotice((m) => output.warn(m)),
    p.findings,
    p.reviewGate,
    p.reminders,
    p.usage,
    p.usageBar,
    tickWhileShown(p),
    rescanOnRebuild(p),
    // Stopped again by deactivate, which waits for the archive's last writes.
    { dispose: () => void live.dispose() },
    { dispose: () => void archive.dispose() },
    ...documentProviders(p),
    ...registerCommands(p.deps),
    onFoldersChanged(p, follow),
    onSettingsChanged(p),
  );
  p.contextKeys.update();
  follow();
  stopCore = async () => {
    await live.dispose();
    await archive.dispose();
  };
  const activationMs = performance.now() - started;
  output.info(`activated in ${activationMs.toFixed(1)} ms`);
  const { jobsTree, jobsView, statusBar, logs, brokers, brokersTree, notifications, refresh, filter, others } = p;
  const { findings, reviewGate, reminders, usage, usageBar } = p;
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
    usage,
    usageBar,
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

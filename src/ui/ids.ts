// Every id the extension shares with package.json and with itself: commands, views, context keys,
// settings and tree node ids. Written once here; package.json must match (a test reads both).
import type { ErrorAction } from '../core/vocab/errorKinds';

export const COMMANDS = {
  refresh: 'codexJobs.refresh',
  openLog: 'codexJobs.openLog',
  showResult: 'codexJobs.showResult',
  copyJobId: 'codexJobs.copyJobId',
  revealStateDir: 'codexJobs.revealStateDir',
  showJobRecord: 'codexJobs.showJobRecord',
  showSearchedLocations: 'codexJobs.showSearchedLocations',
  reapOrphanBrokers: 'codexJobs.reapOrphanBrokers',
  stopBroker: 'codexJobs.stopBroker',
  startReview: 'codexJobs.startReview',
  startAdversarialReview: 'codexJobs.startAdversarialReview',
  startRescueTask: 'codexJobs.startRescueTask',
  cancelJob: 'codexJobs.cancelJob',
  restoreToIndex: 'codexJobs.restoreToIndex',
  restoreRecord: 'codexJobs.restoreRecord',
  markStaleFailed: 'codexJobs.markStaleFailed',
  syncIndexEntry: 'codexJobs.syncIndexEntry',
  filterJobs: 'codexJobs.filterJobs',
  filterJobsActive: 'codexJobs.filterJobsActive',
  clearFilter: 'codexJobs.clearFilter',
  findJob: 'codexJobs.findJob',
  enableReviewGate: 'codexJobs.enableReviewGate',
  disableReviewGate: 'codexJobs.disableReviewGate',
  resumeRescueTask: 'codexJobs.resumeRescueTask',
  rerunJob: 'codexJobs.rerunJob',
  copyResumeCommand: 'codexJobs.copyResumeCommand',
  clearFindings: 'codexJobs.clearFindings',
  remindAtReset: 'codexJobs.remindAtReset',
  openFinding: 'codexJobs.openFinding',
  runCodexLogin: 'codexJobs.runCodexLogin',
  installCodexCli: 'codexJobs.installCodexCli',
  exportFindingsSarif: 'codexJobs.exportFindingsSarif',
  rerunAllAtReset: 'codexJobs.rerunAllAtReset',
  showTimeline: 'codexJobs.showTimeline',
  showOlderJobs: 'codexJobs.showOlderJobs',
} as const;

/** `<publisher>.<name>` of package.json: where the extension's own version is read. */
export const EXTENSION_ID = 'codex-jobs.codex-jobs';

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

/** The command behind each error kind's action (core/vocab/errorKinds.ts), as its notification's button. */
export const ERROR_ACTION_COMMANDS: Record<ErrorAction, CommandId> = {
  'remind-at-reset': COMMANDS.remindAtReset,
  rerun: COMMANDS.rerunJob,
  'codex-login': COMMANDS.runCodexLogin,
  'install-codex': COMMANDS.installCodexCli,
  'open-log': COMMANDS.openLog,
};

export const VIEWS = {
  container: 'codexJobs',
  jobs: 'codexJobs.jobs',
  brokers: 'codexJobs.brokers',
} as const;

/** The status bar item's id (users can hide it by this id). */
export const STATUS_BAR_ITEM = 'codexJobs.status';
/** The Codex usage windows' status bar item. */
export const USAGE_STATUS_BAR_ITEM = 'codexJobs.usage';

/** `<view id>.focus` is the workbench's own command for showing a view. */
export const FOCUS_JOBS = `${VIEWS.jobs}.focus`;

export const CONTEXT = {
  loaded: 'codexJobs.loaded',
  hasFolders: 'codexJobs.hasFolders',
  hasStateDirs: 'codexJobs.hasStateDirs',
  hasJobs: 'codexJobs.hasJobs',
  filtered: 'codexJobs.filtered',
  /** Some broker is an orphan or dead: Reap Orphan Brokers has something to do. */
  hasReapable: 'codexJobs.hasReapable',
  /** Some state dir's stop review gate is not on / is on. */
  gateCanEnable: 'codexJobs.gateCanEnable',
  gateCanDisable: 'codexJobs.gateCanDisable',
} as const;

export const SECTION = 'codexJobs';

/** Setting keys under `codexJobs.`. */
export const SETTINGS = {
  stateRoots: 'stateRoots',
  stalledAfterMinutes: 'stalledAfterMinutes',
  logTailKilobytes: 'logTailKilobytes',
  progressLines: 'progressLines',
  statusBarAlwaysShow: 'statusBar.alwaysShow',
  reverifyIntervalSeconds: 'reverifyIntervalSeconds',
  watchUsePolling: 'watch.usePolling',
  notifications: 'notifications',
  brokersGracePeriodSeconds: 'brokers.gracePeriodSeconds',
  brokersExtraRoots: 'brokers.extraRoots',
  archiveMaxAgeDays: 'archive.maxAgeDays',
  archiveMaxSizeMB: 'archive.maxSizeMB',
  archiveMaxLogMB: 'archive.maxLogMB',
  companionPath: 'companionPath',
  nodePath: 'nodePath',
  pluginDataDir: 'pluginDataDir',
  showAllWorkspaces: 'allWorkspaces.show',
  findingsProblems: 'findings.problems',
  codexHome: 'codexHome',
  usageStatusBar: 'usage.statusBar',
  usageWarnAtPercent: 'usage.warnAtPercent',
  guardianEnabled: 'guardian.enabled',
  guardianGraceSeconds: 'guardian.graceSeconds',
  guardianSettleMs: 'guardian.settleMs',
} as const;

/** Where the filter is remembered (workspaceState). */
export const FILTER_STATE_KEY = 'codexJobs.filter';

/** Tree node ids: stable across refreshes (never a time or a count in them). */
export const NODE = {
  folder: (folderPath: string) => `folder:${folderPath}`,
  /** `group`: a key from jobGrouping.ts (a status group, `session:…`, `date:…`), never a time or a count. */
  group: (folderPath: string, group: string) => `group:${folderPath}:${group}`,
  job: (stateDir: string, id: string) => `job:${stateDir}:${id}`,
  logLine: (jobNodeId: string, index: number) => `${jobNodeId}:line:${index}`,
  finding: (jobNodeId: string, index: number) => `${jobNodeId}:finding:${index}`,
  /** The earlier review's findings this review did not report, under its row. */
  notReported: (jobNodeId: string) => `${jobNodeId}:not-reported`,
  warnings: (folderPath: string) => `warnings:${folderPath}`,
  warning: (warningsNodeId: string, index: number) => `${warningsNodeId}:${index}`,
  /** "Show older jobs…" under a folder's jobs. */
  older: (folderPath: string) => `older:${folderPath}`,
  allWorkspaces: () => 'all-workspaces',
  otherWorkspace: (key: string) => `all-workspaces:${key}`,
  otherJob: (stateDir: string, id: string) => `all-workspaces:job:${stateDir}:${id}`,
  brokerGroup: (group: string) => `brokers:${group}`,
  broker: (key: string) => `broker:${key}`,
} as const;

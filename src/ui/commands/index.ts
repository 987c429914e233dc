// Every command, one file each; the 16 original ids are kept (see ids.ts). Trusted ones register
// through registerTrustedCommand.
import type * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { registerRefresh } from './refresh';
import { registerOpenLog } from './openLog';
import { registerShowResult } from './showResult';
import { registerShowJobRecord } from './showJobRecord';
import { registerCopyJobId } from './copyJobId';
import { registerRevealStateDir } from './revealStateDir';
import { registerShowSearchedLocations } from './showSearchedLocations';
import { registerReapOrphanBrokers } from './reapOrphanBrokers';
import { registerStopBroker } from './stopBroker';
import { registerStartReview } from './startReview';
import { registerStartAdversarialReview } from './startAdversarialReview';
import { registerStartRescueTask } from './startRescueTask';
import { registerCancelJob } from './cancelJob';
import { registerRestoreToIndex } from './restoreToIndex';
import { registerRestoreRecord } from './restoreRecord';
import { registerMarkStaleFailed } from './markStaleFailed';
import { registerSyncIndexEntry } from './syncIndexEntry';
import { registerFilterJobs } from './filterJobs';
import { registerFilterJobsActive } from './filterJobsActive';
import { registerClearFilter } from './clearFilter';
import { registerFindJob } from './findJob';
import { registerEnableReviewGate } from './enableReviewGate';
import { registerDisableReviewGate } from './disableReviewGate';
import { registerResumeRescueTask } from './resumeRescueTask';
import { registerRerunJob } from './rerunJob';
import { registerCopyResumeCommand } from './copyResumeCommand';
import { registerClearFindings } from './clearFindings';
import { registerRemindAtReset } from './remindAtReset';
import { registerOpenFinding } from './openFinding';
import { registerShowOlderJobs } from './showOlderJobs';
import { registerRunCodexLogin } from './runCodexLogin';
import { registerInstallCodexCli } from './installCodexCli';
import { registerExportFindingsSarif } from './exportFindingsSarif';
import { registerRerunAllAtReset } from './rerunAllAtReset';
import { registerShowTimeline } from './showTimeline';

const ALL: ((deps: CommandDeps) => vscode.Disposable)[] = [
  registerRefresh,
  registerOpenLog,
  registerShowResult,
  registerShowJobRecord,
  registerCopyJobId,
  registerRevealStateDir,
  registerShowSearchedLocations,
  registerReapOrphanBrokers,
  registerStopBroker,
  registerStartReview,
  registerStartAdversarialReview,
  registerStartRescueTask,
  registerCancelJob,
  registerRestoreToIndex,
  registerRestoreRecord,
  registerMarkStaleFailed,
  registerSyncIndexEntry,
  registerFilterJobs,
  registerFilterJobsActive,
  registerClearFilter,
  registerFindJob,
  registerEnableReviewGate,
  registerDisableReviewGate,
  registerResumeRescueTask,
  registerRerunJob,
  registerCopyResumeCommand,
  registerClearFindings,
  registerRemindAtReset,
  registerOpenFinding,
  registerShowOlderJobs,
  registerRunCodexLogin,
  registerInstallCodexCli,
  registerExportFindingsSarif,
  registerRerunAllAtReset,
  registerShowTimeline,
];

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  return ALL.map((register) => register(deps));
}

// What every command may use; built once in extension.ts.
import type * as vscode from 'vscode';
import type { JobsModel } from '../core/model/model';
import type { BrokerMonitor } from '../core/brokers/brokerMonitor';
import type { ProcessTable } from '../core/vocab/types';
import type { JobArchive } from '../core/archive/archive';
import type { RefreshManager } from './refreshManager';
import type { FilterState } from './jobFilter';
import type { OtherWorkspaces } from './otherWorkspaces';
import type { FindingsDiagnostics } from './diagnostics';
import type { ResetReminders } from './resetReminders';

export interface CommandDeps {
  model: JobsModel;
  brokers: BrokerMonitor;
  table: ProcessTable;
  output: vscode.LogOutputChannel;
  archive: JobArchive;
  /** Every refresh goes through it, with its reason. */
  refresh: RefreshManager;
  filter: FilterState;
  others: OtherWorkspaces;
  /** The Problems panel's review findings (Clear Review Findings). */
  findings: FindingsDiagnostics;
  /** Usage-limit reset reminders (Re-run at Reset). */
  reminders: ResetReminders;
  /** Each job's usage and the account's windows (the launch warning, Re-run All at Reset). */
  usage?: import('../core/usage/ledger').UsageLedger;
  /** Shows a job in the Jobs view (set once the view exists). */
  reveal: (job: import('../core/vocab/types').Job) => Promise<boolean>;
}

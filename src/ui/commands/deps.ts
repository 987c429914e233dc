// What every command may use; built once in extension.ts.
import type * as vscode from 'vscode';
import type { JobsModel } from '../../core/model';
import type { BrokerMonitor } from '../../core/brokerMonitor';
import type { ProcessTable } from '../../core/types';
import type { JobArchive } from '../../core/archive';

export interface CommandDeps {
  model: JobsModel;
  brokers: BrokerMonitor;
  table: ProcessTable;
  output: vscode.LogOutputChannel;
  archive: JobArchive;
}

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
import { readCoreSettings, SECTION } from './ui/settings';
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

export interface CodexJobsApi {
  model: JobsModel;
  jobsTree: JobsTreeProvider;
  statusBar: JobsStatusBar;
  logs: LogDocumentProvider;
}

export function activate(context: vscode.ExtensionContext): CodexJobsApi {
  const output = vscode.window.createOutputChannel('Codex Jobs', { log: true });
  const model = new JobsModel({
    host: { env: process.env, homedir: os.homedir(), tmpdir: os.tmpdir(), platform: process.platform },
    table: createProcessTable(),
    settings: readCoreSettings(),
    logger: outputLogger(output),
  });
  model.setFolders(workspaceFolderRefs());
  const jobsTree = new JobsTreeProvider(model);
  const statusBar = new JobsStatusBar(model);
  const contextKeys = new ContextKeys(model);
  const logs = new LogDocumentProvider(model);
  const deps: CommandDeps = { model, output };
  const refresh = () => void model.refresh();

  context.subscriptions.push(
    output,
    model,
    jobsTree,
    statusBar,
    contextKeys,
    logs,
    vscode.window.createTreeView('codexJobs.jobs', { treeDataProvider: jobsTree, showCollapseAll: true }),
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
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      model.setFolders(workspaceFolderRefs());
      refresh();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      model.setSettings(readCoreSettings());
      refresh();
    }),
  );
  contextKeys.update();
  refresh();
  return { model, jobsTree, statusBar, logs };
}

export function deactivate(): void {}

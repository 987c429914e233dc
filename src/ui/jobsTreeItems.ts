// The Jobs view's rows as VS Code shows them: label, description, icon, context value and what a
// click does, one function per kind of node. Tooltips of job rows are made on hover (jobsTree.ts).
import * as path from 'path';
import * as vscode from 'vscode';
import { firstLine, parseTime } from '../core/vocab/format';
import type { Job, LogLine, StateRoot } from '../core/vocab/types';
import { countJobs, hasResult } from '../core/vocab/classify';
import { jobAccessibility, jobContextValue, jobDescription, jobLabel, statusIcon } from './jobTreeItem';
import type { OtherWorkspaces } from './otherWorkspaces';
import { COMMANDS } from './ids';
import { jobResourceUri } from './jobDecorations';
import { t } from './l10n';
import { countWords } from './countWords';
import { hasFindingRows } from './findingNodes';
import { featureIcon } from './jobFeatures';
import { decorateFolderItem } from './reviewGateView';
import { coloredIcon } from './iconColors';
import { formatLocal, UNKNOWN_TIME } from '../core/vocab/dates';
import type { FolderState } from '../core/model/model';
import { folderOf } from './jobsNodes';
import type {
  AllWorkspacesNode,
  FolderNode,
  GroupNode,
  JobNode,
  LogLineNode,
  OtherWorkspaceNode,
  OlderJobsNode,
  WarningNode,
  WarningsNode,
} from './jobsNodes';

export function groupItem(node: GroupNode): vscode.TreeItem {
  const b = node.bucket;
  const item = new vscode.TreeItem(b.label, vscode.TreeItemCollapsibleState.Expanded);
  item.id = node.id;
  // The Running group says what it holds in the status bar's words ("2 running, 1 queued").
  item.description = node.group === 'running' ? countWords(countJobs(node.jobs)).join(', ') : String(node.jobs.length);
  item.iconPath = coloredIcon(b.icon, node.group === 'attention' ? 'warning' : undefined);
  // The first word after "group" says the grouping: status groups keep their plain key.
  item.contextValue = `group ${node.group.split(':')[0]}`;
  item.accessibilityInformation = {
    label: `${b.label}: ${node.jobs.length === 1 ? t('1 job') : t('{0} jobs', node.jobs.length)}`,
  };
  return item;
}

export function logLineItem(node: LogLineNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.line.text, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.description = node.line.time ? shortTime(node.line.time) : undefined;
  item.tooltip = node.line.time ? `${node.line.time}\n${node.line.text}` : node.line.text;
  item.contextValue = 'logLine';
  // A failed job ends on its error, so its lines do not read like a running job's.
  if (node.isError) item.iconPath = coloredIcon('error', 'error');
  item.accessibilityInformation = {
    label: node.line.time ? t('log line at {0}: {1}', shortTime(node.line.time), node.line.text) : node.line.text,
  };
  return item;
}

export function warningsItem(node: WarningsNode): vscode.TreeItem {
  const label = t('Problems reading job files');
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = node.id;
  item.description = String(node.folder.warnings.length);
  item.iconPath = coloredIcon('warning', 'warning');
  item.contextValue = 'warnings';
  item.accessibilityInformation = { label: `${label}: ${node.folder.warnings.length}` };
  return item;
}

export function olderJobsItem(node: OlderJobsNode): vscode.TreeItem {
  const label = t('Show older jobs…');
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.description = String(node.count);
  item.iconPath = new vscode.ThemeIcon('history');
  item.contextValue = 'olderJobs';
  item.command = { command: COMMANDS.showOlderJobs, title: label, arguments: [node.folder.folder.path] };
  item.accessibilityInformation = { label: `${label} ${node.count}` };
  return item;
}

export function warningItem(node: WarningNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.warning.message, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.description = path.basename(node.warning.file);
  item.tooltip = `${node.warning.file}\n${node.warning.message}`;
  item.iconPath = new vscode.ThemeIcon('info');
  item.contextValue = 'warning';
  item.accessibilityInformation = { label: `${node.warning.message} (${path.basename(node.warning.file)})` };
  return item;
}

export function allWorkspacesItem(node: AllWorkspacesNode, others: OtherWorkspaces | undefined): vscode.TreeItem {
  const label = t('All Workspaces');
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = node.id;
  item.iconPath = new vscode.ThemeIcon('globe');
  const list = others?.workspaces;
  item.description = list ? t('{0} other workspaces', list.length) : undefined;
  item.tooltip = t('Every Codex state dir under every root searched, for workspaces not open in this window.');
  item.contextValue = 'allWorkspaces';
  item.accessibilityInformation = { label: item.description ? `${label}, ${item.description}` : label };
  return item;
}

export function otherWorkspaceItem(node: OtherWorkspaceNode): vscode.TreeItem {
  const w = node.workspace;
  const item = new vscode.TreeItem(w.name, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = node.id;
  item.iconPath = vscode.ThemeIcon.Folder;
  item.description = jobsSummary(w.jobs);
  item.tooltip = [
    w.workspaceRoot ?? w.key,
    ...w.stateDirs.map((s) => t('state: {0} ({1})', s.stateDir, rootSourceText(s.root))),
  ].join('\n');
  item.contextValue = 'otherWorkspace';
  item.accessibilityInformation = { label: `${w.name}, ${item.description}` };
  return item;
}

export function folderItem(node: FolderNode): vscode.TreeItem {
  const f = node.state;
  const item = new vscode.TreeItem(f.folder.name, vscode.TreeItemCollapsibleState.Expanded);
  item.id = node.id;
  item.iconPath = vscode.ThemeIcon.Folder;
  item.description = f.snapshots.length === 0 ? t('no Codex state') : jobsSummary(f.jobs);
  item.tooltip = [f.folder.path, ...f.snapshots.map((s) => t('state: {0}', s.stateDir))].join('\n');
  item.contextValue = 'folder';
  // The stop review gate per state dir (description and tooltip).
  decorateFolderItem(item, f);
  item.accessibilityInformation = { label: `${f.folder.name}, ${item.description}` };
  return item;
}

/** A job row; `now` dates its description; `folder`: its open folder as it is now (for the review series). */
export function jobItem(node: JobNode, now: number, folder: FolderState | undefined = folderOf(node)): vscode.TreeItem {
  const job = node.job;
  const findings = node.parent.type !== 'otherWorkspace' && hasFindingRows(job, folder);
  const item = new vscode.TreeItem(
    jobLabel(job),
    job.log.progress.length > 0 || findings || errorLines(job).length > 0
      ? vscode.TreeItemCollapsibleState.Collapsed
      : vscode.TreeItemCollapsibleState.None,
  );
  item.id = node.id;
  item.description = jobDescription(job, now);
  // The tooltip is made when it is shown (resolveTreeItem), so its times are those of that moment.
  // A failed job's icon says why it failed (its error kind); otherwise the status icon.
  item.iconPath = featureIcon(job) ?? statusIcon(job.status);
  // The age badge (jobDecorations.ts) hangs on this URI; iconPath keeps the status icon.
  item.resourceUri = jobResourceUri(job);
  // A job of a workspace not open here is only shown: no cancel, no repair words.
  item.contextValue =
    node.parent.type === 'otherWorkspace'
      ? ['job', 'otherWorkspace', job.status, ...(hasResult(job) ? ['hasResult'] : [])].join(' ')
      : jobContextValue(job);
  item.accessibilityInformation = jobAccessibility(job, now);
  item.command = hasResult(job)
    ? { command: COMMANDS.showResult, title: t('Show Result'), arguments: [job] }
    : job.log.exists
      ? { command: COMMANDS.openLog, title: t('Open Log'), arguments: [job] }
      : undefined;
  return item;
}

/** Where a state root came from, in words; a source added later reads as itself until it has a row. */
const ROOT_SOURCE: Record<StateRoot['source'], string> = {
  'plugin-data': 'Claude plugin data',
  tmp: 'temp dir fallback',
  setting: 'codexJobs.stateRoots',
  cli: 'command line',
  env: '$CLAUDE_PLUGIN_DATA',
  process: 'a live companion or broker',
};

export function rootSourceText(root: StateRoot): string {
  const where = (root as StateRoot & { learnedFrom?: string }).learnedFrom;
  const text = t((ROOT_SOURCE as Record<string, string | undefined>)[root.source] ?? root.source);
  return where ? t('{0}, learned from {1}', text, where) : text;
}

/** A failed job's error as one line ("Error: …"), dated when it ended. */
export function errorLines(job: Job): LogLine[] {
  const text = job.status === 'failed' ? firstLine(job.display.errorMessage, 200) : undefined;
  return text ? [{ time: job.display.completedAt, text: t('Error: {0}', text) }] : [];
}

/** A folder's line: "2 running, 1 needs attention", or "12 jobs" when nothing is live or wrong. */
function jobsSummary(jobs: readonly Job[]): string {
  return countWords(countJobs(jobs)).join(', ') || t('{0} jobs', jobs.length);
}

/** A log line's time: the clock time today, with the date (and year) otherwise; a time that is none is said so. */
function shortTime(iso: string): string {
  const ms = parseTime(iso);
  return ms === undefined ? t(UNKNOWN_TIME) : formatLocal(ms, Date.now(), { seconds: true });
}

// A review's findings as children of its row: severity icon, `file:line`, title; a click opens the
// file at the line (codexJobs.openFinding checks the path first). Bounded: a hostile record with
// thousands of findings shows the first ones and says how many more there are.
import * as vscode from 'vscode';
import type { FolderState } from '../core/model/model';
import type { Job } from '../core/vocab/types';
import { findingLocation, lexicalPlace, reviewResultOf, type Finding, type ReviewResult } from '../core/io/findings';
import { COMMANDS, NODE } from './ids';
import { t } from './l10n';
import { coloredIcon, type IconColor } from './iconColors';

export const MAX_FINDING_ROWS = 200;

/** The job row a finding hangs under (a JobNode of an open folder). */
export interface FindingParent {
  id: string;
  job: Job;
}

export class FindingNode {
  readonly type = 'finding';
  constructor(
    public finding: Finding | undefined,
    /** For the "more" row: how many are not shown. */
    public more: number,
    public index: number,
    public parent: FindingParent,
    /** The open folder whose root the finding's path is relative to. */
    public folder: FolderState,
  ) {}
  get id(): string {
    return NODE.finding(this.parent.id, this.index);
  }
}

const parsed = new WeakMap<Job, ReviewResult | null>();
export function reviewOf(job: Job): ReviewResult | undefined {
  let r = parsed.get(job);
  if (r === undefined) {
    // Only review jobs have findings: a task's review-shaped output is not one.
    r = reviewResultOf(job) ?? null;
    parsed.set(job, r);
  }
  return r ?? undefined;
}

export function hasFindingRows(job: Job): boolean {
  const r = reviewOf(job);
  return !!r && (r.total > 0 || r.warnings.length > 0);
}

/** The finding rows under a job's row (none for a job without a structured review result). */
export function findingNodes(parent: FindingParent, folder: FolderState): FindingNode[] {
  const r = reviewOf(parent.job);
  if (!r) return [];
  const shown = r.findings.slice(0, MAX_FINDING_ROWS);
  const nodes = shown.map((f, i) => new FindingNode(f, 0, i, parent, folder));
  const more = r.total - r.dropped - shown.length;
  if (more > 0 || r.warnings.length) nodes.push(new FindingNode(undefined, more, shown.length, parent, folder));
  return nodes;
}

export const SEVERITY_ICON: Record<string, [string, IconColor]> = {
  critical: ['error', 'error'],
  high: ['error', 'error'],
  medium: ['warning', 'warning'],
  low: ['info', 'info'],
  unknown: ['circle-outline', 'warning'],
};

/** The workspace root findings are relative to: the folder's git top level, as the companion used. */
export function findingRoot(folder: FolderState): string {
  return folder.mapping?.workspaceRoot ?? folder.folder.path;
}

export function findingTreeItem(node: FindingNode): vscode.TreeItem {
  const f = node.finding;
  if (!f) {
    const r = reviewOf(node.parent.job);
    const label = node.more > 0 ? t('{0} more finding(s) not shown', node.more) : t('Some findings could not be read');
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.iconPath = new vscode.ThemeIcon('ellipsis');
    item.tooltip = [...(r?.warnings ?? []), t('Show Result lists them.')].join('\n');
    item.contextValue = 'findingMore';
    item.accessibilityInformation = { label };
    item.command = { command: COMMANDS.showResult, title: t('Show Result'), arguments: [node.parent.job] };
    return item;
  }
  const item = new vscode.TreeItem(f.title, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  const [icon, color] = SEVERITY_ICON[f.severity];
  item.iconPath = coloredIcon(icon, color);
  const root = findingRoot(node.folder);
  // By the path's segments; links and existence are checked when it is opened. Listed, never
  // opened: a path outside the workspace, or one that is no usable file name.
  const place = f.file ? lexicalPlace(root, f.file) : undefined;
  const inside = !!place && 'inside' in place;
  const notOpened = place && !('inside' in place) ? place : undefined;
  const where = notOpened?.reason === 'invalid' ? t('not a usable path') : t('outside the workspace');
  const severity = t(f.severity);
  item.description = `${severity} · ${findingLocation(f)}${notOpened ? ` · ${where}` : ''}`;
  const md = new vscode.MarkdownString();
  md.appendText(`[${severity}] ${f.title} (${findingLocation(f)})\n\n`);
  if (f.body) md.appendText(`${f.body}\n\n`);
  if (f.recommendation) md.appendText(`${t('Recommendation: {0}', f.recommendation)}\n\n`);
  if (f.confidence !== undefined) md.appendText(`${t('Confidence: {0}', f.confidence)}\n`);
  if (notOpened) md.appendText(`\n${t('Not opened: {0}', notOpened.message)}`);
  item.tooltip = md;
  item.contextValue = `finding ${f.severity}${inside ? ' openable' : ''}`;
  item.accessibilityInformation = {
    label: t('{0} finding: {1}, {2}', severity, f.title, findingLocation(f)),
  };
  if (inside)
    item.command = {
      command: COMMANDS.openFinding,
      title: t('Open Finding'),
      arguments: [{ stateDir: node.parent.job.stateDir, id: node.parent.job.id, index: f.index }],
    };
  return item;
}

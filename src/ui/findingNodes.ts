// A review's findings as children of its row: severity icon, `file:line`, title; a click opens the
// file at the line (codexJobs.openFinding checks the path first). When an earlier review of the same
// target exists, each finding says whether it is new or still open, and the earlier review's findings
// this one did not report hang under one more row, "not reported again". Bounded: a hostile record
// with thousands of findings shows the first ones and says how many more there are.
import * as vscode from 'vscode';
import type { FolderState } from '../core/model/model';
import type { Job } from '../core/vocab/types';
import { lexicalPlace, type Finding } from '../core/io/findings';
import type { FixedFinding } from '../core/io/reviewSeries';
import { formatLocal } from '../core/vocab/dates';
import { parseTime } from '../core/vocab/format';
import { COMMANDS, NODE } from './ids';
import { t } from './l10n';
import { coloredIcon, type IconColor } from './iconColors';
import { locationIn, markText, movedText, reviewOf, seriesOf } from './findingSeries';

export { reviewOf } from './findingSeries';

export const MAX_FINDING_ROWS = 200;

/** The row a finding hangs under: a JobNode of an open folder, or the "not reported again" row. */
export interface FindingParent {
  id: string;
  job: Job;
}

/** A finding's mark against the review before it: `label` is the core's (never "fixed"). */
export interface FindingMark {
  mark: 'new' | 'still-open' | 'fixed';
  label: string;
  lineShift?: number;
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
    public mark?: FindingMark,
    /** The review the finding is from (the earlier one, for a finding not reported again). */
    public owner: Job = parent.job,
  ) {}
  get id(): string {
    return NODE.finding(this.parent.id, this.index);
  }
}

/** The earlier review's findings that this review did not report, under one row. */
export class NotReportedNode {
  readonly type = 'notReported';
  constructor(
    public parent: FindingParent,
    public folder: FolderState,
    /** The earlier review. */
    public previous: Job,
    /** Its findings this review did not report, each with the core's label ("not reported again"). */
    public findings: readonly FixedFinding[],
    /** Findings of either review beyond the compared limit. */
    public leftOut: number,
  ) {}
  get id(): string {
    return NODE.notReported(this.parent.id);
  }
  get job(): Job {
    return this.parent.job;
  }
}

/** Does the job's row have children of findings: its own, or an earlier review's not reported again? */
export function hasFindingRows(job: Job, folder: FolderState | undefined): boolean {
  const r = reviewOf(job);
  if (r && (r.total > 0 || r.warnings.length > 0)) return true;
  return !!folder && (seriesOf(folder).compare(job)?.fixed.length ?? 0) > 0;
}

/** The finding rows under a job's row, then the "not reported again" row (none for a job that is no review). */
export function findingNodes(parent: FindingParent, folder: FolderState): (FindingNode | NotReportedNode)[] {
  const r = reviewOf(parent.job);
  const cmp = seriesOf(folder).compare(parent.job);
  const marks = new Map<Finding, FindingMark>(cmp?.current.map((c) => [c.finding, c]));
  const shown = r?.findings.slice(0, MAX_FINDING_ROWS) ?? [];
  const nodes: (FindingNode | NotReportedNode)[] = shown.map(
    (f, i) => new FindingNode(f, 0, i, parent, folder, marks.get(f)),
  );
  const more = r ? r.total - r.dropped - shown.length : 0;
  if (r && (more > 0 || r.warnings.length)) nodes.push(new FindingNode(undefined, more, shown.length, parent, folder));
  if (cmp?.fixed.length) nodes.push(new NotReportedNode(parent, folder, cmp.previous, cmp.fixed, cmp.leftOut));
  return nodes;
}

/** The earlier review's findings under the "not reported again" row. */
export function notReportedChildren(node: NotReportedNode): FindingNode[] {
  return node.findings
    .slice(0, MAX_FINDING_ROWS)
    .map((x, i) => new FindingNode(x.finding, 0, i, node, node.folder, x, node.previous));
}

function reviewTime(job: Job): string {
  const at = parseTime(job.display.completedAt);
  return at === undefined ? job.id : formatLocal(at, Date.now());
}

export function notReportedItem(node: NotReportedNode): vscode.TreeItem {
  const n = node.findings.length;
  const label = n === 1 ? t('1 finding not reported again') : t('{0} findings not reported again', n);
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = node.id;
  item.iconPath = new vscode.ThemeIcon('history');
  const when = reviewTime(node.previous);
  item.description = t('since the review of {0}', when);
  const lines = [
    t(
      'Findings of the previous review of this target ({0}, {1}) that this review did not report.',
      node.previous.id,
      when,
    ),
    t('They may be fixed, or reworded or missed this time: the review does not say which.'),
  ];
  if (node.leftOut > 0) lines.push(t('{0} finding(s) beyond the limit were not compared.', node.leftOut));
  if (n > MAX_FINDING_ROWS) lines.push(t('The first {0} are listed; Show Result lists them all.', MAX_FINDING_ROWS));
  item.tooltip = lines.join('\n');
  item.contextValue = 'findingsNotReported';
  item.accessibilityInformation = { label: `${label}, ${item.description}` };
  return item;
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

function moreItem(node: FindingNode): vscode.TreeItem {
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

export function findingTreeItem(node: FindingNode): vscode.TreeItem {
  const f = node.finding;
  if (!f) return moreItem(node);
  const item = new vscode.TreeItem(f.title, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  const [icon, color] = SEVERITY_ICON[f.severity];
  // A finding not reported again is the earlier review's: its icon says so, not its severity.
  item.iconPath = node.mark?.mark === 'fixed' ? new vscode.ThemeIcon('pass') : coloredIcon(icon, color);
  const root = findingRoot(node.folder);
  // By the path's segments; links and existence are checked when it is opened. Listed, never
  // opened: a path outside the workspace, or one that is no usable file name.
  const place = f.file ? lexicalPlace(root, f.file) : undefined;
  const inside = !!place && 'inside' in place;
  const notOpened = place && !('inside' in place) ? place : undefined;
  const where = notOpened?.reason === 'invalid' ? t('not a usable path') : t('outside the workspace');
  const severity = t(f.severity);
  const mark = node.mark ? markText(node.mark) : undefined;
  const loc = locationIn(root, f);
  const moved = movedText(node.mark?.lineShift);
  item.description = [mark, severity, loc, notOpened ? where : undefined].filter((s) => s !== undefined).join(' · ');
  const md = new vscode.MarkdownString();
  md.appendText(`[${severity}] ${f.title} (${loc})\n\n`);
  if (mark) md.appendText(`${moved ? `${mark}, ${moved}` : mark}\n\n`);
  if (f.body) md.appendText(`${f.body}\n\n`);
  if (f.recommendation) md.appendText(`${t('Recommendation: {0}', f.recommendation)}\n\n`);
  if (f.confidence !== undefined) md.appendText(`${t('Confidence: {0}', f.confidence)}\n`);
  if (notOpened) md.appendText(`\n${t('Not opened: {0}', notOpened.message)}`);
  item.tooltip = md;
  item.contextValue = `finding ${f.severity}${node.mark ? ` ${node.mark.mark}` : ''}${inside ? ' openable' : ''}`;
  item.accessibilityInformation = {
    label: mark
      ? t('{0} finding, {1}: {2}, {3}', severity, mark, f.title, loc)
      : t('{0} finding: {1}, {2}', severity, f.title, loc),
  };
  if (inside)
    item.command = {
      command: COMMANDS.openFinding,
      title: t('Open Finding'),
      arguments: [{ stateDir: node.owner.stateDir, id: node.owner.id, index: f.index }],
    };
  return item;
}

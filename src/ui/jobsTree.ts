// The Jobs view: workspace folder (when several) → Needs attention / Running / Recent → job → log lines.
// It only renders the model; every decision about status lives in the core.
import * as path from 'path';
import * as vscode from 'vscode';
import type { FolderState, JobsModel, ModelChange } from '../core/model';
import type { Job, LogLine, ReadWarning } from '../core/types';
import { groupOf, jobKey, type JobGroup } from '../core/classify';
import { jobContextValue, jobDescription, jobLabel, jobTooltip, statusIcon } from './jobTreeItem';
import { FindingNode, findingNodes, findingTreeItem, hasFindingRows } from './findingNodes';
import { featureIcon } from './jobFeatures';
import { decorateFolderItem } from './reviewGateView';

export type JobsNode = FolderNode | GroupNode | JobNode | LogLineNode | WarningsNode | WarningNode | FindingNode;

export class FolderNode {
  readonly type = 'folder';
  constructor(public state: FolderState) {}
  get id(): string {
    return `folder:${this.state.folder.path}`;
  }
}

export class GroupNode {
  readonly type = 'group';
  constructor(
    public folder: FolderState,
    public group: JobGroup,
    public jobs: Job[],
  ) {}
  get id(): string {
    return `group:${this.folder.folder.path}:${this.group}`;
  }
}

export class JobNode {
  readonly type = 'job';
  constructor(
    public job: Job,
    public parent: GroupNode,
  ) {}
  get id(): string {
    return `job:${jobKey(this.job).replace('\u0000', ':')}`;
  }
}

export class LogLineNode {
  readonly type = 'logLine';
  constructor(
    public line: LogLine,
    public index: number,
    public parent: JobNode,
  ) {}
  get id(): string {
    return `${this.parent.id}:line:${this.index}`;
  }
}

export class WarningsNode {
  readonly type = 'warnings';
  constructor(public folder: FolderState) {}
  get id(): string {
    return `warnings:${this.folder.folder.path}`;
  }
}

export class WarningNode {
  readonly type = 'warning';
  constructor(
    public warning: ReadWarning,
    public index: number,
    public parent: WarningsNode,
  ) {}
  get id(): string {
    return `${this.parent.id}:${this.index}`;
  }
}

const GROUPS: { group: JobGroup; label: string; icon: string }[] = [
  { group: 'attention', label: 'Needs attention', icon: 'warning' },
  { group: 'running', label: 'Running', icon: 'play-circle' },
  { group: 'recent', label: 'Recent', icon: 'history' },
];

export class JobsTreeProvider implements vscode.TreeDataProvider<JobsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<JobsNode | JobsNode[] | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: { dispose(): void };
  /** Nodes are kept by id so that VS Code sees the same element across refreshes. */
  private nodes = new Map<string, JobsNode>();

  constructor(
    private readonly model: JobsModel,
    private readonly now: () => number = Date.now,
  ) {
    this.subscription = model.onDidChange((e) => this.onModelChange(e));
  }

  /** Updates only the rows of jobs that changed in place; anything that moves rebuilds the tree. */
  private onModelChange(e: ModelChange): void {
    if (e.full || !e.jobs) return this.changed.fire();
    const nodes: JobNode[] = [];
    for (const job of e.jobs) {
      const node = this.nodes.get(`job:${job.stateDir}:${job.id}`);
      if (node?.type !== 'job' || groupOf(job) !== node.parent.group) return this.changed.fire();
      nodes.push(node);
    }
    for (const f of e.folders) {
      const state = this.model.folders.find((x) => x.folder.path === f.path);
      const shown = this.nodes.get(`warnings:${f.path}`);
      const before = shown?.type === 'warnings' ? shown.folder.warnings.length : 0;
      if (!state || state.warnings.length !== before || state.jobs.length !== this.shownJobCount(f.path))
        return this.changed.fire();
    }
    for (const node of nodes) {
      const fresh = e.jobs.find((j) => j.id === node.job.id && j.stateDir === node.job.stateDir)!;
      const list = node.parent.jobs;
      list[list.indexOf(node.job)] = fresh;
      node.job = fresh;
    }
    if (nodes.length) this.changed.fire(nodes);
  }

  private shownJobCount(folderPath: string): number {
    let n = 0;
    for (const node of this.nodes.values())
      if (node.type === 'group' && node.folder.folder.path === folderPath) n += node.jobs.length;
    return n;
  }

  getChildren(node?: JobsNode): JobsNode[] {
    if (!node) return this.roots();
    switch (node.type) {
      case 'folder':
        return this.folderChildren(node.state);
      case 'group':
        return node.jobs.map((j) => this.keep(new JobNode(j, node)));
      case 'job':
        return [
          ...findingNodes(node).map((f) => this.keep(f)),
          ...node.job.log.progress.map((l, i) => this.keep(new LogLineNode(l, i, node))),
        ];
      case 'warnings':
        return node.folder.warnings.map((w, i) => this.keep(new WarningNode(w, i, node)));
      default:
        return [];
    }
  }

  getParent(node: JobsNode): JobsNode | undefined {
    switch (node.type) {
      case 'group':
      case 'warnings': {
        const folder = node.type === 'group' ? node.folder : node.folder;
        return this.model.folders.length > 1 ? this.nodes.get(`folder:${folder.folder.path}`) : undefined;
      }
      case 'job':
      case 'logLine':
      case 'warning':
      case 'finding':
        return node.parent as JobsNode;
      default:
        return undefined;
    }
  }

  getTreeItem(node: JobsNode): vscode.TreeItem {
    switch (node.type) {
      case 'folder':
        return this.folderItem(node);
      case 'group': {
        const g = GROUPS.find((x) => x.group === node.group)!;
        const item = new vscode.TreeItem(g.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        item.description = String(node.jobs.length);
        item.iconPath = new vscode.ThemeIcon(
          g.icon,
          node.group === 'attention' ? new vscode.ThemeColor('list.warningForeground') : undefined,
        );
        item.contextValue = `group ${node.group}`;
        return item;
      }
      case 'job':
        return this.jobItem(node.job);
      case 'logLine': {
        const item = new vscode.TreeItem(node.line.text, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = node.line.time ? shortTime(node.line.time) : undefined;
        item.tooltip = node.line.time ? `${node.line.time}\n${node.line.text}` : node.line.text;
        item.contextValue = 'logLine';
        return item;
      }
      case 'warnings': {
        const item = new vscode.TreeItem('Problems reading job files', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = node.id;
        item.description = String(node.folder.warnings.length);
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
        item.contextValue = 'warnings';
        return item;
      }
      case 'warning': {
        const item = new vscode.TreeItem(node.warning.message, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = path.basename(node.warning.file);
        item.tooltip = `${node.warning.file}\n${node.warning.message}`;
        item.iconPath = new vscode.ThemeIcon('info');
        item.contextValue = 'warning';
        return item;
      }
      case 'finding':
        return findingTreeItem(node);
    }
  }

  /** The node currently shown for a job, if any (for reveal and tests). */
  findJobNode(stateDir: string, id: string): JobNode | undefined {
    const n = this.nodes.get(`job:${stateDir}:${id}`);
    return n?.type === 'job' ? n : undefined;
  }

  private roots(): JobsNode[] {
    this.nodes.clear();
    const folders = this.model.folders.filter((f) => f.snapshots.length > 0 || f.warnings.length > 0);
    // Nothing found anywhere: an empty tree lets the welcome view explain where we looked.
    if (folders.length === 0) return [];
    if (this.model.folders.length === 1) return this.folderChildren(folders[0]);
    return this.model.folders.map((f) => this.keep(new FolderNode(f)));
  }

  private folderChildren(folder: FolderState): JobsNode[] {
    const out: JobsNode[] = [];
    for (const g of GROUPS) {
      const jobs = folder.jobs.filter((j) => groupOf(j) === g.group);
      if (jobs.length > 0) out.push(this.keep(new GroupNode(folder, g.group, jobs)));
    }
    if (folder.warnings.length > 0) out.push(this.keep(new WarningsNode(folder)));
    return out;
  }

  private folderItem(node: FolderNode): vscode.TreeItem {
    const f = node.state;
    const item = new vscode.TreeItem(f.folder.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = node.id;
    item.iconPath = vscode.ThemeIcon.Folder;
    const live = f.jobs.filter((j) => groupOf(j) === 'running').length;
    const attention = f.jobs.filter((j) => groupOf(j) === 'attention').length;
    item.description =
      f.snapshots.length === 0
        ? 'no Codex state'
        : [live ? `${live} running` : '', attention ? `${attention} need attention` : ''].filter(Boolean).join(', ') ||
          `${f.jobs.length} jobs`;
    item.tooltip = [f.folder.path, ...f.snapshots.map((s) => `state: ${s.stateDir}`)].join('\n');
    item.contextValue = 'folder';
    decorateFolderItem(item, f);
    return item;
  }

  private jobItem(job: Job): vscode.TreeItem {
    const item = new vscode.TreeItem(
      jobLabel(job),
      job.log.progress.length > 0 || hasFindingRows(job)
        ? vscode.TreeItemCollapsibleState.Collapsed
        : vscode.TreeItemCollapsibleState.None,
    );
    item.id = `job:${job.stateDir}:${job.id}`;
    item.description = jobDescription(job, this.now());
    item.tooltip = jobTooltip(job);
    item.iconPath = featureIcon(job) ?? statusIcon(job.status);
    item.contextValue = jobContextValue(job);
    const hasResult = typeof job.display.rendered === 'string' && job.display.rendered.length > 0;
    item.command = hasResult
      ? { command: 'codexJobs.showResult', title: 'Show Result', arguments: [job] }
      : job.log.exists
        ? { command: 'codexJobs.openLog', title: 'Open Log', arguments: [job] }
        : undefined;
    return item;
  }

  private keep<T extends JobsNode>(node: T): T {
    this.nodes.set(node.id, node);
    return node;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function shortTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString();
}

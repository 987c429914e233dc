// The Jobs view: workspace folder (when several) → groups (Needs attention / Running / Recent, or by
// session or date, or none: see jobGrouping.ts) → job → log lines; then, when the setting is on, All
// Workspaces → workspace → job. It only renders the model (and the filter); every decision about
// status lives in the core. Node kinds are open: a feature adds a class to JobsNode and a case to
// getChildren/getTreeItem.
import * as path from 'path';
import * as vscode from 'vscode';
import type { FolderState, JobsModel, ModelChange } from '../core/model/model';
import { firstLine, parseTime } from '../core/vocab/format';
import type { Job, LogLine, ReadWarning, StateRoot } from '../core/vocab/types';
import { countJobs, hasResult, isLive, type JobGroup } from '../core/vocab/classify';
import { jobAccessibility, jobContextValue, jobDescription, jobLabel, jobTooltip, statusIcon } from './jobTreeItem';
import { NO_FILTER, type FilterState } from './jobFilter';
import {
  groupJobs,
  localDayStart,
  placeOf,
  statusGroupLabel,
  visibleJobs,
  type JobBucket,
  type JobFilter,
} from './jobGrouping';
import type { OtherWorkspace, OtherWorkspaces } from './otherWorkspaces';
import { COMMANDS, NODE } from './ids';
import { jobResourceUri } from './jobDecorations';
import { t } from './l10n';
import { countWords } from './countWords';
import { FindingNode, findingNodes, findingTreeItem, hasFindingRows } from './findingNodes';
import { featureIcon } from './jobFeatures';
import { decorateFolderItem } from './reviewGateView';
import { coloredIcon } from './iconColors';
import { formatLocal, UNKNOWN_TIME } from '../core/vocab/dates';

export type JobsNode =
  | FolderNode
  | GroupNode
  | JobNode
  | LogLineNode
  | WarningsNode
  | WarningNode
  | AllWorkspacesNode
  | OtherWorkspaceNode
  | FindingNode;

export class FolderNode {
  readonly type = 'folder';
  constructor(public state: FolderState) {}
  get id(): string {
    return NODE.folder(this.state.folder.path);
  }
}

/** A group of a folder's jobs under the chosen grouping (status, session or date). */
export class GroupNode {
  readonly type = 'group';
  constructor(
    public folder: FolderState,
    public bucket: JobBucket,
  ) {}
  /** The group's key: 'attention' | 'running' | 'recent' by status, 'session:…' or 'date:…' otherwise. */
  get group(): string {
    return this.bucket.key;
  }
  get jobs(): Job[] {
    return this.bucket.jobs;
  }
  get id(): string {
    return NODE.group(this.folder.folder.path, this.bucket.key);
  }
}

export class JobNode {
  readonly type = 'job';
  constructor(
    public job: Job,
    /** Its group; its folder when the view is not grouped; a workspace not open here under All Workspaces. */
    public parent: GroupNode | FolderNode | OtherWorkspaceNode,
  ) {}
  get id(): string {
    return this.parent.type === 'otherWorkspace'
      ? NODE.otherJob(this.job.stateDir, this.job.id)
      : NODE.job(this.job.stateDir, this.job.id);
  }
}

export class LogLineNode {
  readonly type = 'logLine';
  constructor(
    public line: LogLine,
    public index: number,
    public parent: JobNode,
    /** The failed job's error, shown as its last child. */
    public isError = false,
  ) {}
  get id(): string {
    return NODE.logLine(this.parent.id, this.index);
  }
}

export class WarningsNode {
  readonly type = 'warnings';
  constructor(public folder: FolderState) {}
  get id(): string {
    return NODE.warnings(this.folder.folder.path);
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
    return NODE.warning(this.parent.id, this.index);
  }
}

export class AllWorkspacesNode {
  readonly type = 'allWorkspaces';
  get id(): string {
    return NODE.allWorkspaces();
  }
}

export class OtherWorkspaceNode {
  readonly type = 'otherWorkspace';
  constructor(
    public workspace: OtherWorkspace,
    public parent: AllWorkspacesNode,
  ) {}
  get id(): string {
    return NODE.otherWorkspace(this.workspace.key);
  }
}

export function groupLabel(group: JobGroup): string {
  return statusGroupLabel(group, t);
}

/** The open folder a job row belongs to (none for a workspace not open here). */
function folderOf(node: JobNode): FolderState | undefined {
  const p = node.parent;
  return p.type === 'group' ? p.folder : p.type === 'folder' ? p.state : undefined;
}

export interface JobsTreeOptions {
  filter?: FilterState;
  others?: OtherWorkspaces;
  /** The All Workspaces setting. */
  showOthers?: () => boolean;
  now?: () => number;
}

export class JobsTreeProvider implements vscode.TreeDataProvider<JobsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<JobsNode | JobsNode[] | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: { dispose(): void }[] = [];
  /** Nodes are kept by id so that VS Code sees the same element across refreshes. */
  private nodes = new Map<string, JobsNode>();
  private readonly now: () => number;
  /** The local day the groups were last made for: date groups and session labels move at midnight. */
  private renderedDay = 0;

  constructor(
    private readonly model: JobsModel,
    private readonly opts: JobsTreeOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.subscriptions.push(model.onDidChange((e) => this.onModelChange(e)));
    // Another filter or grouping: every row may move, and a row kept from before must not be revealed.
    if (opts.filter)
      this.subscriptions.push(
        opts.filter.onDidChange(() => {
          this.nodes.clear();
          this.changed.fire();
        }),
      );
    if (opts.others)
      this.subscriptions.push(
        opts.others.onDidChange(() => {
          const n = this.nodes.get(NODE.allWorkspaces());
          this.changed.fire(n);
        }),
      );
  }

  /** Re-renders everything (the All Workspaces setting changed). */
  refreshAll(): void {
    this.changed.fire();
  }

  private get arrangement(): JobFilter {
    return this.opts.filter?.current ?? NO_FILTER;
  }

  /**
   * Maps the model's per-folder diff to nodes: rows of jobs that changed in place are updated alone;
   * a job added or removed, one whose place changes (another group, shown or hidden, another position
   * under the chosen grouping and order), or a change of warnings, re-renders the tree.
   */
  private onModelChange(e: ModelChange): void {
    if (e.full || !e.diffs) return this.changed.fire();
    const updates: [JobNode, Job][] = [];
    const f = this.arrangement;
    for (const d of e.diffs) {
      if (d.added.length > 0 || d.removed.length > 0 || d.warningsChanged) return this.changed.fire();
      for (const job of d.changed) {
        const node = this.nodes.get(NODE.job(job.stateDir, job.id));
        if (node?.type !== 'job' || node.parent.type === 'otherWorkspace' || placeOf(job, f) !== placeOf(node.job, f))
          return this.changed.fire();
        updates.push([node, job]);
      }
    }
    // VS Code knows a row by its element object: the node stays, it shows the new job.
    for (const [node, fresh] of updates) {
      if (node.parent.type === 'group') {
        const list = node.parent.jobs;
        list[list.indexOf(node.job)] = fresh;
      }
      node.job = fresh;
    }
    if (updates.length) this.changed.fire(updates.map(([node]) => node));
  }

  getChildren(node?: JobsNode): JobsNode[] | Promise<JobsNode[]> {
    if (!node) return this.roots();
    switch (node.type) {
      case 'folder':
        return this.folderChildren(node.state, node);
      case 'group':
        return node.jobs.map((j) => this.keep(new JobNode(j, node)));
      case 'job': {
        // A review's findings first (only in open folders: their paths are relative to the folder), then log lines.
        const folder = folderOf(node);
        return [
          ...(folder ? findingNodes(node, folder).map((f) => this.keep(f)) : []),
          ...node.job.log.progress.map((l, i) => this.keep(new LogLineNode(l, i, node))),
          ...errorLines(node.job).map((l, i) =>
            this.keep(new LogLineNode(l, node.job.log.progress.length + i, node, true)),
          ),
        ];
      }
      case 'warnings':
        return node.folder.warnings.map((w, i) => this.keep(new WarningNode(w, i, node)));
      case 'allWorkspaces':
        return (this.opts.others?.ensure() ?? Promise.resolve([])).then((list) =>
          list.map((w) => this.keep(new OtherWorkspaceNode(w, node))),
        );
      case 'otherWorkspace':
        return node.workspace.jobs.map((j) => this.keep(new JobNode(j, node)));
      default:
        return [];
    }
  }

  getParent(node: JobsNode): JobsNode | undefined {
    switch (node.type) {
      case 'group':
      case 'warnings':
        return this.model.folders.length > 1 ? this.keep(new FolderNode(node.folder)) : undefined;
      case 'job':
        // Not grouped: the job's parent is its folder, a row only when several folders are open.
        return node.parent.type === 'folder' && this.model.folders.length <= 1 ? undefined : node.parent;
      case 'logLine':
      case 'warning':
      case 'otherWorkspace':
        return node.parent;
      case 'finding':
        // Finding rows are made only under job rows (see getChildren).
        return node.parent as JobNode;
      default:
        return undefined;
    }
  }

  /** A job row's tooltip, made when the user hovers it: its "running for" is the time of the hover. */
  resolveTreeItem(item: vscode.TreeItem, node: JobsNode): vscode.TreeItem {
    if (node.type === 'job') item.tooltip = jobTooltip(node.job, this.now());
    return item;
  }

  /**
   * Rows of live jobs say how long they have run: while the view is shown they are re-rendered every
   * tick although no file changed. Hidden, or nothing live: no work.
   */
  tick(): void {
    // Past midnight, "Today" became "Yesterday" (and a session's "today 09:00" too): render again.
    const by = this.arrangement.groupBy;
    if ((by === 'date' || by === 'session') && localDayStart(this.now()) !== this.renderedDay)
      return this.changed.fire();
    const live = [...this.nodes.values()].filter((n): n is JobNode => n.type === 'job' && isLive(n.job));
    if (live.length) this.changed.fire(live);
  }

  getTreeItem(node: JobsNode): vscode.TreeItem {
    switch (node.type) {
      case 'folder':
        return this.folderItem(node);
      case 'group': {
        const b = node.bucket;
        const item = new vscode.TreeItem(b.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        // The Running group says what it holds in the status bar's words ("2 running, 1 queued").
        item.description =
          node.group === 'running' ? countWords(countJobs(node.jobs)).join(', ') : String(node.jobs.length);
        item.iconPath = coloredIcon(b.icon, node.group === 'attention' ? 'warning' : undefined);
        // The first word after "group" says the grouping: status groups keep their plain key.
        item.contextValue = `group ${node.group.split(':')[0]}`;
        item.accessibilityInformation = {
          label: `${b.label}: ${node.jobs.length === 1 ? t('1 job') : t('{0} jobs', node.jobs.length)}`,
        };
        return item;
      }
      case 'job':
        return this.jobItem(node);
      case 'logLine': {
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
      case 'warnings': {
        const label = t('Problems reading job files');
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = node.id;
        item.description = String(node.folder.warnings.length);
        item.iconPath = coloredIcon('warning', 'warning');
        item.contextValue = 'warnings';
        item.accessibilityInformation = { label: `${label}: ${node.folder.warnings.length}` };
        return item;
      }
      case 'warning': {
        const item = new vscode.TreeItem(node.warning.message, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = path.basename(node.warning.file);
        item.tooltip = `${node.warning.file}\n${node.warning.message}`;
        item.iconPath = new vscode.ThemeIcon('info');
        item.contextValue = 'warning';
        item.accessibilityInformation = { label: `${node.warning.message} (${path.basename(node.warning.file)})` };
        return item;
      }
      case 'allWorkspaces': {
        const label = t('All Workspaces');
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon('globe');
        const list = this.opts.others?.workspaces;
        item.description = list ? t('{0} other workspaces', list.length) : undefined;
        item.tooltip = t('Every Codex state dir under every root searched, for workspaces not open in this window.');
        item.contextValue = 'allWorkspaces';
        item.accessibilityInformation = { label: item.description ? `${label}, ${item.description}` : label };
        return item;
      }
      case 'otherWorkspace': {
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
      case 'finding':
        return findingTreeItem(node);
    }
  }

  /** The node currently shown for a job, if any (for reveal and tests). */
  findJobNode(stateDir: string, id: string): JobNode | undefined {
    const n = this.nodes.get(NODE.job(stateDir, id)) ?? this.nodes.get(NODE.otherJob(stateDir, id));
    return n?.type === 'job' ? n : undefined;
  }

  /**
   * The node a job has (or would have) in the tree, with its parents kept, so TreeView.reveal can walk
   * up through getParent. Undefined when the filter hides it or no folder shows it.
   */
  nodeForJob(job: Job): JobNode | undefined {
    const shown = this.findJobNode(job.stateDir, job.id);
    if (shown) return shown;
    const same = (j: Job) => j.id === job.id && j.stateDir === job.stateDir;
    const folder = this.model.folders.find((f) => f.jobs.some(same));
    if (folder) {
      // Its group under the grouping chosen now, made as folderChildren makes it.
      const bucket = this.buckets(folder).find((b) => b.jobs.some(same));
      if (!bucket) return undefined;
      const fresh = bucket.jobs.find(same)!;
      const parent = bucket.key === '' ? this.keep(new FolderNode(folder)) : this.keep(new GroupNode(folder, bucket));
      return this.keep(new JobNode(fresh, parent));
    }
    const w = this.opts.others?.workspaces?.find((x) =>
      x.jobs.some((j) => j.id === job.id && j.stateDir === job.stateDir),
    );
    if (w && this.opts.showOthers?.()) {
      const all = this.keep(new AllWorkspacesNode());
      return this.keep(new JobNode(job, this.keep(new OtherWorkspaceNode(w, all))));
    }
    return undefined;
  }

  /** Jobs of the open folders the filter lets through, and all of them, now (not as last rendered). */
  countShown(): { shown: number; total: number } {
    let shown = 0;
    let total = 0;
    for (const f of this.model.folders) {
      shown += visibleJobs(this.arrangement, f.jobs).length;
      total += f.jobs.length;
    }
    return { shown, total };
  }

  /** A folder's shown jobs in their groups, each in the chosen order. */
  private buckets(folder: FolderState): JobBucket[] {
    const f = this.arrangement;
    return groupJobs(visibleJobs(f, folder.jobs), f, { now: this.now(), t });
  }

  private roots(): JobsNode[] {
    this.nodes.clear();
    this.renderedDay = localDayStart(this.now());
    const others = this.opts.showOthers?.() ? [this.keep(new AllWorkspacesNode())] : [];
    const folders = this.model.folders.filter((f) => f.snapshots.length > 0 || f.warnings.length > 0);
    // Nothing found anywhere: an empty tree lets the welcome view explain where we looked.
    if (folders.length === 0) return others;
    if (this.model.folders.length === 1) return [...this.folderChildren(folders[0]), ...others];
    const rows = this.model.folders.map((f) => this.keep(new FolderNode(f)));
    for (const row of rows) this.folderChildren(row.state, row);
    return [...rows, ...others];
  }

  /** A folder's groups (or, not grouped, its jobs), then its warnings. `node`: the folder's row, if shown. */
  private folderChildren(folder: FolderState, node?: FolderNode): JobsNode[] {
    const out: JobsNode[] = [];
    for (const b of this.buckets(folder)) {
      if (b.key !== '') out.push(this.keep(new GroupNode(folder, b)));
      else {
        const parent = node ?? this.keep(new FolderNode(folder));
        out.push(...b.jobs.map((j) => this.keep(new JobNode(j, parent))));
      }
    }
    if (folder.warnings.length > 0) out.push(this.keep(new WarningsNode(folder)));
    return out;
  }

  private folderItem(node: FolderNode): vscode.TreeItem {
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

  private jobItem(node: JobNode): vscode.TreeItem {
    const job = node.job;
    const now = this.now();
    const findings = node.parent.type !== 'otherWorkspace' && hasFindingRows(job);
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
    // A job of a workspace not open here is only looked at: no cancel, no repair words.
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

  private keep<T extends JobsNode>(node: T): T {
    this.nodes.set(node.id, node);
    return node;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
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
function errorLines(job: Job): LogLine[] {
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

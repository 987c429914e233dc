// The Jobs view: workspace folder (when several) → groups (Needs attention / Running / Recent, or by
// session or date, or none: see jobGrouping.ts) → job → log lines; then, when the setting is on, All
// Workspaces → workspace → job. It only renders the model (and the filter); every decision about
// status is made in the core. Node kinds are open: a feature adds a class to JobsNode (jobsNodes.ts),
// a row to jobsTreeItems.ts and a case to getChildren/getTreeItem.
import * as vscode from 'vscode';
import type { FolderState, JobsModel, ModelChange } from '../core/model/model';
import type { Job } from '../core/vocab/types';
import { isLive, type JobGroup } from '../core/vocab/classify';
import { Disposable } from '../core/vocab/lifecycle';
import { jobTooltip } from './jobTreeItem';
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
import type { OtherWorkspaces } from './otherWorkspaces';
import { NODE } from './ids';
import { t } from './l10n';
import { findingNodes, findingTreeItem, notReportedChildren, notReportedItem } from './findingNodes';
import {
  AllWorkspacesNode,
  FolderNode,
  GroupNode,
  JobNode,
  LogLineNode,
  OlderJobsNode,
  OtherWorkspaceNode,
  WarningNode,
  WarningsNode,
  folderOf,
  type JobsNode,
} from './jobsNodes';
import type { NotReportedNode } from './findingNodes';
import {
  allWorkspacesItem,
  errorLines,
  folderItem,
  groupItem,
  jobItem,
  logLineItem,
  olderJobsItem,
  otherWorkspaceItem,
  warningItem,
  warningsItem,
} from './jobsTreeItems';

// The node classes are part of the tree's interface (tests and views import them from here).
export * from './jobsNodes';
export { rootSourceText } from './jobsTreeItems';

export function groupLabel(group: JobGroup): string {
  return statusGroupLabel(group, t);
}

export interface JobsTreeOptions {
  filter?: FilterState;
  others?: OtherWorkspaces;
  /** The All Workspaces setting. */
  showOthers?: () => boolean;
  now?: () => number;
  /** A folder's archived jobs not held (shown by "Show older jobs…"). */
  olderCount?: (folder: FolderState) => number;
}

export class JobsTreeProvider extends Disposable implements vscode.TreeDataProvider<JobsNode>, vscode.Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<JobsNode | JobsNode[] | undefined | void>());
  readonly onDidChangeTreeData = this.changed.event;
  /** Nodes are kept by id so that VS Code sees the same element across refreshes. */
  private nodes = new Map<string, JobsNode>();
  private readonly now: () => number;
  /** The local day the groups were last made for: date groups and session labels move at midnight. */
  private renderedDay = 0;

  constructor(
    private readonly model: JobsModel,
    private readonly opts: JobsTreeOptions = {},
  ) {
    super();
    this.now = opts.now ?? Date.now;
    this._register(model.onDidChange((e) => this.onModelChange(e)));
    // Another filter or grouping: every row may move, and a row kept from before must not be revealed.
    if (opts.filter)
      this._register(
        opts.filter.onDidChange(() => {
          this.nodes.clear();
          this.changed.fire();
        }),
      );
    if (opts.others)
      this._register(
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
        const folder = this.liveFolder(node);
        return [
          ...(folder ? findingNodes(node, folder).map((f) => this.keep(f)) : []),
          ...node.job.log.progress.map((l, i) => this.keep(new LogLineNode(l, i, node))),
          ...errorLines(node.job).map((l, i) =>
            this.keep(new LogLineNode(l, node.job.log.progress.length + i, node, true)),
          ),
        ];
      }
      case 'notReported':
        return notReportedChildren(node).map((f) => this.keep(f));
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
      case 'older':
        return this.model.folders.length > 1 ? this.keep(new FolderNode(node.folder)) : undefined;
      case 'job':
        // Not grouped: the job's parent is its folder, a row only when several folders are open.
        return node.parent.type === 'folder' && this.model.folders.length <= 1 ? undefined : node.parent;
      case 'logLine':
      case 'warning':
      case 'otherWorkspace':
        return node.parent;
      case 'finding':
        // Finding rows are made only under job rows and "not reported again" rows (see getChildren).
        return node.parent as JobNode | NotReportedNode;
      case 'notReported':
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
        return folderItem(node);
      case 'group':
        return groupItem(node);
      case 'job':
        return jobItem(node, this.now(), this.liveFolder(node));
      case 'logLine':
        return logLineItem(node);
      case 'warnings':
        return warningsItem(node);
      case 'older':
        return olderJobsItem(node);
      case 'warning':
        return warningItem(node);
      case 'allWorkspaces':
        return allWorkspacesItem(node, this.opts.others);
      case 'otherWorkspace':
        return otherWorkspaceItem(node);
      case 'finding':
        return findingTreeItem(node);
      case 'notReported':
        return notReportedItem(node);
    }
  }

  /**
   * A job row's open folder as the model holds it now: a row updated in place keeps the folder it was
   * made under, whose job list is older than the job it shows (the review series is read from it).
   */
  private liveFolder(node: JobNode): FolderState | undefined {
    const folder = folderOf(node);
    return folder && (this.model.folders.find((f) => f.folder.path === folder.folder.path) ?? folder);
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
    // Nothing found anywhere: an empty tree lets the welcome view explain where it searched.
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
    const older = this.opts.olderCount?.(folder) ?? 0;
    if (older > 0) out.push(this.keep(new OlderJobsNode(folder, older)));
    if (folder.warnings.length > 0) out.push(this.keep(new WarningsNode(folder)));
    return out;
  }

  private keep<T extends JobsNode>(node: T): T {
    this.nodes.set(node.id, node);
    return node;
  }
}

// The Jobs view's nodes, one class per kind of row. VS Code knows a row by its element object, so
// the tree keeps these by id across refreshes (jobsTree.ts); each node's id says where it sits.
import type { FolderState } from '../core/model/model';
import type { Job, LogLine, ReadWarning } from '../core/vocab/types';
import type { JobBucket } from './jobGrouping';
import type { OtherWorkspace } from './otherWorkspaces';
import { NODE } from './ids';
import type { FindingNode, NotReportedNode } from './findingNodes';

export type JobsNode =
  | FolderNode
  | GroupNode
  | JobNode
  | LogLineNode
  | WarningsNode
  | WarningNode
  | OlderJobsNode
  | AllWorkspacesNode
  | OtherWorkspaceNode
  | FindingNode
  | NotReportedNode;

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

/** "Show older jobs…": a folder's archived jobs beyond those held (read on demand from the archive). */
export class OlderJobsNode {
  readonly type = 'older';
  constructor(
    public folder: FolderState,
    public count: number,
  ) {}
  get id(): string {
    return NODE.older(this.folder.folder.path);
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

/** The open folder a job row belongs to (none for a workspace not open here). */
export function folderOf(node: JobNode): FolderState | undefined {
  const p = node.parent;
  return p.type === 'group' ? p.folder : p.type === 'folder' ? p.state : undefined;
}

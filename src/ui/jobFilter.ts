// The Jobs view's filter (status groups, kinds, "latest session only", Hide Finished) and its
// arrangement (group by, sort by), remembered per workspace (workspaceState). The rules themselves
// are pure and live in jobGrouping.ts; the filter never hides a folder's problems.
import * as vscode from 'vscode';
import { applyPreset, isDefaultFilter, sanitizeFilter, type JobFilter } from './jobGrouping';
import { FILTER_STATE_KEY } from './ids';

export {
  FILTER_KINDS,
  isFiltering,
  latestSessionOf,
  matchesFilter,
  NO_FILTER,
  type GroupBy,
  type JobFilter,
  type SortBy,
} from './jobGrouping';

/** The current filter, kept in the workspace's memento. */
export class FilterState implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<JobFilter>();
  readonly onDidChange = this.changed.event;
  private value: JobFilter;

  constructor(private readonly memento: vscode.Memento) {
    // A value stored by an older version (no grouping then) reads as grouped by status, newest first.
    this.value = sanitizeFilter(memento.get(FILTER_STATE_KEY));
  }

  get current(): JobFilter {
    return this.value;
  }

  async set(f: JobFilter): Promise<void> {
    this.value = sanitizeFilter(f);
    await this.memento.update(FILTER_STATE_KEY, isDefaultFilter(this.value) ? undefined : this.value);
    this.changed.fire(this.value);
  }

  /** Shows every job again; the grouping and the order stay as chosen (they hide nothing). */
  clear(): Promise<void> {
    return this.set(applyPreset(this.value, {}));
  }

  dispose(): void {
    this.changed.dispose();
  }
}

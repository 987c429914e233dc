// The Jobs TreeView around its provider: the badge (running jobs; attention in its tooltip), the
// message that says a filter is on, the filter context key, and reveal for Find Job.
import * as vscode from 'vscode';
import type { JobsModel } from '../core/model/model';
import type { Job } from '../core/vocab/types';
import { isFiltering, type FilterState, type JobFilter } from './jobFilter';
import type { JobsTreeProvider } from './jobsTree';
import { groupLabel } from './jobsTree';
import { CONTEXT, VIEWS } from './ids';
import { t } from './l10n';
import { countWords } from './countWords';
import { Disposable } from '../core/vocab/lifecycle';
import type { GuardianStatus } from './statusBar';

export class JobsView extends Disposable implements vscode.Disposable {
  readonly view: vscode.TreeView<unknown>;
  private guardian: GuardianStatus | undefined;

  constructor(
    private readonly model: JobsModel,
    readonly tree: JobsTreeProvider,
    private readonly filter: FilterState,
  ) {
    super();
    this.view = this._register(
      vscode.window.createTreeView(VIEWS.jobs, {
        treeDataProvider: tree as vscode.TreeDataProvider<unknown>,
        showCollapseAll: true,
      }),
    );
    this._register(model.onDidChange(() => this.update()));
    this._register(filter.onDidChange(() => this.update()));
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.update()));
    this.update();
  }

  /** The badge as set last (for tests). */
  /** The guardian's summary goes in the view's message while it is on. */
  showGuardian(guardian: GuardianStatus): void {
    this.guardian = guardian;
    this._register(guardian.onDidChange(() => this.updateMessage()));
    this.updateMessage();
  }

  get badge(): vscode.ViewBadge | undefined {
    return this.view.badge;
  }

  private update(): void {
    const c = this.model.counts();
    const live = c.running + c.queued;
    // The badge counts the Running group (running and queued); its tooltip says the same in words.
    this.view.badge = live > 0 ? { value: live, tooltip: countWords(c).join(', ') } : undefined;
    void vscode.commands.executeCommand('setContext', CONTEXT.filtered, isFiltering(this.filter.current));
    this.updateMessage();
  }

  private updateMessage(): void {
    const f = this.filter.current;
    const lines: string[] = [];
    // In Restricted Mode the actions that change files or end processes are not offered: say why.
    if (!vscode.workspace.isTrusted)
      lines.push(t('Restricted Mode: starting, cancelling, repairing and reaping need a trusted workspace.'));
    if (isFiltering(f)) {
      const { shown, total } = this.tree.countShown();
      lines.push(t('Filtered ({0}): {1} of {2} jobs shown.', describeFilter(f), shown, total));
    }
    if (this.guardian?.text) lines.push(`${this.guardian.text}.`);
    this.view.message = lines.length ? lines.join(' ') : undefined;
  }

  /**
   * Shows a job in the tree (in its group under the grouping chosen), selected and focused; a filter
   * that hides it is cleared first (the grouping and order stay: they hide nothing).
   */
  async reveal(job: Job): Promise<boolean> {
    let node = this.tree.nodeForJob(job);
    if (!node && isFiltering(this.filter.current)) {
      await this.filter.clear();
      void vscode.window.setStatusBarMessage(t('Codex Jobs: filter cleared to show {0}', job.id), 4000);
      node = this.tree.nodeForJob(job);
    }
    if (!node) return false;
    await this.view.reveal(node, { select: true, focus: true, expand: false });
    return true;
  }
}

/** The filter's kinds in words, for the picker and the view's message. */
export const KIND_WORDS: Record<string, string> = {
  rescue: 'Rescue tasks',
  review: 'Reviews',
  'adversarial-review': 'Adversarial reviews',
};

export function describeFilter(f: JobFilter): string {
  // The words the filter picker shows, never the internal kind id.
  const kind = (k: string) => t(KIND_WORDS[k] ?? k);
  return [
    ...f.groups.map(groupLabel),
    ...f.kinds.map(kind),
    ...(f.latestSession ? [t('latest session')] : []),
    ...(f.hideFinished ? [t('finished hidden')] : []),
  ].join(', ');
}

// One status bar item: how many jobs run and whether any needs attention; hidden when there is nothing.
import * as vscode from 'vscode';
import type { JobsModel } from '../core/model';
import type { BrokerMonitor } from '../core/brokerMonitor';
import { statusBarAlwaysShown } from './settings';
import { gateStatusText } from './reviewGateView';

export class JobsStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('codexJobs.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: { dispose(): void }[] = [];

  constructor(
    private readonly model: JobsModel,
    private readonly brokers?: BrokerMonitor,
  ) {
    this.item.name = 'Codex Jobs';
    this.item.command = 'codexJobs.jobs.focus';
    this.subscriptions.push(
      model.onDidChange(() => this.update()),
      ...(brokers ? [brokers.onDidChange(() => this.update())] : []),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('codexJobs.statusBar')) this.update();
      }),
    );
    this.update();
  }

  /** The text shown, or undefined when hidden (for tests). */
  get text(): string | undefined {
    return this.visible ? this.item.text : undefined;
  }

  private visible = false;

  update(): void {
    const c = this.model.counts();
    const live = c.running + c.queued;
    const parts: string[] = [];
    if (c.running) parts.push(`${c.running} running`);
    if (c.queued) parts.push(`${c.queued} queued`);
    if (c.attention) parts.push(`${c.attention} need${c.attention === 1 ? 's' : ''} attention`);
    const b = this.brokers?.counts();
    const orphans = b ? b['orphan-live'] + b.dead : 0;
    if (orphans) parts.push(`${orphans} orphan broker${orphans === 1 ? '' : 's'}`);
    if (parts.length === 0 && !statusBarAlwaysShown()) {
      this.visible = false;
      this.item.hide();
      return;
    }
    const icon = c.attention || orphans ? '$(warning)' : live ? '$(sync~spin)' : '$(check)';
    this.item.text = `${icon} Codex ${parts.length ? parts.join(', ') : 'idle'}`;
    this.item.backgroundColor =
      c.attention || orphans ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.tooltip = `Codex jobs: ${c.total} known, ${c.running} running, ${c.queued} queued, ${c.attention} needing attention${orphans ? `; ${orphans} orphan brokers (Reap Orphan Brokers ends them)` : ''}. Click to show them.${gateStatusText(this.model)}`;
    this.visible = true;
    this.item.show();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}

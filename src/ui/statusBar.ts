// One status bar item: how many jobs run and whether any needs attention; hidden when there is nothing.
import * as vscode from 'vscode';
import type { JobsModel } from '../core/model/model';
import type { BrokerMonitor } from '../core/brokers/brokerMonitor';
import { statusBarAlwaysShown } from './settings';
import { FOCUS_JOBS, SECTION, SETTINGS, STATUS_BAR_ITEM } from './ids';
import { t } from './l10n';
import { gateStatusText } from './reviewGateView';
import { countWords } from './countWords';
import { Disposable } from '../core/vocab/lifecycle';

/** What the status bar and the Jobs view need of the guardian. */
export interface GuardianStatus {
  readonly text: string | undefined;
  onDidChange(listener: () => void): { dispose(): unknown };
}

export class JobsStatusBar extends Disposable implements vscode.Disposable {
  private readonly item = this._register(
    vscode.window.createStatusBarItem(STATUS_BAR_ITEM, vscode.StatusBarAlignment.Left, 50),
  );
  private visible = false;

  constructor(
    private readonly model: JobsModel,
    private readonly brokers?: BrokerMonitor,
    /** The guardian, when there is one: its summary while on. */
    private readonly guardian?: GuardianStatus,
  ) {
    super();
    if (guardian) this._register(guardian.onDidChange(() => this.update()));
    this.item.name = t('Codex Jobs');
    this.item.command = FOCUS_JOBS;
    this._register(model.onDidChange(() => this.update()));
    if (brokers) this._register(brokers.onDidChange(() => this.update()));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.${SETTINGS.statusBarAlwaysShow}`)) this.update();
      }),
    );
    this.update();
  }

  /** The text shown, or undefined when hidden (for tests). */
  get text(): string | undefined {
    return this.visible ? this.item.text : undefined;
  }

  update(): void {
    const c = this.model.counts();
    const live = c.running + c.queued;
    const parts = countWords(c);
    const b = this.brokers?.counts();
    const orphans = b ? b['orphan-live'] + b.dead : 0;
    if (orphans) parts.push(orphans === 1 ? t('1 orphan broker') : t('{0} orphan brokers', orphans));
    if (parts.length === 0 && !statusBarAlwaysShown()) {
      this.visible = false;
      this.item.hide();
      return;
    }
    const icon = c.attention || orphans ? '$(warning)' : live ? '$(sync~spin)' : '$(check)';
    const shield = this.guardian?.text ? ' $(shield)' : '';
    this.item.text = `${icon} ${t('Codex {0}', parts.length ? parts.join(', ') : t('idle'))}${shield}`;
    this.item.backgroundColor =
      c.attention || orphans ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.tooltip =
      t(
        'Codex jobs: {0} known, {1} running, {2} queued, {3} needing attention.',
        c.total,
        c.running,
        c.queued,
        c.attention,
      ) +
      (orphans ? ` ${t('{0} orphan brokers (Reap Orphan Brokers ends them).', orphans)}` : '') +
      (this.guardian?.text ? ` ${this.guardian.text}.` : '') +
      ` ${t('Click to show them.')}` +
      gateStatusText(this.model);
    this.item.accessibilityInformation = { label: this.item.text.replace(/\$\([^)]*\)\s*/g, '') };
    this.visible = true;
    this.item.show();
  }
}

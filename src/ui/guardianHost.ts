// The guardian in the editor: on while `codexJobs.guardian.enabled` is set (off by default) and the
// workspace is trusted; every action it takes goes to the output channel; the status bar and the
// Jobs view say that it is on and what it has done.
import * as os from 'os';
import * as vscode from 'vscode';
import type { JobsModel } from '../core/model/model';
import type { ProcessTable } from '../core/vocab/types';
import { scanBrokers } from '../core/brokers/brokers';
import { Guardian, guardianSummary, DEFAULT_GRACE_MS, DEFAULT_SETTLE_MS } from '../core/guardian/guardian';
import { Disposable, toDisposable } from '../core/vocab/lifecycle';
import { Emitter } from '../core/vocab/emitter';
import { brokerSettings, guardianSettings } from './settings';
import { SECTION } from './ids';
import { t } from './l10n';

export class GuardianHost extends Disposable {
  private guardian: Guardian | undefined;
  private running = '';
  private readonly _onDidChange = this._register(new Emitter<void>());
  readonly onDidChange = this._onDidChange.event;

  constructor(
    private readonly model: JobsModel,
    private readonly table: ProcessTable,
    private readonly output: vscode.LogOutputChannel,
    private readonly refresh: () => Promise<void>,
  ) {
    super();
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(`${SECTION}.guardian`) && this.apply()),
    );
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.apply()));
    this._register(toDisposable(() => this.stop()));
    this.apply();
  }

  /** "guardian: 3 jobs put back, 1 record restored" while it is on; undefined while off. */
  get text(): string | undefined {
    return this.guardian ? t('guardian: {0}', guardianSummary(this.guardian.counts)) : undefined;
  }

  private apply(): void {
    const s = guardianSettings();
    const want = s.enabled && vscode.workspace.isTrusted ? `${s.graceMs}:${s.settleMs}` : '';
    if (want === this.running) return;
    this.stop();
    this.running = want;
    if (want) this.start(s.graceMs, s.settleMs);
    this._onDidChange.fire();
  }

  private start(graceMs = DEFAULT_GRACE_MS, settleMs = DEFAULT_SETTLE_MS): void {
    const g = new Guardian({
      model: this.model,
      table: this.table,
      graceMs,
      settleMs,
      refresh: this.refresh,
      scanBrokers: () =>
        scanBrokers({ ...brokerSettings(), tmpdir: os.tmpdir(), stateRoots: [...this.model.roots], table: this.table }),
    });
    g.onDidAct((a) => {
      const line = `guardian: ${a.id ?? a.stateDir}: ${a.message}`;
      if (a.ok) this.output.info(line);
      else this.output.warn(line);
      this._onDidChange.fire();
    });
    this.guardian = g;
    this.output.info(`guardian on (grace ${graceMs / 1000} s, settle ${settleMs} ms)`);
    g.start();
  }

  private stop(): void {
    if (!this.guardian) return;
    this.output.info(`guardian off: ${guardianSummary(this.guardian.counts)}`);
    this.guardian.dispose();
    this.guardian = undefined;
  }
}

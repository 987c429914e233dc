// The account's Codex windows in the status bar: "Codex 5h 63 % · resets 14:05, week 21 %",
// coloured as the highest nears the limit, "as of 12 min ago" when the reading is old. Hidden
// until a session file reports them (or when codexJobs.usage.statusBar is off).
import * as vscode from 'vscode';
import type { UsageLedger } from '../core/usage/ledger';
import { highestUse, STALE_MS, windowsText } from '../core/usage/usageText';
import { localTime } from '../core/vocab/format';
import { Disposable, toDisposable } from '../core/vocab/lifecycle';
import { SECTION, SETTINGS, USAGE_STATUS_BAR_ITEM } from './ids';
import { t } from './l10n';
import { usageWarnAtPercent } from './usageView';

/** At this share (and below the warning setting) the item turns to the warning colour. */
const CAUTION_PERCENT = 75;

export class UsageStatusBar extends Disposable implements vscode.Disposable {
  private readonly item = this._register(
    vscode.window.createStatusBarItem(USAGE_STATUS_BAR_ITEM, vscode.StatusBarAlignment.Left, 49),
  );
  /** Re-renders each minute while shown: the reading ages, a reset time passes. */
  private timer: NodeJS.Timeout | undefined;
  private visible = false;

  constructor(private readonly ledger: UsageLedger) {
    super();
    this.item.name = t('Codex Usage');
    this._register(ledger.onDidChange(() => this.update()));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.${SETTINGS.usageStatusBar}`)) this.update();
        if (e.affectsConfiguration(`${SECTION}.${SETTINGS.codexHome}`)) {
          ledger.rediscover();
          void ledger.refreshWindows().then(() => this.update());
        }
      }),
    );
    // Codex used elsewhere (its own CLI) writes readings no job of ours follows: looked for on focus.
    this._register(vscode.window.onDidChangeWindowState((e) => e.focused && void ledger.refreshWindowsIfOld()));
    this._register(toDisposable(() => clearInterval(this.timer)));
    this.update();
  }

  /** The text shown, or undefined when hidden (for tests). */
  get text(): string | undefined {
    return this.visible ? this.item.text : undefined;
  }

  update(now = Date.now()): void {
    const w = this.ledger.windows;
    const on = vscode.workspace.getConfiguration(SECTION).get<boolean>(SETTINGS.usageStatusBar, true);
    if (!w || !on) {
      this.visible = false;
      this.item.hide();
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const used = highestUse(w, now);
    const stale = now - w.asOfMs > STALE_MS;
    this.item.text = `$(dashboard) ${t('Codex {0}', windowsText(w, now, t))}`;
    this.item.backgroundColor =
      used >= usageWarnAtPercent()
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : used >= CAUTION_PERCENT
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${t('Codex usage windows')}**\n\n`);
    md.appendMarkdown(`${t('Reported at {0}', localTime(w.asOfMs))}${stale ? ` — ${t('an old reading')}` : ''}  \n`);
    if (w.planType) md.appendMarkdown(`${t('Plan: {0}', w.planType.replace(/[^\w .-]/g, '?'))}  \n`);
    md.appendMarkdown(`${t('From the newest token_count event in Codex’s session files.')}`);
    this.item.tooltip = md;
    this.item.accessibilityInformation = { label: this.item.text.replace(/\$\([^)]*\)\s*/g, '') };
    this.visible = true;
    this.item.show();
    this.timer ??= setInterval(() => this.update(), 60_000);
    this.timer.unref?.();
  }
}

// The one timer behind times that move on their own (a running job's duration, "3 min ago", the
// age badges): it runs only while the Jobs view is visible, and each tick asks its listeners to
// re-render. Hidden view: no timer at all.
import * as vscode from 'vscode';

export const VIEW_TICK_MS = 30_000;

export class ViewTick implements vscode.Disposable {
  private readonly ticked = new vscode.EventEmitter<void>();
  readonly onTick = this.ticked.event;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly periodMs = VIEW_TICK_MS) {}

  setVisible(visible: boolean): void {
    if (visible && !this.timer) {
      this.timer = setInterval(() => this.ticked.fire(), this.periodMs);
      // Shown again after a while: bring the times up to date at once.
      this.ticked.fire();
    } else if (!visible && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.ticked.dispose();
  }
}

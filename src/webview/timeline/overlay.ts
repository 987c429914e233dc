// The hover text and the context menu: plain elements whose text is set with textContent.
import type { BarCommand } from '../../core/timeline/messages';
import type { TimelineBar } from '../../core/timeline/timelineTypes';

export class Tooltip {
  readonly el = document.createElement('div');
  /** What the text is of (a bar's key, or a marker), so a late answer for another one is dropped. */
  of: string | undefined;

  constructor(parent: HTMLElement) {
    this.el.className = 'tl-tip';
    this.el.setAttribute('role', 'tooltip');
    parent.append(this.el);
  }

  show(of: string, text: string, x: number, y: number): void {
    this.of = of;
    this.el.textContent = text;
    this.el.style.display = 'block';
    const w = this.el.offsetWidth;
    const h = this.el.offsetHeight;
    this.el.style.left = `${Math.max(4, Math.min(x + 14, window.innerWidth - w - 4))}px`;
    this.el.style.top = `${y + 18 + h > window.innerHeight ? Math.max(4, y - h - 8) : y + 18}px`;
  }

  /** A better text for what is shown now (the editor's own tooltip of the job). */
  replace(of: string, text: string): void {
    if (this.of === of && this.el.style.display === 'block') this.el.textContent = text;
  }

  hide(): void {
    this.of = undefined;
    this.el.style.display = 'none';
  }
}

const ITEMS: [BarCommand, string, (b: TimelineBar) => boolean][] = [
  ['openLog', 'Open Log', (b) => b.hasLog],
  ['showResult', 'Show Result', (b) => b.hasResult],
  ['cancelJob', 'Cancel Job', (b) => b.canCancel],
];

export class BarMenu {
  readonly el = document.createElement('div');

  constructor(
    parent: HTMLElement,
    private readonly run: (command: BarCommand, bar: TimelineBar) => void,
  ) {
    this.el.className = 'tl-menu';
    this.el.setAttribute('role', 'menu');
    this.el.addEventListener('keydown', (e) => this.onKey(e));
    parent.append(this.el);
  }

  get open(): boolean {
    return this.el.style.display === 'block';
  }

  /** Opens at (x, y) with what applies to the bar; false when nothing does. */
  show(bar: TimelineBar, x: number, y: number): boolean {
    const items = ITEMS.filter(([, , applies]) => applies(bar));
    if (!items.length) return false;
    this.el.replaceChildren(
      ...items.map(([command, label]) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.setAttribute('role', 'menuitem');
        b.dataset.command = command;
        b.textContent = label;
        b.addEventListener('click', () => {
          this.hide();
          this.run(command, bar);
        });
        return b;
      }),
    );
    this.el.style.display = 'block';
    this.el.style.left = `${Math.min(x, window.innerWidth - this.el.offsetWidth - 4)}px`;
    this.el.style.top = `${Math.min(y, window.innerHeight - this.el.offsetHeight - 4)}px`;
    (this.el.firstElementChild as HTMLElement | null)?.focus();
    return true;
  }

  hide(): void {
    this.el.style.display = 'none';
  }

  private onKey(e: KeyboardEvent): void {
    const items = [...this.el.querySelectorAll('button')];
    const i = items.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape') this.hide();
    else if (e.key === 'ArrowDown') items[(i + 1) % items.length]?.focus();
    else if (e.key === 'ArrowUp') items[(i - 1 + items.length) % items.length]?.focus();
    else return;
    e.preventDefault();
    e.stopPropagation();
  }
}

// Processes die without touching any file, so jobs that claim to be queued or running are re-checked
// on a slow timer. With nothing claiming to run, no timer exists at all.
export class ReverifyTimer {
  private timer: NodeJS.Timeout | undefined;
  private active = false;
  private busy = false;
  private disposed = false;
  /** Ticks run so far; for tests and benchmarks. */
  ticks = 0;

  constructor(
    private readonly tick: () => Promise<void>,
    private intervalMs: number,
  ) {}

  get running(): boolean {
    return this.timer !== undefined || this.busy;
  }

  setInterval(ms: number): void {
    if (ms === this.intervalMs) return;
    this.intervalMs = ms;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.schedule();
    }
  }

  /** Starts or stops the timer to match whether any job claims to be active. */
  setActive(active: boolean): void {
    this.active = active && !this.disposed;
    if (!this.active && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    } else if (this.active && !this.timer && !this.busy) {
      this.schedule();
    }
  }

  private schedule(): void {
    // Chained timeouts rather than an interval: a slow check never overlaps the next one.
    this.timer = setTimeout(() => void this.run(), this.intervalMs);
    this.timer.unref?.();
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    this.busy = true;
    try {
      this.ticks++;
      await this.tick();
    } catch {
      // The tick reports its own failures; the timer must keep going.
    } finally {
      this.busy = false;
      if (this.active && !this.disposed && !this.timer) this.schedule();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

// The archive's one scheduler. All its work (observing a state dir, keeping one job, noting a
// repair, a background copy step, the deferred entry writes) runs on one queue, one piece at a time,
// so no two pieces ever change the same entry at once. One coalescing rule: work given a key while
// work of that key waits its turn replaces the waiting work (the newest wins) and shares its
// promise; under a burst of scans the archive copies from the latest snapshot instead of working
// through every older one.
//
// Its timers are named and kept here, and each only puts work on the queue when it fires:
// - `deferred-writes` (OFFSET_WRITE_MS, archive.ts): an entry whose only change is more copied log
//   bytes is written a few seconds later, so a log line does not rewrite its entry each time;
// - `backlog` (STEP_PAUSE_MS, logCopy.ts): a big copy goes on in steps with a pause between them,
//   so the background copier takes a bounded share of the disk.
// Both are unref'd (never what keeps a process alive) and end with dispose.

export class WorkQueue {
  private tail: Promise<void> = Promise.resolve();
  private readonly waiting = new Map<string, { work: () => Promise<void>; run: Promise<void> }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private disposed = false;

  constructor(
    /** A piece of work failed: said once, and the queue goes on. */
    private readonly onFailure: (err: unknown) => void,
    /** After each piece of work, failed or not (the archive reports its changes there). */
    private readonly afterEach: () => void = () => undefined,
  ) {}

  /** Runs `work` after everything queued before it; resolves (never rejects) once it has run. */
  run(work: () => Promise<void>): Promise<void> {
    const run = this.tail.then(work).finally(this.afterEach);
    this.tail = run.catch(this.onFailure);
    return this.tail;
  }

  /** As `run`, but while work of `key` waits its turn, this replaces it (see the header). */
  runLatest(key: string, work: () => Promise<void>): Promise<void> {
    const waiting = this.waiting.get(key);
    if (waiting) {
      waiting.work = work;
      return waiting.run;
    }
    const slot: { work: () => Promise<void>; run: Promise<void> } = { work, run: Promise.resolve() };
    slot.run = this.run(() => {
      this.waiting.delete(key);
      return slot.work();
    });
    this.waiting.set(key, slot);
    return slot.run;
  }

  /** Calls `due` once after `ms`, unless a timer of that name is set already or the queue is disposed. */
  after(key: string, ms: number, due: () => void): void {
    if (this.timers.has(key) || this.disposed) return;
    const t = setTimeout(() => {
      this.timers.delete(key);
      due();
    }, ms);
    t.unref?.();
    this.timers.set(key, t);
  }

  cancel(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  /** Resolves once everything queued so far has run. */
  idle(): Promise<void> {
    return this.tail;
  }

  /** Stops the timers (their work is not queued); what is queued still runs. */
  dispose(): void {
    this.disposed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

// The heap limit check. A process near V8's heap limit dies (and in the editor it takes every
// extension of the shared host with it): before that, what is only a cache is dropped, the archive
// holds fewer old jobs, and it is said once. Looked at on the model's own updates (at most once a
// second), not on a timer: no work when nothing changes.
import { getHeapStatistics } from 'v8';

/** Past this share of the heap limit, caches go. */
const NEAR = 0.85;
/** Below this share again, a later rise is said again. */
const CLEAR = 0.7;
const EVERY_MS = 1000;

export interface HeapUse {
  used: number;
  limit: number;
}

export function heapUse(): HeapUse {
  const s = getHeapStatistics();
  return { used: s.used_heap_size, limit: s.heap_size_limit };
}

export class HeapGuard {
  private lastMs = -Infinity;
  private relieved = false;
  /** Times caches were dropped; for tests. */
  drops = 0;

  constructor(
    /** Drops what can be read again; says what it dropped. */
    private readonly relieve: () => string,
    /** Where it is said (the output channel, stderr). */
    private readonly say: (message: string) => void,
    private readonly use: () => HeapUse = heapUse,
    private readonly now: () => number = Date.now,
  ) {}

  check(): void {
    const now = this.now();
    if (now - this.lastMs < EVERY_MS) return;
    this.lastMs = now;
    const { used, limit } = this.use();
    if (!(limit > 0)) return;
    if (used < CLEAR * limit) this.relieved = false;
    if (used < NEAR * limit || this.relieved) return;
    this.relieved = true;
    this.drops++;
    const what = this.relieve();
    const mb = (n: number) => `${Math.round(n / 1048576)} MB`;
    this.say(`memory is short (${mb(used)} of a ${mb(limit)} heap): ${what}`);
  }
}

// One session file's token_count events, read incrementally as logs are tailed: each read takes
// only what was appended since the last (bounded), a line torn by the writer waits for its end, and
// a file replaced or cut short is read again from the start. A huge file is read at its head and
// its end only (the events in between are missed, and the usage says so). Never a whole-file read.
import { openRegular, readAt, toSafeFsError } from '../io/safeFs';
import { MAX_EVENT_LINE, scanTokenLines } from './tokenEvents';
import type { TokenEvent } from './usageTypes';

export const TAIL_BOUNDS = {
  /** A file up to this size is read through (in pieces). */
  readThrough: 8 * 1024 * 1024,
  /** Of a larger one: its first bytes… */
  head: 1024 * 1024,
  /** …and its last. */
  end: 4 * 1024 * 1024,
  /** One read's piece. */
  piece: 512 * 1024,
  /** Events kept; older ones (but the first) are dropped past it. */
  events: 5_000,
} as const;

export class SessionTail {
  private pos = 0;
  /** The next read begins inside a line (after a skip): its first bytes are not a line's start. */
  private midLine = false;
  private ino = -1;
  private list: TokenEvent[] = [];
  /** Bytes of the file not read (a huge file's middle), or events dropped. */
  partial = false;
  /** Bytes read in all, for benchmarks. */
  bytesRead = 0;
  /** The last problem, naming the file; cleared by a good read. */
  warning: string | undefined;

  constructor(
    readonly file: string,
    readonly root: string,
  ) {}

  get events(): readonly TokenEvent[] {
    return this.list;
  }

  /** Reads what was appended since the last read; true when new events came. `final`: no writer is left. */
  async read(final = false): Promise<boolean> {
    let opened: Awaited<ReturnType<typeof openRegular>>;
    try {
      opened = await openRegular(this.file, this.root);
    } catch (err) {
      this.warning = `${this.file}: ${toSafeFsError(this.file, err).what}`;
      return false;
    }
    const { fh, stats } = opened;
    try {
      if (stats.ino !== this.ino || stats.size < this.pos) this.restart(stats.ino);
      const before = this.list.length;
      const size = stats.size;
      if (this.pos === 0 && size > TAIL_BOUNDS.readThrough) {
        await this.readRange(fh, 0, TAIL_BOUNDS.head, size, false);
        this.skipTo(size - TAIL_BOUNDS.end);
      } else if (size - this.pos > TAIL_BOUNDS.readThrough) {
        this.skipTo(size - TAIL_BOUNDS.end);
      }
      await this.readRange(fh, this.pos, size, size, final);
      this.warning = undefined;
      return this.list.length !== before;
    } catch (err) {
      this.warning = `${this.file}: ${toSafeFsError(this.file, err).what}`;
      return false;
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  private restart(ino: number): void {
    this.ino = ino;
    this.pos = 0;
    this.midLine = false;
    this.list = [];
    this.partial = false;
  }

  private skipTo(pos: number): void {
    if (pos <= this.pos) return;
    this.pos = pos;
    this.midLine = true;
    this.partial = true;
  }

  /** Reads [from, to) in pieces, taking whole lines; `pos` ends after the last whole line taken. */
  private async readRange(
    fh: Parameters<typeof readAt>[0],
    from: number,
    to: number,
    size: number,
    final: boolean,
  ): Promise<void> {
    this.pos = from;
    while (this.pos < to) {
      const want = Math.min(TAIL_BOUNDS.piece, to - this.pos);
      const buf = await readAt(fh, this.pos, want, size);
      if (buf.length === 0) break;
      this.bytesRead += buf.length;
      const last = this.pos + buf.length >= to;
      const r = scanTokenLines(buf, this.midLine, final && last && to === size);
      this.add(r.events);
      if (r.consumed === 0) {
        // No line ends in this piece: a line longer than a piece (never a token_count) is passed over,
        // unless this is the end of what is there (a torn line waits).
        if (buf.length < TAIL_BOUNDS.piece || last) break;
        this.pos += buf.length;
        this.midLine = true;
        continue;
      }
      if (r.consumed < buf.length && last) {
        this.pos += r.consumed;
        this.midLine = false;
        break;
      }
      // A line begun here and longer than a token_count line can be is passed over, not read twice.
      const skipRest = buf.length - r.consumed > MAX_EVENT_LINE;
      this.pos += skipRest ? buf.length : r.consumed;
      this.midLine = skipRest;
    }
  }

  private add(events: TokenEvent[]): void {
    if (!events.length) return;
    this.list = this.list.concat(events);
    if (this.list.length > TAIL_BOUNDS.events) {
      this.list = [this.list[0], ...this.list.slice(this.list.length - TAIL_BOUNDS.events + 1)];
      this.partial = true;
    }
  }
}

// The logs the archive holds open. A concurrent writer may delete a job's log at any moment; an open
// handle still reads every byte written before that. A log deleted and re-created under the same
// name is a new file; each file opened is kept beside the others until a copy takes them over.
import type { FileHandle } from 'fs/promises';
import { isSafeJobId } from '../io/reader';
import { idUnder } from '../vocab/keys';

/** Open log files at most; past that, logs are copied as before, without a handle kept. */
export const MAX_HELD = 256;

export interface Held {
  fh: FileHandle;
  /** fileIdOf the open file. */
  id: string;
}

export class HeldLogs {
  /** The log a copy last took, for jobs not finished (or finished a moment ago), by entry key. */
  private readonly held = new Map<string, Held>();
  /** Logs opened on a file event that no copy has taken over yet, oldest first. */
  private readonly opened = new Map<string, Held[]>();
  private openedCount = 0;
  /** When a job whose log is held was first seen finished. */
  readonly finishedSince = new Map<string, number>();
  /** Records read on their own file event (or with a job's first opened log), newest version, by entry key. */
  readonly records = new Map<string, Record<string, unknown>>();
  /** Per job whose log is held, the archive copy's append handle, kept open between log lines. */
  private readonly outs = new Map<string, { fh?: FileHandle }>();

  /** The slot of k's append handle (see CopyOptions.out); its handle is closed by closeOut. */
  outFor(k: string): { fh?: FileHandle } {
    let slot = this.outs.get(k);
    if (!slot) this.outs.set(k, (slot = {}));
    return slot;
  }

  async closeOut(k: string): Promise<void> {
    const fh = this.outs.get(k)?.fh;
    this.outs.delete(k);
    await fh?.close().catch(() => undefined);
  }

  mayTake(id: string): boolean {
    return isSafeJobId(id) && this.held.size + this.openedCount < MAX_HELD;
  }

  isHeld(k: string): boolean {
    return this.held.has(k);
  }

  hasOpened(k: string): boolean {
    return this.opened.has(k);
  }

  /** Whether some open file of k's log is not the file now at its path. */
  holdsOther(k: string, currentId: string | undefined): boolean {
    return [this.held.get(k), ...(this.opened.get(k) ?? [])].some((h) => h && h.id !== currentId);
  }

  /** Adds a log file opened on an event; false (and nothing kept) when that file is already held. */
  addOpened(k: string, h: Held): boolean {
    if (this.held.get(k)?.id === h.id || this.opened.get(k)?.some((g) => g.id === h.id)) return false;
    this.opened.set(k, [...(this.opened.get(k) ?? []), h]);
    this.openedCount++;
    return true;
  }

  /** Keeps k's current log file open; false when there is no room or one is held already. */
  hold(k: string, h: Held): boolean {
    if (this.held.has(k) || this.held.size >= MAX_HELD) return false;
    this.held.set(k, h);
    return true;
  }

  /** Every open file of k's log, oldest first; the caller now owns (and closes) them. */
  take(k: string): Held[] {
    const opened = this.opened.get(k) ?? [];
    const files = [this.held.get(k), ...opened].filter((h): h is Held => !!h);
    this.held.delete(k);
    this.opened.delete(k);
    this.openedCount -= opened.length;
    return files;
  }

  /** Log files opened on events, of keys under a state dir, for jobs no scan has shown. */
  openedUnder(stateDir: string): [string, Held[]][] {
    return [...this.opened].filter(([k]) => idUnder(k, stateDir) !== undefined);
  }

  keys(): string[] {
    return [...new Set([...this.held.keys(), ...this.opened.keys(), ...this.outs.keys()])];
  }

  async closeAll(k: string): Promise<void> {
    this.finishedSince.delete(k);
    await closeFiles(this.take(k));
    await this.closeOut(k);
  }
}

export async function closeFiles(files: readonly Held[]): Promise<void> {
  await Promise.all(files.map((h) => h.fh.close().catch(() => undefined)));
}

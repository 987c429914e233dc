// Copies a log into the archive incrementally: each source byte is taken at most once (copied, or
// left in a marked gap), from an open handle, in bounded chunks, never the whole file at once.
// A log deleted and re-created under the same name is a new file; each file of a log is copied as
// it grows up to the per-job cap; past it the rest waits for the end (the job finished or its log
// let go), when the last half-cap is copied after a marked gap. So each file costs at most 1.5 × the
// cap, however big the source is (a 2 GiB sparse log included). `e` is always an entry being built
// (a draft, see entries.ts), never one handed out.
import type { FileHandle } from 'fs/promises';
import { addEvent, type ArchiveEntry } from './entry';
import { appendSafe, openForAppend, readAt } from '../io/safeFs';

const CHUNK = 1024 * 1024;

export interface CopyOptions {
  /** The archive's copy of this job's log. */
  target: string;
  /** The archive dir: nothing below it is followed. */
  root: string;
  maxLogBytes: number;
  /** The end: copy the last part past a gap now. */
  final: boolean;
  /** At most this many bytes in this call (a big first copy is done in steps). */
  budget: number;
  now: number;
  /**
   * An append handle on target kept between copies (a held log's): used when filled, filled when
   * empty; its owner closes it. Without it, target is opened and closed by each copy.
   */
  out?: { fh?: FileHandle };
}

export interface CopyOutcome {
  changed: boolean;
  copied: number;
  /** Bytes left that the budget stopped (call again). */
  more: boolean;
}

/** Copies one file of a log; a different file than the one copied so far starts anew after a note. */
export async function copyFromFile(
  src: FileHandle,
  srcId: string,
  e: ArchiveEntry,
  o: CopyOptions,
): Promise<CopyOutcome> {
  let changed = false;
  if (e.logFileId !== undefined && e.logFileId !== srcId && (e.logOffset > 0 || e.lifeBytes > 0)) {
    await markRecreated(e, o, 'the log was re-created');
    changed = true;
  }
  const sameFile = e.logFileId === srcId;
  if (!sameFile) changed = true;
  e.logFileId = srcId;
  const out = await drain(src, e, o, sameFile);
  return { ...out, changed: out.changed || changed };
}

export async function markRecreated(e: ArchiveEntry, o: Pick<CopyOptions, 'target' | 'root' | 'now'>, what: string) {
  const note = Buffer.from(
    `\n[codex-jobs] ${what} at ${new Date(o.now).toISOString()}; what follows is its new content\n`,
  );
  await appendSafe(o.target, note, o.root);
  e.logBytes += note.length;
  e.logOffset = 0;
  e.lifeBytes = 0;
  addEvent(e, { atMs: o.now, what: 'log-recreated', status: e.lastStatus });
}

/** Copies what the open file has beyond our offset (it may be deleted already: it still reads). */
async function drain(src: FileHandle, e: ArchiveEntry, o: CopyOptions, sameFile: boolean): Promise<CopyOutcome> {
  const size = (await src.stat()).size;
  let changed = false;
  if (size < e.logOffset) {
    await markRecreated(e, o, 'the log was re-created'); // truncated in place: the same words as before
    changed = true;
    sameFile = false;
  }
  if (size === e.logOffset) return { changed, copied: 0, more: false };
  const cap = Math.max(1024, o.maxLogBytes);
  const tail = Math.floor(cap / 2);
  // As it grows, a file is copied up to the cap; at the end, to half of it (the other half is its tail).
  const growLimit = o.final ? Math.max(cap - tail, Math.min(e.lifeBytes, cap)) : cap;
  const room = Math.max(0, growLimit - e.lifeBytes);
  let copied = 0;
  let budget = o.budget;
  let fh = o.out?.fh;
  let extra = 0;
  // Our copy deleted since (the archive dir removed by hand): what is written goes to a new one.
  if (fh && (await fh.stat().catch(() => undefined))?.nlink !== 1) {
    await fh.close().catch(() => undefined);
    fh = o.out!.fh = undefined;
  }
  if (!fh) {
    const opened = await openForAppend(o.target, o.root);
    fh = opened.fh;
    extra = opened.stats.size - e.logBytes;
    if (o.out) o.out.fh = fh;
  }
  const out = { fh };
  if (extra > 0) {
    // Our copy holds more than the entry says: copied by a process that ended before writing its
    // entry (its write waits a few seconds). Those bytes are this file's next ones: taken as copied.
    e.logBytes += extra;
    if (sameFile) {
      const taken = Math.min(extra, size - e.logOffset);
      e.logOffset += taken;
      e.lifeBytes += taken;
    }
    changed = true;
  }
  try {
    const copy = async (to: number): Promise<boolean> => {
      while (e.logOffset < to) {
        if (budget <= 0) return false;
        const n = Math.min(CHUNK, to - e.logOffset, budget);
        const buf = await readAt(src, e.logOffset, n);
        if (buf.length === 0) return true; // shrank under us: the next scan sees it
        await out.fh.write(buf);
        e.logOffset += buf.length;
        e.logBytes += buf.length;
        e.lifeBytes += buf.length;
        copied += buf.length;
        budget -= buf.length;
      }
      return true;
    };
    if (!(await copy(Math.min(size, e.logOffset + room)))) return { changed: true, copied, more: true };
    if (e.logOffset < size && o.final) {
      const from = Math.max(e.logOffset, size - tail);
      if (from > e.logOffset) {
        const gap = from - e.logOffset;
        const note = Buffer.from(
          `\n[codex-jobs] ${gap} bytes of the log (bytes ${e.logOffset} to ${from}) are not kept: the archive keeps ${cap} bytes of a log, its first and last parts\n`,
        );
        await out.fh.write(note);
        e.logBytes += note.length;
        e.skippedBytes += gap;
        e.logOffset = from;
        e.logNote = `${e.skippedBytes} bytes of the middle of the log are not kept (per-job cap ${cap} bytes)`;
      }
      if (!(await copy(size))) return { changed: true, copied, more: true };
    }
  } finally {
    if (!o.out) await out.fh.close().catch(() => undefined);
  }
  return { changed: changed || copied > 0 || e.logOffset === size, copied, more: false };
}

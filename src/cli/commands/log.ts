// `codex-jobs log <id>`: prints a job's log, and with --follow what is appended. The log is opened
// through safeFs: a link, a FIFO or anything but a regular file is refused, never followed or
// blocked on. Following waits on file events (with a slow fallback timer), never a busy loop.
import { watch as fsWatch, type FSWatcher } from 'fs';
import * as path from 'path';
import { fileIdOf, isSafeJobId } from '../../core/reader';
import { isSafeFsError, openRegular, readAt } from '../../core/safeFs';
import { UsageError, type Args } from '../args';
import { collect, printWarnings } from '../jobs';
import type { Output } from '../output';
import { untilStopped } from '../signals';

const CHUNK = 256 * 1024;
/** For file systems whose events do not arrive (network mounts): a check this often, not a busy loop. */
const FALLBACK_MS = 2000;

interface Position {
  offset: number;
  /** Which file was read (inode and birth time): a log deleted and re-created is printed from its start. */
  file?: string;
}

/** Prints the bytes of `file` past `pos`; missing is fine for a follower (`missingOk`). */
async function printFrom(file: string, pos: Position, io: Output, missingOk: boolean): Promise<Position> {
  let opened;
  try {
    opened = await openRegular(file);
  } catch (err) {
    if (missingOk && isSafeFsError(err, 'missing')) return pos;
    if (isSafeFsError(err)) throw new Error(`${err.file}: ${err.what}`, { cause: err });
    throw err;
  }
  const { fh, stats } = opened;
  try {
    const id = fileIdOf(stats);
    let offset = id === pos.file && stats.size >= pos.offset ? pos.offset : 0;
    // Up to the size seen at open: what is appended meanwhile comes with the next event.
    while (offset < stats.size && !io.stdoutClosed) {
      const buf = await readAt(fh, offset, Math.min(CHUNK, stats.size - offset));
      if (buf.length === 0) break;
      await io.write(buf);
      offset += buf.length;
    }
    return { offset, file: id };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

export async function logCommand(a: Args, io: Output): Promise<number> {
  const id = a.positional[0];
  if (!isSafeJobId(id)) throw new UsageError(`"${id}" is not a job id`, 'log');
  const r = await collect(a, a.positional[1]);
  const job = r.jobs.find((j) => j.id === id);
  if (!job) {
    printWarnings(r.warnings, (l) => io.error(l));
    io.error(`codex-jobs: no job ${id} in ${r.stateDirs.join(', ') || 'any state dir'}`);
    return 1;
  }
  const logPath = job.archived?.logPath ?? job.logPath;
  let pos = await printFrom(logPath, { offset: 0 }, io, a.follow);
  if (!a.follow) return 0;

  let failure: Error | undefined;
  let busy = false;
  let again = false;
  let stop!: () => void;
  const failed = new Promise<void>((resolve) => (stop = resolve));
  const pump = async () => {
    if (busy) return void (again = true);
    busy = true;
    try {
      do {
        again = false;
        pos = await printFrom(logPath, pos, io, true);
      } while (again);
    } catch (err) {
      failure = err as Error;
      stop();
    } finally {
      busy = false;
    }
  };
  // The directory is watched, not the file: the log may not exist yet, or be replaced.
  const base = path.basename(logPath);
  let watcher: FSWatcher | undefined;
  try {
    watcher = fsWatch(path.dirname(logPath), (_event, name) => {
      if (name === null || name === base) void pump();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined; // no events here: the fallback timer carries on alone
  }
  const fallback = setInterval(() => void pump(), FALLBACK_MS);
  void pump(); // what was appended before the watcher started
  await Promise.race([untilStopped(io), failed]);
  clearInterval(fallback);
  watcher?.close();
  while (busy) await new Promise((r) => setTimeout(r, 10));
  if (failure) {
    io.error(`codex-jobs: ${failure.message}`);
    return 1;
  }
  return 0;
}

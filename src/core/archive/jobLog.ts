// The one way to read and follow a job's log (the CLI's `log` and `log --follow`, Open Log): the
// state dir's file where it is complete, the archive's copy where that holds more (a deleted log, the
// beginning of a re-created one), then whatever the state dir's file grows by. Read in bounded
// chunks through safeFs; never a whole file in memory.
import { promises as fs, watch as fsWatch, type FSWatcher } from 'fs';
import * as path from 'path';
import type { ArchiveEntry } from './entry';
import { fileIdOf, rootOfStateDir } from '../io/reader';
import { fileTypeName, openRegular, readAt, type FileBeneath } from '../io/safeFs';
import type { Job } from '../vocab/types';

const CHUNK = 64 * 1024;

/**
 * Where a job's log is: its state dir path, and what the archive kept of it. Each file is opened
 * beneath its `root` (safeFs): the state root for the state dir's file, the archive dir for the copy.
 */
export interface LogSource extends FileBeneath {
  kept?: FileBeneath & {
    /** Bytes in the archive's copy. */
    bytes: number;
    /** How far into the current source file the copy goes, and which file that is. */
    sourceOffset: number;
    sourceFileId?: string;
    /** Bytes of the copy from that file (the rest are the log's earlier files, before it was re-created, and notes). */
    sourceFileBytes: number;
    /** Whether the copy has a gap (the per-job cap): then the state dir's file, when there, is whole. */
    gap: boolean;
  };
}

export function logSourceOf(job: Job, entry: ArchiveEntry | undefined, archiveLog: FileBeneath | undefined): LogSource {
  const live = { file: job.logPath, root: rootOfStateDir(job.stateDir) };
  if (!entry || !archiveLog || entry.logBytes === 0) return live;
  return {
    ...live,
    kept: {
      ...archiveLog,
      bytes: entry.logBytes,
      sourceOffset: entry.logOffset,
      sourceFileId: entry.logFileId,
      sourceFileBytes: entry.lifeBytes,
      gap: entry.skippedBytes > 0,
    },
  };
}

export interface LogPart extends FileBeneath {
  start: number;
  end: number;
}

export interface LogPlan {
  /** What to print, in order. */
  parts: LogPart[];
  /** Bytes in all. */
  bytes: number;
  /** Where new bytes will appear, and from which offset of which file they are new. */
  follow: FileBeneath & { offset: number; fileId?: string };
  /** Whether any log was found at all. */
  exists: boolean;
}

/** Decides which bytes make the job's log now. */
export async function planJobLog(src: LogSource): Promise<LogPlan> {
  const live = await statRegular(src.file);
  const kept = src.kept ? await statRegular(src.kept.file) : undefined;
  const k = src.kept;
  const follow = { file: src.file, root: src.root, offset: live?.size ?? 0, fileId: live?.id };
  const whole = (size: number) => ({ file: src.file, root: src.root, start: 0, end: size });
  if (!kept || !k) {
    return {
      parts: live ? [whole(live.size)] : [],
      bytes: live?.size ?? 0,
      follow,
      exists: !!live,
    };
  }
  const keptPart = { file: k.file, root: k.root, start: 0, end: kept.size };
  if (!live) return { parts: [keptPart], bytes: kept.size, follow: { ...follow, offset: 0 }, exists: true };
  const sameFile = k.sourceFileId === live.id;
  const earlier = kept.size - k.sourceFileBytes > 0;
  if (sameFile && (k.gap || !earlier) && live.size >= k.sourceOffset) {
    // The state dir's file holds everything the copy has of it, and the copy holds nothing else.
    return { parts: [whole(live.size)], bytes: live.size, follow, exists: true };
  }
  // The copy holds more: the log's earlier files, or a file the state dir no longer has. Then what the
  // state dir's file has beyond what was copied of it (all of it, when it is a file not copied yet).
  const from = sameFile ? Math.min(k.sourceOffset, live.size) : 0;
  const rest = { ...whole(live.size), start: from };
  return {
    parts: rest.end > rest.start ? [keptPart, rest] : [keptPart],
    bytes: kept.size + rest.end - rest.start,
    follow,
    exists: true,
  };
}

/** The last `maxBytes` of the merged log (from a line start), and how much came before it. */
export async function readPlanTail(plan: LogPlan, maxBytes: number): Promise<{ text: string; omitted: number }> {
  let skip = Math.max(0, plan.bytes - maxBytes);
  const omitted = skip;
  const parts: LogPart[] = [];
  for (const p of plan.parts) {
    const len = p.end - p.start;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    parts.push({ ...p, start: p.start + skip });
    skip = 0;
  }
  const bufs: Buffer[] = [];
  for await (const b of readParts(parts)) bufs.push(b);
  let text = Buffer.concat(bufs).toString('utf8');
  if (omitted > 0) text = text.slice(text.indexOf('\n') + 1); // started mid-line
  return { text, omitted: omitted + (plan.bytes - omitted - Buffer.byteLength(text)) };
}

/** Reads the parts in bounded chunks. */
export async function* readParts(parts: readonly LogPart[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield* readRange(p);
}

async function* readRange({ file, root, start, end }: LogPart): AsyncGenerator<Buffer> {
  let opened;
  try {
    opened = await openRegular(file, root);
  } catch {
    return; // gone between plan and read: the follower sees what comes next
  }
  try {
    for (let at = start; at < end;) {
      const buf = await readAt(opened.fh, at, Math.min(CHUNK, end - at));
      if (buf.length === 0) break;
      at += buf.length;
      yield buf;
    }
  } finally {
    await opened.fh.close().catch(() => undefined);
  }
}

/**
 * Follows the state dir's log from an offset: appended bytes as they come; a log re-created or
 * truncated starts again at 0 (after a one-line note). Watches the jobs dir (the file may not
 * exist yet, or be deleted and re-created), with a slow poll as a backstop.
 */
export class LogFollower {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly from: LogPlan['follow'],
    private readonly onData: (chunk: Buffer) => void,
    private readonly pollMs = 1000,
    /** The log was replaced by something that is not a regular file (a link, a FIFO): following stops. */
    private readonly onRefused?: (why: string) => void,
  ) {}

  start(): void {
    try {
      this.watcher = fsWatch(path.dirname(this.from.file), (_e, name) => {
        if (!name || name.toString() === path.basename(this.from.file)) this.pump();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      // the jobs dir is not there: the poll finds the file when it comes
    }
    const tick = () => {
      this.pump();
      if (!this.disposed) this.timer = setTimeout(tick, this.pollMs);
      this.timer?.unref?.();
    };
    this.timer = setTimeout(tick, this.pollMs);
    this.timer.unref?.();
    this.pump();
  }

  /** Resolves once everything seen so far is delivered. */
  idle(): Promise<void> {
    return this.chain;
  }

  private pump(): void {
    this.chain = this.chain.then(() => this.readNew()).catch(() => undefined);
  }

  private async readNew(): Promise<void> {
    if (this.disposed) return;
    const refused = await refusedLog(this.from.file);
    if (refused) {
      this.dispose();
      this.onRefused?.(refused);
      return;
    }
    const st = await statRegular(this.from.file);
    if (!st) return;
    if ((this.from.fileId !== undefined && st.id !== this.from.fileId) || st.size < this.from.offset) {
      if (this.from.offset > 0 || this.from.fileId !== undefined)
        this.onData(Buffer.from(`\n[codex-jobs] the log was re-created; what follows is its new content\n`));
      this.from.offset = 0;
    }
    this.from.fileId = st.id;
    for await (const buf of readRange({ ...this.from, start: this.from.offset, end: st.size })) {
      if (this.disposed) return;
      this.from.offset += buf.length;
      this.onData(buf);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
  }
}

async function statRegular(file: string): Promise<{ size: number; id: string } | undefined> {
  try {
    const st = await fs.lstat(file);
    return st.isFile() ? { size: st.size, id: fileIdOf(st) } : undefined;
  } catch {
    return undefined;
  }
}

/** Why a log path that exists is not read (a link, a FIFO, a directory); undefined when fine or missing. */
export async function refusedLog(file: string): Promise<string | undefined> {
  try {
    const st = await fs.lstat(file);
    if (st.isFile()) return undefined;
    return st.isSymbolicLink()
      ? `${file}: is a symbolic link; not followed`
      : `${file}: not a regular file (${fileTypeName(st)}); not read`;
  } catch {
    return undefined;
  }
}

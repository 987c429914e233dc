// The one way the core opens files that other programs write. Any of them may be a FIFO, a socket, a
// device, a directory or a link to anywhere, may be huge, or may be swapped while we read it. So: no
// link is followed (O_NOFOLLOW), no open can block (O_NONBLOCK: a FIFO with no writer opens at once),
// only a regular file is read (fstat on the open handle, not a stat of the path), and every read is
// bounded. Writers apply the same checks to their target and its directory and write nothing where
// one fails. Failures are SafeFsErrors whose message says what the file is and what was done.
import { constants, type Stats } from 'fs';
import type { FileHandle } from 'fs/promises';
import { fsCalls as fs } from './fsCalls';
import * as path from 'path';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_APPEND } = constants;
const O_DIRECTORY = constants.O_DIRECTORY ?? 0;
// Windows has neither; there a link or FIFO cannot be made by an unprivileged companion anyway.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
/** Where the kernel names what a descriptor is open on. */
const PROC_FD = process.platform === 'linux' ? '/proc/self/fd' : undefined;

/** Byte limits per kind of file; a file over its limit is skipped with a warning, never read. */
export const READ_LIMITS = {
  /** state.json: 50 entries of a few KB each in practice. */
  state: 8 * 1024 * 1024,
  /** jobs/<id>.json: carries the rendered output and structured result. */
  record: 8 * 1024 * 1024,
  /** broker.json */
  broker: 64 * 1024,
  /** broker.pid: a pid and a newline. */
  pid: 64,
  /** One archive entry (a record, its history and bookkeeping). */
  archiveEntry: 16 * 1024 * 1024,
} as const;

/**
 * Limits on the structure of what is read. JSON.parse copes with any depth, but it builds every level
 * (three million nested arrays cost seconds and hundreds of MB), and JSON.stringify, structured
 * cloning and every recursive walk do not cope: what is deeper is cut from the text before it is
 * parsed, so nothing ever holds it. Counts bound how many jobs one file or directory can make us hold.
 */
export const STRUCTURE_LIMITS = {
  /** Levels of nesting kept; the companion writes at most a handful. */
  jsonDepth: 64,
  /** Characters of JSON text parsed at once: the largest file read (an archive entry) fits. */
  jsonChars: READ_LIMITS.archiveEntry,
  /** Entries of state.json's `jobs` read (the companion keeps 50: twenty times that); the rest are reported, not loaded. */
  indexEntries: 1_000,
  /** Names of jobs/ looked at (a record and a log per job). */
  jobsDirEntries: 5_000,
} as const;

/** What stands in for a value nested deeper than the limit. */
export const TOO_DEEP = `[nested deeper than ${STRUCTURE_LIMITS.jsonDepth} levels; dropped]`;

export interface BoundedJson {
  value: unknown;
  /** Subtrees replaced by TOO_DEEP. */
  cut: number;
}

/**
 * `value` with every subtree below `maxDepth` levels replaced by TOO_DEEP. Iterative (no recursion
 * to overflow); returns `value` itself when nothing is that deep, a copy otherwise. A `__proto__` key
 * (an own property after JSON.parse) stays an own property of the copy.
 */
export function boundJson(value: unknown, maxDepth: number = STRUCTURE_LIMITS.jsonDepth): BoundedJson {
  if (fitsJson(value, maxDepth)) return { value, cut: 0 };
  let cut = 0;
  const copyOf = (v: unknown): unknown => (Array.isArray(v) ? new Array(v.length) : {});
  const root = isContainer(value) ? copyOf(value) : value;
  const stack: [unknown, Record<string, unknown>, number][] = isContainer(value)
    ? [[value, root as Record<string, unknown>, 1]]
    : [];
  while (stack.length) {
    const [src, dst, depth] = stack.pop()!;
    for (const k of Object.keys(src as object)) {
      const v = (src as Record<string, unknown>)[k];
      let out: unknown = v;
      if (isContainer(v)) {
        if (depth >= maxDepth) {
          out = TOO_DEEP;
          cut++;
        } else {
          out = copyOf(v);
          stack.push([v, out as Record<string, unknown>, depth + 1]);
        }
      }
      Object.defineProperty(dst, k, { value: out, enumerable: true, writable: true, configurable: true });
    }
  }
  return { value: root, cut };
}

function isContainer(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

/**
 * Whether a parsed value nests no deeper than `maxDepth` levels and holds at most `maxNodes` values.
 * Iterative; stops at the first level or node past a limit.
 */
export function fitsJson(value: unknown, maxDepth: number, maxNodes = Infinity): boolean {
  if (!isContainer(value)) return true;
  let nodes = 1;
  const stack: [object, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    for (const k of Object.keys(v)) {
      if (++nodes > maxNodes) return false;
      const c = (v as Record<string, unknown>)[k];
      if (!isContainer(c)) continue;
      if (depth >= maxDepth) return false;
      stack.push([c, depth + 1]);
    }
  }
  return true;
}

export interface JsonLimits {
  /** Levels of nesting kept (STRUCTURE_LIMITS.jsonDepth). */
  maxDepth?: number;
  /** Characters of text parsed at most (STRUCTURE_LIMITS.jsonChars); longer text is refused unread. */
  maxChars?: number;
  /** What happens past maxDepth: the deeper parts are cut (the default), or the whole text is refused. */
  deep?: 'cut' | 'refuse';
}

/** JSON text refused by parseJsonBounded before it was parsed; `message` says why, for a warning. */
export class JsonLimitError extends Error {
  constructor(
    readonly reason: 'too-large' | 'too-deep',
    readonly limit: number,
    message: string,
  ) {
    super(message);
    this.name = 'JsonLimitError';
  }
}

export function isJsonLimitError(err: unknown): err is JsonLimitError {
  return err instanceof JsonLimitError;
}

/**
 * The one parse for JSON that files and child processes hand us. Text over `maxChars` is refused
 * (JsonLimitError) unread; then one linear pass over the text finds every array or
 * object that opens past `maxDepth` levels (outside strings, escapes skipped) and, with `deep: 'cut'`,
 * puts TOO_DEEP in its place before JSON.parse sees it, or with `deep: 'refuse'` refuses the text.
 * Bad JSON throws a SyntaxError like JSON.parse. A subtree that is cut is not checked for syntax.
 */
export function parseJsonBounded(text: string, limits?: number | JsonLimits): BoundedJson {
  const o: JsonLimits = typeof limits === 'number' ? { maxDepth: limits } : (limits ?? {});
  const maxDepth = o.maxDepth ?? STRUCTURE_LIMITS.jsonDepth;
  const maxChars = o.maxChars ?? STRUCTURE_LIMITS.jsonChars;
  if (text.length > maxChars)
    throw new JsonLimitError('too-large', maxChars, `larger than the ${sizeText(maxChars)} JSON limit; not parsed`);
  const { kept, cut } = cutDeep(text, maxDepth, o.deep === 'refuse');
  return { value: JSON.parse(kept) as unknown, cut };
}

const sizeText = (chars: number) =>
  chars >= 1 << 20 ? `${Math.round(chars / (1 << 20))} MB` : `${Math.round(chars / 1024)} KB`;

const OPEN_ARRAY = 0x5b; // [
const OPEN_OBJECT = 0x7b; // {
const CLOSE_ARRAY = 0x5d; // ]
const CLOSE_OBJECT = 0x7d; // }
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * `text` with every array or object that opens deeper than `maxDepth` replaced by TOO_DEEP (as a JSON
 * string), and how many were; the text itself when none is. One pass, no recursion: a string is
 * skipped to its closing quote (a backslash skips the character after it), a bracket counts a level.
 */
function cutDeep(text: string, maxDepth: number, refuse: boolean): { kept: string; cut: number } {
  const parts: string[] = [];
  const stand = JSON.stringify(TOO_DEEP);
  let depth = 0;
  let cut = 0;
  let from = 0; // text before this is in `parts`
  let skipFrom = -1; // where the subtree being cut opened, or -1
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // To the closing quote: over escaped characters, never past the end.
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth && skipFrom < 0) {
        if (refuse) throw new JsonLimitError('too-deep', maxDepth, `nested deeper than ${maxDepth} levels; not parsed`);
        skipFrom = i;
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (--depth === maxDepth && skipFrom >= 0) {
        parts.push(text.slice(from, skipFrom), stand);
        from = i + 1;
        skipFrom = -1;
        cut++;
      }
    }
  }
  // Still inside a cut subtree: the text ends before it closes, as JSON.parse would have said.
  if (skipFrom >= 0) throw new SyntaxError('Unexpected end of JSON input (unclosed nesting)');
  if (!cut) return { kept: text, cut: 0 };
  parts.push(text.slice(from));
  return { kept: parts.join(''), cut };
}

/** JSON.stringify of the bounded value: never throws on depth (a cycle or BigInt still throws). */
export function stringifyBounded(value: unknown, space?: number): string {
  return JSON.stringify(boundJson(value).value, null, space);
}

export type SafeFsReason = 'missing' | 'link' | 'not-regular' | 'not-dir' | 'too-large' | 'denied' | 'io';

export class SafeFsError extends Error {
  constructor(
    readonly file: string,
    readonly reason: SafeFsReason,
    /** What the file is or what failed, e.g. "not a regular file (FIFO)". */
    readonly what: string,
    readonly code?: string,
  ) {
    super(`${path.basename(file)}: ${what}`);
  }
}

export function isSafeFsError(err: unknown, reason?: SafeFsReason): err is SafeFsError {
  return err instanceof SafeFsError && (reason === undefined || err.reason === reason);
}

/** The name a person knows a file type by (of a Stats or a Dirent: both answer the same questions). */
export function fileTypeName(
  st: Pick<
    Stats,
    'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'
  >,
): string {
  if (st.isFile()) return 'regular file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symbolic link';
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'special file';
}

/** Turns an fs error on `file` into a SafeFsError with a plain message. */
export function toSafeFsError(file: string, err: unknown, doing: 'read' | 'written' = 'read'): SafeFsError {
  if (err instanceof SafeFsError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return new SafeFsError(file, 'missing', 'does not exist', code);
    case 'ELOOP':
    case 'EMLINK': // FreeBSD's answer to O_NOFOLLOW on a link
      return new SafeFsError(file, 'link', 'is a symbolic link; not followed', code);
    case 'EACCES':
    case 'EPERM':
      return new SafeFsError(file, 'denied', 'permission denied', code);
    case 'EISDIR':
      return new SafeFsError(file, 'not-regular', 'not a regular file (directory)', code);
    case 'ENOTDIR':
      return new SafeFsError(file, 'not-dir', 'a directory on its path is not a directory', code);
    case 'ENXIO': // opening a socket, or a FIFO for writing with no reader
    case 'EOPNOTSUPP':
      return new SafeFsError(file, 'not-regular', 'not a regular file (socket or FIFO)', code);
    case 'ENOSPC':
    case 'EDQUOT':
      return new SafeFsError(file, 'io', 'could not be written (no space left on the device)', code);
    case 'EROFS':
      return new SafeFsError(file, 'denied', 'could not be written (read-only file system)', code);
    case 'ENAMETOOLONG':
      return new SafeFsError(file, 'io', 'its path is too long', code);
    default:
      return new SafeFsError(file, 'io', `could not be ${doing} (${code ?? String(err)})`, code);
  }
}

/** A file and the root it is opened beneath (see openDirBeneath): nothing below the root is followed. */
export interface FileBeneath {
  file: string;
  root: string;
}

export interface OpenedFile {
  fh: FileHandle;
  stats: Stats;
}

/**
 * Opens `dir` without following a link at any level below `root` (`root` itself may be a link: a
 * user's configured path, macOS's /tmp; `dir` may not, even when it is `root`). On Linux each
 * directory is opened with O_NOFOLLOW through the descriptor of the one above it
 * (`/proc/self/fd/N/<name>`: Node has no openat), so a directory swapped for a link at any moment is
 * never entered, not even between a check and an open. Elsewhere the chain is checked with lstat and
 * `dir` opened by its path. Returns the open directory and the path through which to reach its
 * entries; the caller closes `fh`.
 */
async function openDirBeneath(dir: string, root: string): Promise<{ fh: FileHandle; via: string }> {
  const rel = path.relative(root, dir);
  if (rel.startsWith('..') || path.isAbsolute(rel))
    throw new SafeFsError(dir, 'not-dir', `is not inside ${root}; refused`);
  if (!PROC_FD) {
    await assertRealDir(dir, root);
    return { fh: await openOneDir(dir, dir, true), via: dir };
  }
  const names = rel === '' ? [] : rel.split(path.sep);
  // With nothing below the root, the root is the directory itself, and is not followed either.
  let fh = await openOneDir(root, root, names.length === 0);
  let at = root;
  for (const name of names) {
    at = path.join(at, name);
    try {
      const next = await openOneDir(`${PROC_FD}/${fh.fd}/${name}`, at, true);
      await fh.close().catch(() => undefined);
      fh = next;
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }
  return { fh, via: `${PROC_FD}/${fh.fd}` };
}

/** Opens one directory (`where` names it in messages); with `noFollow`, a link there is refused. */
async function openOneDir(open: string, where: string, noFollow: boolean): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await fs.open(open, O_RDONLY | O_NONBLOCK | O_DIRECTORY | (noFollow ? O_NOFOLLOW : 0));
  } catch (err) {
    const e = toSafeFsError(where, err);
    if (e.code !== 'ELOOP' && e.code !== 'ENOTDIR' && e.code !== 'EMLINK') throw e;
    const what = await typeAt(open);
    if (what === 'symbolic link' || what === undefined)
      throw new SafeFsError(where, 'link', 'is a symbolic link; not followed', e.code);
    throw new SafeFsError(where, 'not-dir', `not a directory (${what})`, e.code);
  }
  try {
    const st = await fh.stat();
    if (!st.isDirectory()) throw new SafeFsError(where, 'not-dir', `not a directory (${fileTypeName(st)})`);
    return fh;
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw toSafeFsError(where, err);
  }
}

/** Runs `fn` with the path through which the entry `file` is reached beneath `root` (see openDirBeneath). */
async function beneath<T>(file: string, root: string, fn: (at: string) => Promise<T>): Promise<T> {
  const dir = await keptDirBeneath(path.dirname(file), root);
  try {
    return await fn(path.join(dir.via, path.basename(file)));
  } finally {
    dir.release();
  }
}

/**
 * A pass over jobs/ opens hundreds of files in one directory; walking to it for each was most of a
 * `status`. So a directory opened beneath its root is kept a moment (Linux: the walk is what makes
 * it safe, and its descriptor can only reach entries of that very directory) and used again while
 * an lstat of its path still names the same directory (dev and inode): a jobs/ deleted and made
 * again, or swapped for a link, is walked to afresh (and refused there). Kept 2 s: a running job's
 * log grows a line about every second, and each line then costs one lstat instead of a walk.
 */
const DIR_KEEP_MS = 2000;
/** Idle kept directories at most: `--all` walks to a thousand state dirs under a ulimit of 256. */
const MAX_IDLE_KEPT = 16;
interface KeptDir {
  key: string;
  fh: FileHandle;
  via: string;
  dev: number;
  ino: number;
  users: number;
  timer?: NodeJS.Timeout;
}
const keptDirs = new Map<string, KeptDir>();
const walking = new Map<string, Promise<KeptDir>>();

async function keptDirBeneath(dir: string, root: string): Promise<{ via: string; release: () => void }> {
  if (!PROC_FD) {
    const { fh, via } = await openDirBeneath(dir, root);
    return { via, release: () => void fh.close().catch(() => undefined) };
  }
  const key = `${root}\u0000${dir}`;
  const k = keptDirs.get(key);
  if (k) {
    const st = await fs.lstat(dir).catch(() => undefined);
    if (keptDirs.get(key) === k && st?.isDirectory() && st.dev === k.dev && st.ino === k.ino) return use(k);
    if (keptDirs.get(key) === k) dropKept(k);
  }
  let w = walking.get(key);
  if (!w) {
    w = (async () => {
      const { fh, via } = await openDirBeneath(dir, root);
      const st = await fh.stat().catch(async (err) => {
        await fh.close().catch(() => undefined);
        throw toSafeFsError(dir, err);
      });
      const nk: KeptDir = { key, fh, via, dev: st.dev, ino: st.ino, users: 0 };
      const old = keptDirs.get(key);
      if (old) dropKept(old);
      keptDirs.set(key, nk);
      return nk;
    })().finally(() => walking.delete(key));
    walking.set(key, w);
  }
  return use(await w);
}

function use(k: KeptDir): { via: string; release: () => void } {
  k.users++;
  clearTimeout(k.timer);
  let released = false;
  return {
    via: k.via,
    release: () => {
      if (released) return;
      released = true;
      if (--k.users > 0) return;
      if (keptDirs.get(k.key) !== k) return void k.fh.close().catch(() => undefined);
      k.timer = setTimeout(() => keptDirs.get(k.key) === k && k.users === 0 && dropKept(k), DIR_KEEP_MS);
      k.timer.unref?.();
      dropIdleBeyondCap();
    },
  };
}

/** Closes the oldest idle kept directories past the cap (the map keeps the order they were kept in). */
function dropIdleBeyondCap(): void {
  let idle = 0;
  for (const k of keptDirs.values()) if (k.users === 0) idle++;
  for (const k of keptDirs.values()) {
    if (idle <= MAX_IDLE_KEPT) break;
    if (k.users > 0) continue;
    dropKept(k);
    idle--;
  }
}

/** Forgets a kept directory; its descriptor is closed once nothing uses it. */
function dropKept(k: KeptDir): void {
  if (keptDirs.get(k.key) === k) keptDirs.delete(k.key);
  clearTimeout(k.timer);
  if (k.users === 0) void k.fh.close().catch(() => undefined);
}

/** The type of what is at `file` itself (a link is a link), for a message; undefined when unknown. */
async function typeAt(file: string): Promise<string | undefined> {
  try {
    return fileTypeName(await fs.lstat(file));
  } catch {
    return undefined;
  }
}

function notRegular(file: string, st: Stats, done = ''): SafeFsError {
  if (st.isSymbolicLink()) return new SafeFsError(file, 'link', `is a symbolic link${done || '; not followed'}`);
  return new SafeFsError(file, 'not-regular', `not a regular file (${fileTypeName(st)})${done}`);
}

/**
 * Opens a regular file for reading without following a link or blocking; the caller closes `fh`.
 * What is not a regular file is refused from an lstat, before any open (opening a device can have
 * effects of its own); the open handle is checked again, as the path may have changed in between.
 */
export async function openRegular(file: string, root: string): Promise<OpenedFile> {
  return beneath(file, root, async (at) => {
    let before: Stats;
    try {
      before = await fs.lstat(at);
    } catch (err) {
      throw toSafeFsError(file, err);
    }
    if (!before.isFile()) throw notRegular(file, before);
    let fh: FileHandle;
    try {
      fh = await fs.open(at, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (err) {
      const e = toSafeFsError(file, err);
      const what = e.reason === 'not-regular' ? await typeAt(at) : undefined;
      throw what ? new SafeFsError(file, 'not-regular', `not a regular file (${what})`, e.code) : e;
    }
    try {
      const stats = await fh.stat();
      if (!stats.isFile()) throw notRegular(file, stats);
      return { fh, stats };
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw toSafeFsError(file, err);
    }
  });
}

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export async function readAt(fh: FileHandle, position: number, length: number, size = 0): Promise<Buffer> {
  // Unzeroed: only the bytes read are returned.
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
    // A regular file's short read past its known size is its end (no second read to hear 0);
    // /proc files (size 0) may return a page at a time, so they read on to 0.
    if (size > 0 && got < length && position + got >= size) break;
  }
  return got === length ? buf : buf.subarray(0, got);
}

export interface BoundedText {
  text: string;
  stats: Stats;
}

/**
 * A whole small file as text, refused when larger than `maxBytes`. The size is checked on the open
 * handle and again by reading one byte more than allowed: a file growing while it is read is refused too.
 */
export async function readBoundedText(file: string, maxBytes: number, root: string): Promise<BoundedText> {
  const { fh, stats } = await openRegular(file, root);
  try {
    if (stats.size > maxBytes) throw tooLarge(file, stats.size, maxBytes);
    // Read in pieces sized to the file, not to the limit: zero-filling 8 MB for each 2 KB record was
    // most of a change's CPU. A file that grows is read on, to one byte past the limit; one that says
    // size 0 (/proc) gets a first piece big enough to hold it whole.
    const chunks: Buffer[] = [];
    let got = 0;
    let piece = stats.size > 0 ? stats.size + 1 : 64 * 1024;
    for (;;) {
      const want = Math.min(piece, maxBytes + 1 - got);
      const b = await readAt(fh, got, want, stats.size);
      chunks.push(b);
      got += b.length;
      if (b.length < want || got > maxBytes) break;
      piece *= 2;
    }
    if (got > maxBytes) throw tooLarge(file, got, maxBytes);
    return { text: Buffer.concat(chunks, got).toString('utf8'), stats };
  } catch (err) {
    throw toSafeFsError(file, err);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function tooLarge(file: string, size: number, max: number): SafeFsError {
  return new SafeFsError(file, 'too-large', `larger than ${formatLimit(max)} (${size} bytes); skipped`);
}

function formatLimit(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round(n / (1024 * 1024))} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}

/**
 * Checks that `dir` is a real directory (not a link) and so is every directory between `root` and it.
 * `root` itself may be a link (a user's configured path, macOS's /tmp); nothing below it may.
 * Returns the directory's stats, whose dev/ino a caller can compare again later.
 */
export async function assertRealDir(dir: string, root?: string): Promise<Stats> {
  const chain: string[] = [dir];
  if (root !== undefined) {
    const rel = path.relative(root, dir);
    if (rel.startsWith('..') || path.isAbsolute(rel))
      throw new SafeFsError(dir, 'not-dir', `is not inside ${root}; refused`);
    let p = dir;
    while (path.relative(root, p) !== '' && path.dirname(p) !== p) {
      p = path.dirname(p);
      if (path.relative(root, p) !== '') chain.push(p);
    }
  }
  let first: Stats | undefined;
  for (const p of chain) {
    let st: Stats;
    try {
      st = await fs.lstat(p);
    } catch (err) {
      throw toSafeFsError(p, err);
    }
    if (st.isSymbolicLink()) throw new SafeFsError(p, 'link', 'is a symbolic link; not followed');
    if (!st.isDirectory()) throw new SafeFsError(p, 'not-dir', `not a directory (${fileTypeName(st)})`);
    first ??= st;
  }
  return first!;
}

/**
 * Opens `dir` for listing without following a link at any level below `root` (see openDirBeneath);
 * on Linux the listing goes through that handle (`/proc/self/fd/N`), so a dir swapped for a link
 * after the open is never listed. `listPath` is what to give opendir/readdir; the caller closes `fh`.
 */
export async function openRealDir(dir: string, root?: string): Promise<{ fh: FileHandle; listPath: string }> {
  const { fh, via } = await openDirBeneath(dir, root ?? path.dirname(dir));
  return { fh, listPath: via };
}

/**
 * Opens a file for appending: created when missing, never through a link, never a FIFO or device.
 * The caller closes `fh`.
 */
export async function openForAppend(file: string, root: string): Promise<OpenedFile> {
  return beneath(file, root, async (at) => {
    try {
      const before = await fs.lstat(at);
      if (!before.isFile()) throw notRegular(file, before, '; not written');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw toSafeFsError(file, err, 'written');
    }
    let fh: FileHandle;
    try {
      fh = await fs.open(at, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o644);
    } catch (err) {
      const e = toSafeFsError(file, err);
      const what = e.reason === 'not-regular' ? await typeAt(at) : undefined;
      throw what ? new SafeFsError(file, 'not-regular', `not a regular file (${what}); not written`, e.code) : e;
    }
    try {
      const stats = await fh.stat();
      if (!stats.isFile()) throw notRegular(file, stats, '; not written');
      return { fh, stats };
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw toSafeFsError(file, err);
    }
  });
}

/** Appends `data` to a regular file (see openForAppend). */
export async function appendSafe(file: string, data: string | Buffer, root: string): Promise<void> {
  const { fh } = await openForAppend(file, root);
  try {
    await fh.write(typeof data === 'string' ? Buffer.from(data) : data);
  } catch (err) {
    throw toSafeFsError(file, err, 'written');
  } finally {
    await fh.close().catch(() => undefined);
  }
}

export function tempPathFor(file: string): string {
  return `${file}.codex-jobs-${process.pid}.tmp`;
}

/** Removes the entry `file` itself (a link is removed, never followed) through its directory beneath `root`; missing is fine. */
export async function removeBeneath(file: string, root: string): Promise<void> {
  await beneath(file, root, (at) => fs.rm(at, { force: true })).catch((err) => {
    throw toSafeFsError(file, err, 'written');
  });
}

/** Renames `from` to `to` within one directory, reached beneath `root`: the rename cannot land anywhere else. */
export async function renameBeneath(from: string, to: string, root: string): Promise<void> {
  if (path.dirname(from) !== path.dirname(to)) throw new SafeFsError(to, 'not-dir', `is not beside ${from}; refused`);
  await beneath(from, root, (at) => fs.rename(at, path.join(path.dirname(at), path.basename(to)))).catch((err) => {
    throw toSafeFsError(to, err, 'written');
  });
}

/** Makes the directory `dir` (one level) in its parent, reached beneath `root`; one that exists is fine. */
export async function mkdirBeneath(dir: string, root: string): Promise<void> {
  await beneath(dir, root, (at) => fs.mkdir(at)).catch((err) => {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw toSafeFsError(dir, err, 'written');
  });
}

/** Creates `file`, which must not exist yet (O_EXCL: never through a planted link), and writes `data`. */
export async function writeNewFile(file: string, data: string | Buffer, root: string): Promise<void> {
  await beneath(file, root, (at) => createAt(at, file, data));
}

/** Creates the entry `at` (a path beneath an open directory) exclusively and writes `data`; `file` names it. */
async function createAt(at: string, file: string, data: string | Buffer): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await fs.open(at, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, 0o644);
  } catch (err) {
    throw toSafeFsError(file, err, 'written');
  }
  try {
    await fh.write(typeof data === 'string' ? Buffer.from(data) : data);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fs.rm(at, { force: true }).catch(() => undefined);
    throw toSafeFsError(file, err, 'written');
  }
  await fh.close();
}

/**
 * Replaces `file` as a whole: a fresh temp file beside it (O_EXCL, so never through a planted link),
 * then a rename. Refuses when the target exists and is not a regular file, or when its directory is
 * not a real directory (below `root`, when given). A failed write leaves the target as it was.
 */
export async function writeFileAtomic(file: string, data: string | Buffer, root: string): Promise<void> {
  const dir = path.dirname(file);
  const { fh: dirFh, via } = await openDirBeneath(dir, root);
  try {
    const at = path.join(via, path.basename(file));
    try {
      const st = await fs.lstat(at);
      if (!st.isFile()) throw notRegular(file, st, '; not replaced');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw toSafeFsError(file, err, 'written');
    }
    const tmp = path.join(via, path.basename(tempPathFor(file)));
    await fs.rm(tmp, { force: true }).catch(() => undefined); // a crash's leftover; rm never follows a link
    await createAt(tmp, tempPathFor(file), data);
    try {
      // Both names through the same open directory: the rename cannot land anywhere else.
      await fs.rename(tmp, at);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw toSafeFsError(file, err, 'written');
    }
  } finally {
    await dirFh.close().catch(() => undefined);
  }
}

/**
 * Copies the regular file `from` to `to`, which must not exist yet, in bounded chunks: neither end
 * is followed through a link, and nothing is read past `maxBytes`.
 */
export async function copyRegular(
  from: FileBeneath,
  to: FileBeneath,
  maxBytes = Number.MAX_SAFE_INTEGER,
): Promise<number> {
  const { fh: src, stats } = await openRegular(from.file, from.root);
  try {
    if (stats.size > maxBytes) throw tooLarge(from.file, stats.size, maxBytes);
    return await beneath(to.file, to.root, async (at) => {
      let dst: FileHandle;
      try {
        dst = await fs.open(at, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, 0o644);
      } catch (err) {
        throw toSafeFsError(to.file, err, 'written');
      }
      try {
        let pos = 0;
        const chunk = 1024 * 1024;
        while (pos < maxBytes) {
          const buf = await readAt(src, pos, Math.min(chunk, maxBytes - pos));
          if (buf.length === 0) break;
          try {
            await dst.write(buf);
          } catch (err) {
            throw toSafeFsError(to.file, err, 'written');
          }
          pos += buf.length;
        }
        await dst.close();
        return pos;
      } catch (err) {
        await dst.close().catch(() => undefined);
        // Through the same open directory as the create: never a file of the same name elsewhere.
        await fs.rm(at, { force: true }).catch(() => undefined);
        throw err;
      }
    });
  } finally {
    await src.close().catch(() => undefined);
  }
}

// The file system calls the readers, the archive and discovery make, one of two ways. By default
// asynchronously (fs.promises: the extension host is shared and must never wait on a disk). A
// one-shot process (the CLI's status, result, log...) switches them to synchronous calls once at
// start: there a call through libuv's thread pool costs many times the read itself (a status made
// ~20,000 futex calls for ~900 opens), and nothing else waits on the main thread. Either way the
// callers are the same code, so every check (safeFs.ts: walked from a root, no link followed, no
// FIFO opened blocking, bounded reads) is the same one policy; only how a call is made differs.
import * as nodeFs from 'fs';
import type { Dir, Dirent, MakeDirectoryOptions, RmOptions, Stats } from 'fs';

let synchronous = false;

/**
 * From now on, every call below is made synchronously (for a one-shot process; never in the
 * extension host). Returns what it was, for a test to put back.
 */
export function useSynchronousCalls(on = true): boolean {
  const was = synchronous;
  synchronous = on;
  return was;
}

export const synchronousCalls = (): boolean => synchronous;

/** A call made now, its outcome as a settled promise (the callers await either kind alike). */
function now<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

/**
 * An open file of a one-shot process: the part of fs.FileHandle the core and its tests use (fd,
 * read, readFile, write, stat, close), each made synchronously.
 */
class SyncFileHandle {
  private closed = false;

  constructor(readonly fd: number) {}

  read(buffer: Buffer, offset = 0, length = buffer.length - offset, position: number | null = null) {
    return now(() => ({ bytesRead: nodeFs.readSync(this.fd, buffer, offset, length, position), buffer }));
  }

  write(data: Buffer) {
    return now(() => {
      let done = 0;
      while (done < data.length) done += nodeFs.writeSync(this.fd, data, done, data.length - done);
      return { bytesWritten: done, buffer: data };
    });
  }

  /** The rest of the file from the current position, as FileHandle.readFile. */
  readFile(o?: BufferEncoding | { encoding?: BufferEncoding | null }) {
    return now(() => {
      const parts: Buffer[] = [];
      const buf = Buffer.allocUnsafe(64 * 1024);
      for (;;) {
        const n = nodeFs.readSync(this.fd, buf, 0, buf.length, null);
        if (n === 0) break;
        parts.push(Buffer.from(buf.subarray(0, n)));
      }
      const all = Buffer.concat(parts);
      const encoding = typeof o === 'string' ? o : o?.encoding;
      return encoding ? all.toString(encoding) : all;
    });
  }

  stat() {
    return now(() => nodeFs.fstatSync(this.fd));
  }

  close() {
    return now(() => {
      // As FileHandle.close: a second close is a no-op, never a close of a reused descriptor.
      if (this.closed) return;
      this.closed = true;
      nodeFs.closeSync(this.fd);
    });
  }
}

/** A directory being listed, one entry at a time (bounded like fs.opendir's). */
class SyncDir {
  private closed = false;

  constructor(private readonly dir: Dir) {}

  read(): Promise<Dirent | null> {
    return now(() => this.dir.readSync());
  }

  close(): Promise<void> {
    return now(() => {
      if (this.closed) throw Object.assign(new Error('Directory handle was closed'), { code: 'ERR_DIR_CLOSED' });
      this.closed = true;
      this.dir.closeSync();
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Dirent> {
    try {
      for (let e = this.dir.readSync(); e; e = this.dir.readSync()) yield e;
    } finally {
      // As fs.Dir: leaving the loop (a break included) closes the directory.
      if (!this.closed) {
        this.closed = true;
        this.dir.closeSync();
      }
    }
  }
}

/**
 * The calls, with fs.promises' signatures. The one-shot handles are typed as fs.FileHandle and
 * fs.Dir: they carry only what the core calls on them (fd, read, readFile, write, stat, close; read,
 * close and iteration), which the tests of both modes go through.
 */
export const fsCalls = {
  open: (file: string, flags: number, mode?: number): Promise<nodeFs.promises.FileHandle> =>
    synchronous
      ? now(() => new SyncFileHandle(nodeFs.openSync(file, flags, mode)) as unknown as nodeFs.promises.FileHandle)
      : nodeFs.promises.open(file, flags, mode),
  lstat: (file: string): Promise<Stats> =>
    synchronous ? now(() => nodeFs.lstatSync(file)) : nodeFs.promises.lstat(file),
  stat: (file: string): Promise<Stats> => (synchronous ? now(() => nodeFs.statSync(file)) : nodeFs.promises.stat(file)),
  realpath: (file: string): Promise<string> =>
    synchronous ? now(() => nodeFs.realpathSync(file)) : nodeFs.promises.realpath(file),
  readdir: (dir: string): Promise<string[]> =>
    synchronous ? now(() => nodeFs.readdirSync(dir)) : nodeFs.promises.readdir(dir),
  readdirTyped: (dir: string): Promise<Dirent[]> =>
    synchronous
      ? now(() => nodeFs.readdirSync(dir, { withFileTypes: true }))
      : nodeFs.promises.readdir(dir, { withFileTypes: true }),
  opendir: (dir: string, o: { bufferSize: number }): Promise<Dir> =>
    synchronous
      ? now(() => new SyncDir(nodeFs.opendirSync(dir, o)) as unknown as Dir)
      : nodeFs.promises.opendir(dir, o),
  mkdir: (dir: string, o?: MakeDirectoryOptions): Promise<string | undefined> =>
    synchronous ? now(() => nodeFs.mkdirSync(dir, o)) : nodeFs.promises.mkdir(dir, o),
  rm: (file: string, o?: RmOptions): Promise<void> =>
    synchronous ? now(() => nodeFs.rmSync(file, o)) : nodeFs.promises.rm(file, o),
  rename: (from: string, to: string): Promise<void> =>
    synchronous ? now(() => nodeFs.renameSync(from, to)) : nodeFs.promises.rename(from, to),
};

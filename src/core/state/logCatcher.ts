// Opens each new job log the moment its creation is reported, on a thread of its own. A concurrent
// writer can delete a log a hundred milliseconds after the worker re-created it; under load the
// main thread (busy re-reading jobs, collecting garbage) is often later than that, while a thread
// that only ever sleeps on file events is woken at once.
//
// The thread's descriptor only pins the file: Node closes a worker's descriptors when it ends, so
// the main thread opens the file again through the pin (`/proc/self/fd/N`, `/dev/fd/N`; this works
// for a deleted file too) and then lets the thread close its own.
import { constants as fsConstants, promises as fs } from 'fs';
import type { FileHandle } from 'fs/promises';
import { Worker } from 'worker_threads';
import type { Logger } from '../vocab/emitter';
import { silentLogger } from '../vocab/emitter';

/** A new job log the catcher's thread opened, handed to the main thread (the name is the watcher's and the tests'). */
export interface OpenedLog {
  stateDir: string;
  id: string;
  /** Owned by the receiver from now on. */
  fh: FileHandle;
  ino: number;
  birthtimeMs: number;
}

interface Pinned {
  stateDir: string;
  id: string;
  fd: number;
  ino: number;
  birthtimeMs: number;
}

const PIN_DIR: Partial<Record<NodeJS.Platform, string>> = { linux: '/proc/self/fd', darwin: '/dev/fd' };

// Plain JavaScript, run with `eval`: the bundle needs no second entry point.
const WORKER = `
const { parentPort } = require('worker_threads');
const fs = require('fs');
const path = require('path');
const watches = new Map();
const C = fs.constants;
// Never through a link, never blocking in open() on a FIFO, and only a regular file is kept.
const FILE = C.O_RDONLY | (C.O_NOFOLLOW || 0) | (C.O_NONBLOCK || 0);
const DIR = C.O_RDONLY | (C.O_DIRECTORY || 0) | (C.O_NONBLOCK || 0);
// On Linux jobs/ is opened from the state root down, the state dir and jobs/ never through a link,
// and its descriptor is what is watched and what logs are opened beneath: a state dir swapped for a
// link later is never entered (the root itself may be a link: a configured path). Elsewhere jobs/
// is checked with lstat and used by its path.
function openJobs(stateDir, viaFd) {
  const jobs = path.join(stateDir, 'jobs');
  if (!viaFd) {
    if (!fs.lstatSync(jobs).isDirectory()) throw new Error('not a directory');
    return { fd: -1, dir: jobs };
  }
  let fd = fs.openSync(path.dirname(stateDir), DIR);
  for (const name of [path.basename(stateDir), 'jobs']) {
    try {
      const next = fs.openSync('/proc/self/fd/' + fd + '/' + name, DIR | (C.O_NOFOLLOW || 0));
      fs.closeSync(fd);
      fd = next;
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }
  return { fd, dir: '/proc/self/fd/' + fd };
}
function stop(stateDir) {
  const w = watches.get(stateDir);
  if (!w) return;
  watches.delete(stateDir);
  w.watcher.close();
  if (w.fd >= 0) fs.close(w.fd, () => {});
}
parentPort.on('message', (m) => {
  if (m.type === 'release') return fs.close(m.fd, () => {});
  stop(m.stateDir);
  if (m.type !== 'watch') return;
  let dirFd = -1;
  try {
    // A jobs/ that is a link (or not a directory) is not watched: its logs are not this state dir's.
    const jobs = openJobs(m.stateDir, m.viaFd);
    dirFd = jobs.fd;
    const dir = jobs.dir;
    const watcher = fs.watch(dir, { persistent: false }, (event, name) => {
      if (event !== 'rename' || typeof name !== 'string' || !name.endsWith('.log')) return;
      if (name.includes('/') || name.startsWith('.')) return;
      let fd = -1;
      try {
        fd = fs.openSync(dir + '/' + name, FILE);
        const st = fs.fstatSync(fd);
        if (!st.isFile()) throw new Error('not a regular file');
        parentPort.postMessage({ stateDir: m.stateDir, id: name.slice(0, -4), fd, ino: st.ino, birthtimeMs: st.birthtimeMs });
      } catch {
        if (fd >= 0) fs.closeSync(fd);
      }
    });
    watcher.on('error', () => (watches.get(m.stateDir)?.watcher === watcher ? stop(m.stateDir) : watcher.close()));
    watches.set(m.stateDir, { watcher, fd: dirFd });
    dirFd = -1;
    parentPort.postMessage({ armed: m.stateDir });
  } catch {
    if (dirFd >= 0) fs.closeSync(dirFd);
  }
});
`;

export class LogCatcher {
  /** Only where a descriptor can be opened again by path. */
  static readonly supported = !!PIN_DIR[process.platform];

  private worker: Worker | undefined;
  private readonly watched = new Set<string>();
  private readonly armed = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  private disposed = false;
  /** A worker that keeps dying is not started again past this. */
  private starts = 0;

  constructor(
    private readonly onOpened: (log: OpenedLog) => void,
    private readonly logger: Logger = silentLogger,
  ) {}

  /** (Re-)arms the watch of `<stateDir>/jobs`: call again when that dir is re-created. */
  watch(stateDir: string): void {
    if (this.disposed || !LogCatcher.supported) return;
    this.watched.add(stateDir);
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.armed.set(stateDir, { promise, resolve });
    this.start()?.postMessage({ type: 'watch', stateDir, viaFd: process.platform === 'linux' });
  }

  /** Resolves once the last `watch(stateDir)` is in place (for tests; never for a missing dir). */
  whenArmed(stateDir: string): Promise<void> {
    return this.armed.get(stateDir)?.promise ?? Promise.resolve();
  }

  unwatch(stateDir: string): void {
    this.armed.delete(stateDir);
    if (!this.watched.delete(stateDir)) return;
    this.worker?.postMessage({ type: 'unwatch', stateDir });
  }

  private start(): Worker | undefined {
    if (this.worker) return this.worker;
    if (++this.starts > 3) return undefined;
    let w: Worker;
    try {
      w = new Worker(WORKER, { eval: true });
    } catch (err) {
      this.logger.warn(`cannot start the log catcher: ${String(err)}`);
      return undefined;
    }
    // Never what keeps a process alive (the CLI's watch ends on Ctrl-C).
    w.unref();
    w.on('message', (m: Pinned | { armed: string }) => {
      if ('armed' in m) return this.armed.get(m.armed)?.resolve();
      void this.takeOver(w, m);
    });
    w.on('error', (err) => this.logger.warn(`log catcher failed: ${String(err)}`));
    w.on('exit', () => {
      if (this.worker !== w) return;
      // Crashed: a new one takes over every watch.
      this.worker = undefined;
      if (!this.disposed)
        for (const d of this.watched)
          this.start()?.postMessage({ type: 'watch', stateDir: d, viaFd: process.platform === 'linux' });
    });
    this.worker = w;
    return w;
  }

  private async takeOver(w: Worker, m: Pinned): Promise<void> {
    let fh: FileHandle | undefined;
    try {
      if (!this.disposed) {
        fh = await fs.open(
          `${PIN_DIR[process.platform]}/${m.fd}`,
          fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0),
        );
        // The thread still holds the pin, so the number is still that file; checked all the same.
        const st = await fh.stat();
        if (st.ino !== m.ino || !st.isFile()) throw new Error('not the pinned file');
      }
    } catch {
      await fh?.close().catch(() => undefined);
      fh = undefined;
    } finally {
      // A thread that has ended closed its descriptors itself.
      if (this.worker === w) w.postMessage({ type: 'release', fd: m.fd });
    }
    if (fh && this.disposed) await fh.close().catch(() => undefined);
    else if (fh) this.onOpened({ stateDir: m.stateDir, id: m.id, fh, ino: m.ino, birthtimeMs: m.birthtimeMs });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.watched.clear();
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}

// The one way the core runs a short-lived child (git, ps, the companion's own subcommands) and waits
// for it: in a process group of its own, with bounded output and a deadline. At the deadline the
// whole group gets SIGTERM, then SIGKILL after a grace, so nothing it started lingers (a child that
// traps SIGTERM, or a grandchild holding our pipes). Only our own child's group is signalled: its
// id is the pid spawn gave us, and a group id stays taken while any member is alive.
import { sleep, within } from '../vocab/async';
import type { ChildProcess } from 'child_process';

export interface ChildOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** After this long the group is ended. */
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL, and after SIGKILL before we stop waiting (default 2 s). */
  killGraceMs?: number;
  /** Bytes kept of each of stdout and stderr (default 256 KB). */
  maxOutput?: number;
  /** Past maxOutput: keep the head and read on (`truncate`, the default), or end the group (`end`, a partial answer is no answer). */
  overLimit?: 'truncate' | 'end';
}

export interface ChildOutcome {
  /** Exit code (null when killed by a signal, or when it never started or never closed). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** It could not be started (ENOENT, EACCES...). */
  startError?: string;
  /** Why we ended its group, when we did: the deadline, too much output, or the caller. */
  ended?: 'timeout' | 'output' | 'caller';
  /** Its group was sent SIGKILL (SIGTERM was not enough within the grace). */
  killed?: boolean;
  /** Still not closed after SIGKILL and the grace (a member out of its group holds our pipes). */
  lingering?: boolean;
  ms: number;
}

export interface RunningChild {
  pid?: number;
  /** Has the child itself exited (its group may still have members)? */
  readonly exited: boolean;
  readonly exitedAt?: number;
  /** What it printed so far (bounded). */
  stdout(): string;
  stderr(): string;
  /** Resolves once it closed, or after the kill grace ran out; never rejects. */
  readonly done: Promise<ChildOutcome>;
  /** Ends its group now (SIGTERM, SIGKILL after the grace); resolves like `done`. */
  end(why?: 'caller'): Promise<ChildOutcome>;
}

export const DEFAULT_KILL_GRACE_MS = 2000;
const DEFAULT_MAX_OUTPUT = 256 * 1024;
const GROUPS = process.platform !== 'win32';

/** One stream's output, kept up to `max` bytes; `over` once more came. */
class Capped {
  private readonly parts: Buffer[] = [];
  private size = 0;
  over = false;
  constructor(private readonly max: number) {}
  add(d: Buffer): boolean {
    const room = this.max - this.size;
    if (d.length > room) this.over = true;
    if (room > 0) {
      const piece = d.length > room ? d.subarray(0, room) : d;
      this.parts.push(piece);
      this.size += piece.length;
    }
    return this.over;
  }
  text(): string {
    return Buffer.concat(this.parts, this.size).toString('utf8');
  }
}

/** One started child: its bounded output, whether it exited, and whether and how its group was ended. */
class ChildRun {
  private readonly started = Date.now();
  private readonly grace: number;
  private readonly out: Capped;
  private readonly err: Capped;
  private exited = false;
  private exitedAt: number | undefined;
  private ended: ChildOutcome['ended'];
  private killed = false;
  private settle!: (o: ChildOutcome) => void;
  private settled = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private child: ChildProcess | undefined;
  /** Resolves once the child closed, or after the kill grace ran out; never rejects. */
  readonly done = new Promise<ChildOutcome>((r) => (this.settle = r));

  constructor(private readonly opts: ChildOptions) {
    this.grace = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.out = new Capped(opts.maxOutput ?? DEFAULT_MAX_OUTPUT);
    this.err = new Capped(opts.maxOutput ?? DEFAULT_MAX_OUTPUT);
  }

  finish(o: Omit<ChildOutcome, 'stdout' | 'stderr' | 'ms' | 'ended' | 'killed'>): void {
    if (this.settled) return;
    this.settled = true;
    for (const t of this.timers) clearTimeout(t);
    this.settle({
      ...o,
      stdout: this.out.text(),
      stderr: this.err.text(),
      ended: this.ended,
      killed: this.killed || undefined,
      ms: Date.now() - this.started,
    });
  }

  /** SIGTERM to the group, SIGKILL after the grace, then stop waiting after one more grace. */
  private endGroup(why: NonNullable<ChildOutcome['ended']>): void {
    const child = this.child!;
    if (this.settled || this.ended) return;
    this.ended = why;
    signalChildGroup(child, 'SIGTERM');
    this.timers.push(
      setTimeout(() => {
        this.killed = true;
        signalChildGroup(child, 'SIGKILL');
        this.timers.push(
          setTimeout(() => {
            // Something outside its group keeps our pipes open: stop waiting, and stop reading.
            child.stdout?.destroy();
            child.stderr?.destroy();
            this.finish({ code: null, signal: null, lingering: true });
          }, this.grace),
        );
      }, this.grace),
    );
  }

  /** The deadline set, the output read, the end awaited. */
  attach(child: ChildProcess): void {
    this.child = child;
    this.timers.push(setTimeout(() => this.endGroup('timeout'), this.opts.timeoutMs));
    const onData = (cap: Capped) => (d: Buffer) => {
      if (cap.add(d) && this.opts.overLimit === 'end') this.endGroup('output');
    };
    child.stdout?.on('data', onData(this.out));
    child.stderr?.on('data', onData(this.err));
    child.once('exit', () => {
      this.exited = true;
      this.exitedAt = Date.now();
    });
    child.on('error', (e) => {
      // Spawn failures come here (no exit, no close follows when it never started).
      if (child.pid === undefined) this.finish({ code: null, signal: null, startError: e.message });
    });
    child.once(
      'close',
      (code, signal) =>
        // After a SIGKILL of the group, the others of it may not have died yet when our child closes
        // (a loaded machine schedules them later): wait, bounded, so "its group was ended" is true.
        void (this.killed ? groupGone(child, this.grace) : Promise.resolve()).then(() => this.finish({ code, signal })),
    );
  }

  handle(): RunningChild {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getters below read this run
    const run = this;
    const c = this.child;
    return {
      pid: c?.pid,
      get exited() {
        return run.exited;
      },
      get exitedAt() {
        return run.exitedAt;
      },
      stdout: () => run.out.text(),
      stderr: () => run.err.text(),
      done: run.done,
      end: () => {
        if (c) run.endGroup('caller');
        return run.done;
      },
    };
  }
}

/**
 * child_process (and the net, dgram and stream modules it loads) only when a child is started: a
 * one-shot `status` starts none and should not pay for loading them.
 */
export const childProcessModule = (): typeof import('child_process') =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('child_process') as typeof import('child_process');

/** Starts `file args` in its own group; see RunningChild. Never throws. */
export function startChild(file: string, args: readonly string[], opts: ChildOptions): RunningChild {
  const run = new ChildRun(opts);
  let child: ChildProcess;
  try {
    child = childProcessModule().spawn(file, [...args], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group (not a daemon: it is still awaited), so the group can be ended whole.
      detached: GROUPS,
      windowsHide: true,
      shell: false,
    });
  } catch (e) {
    run.finish({ code: null, signal: null, startError: (e as Error).message });
    return run.handle();
  }
  run.attach(child);
  return run.handle();
}

/**
 * Sends `sig` to the process group of a child we spawned detached (its leader): the group id is the
 * pid spawn gave us. While the child is unreaped that number cannot be reused, and after, it stays
 * taken while any member of the group is alive (then the kill finds nothing). Never throws.
 */
export function signalChildGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined) return;
  try {
    if (GROUPS) process.kill(-pid, sig);
    else child.kill(sig);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/** Resolves once no process of the child's group is left (zombies included), or after `ms`. */
async function groupGone(child: ChildProcess, ms: number): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || !GROUPS) return;
  for (const until = Date.now() + ms; Date.now() < until; await sleep(10)) {
    try {
      process.kill(-pid, 0);
    } catch {
      return; // ESRCH: the group is gone.
    }
  }
}

/**
 * Ends the group of a detached child we spawned and did not wait for to close (its output goes to a
 * file): SIGTERM, then SIGKILL after the grace unless it exited. Resolves whether it exited.
 */
export async function endChildGroup(child: ChildProcess, graceMs = DEFAULT_KILL_GRACE_MS): Promise<boolean> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return true;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  signalChildGroup(child, 'SIGTERM');
  if (await within(exited, graceMs)) return true;
  signalChildGroup(child, 'SIGKILL');
  return within(exited, graceMs);
}

/** Runs `file args` to its end (or its group's end at the deadline). Never throws. */
export function runChild(file: string, args: readonly string[], opts: ChildOptions): Promise<ChildOutcome> {
  return startChild(file, args, opts).done;
}

/** "exited with code 1", "was killed by SIGTERM", "did not finish within 5 s (its process group was ended)". */
export function howItEnded(o: ChildOutcome, timeoutMs?: number): string {
  if (o.startError) return `could not be started: ${o.startError}`;
  if (o.ended === 'timeout')
    return `did not finish within ${timeoutMs !== undefined ? `${Math.round(timeoutMs / 100) / 10} s` : 'its time'}; its process group was ended${o.killed ? ' (SIGKILL)' : ''}${o.lingering ? ', but something it started still holds its output open' : ''}`;
  if (o.ended === 'output') return 'printed more than it may; its process group was ended';
  if (o.ended === 'caller') return `was stopped${o.killed ? ' (SIGKILL)' : ''}`;
  if (o.signal) return `was killed by ${o.signal}`;
  return `exited with code ${o.code}`;
}

const NOISE = [
  /^\s+at\s/, // a stack frame
  /^Node\.js v\d/, // Node's version footer
  /^\s*\^+\s*$/, // the caret under the throwing line
  /^(file:\/\/|\/|[A-Za-z]:\\|node:).*:\d+$/, // "file:///x.mjs:12", the throwing line's location
];

/**
 * The line of a failed child's output that holds the cause: the first `Error:` line (also
 * `TypeError [CODE]:`, `error:`), else the first line that is not stack-trace noise. Node's report
 * of an uncaught throw ends with frames and its version, which say nothing.
 */
export function causeLine(text: string, max = 400): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  const err = lines.find((l) => /^\s*(?:[A-Za-z]*Error(?:\s*\[[^\]]*\])?|error|fatal)\s*:/.test(l));
  const line = (err ?? lines.find((l) => !NOISE.some((n) => n.test(l))) ?? '').trim();
  return line.length > max ? `${line.slice(0, max)}...` : line;
}

// Where the command line's text goes. Writes respect backpressure and can be flushed, so the process
// ends only once every byte is handed to the OS; a reader that goes away (EPIPE, `| head`) ends the
// output quietly instead of a stack trace. Color and width are for terminals only.
// Every text written goes through one gate (core/vocab/terminalText.ts): only the escape sequences this
// class itself makes (its styles and screen controls, on a terminal) pass; any other control
// character is shown visibly. Bytes as they are go out only through writeRaw (`log --raw`).
import { safeBody } from '../core/vocab/terminalText';

type Stream = NodeJS.WriteStream;

const STYLES = {
  bold: ['\x1b[1m', '\x1b[22m'],
  dim: ['\x1b[2m', '\x1b[22m'],
  red: ['\x1b[31m', '\x1b[39m'],
  green: ['\x1b[32m', '\x1b[39m'],
  yellow: ['\x1b[33m', '\x1b[39m'],
  cyan: ['\x1b[36m', '\x1b[39m'],
} as const;

export type Style = keyof typeof STYLES;

/** Clears a terminal and puts the cursor home; written only when stdout is one. */
export const CLEAR_SCREEN = '\x1b[H\x1b[2J';
/** Cursor home, clear to the end of the line, clear below the cursor: a redraw in place. */
export const CURSOR_HOME = '\x1b[H';
export const CLEAR_LINE_END = '\x1b[K';
export const CLEAR_BELOW = '\x1b[J';

/** Our own sequences, the only ones the gate lets through (and only to a terminal). */
const OWN = new Set<string>([...Object.values(STYLES).flat(), CURSOR_HOME, CLEAR_LINE_END, CLEAR_BELOW, '\x1b[2J']);
const OWN_SPLIT = new RegExp(`(${[...OWN].map((s) => s.replace(/[[\]\\^$.|?*+()]/g, '\\$&')).join('|')})`);

/** Text made terminal-safe; our own sequences kept when `own` (stdout or stderr is a terminal). */
export function gate(text: string, own: boolean): string {
  if (!own) return safeBody(text);
  return text
    .split(OWN_SPLIT)
    .map((part, i) => (i % 2 === 1 ? part : safeBody(part)))
    .join('');
}

export class Output {
  private closed = false;
  private closedResolve!: () => void;
  /** Resolves when stdout's reader has gone away: long-running commands stop then. */
  readonly whenClosed = new Promise<void>((resolve) => (this.closedResolve = resolve));
  /** Whether stdout is a terminal: redraws, color and cutting rows to its width happen only then. */
  readonly isTTY: boolean;
  /** Color only on a terminal, and never with NO_COLOR set to anything (https://no-color.org). */
  readonly color: boolean;

  constructor(
    private readonly stdout: Stream = process.stdout,
    private readonly stderr: Stream = process.stderr,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.isTTY = stdout.isTTY === true;
    this.color = this.isTTY && !env.NO_COLOR;
    stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED')
        this.error(`codex-jobs: writing the output failed: ${err.message}`);
      this.markClosed();
    });
    // Nothing useful can be said about a broken stderr; never crash on it.
    stderr.on('error', () => undefined);
  }

  get stdoutClosed(): boolean {
    return this.closed;
  }

  /** The terminal's width in columns, or undefined when stdout is not a terminal (rows are not cut). */
  get width(): number | undefined {
    if (!this.isTTY) return undefined;
    const cols = this.stdout.columns || Number(this.env.COLUMNS);
    return Number.isFinite(cols) && cols > 0 ? cols : 80;
  }

  /** The terminal's height in rows, or undefined when stdout is not a terminal. */
  get height(): number | undefined {
    if (!this.isTTY) return undefined;
    const rows = this.stdout.rows || Number(this.env.LINES);
    return Number.isFinite(rows) && rows > 0 ? rows : 24;
  }

  paint(text: string, style: Style | undefined): string {
    if (!this.color || !style || text === '') return text;
    const [on, off] = STYLES[style];
    return `${on}${text}${off}`;
  }

  /** Writes text to stdout through the gate; resolves when it may be written to again (backpressure). */
  write(text: string): Promise<void> {
    return this.writeRaw(gate(text, this.isTTY));
  }

  /** Writes bytes to stdout as they are: only for what the user asked to get raw (`log --raw`). */
  writeRaw(chunk: string | Uint8Array): Promise<void> {
    if (this.closed || this.stdout.destroyed) return Promise.resolve();
    if (this.stdout.write(chunk)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.stdout.off('drain', done);
        this.stdout.off('close', done);
        resolve();
      };
      this.stdout.once('drain', done);
      this.stdout.once('close', done);
      void this.whenClosed.then(done);
    });
  }

  /** A line (or lines) to stdout. */
  line(text: string): Promise<void> {
    return this.write(`${text}\n`);
  }

  /** A line to stderr: errors, warnings, prompts. */
  error(text: string): void {
    if (!this.stderr.destroyed) this.stderr.write(`${gate(text, false)}\n`);
  }

  /** Resolves once everything written so far is handed to the OS (or its reader is gone). */
  async flush(): Promise<void> {
    await Promise.all([flushStream(this.stdout, () => this.closed), flushStream(this.stderr, () => false)]);
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.closedResolve();
  }
}

function flushStream(s: Stream, closed: () => boolean): Promise<void> {
  if (closed() || s.destroyed || s.writableLength === 0) return Promise.resolve();
  // Callbacks run in write order: this one runs once every earlier chunk is written (or failed).
  return new Promise((resolve) => {
    const done = () => {
      s.off('close', done);
      resolve();
    };
    s.once('close', done);
    s.write('', done);
  });
}

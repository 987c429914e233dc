// A minimal typed event emitter with VS Code's `Event` shape, so the core stays free of `vscode`
// while the UI can treat its events like any other.

export interface Disposable {
  dispose(): void;
}

export type Event<T> = (listener: (e: T) => void) => Disposable;

/**
 * Where a listener's exception goes. Unless the host says otherwise (the extension: its output
 * channel; the CLI: a warning on stderr), it is thrown again on its own, where a test run fails on
 * it as an uncaught exception.
 */
let reportListenerError: (err: unknown) => void = (err) =>
  queueMicrotask(() => {
    throw err;
  });

/** Sets where a listener's exception goes; returns the one it replaces. */
export function onListenerError(report: (err: unknown) => void): (err: unknown) => void {
  const before = reportListenerError;
  reportListenerError = report;
  return before;
}

export class Emitter<T> implements Disposable {
  private listeners = new Set<(e: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(e: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        // A listener's failure must not stop the others nor the caller, but it is never silent.
        reportListenerError(err);
      }
    }
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  dispose(): void {
    this.listeners.clear();
  }
}

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

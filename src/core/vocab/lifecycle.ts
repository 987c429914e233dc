// Who disposes what: an object that owns listeners, emitters or timers registers each once, and its
// one dispose() releases them all, newest first (what was made last may depend on what came before).
// The pattern of vscode-pull-request-github's common/lifecycle.ts, without vscode, so the core can use it.

/** Anything with a dispose(): a VS Code Disposable, an Emitter, a listener's registration. */
export interface IDisposable {
  dispose(): unknown;
}

/** A disposable that runs `fn` once when disposed. */
export function toDisposable(fn: () => void): IDisposable {
  let done = false;
  return {
    dispose: () => {
      if (done) return;
      done = true;
      fn();
    },
  };
}

/**
 * A base for objects that own disposables. `_register` hands back what it is given; `dispose()`
 * disposes every registered item in reverse order, once. An item registered after dispose() is
 * disposed at once, so nothing made late (after an await) outlives its owner. One item that throws
 * does not keep the others alive: all are disposed, then the first error is thrown.
 */
export abstract class Disposable implements IDisposable {
  private disposables: IDisposable[] = [];
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const items = this.disposables;
    this.disposables = [];
    disposeAll(items.reverse());
  }

  protected _register<T extends IDisposable>(d: T): T {
    if (this.disposed) disposeAll([d]);
    else this.disposables.push(d);
    return d;
  }
}

/** Disposes each in the order given; if any threw, throws the first error once all are done. */
function disposeAll(items: readonly IDisposable[]): void {
  let first: { err: unknown } | undefined;
  for (const d of items) {
    try {
      d.dispose();
    } catch (err) {
      first ??= { err };
    }
  }
  if (first) throw first.err;
}

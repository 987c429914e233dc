// The Disposable base (core/vocab/lifecycle.ts): what an owner registers is disposed once, newest first.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Disposable, toDisposable } from '../../src/core/vocab/lifecycle';

class Owner extends Disposable {
  register<T extends { dispose(): unknown }>(d: T): T {
    return this._register(d);
  }
}

test('dispose() disposes what was registered in reverse order', () => {
  const order: string[] = [];
  const o = new Owner();
  for (const name of ['a', 'b', 'c']) o.register({ dispose: () => order.push(name) });
  assert.equal(o.isDisposed, false);
  o.dispose();
  assert.deepEqual(order, ['c', 'b', 'a']);
  assert.equal(o.isDisposed, true);
});

test('dispose() is idempotent: a second call disposes nothing again', () => {
  let n = 0;
  const o = new Owner();
  o.register({ dispose: () => n++ });
  o.dispose();
  o.dispose();
  assert.equal(n, 1);
});

test('registering after dispose() disposes the item at once, and hands it back', () => {
  const o = new Owner();
  o.dispose();
  let disposed = false;
  const item = { dispose: () => (disposed = true) };
  assert.equal(o.register(item), item);
  assert.equal(disposed, true);
});

test('_register hands back what it is given, not yet disposed', () => {
  const o = new Owner();
  let disposed = false;
  const item = { dispose: () => (disposed = true), value: 42 };
  assert.equal(o.register(item).value, 42);
  assert.equal(disposed, false);
  o.dispose();
  assert.equal(disposed, true);
});

test('one item that throws does not keep the others alive; the error is thrown after', () => {
  const order: string[] = [];
  const o = new Owner();
  o.register({ dispose: () => order.push('a') });
  o.register({
    dispose: () => {
      throw new Error('b failed');
    },
  });
  o.register({ dispose: () => order.push('c') });
  assert.throws(() => o.dispose(), /b failed/);
  assert.deepEqual(order, ['c', 'a']);
  assert.equal(o.isDisposed, true);
});

test('toDisposable runs its function once', () => {
  let n = 0;
  const d = toDisposable(() => n++);
  d.dispose();
  d.dispose();
  assert.equal(n, 1);
});

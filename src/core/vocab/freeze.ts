// Values handed down the pipeline (snapshots, jobs, archive entries) are never changed once made.
// With CODEX_JOBS_FREEZE=1 (the test suites run with it) they are frozen deeply where they are
// handed out, so a write into one throws in the tests instead of passing silently; without it,
// nothing is done (freezing costs a walk over every object, not worth it in the field).

const ON = process.env.CODEX_JOBS_FREEZE === '1';

/** Whether handed-out values are frozen in this process (for a test that wants to say so). */
export const freezing = ON;

/** `value`, frozen deeply when freezing is on; the same object either way. */
export function handOut<T>(value: T): T {
  if (ON) deepFreeze(value, new Set());
  return value;
}

function deepFreeze(v: unknown, seen: Set<object>): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  // Buffers and other typed arrays cannot be frozen (and are not shared state here).
  if (ArrayBuffer.isView(v)) return;
  for (const k of Reflect.ownKeys(v)) deepFreeze((v as Record<string | symbol, unknown>)[k], seen);
  // Maps and sets stay writable through their methods; freeze what they hold.
  if (v instanceof Map)
    for (const [k, x] of v) {
      deepFreeze(k, seen);
      deepFreeze(x, seen);
    }
  else if (v instanceof Set) for (const x of v) deepFreeze(x, seen);
  Object.freeze(v);
}

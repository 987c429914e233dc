// Small checks and shapes of values parsed from files and child output, written once.

/** A JSON object: not null, not an array. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string with more than white space in it, else undefined. */
export function nonBlank(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v : undefined;
}

/**
 * `fields` without the ones that are undefined: spread over another side's fields (`{ ...a,
 * ...stripUndefined(b) }`), it fills in what it has without erasing what it lacks.
 */
export function stripUndefined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

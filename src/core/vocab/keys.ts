// A job's key: the same id may exist under two state roots, so a job is its state dir and its id.
// Built and taken apart here only.
import type { Job } from './types';

const SEP = '\u0000';

export function keyOf(stateDir: string, id: string): string {
  return `${stateDir}${SEP}${id}`;
}

export function jobKey(job: Pick<Job, 'stateDir' | 'id'>): string {
  return keyOf(job.stateDir, job.id);
}

/** The id a key names when it is under `stateDir`, else undefined. */
export function idUnder(key: string, stateDir: string): string | undefined {
  const prefix = `${stateDir}${SEP}`;
  return key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
}

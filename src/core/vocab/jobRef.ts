// A job named by the user: its whole id or a unique prefix of it, as the companion's own commands take
// references (an exact id wins; a prefix that fits several jobs is refused, never guessed). Only text
// shaped like an id is a reference: `../x`, a path or an empty string is refused before any lookup.

/** Characters a job id is made of (the companion's ids: `task-mwu0a001-run001`). */
const REF = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isJobRefText(ref: string): boolean {
  return REF.test(ref) && !ref.includes('..');
}

export type JobRefMatch<J extends { id: string }> =
  { kind: 'found'; job: J } | { kind: 'ambiguous'; candidates: J[] } | { kind: 'none' };

/** The job `ref` names among `jobs`: the exact id, else the one job whose id starts with it. */
export function resolveJobRef<J extends { id: string }>(jobs: readonly J[], ref: string): JobRefMatch<J> {
  const exact = jobs.find((j) => j.id === ref);
  if (exact) return { kind: 'found', job: exact };
  const byPrefix = jobs.filter((j) => j.id.startsWith(ref));
  // One job can appear twice (in two state dirs of the same workspace): the same id is one candidate.
  const ids = new Set(byPrefix.map((j) => j.id));
  if (ids.size === 1) return { kind: 'found', job: byPrefix[0] };
  if (ids.size > 1) return { kind: 'ambiguous', candidates: byPrefix };
  return { kind: 'none' };
}

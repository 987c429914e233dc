// What the companion's Stop hook (stop-review-gate-hook.mjs) says at every stop of a Claude session,
// worked out the way it works it out: it takes state.json's `jobs` as they are (no record, no
// process), keeps those whose `sessionId` is the session's (all of them when it has no session),
// sorts them newest `updatedAt` first, and names the first `queued`/`running` one as "still
// running". Every such entry keeps it saying so: when the named one ends, the next is named.
//
// We do not know which Claude session will stop next. A job is judged in the run of the session
// that started it (its entry's `sessionId`) and in a run with no session (all entries, as a hook run
// without a session id sees them): "blocks stop" is shown for a job some such run reports while its
// process is gone, or while its record says it finished.
import type { Job, StopHookMark } from './types';
import { isActiveRecorded, isFoundDeadStatus, isTerminalStatus } from './status';

/** One run of the hook: with a session id, or without one (`null`). */
export interface StopHookVerdict {
  session: string | null;
  /** The hook throws on this index (exit 1): it names no job. */
  fails?: string;
  /** Position in `jobs` of the entry it names as still running (none: it says nothing). */
  names?: number;
  /** That entry's id as the hook prints it ("Codex task <id> is still running"). */
  namedId?: string;
  /** Positions of every entry that makes it say so, in its order (the named one first). */
  nagging: number[];
}

export type { StopHookMark } from './types';

/** A state dir's index as the hook sees it: every run, and each job id's mark. */
export interface StopHookView {
  runs: StopHookVerdict[];
  marks: Map<string, StopHookMark>;
}

/** Property access as the hook does it: throws on null (a TypeError there too), reads anything else. */
function field(entry: unknown, key: string): unknown {
  if (entry === null || entry === undefined)
    throw new TypeError(`Cannot read properties of ${entry} (reading '${key}')`);
  return (entry as Record<string, unknown>)[key];
}

type Picked = { at: number; entry: unknown; key?: string };

/**
 * The hook sorts with `localeCompare` and no arguments, which is a collator of the default locale;
 * made once, on first use (the same order, without building a collator per comparison: that cost
 * milliseconds per status over a few hundred jobs; and making one costs milliseconds too).
 */
let collator: Intl.Collator | undefined;
const collate = (a: string, b: string) => (collator ??= new Intl.Collator()).compare(a, b);
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** An ISO time as the companion writes it (`2026-12-01T10:00:00.000Z`). */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/**
 * Whether every key is an ISO time of one length: then the punctuation stands at the same places in
 * all of them, two keys first differ at a digit, and any collator orders digits as their code points
 * do. The sort is then the hook's own without building a collator (milliseconds, for every status).
 */
function sameShapeTimes(picked: readonly Picked[]): boolean {
  // Looked at without converting anything: what would throw in the hook's sort still throws there.
  const timeOf = (p: Picked) =>
    typeof p.entry === 'object' && p.entry !== null ? (p.entry as Record<string, unknown>).updatedAt : undefined;
  const first = timeOf(picked[0] ?? { at: 0, entry: null });
  return (
    typeof first === 'string' &&
    picked.every((p) => {
      const t = timeOf(p);
      return typeof t === 'string' && t.length === first.length && ISO_TIME.test(t);
    })
  );
}

/**
 * One run of the hook over state.json's `jobs` (as parsed, not validated: the hook validates
 * nothing). `session`: the Claude session's id; empty or missing is a run with no session, as there.
 */
export function stopHookVerdict(jobs: readonly unknown[], session?: string | null): StopHookVerdict {
  const sid = session || null;
  const picked: Picked[] = [];
  try {
    jobs.forEach((entry, at) => {
      if (sid === null || field(entry, 'sessionId') === sid) picked.push({ at, entry });
    });
  } catch (err) {
    return failed(sid, err);
  }
  return runOver(sid, picked);
}

/** The hook's sort and search over the entries its session filter kept, in file order. */
function runOver(session: string | null, picked: Picked[]): StopHookVerdict {
  try {
    // The hook converts `updatedAt` on each comparison; once per entry is the same (it throws or not alike).
    const keyOf = (p: Picked) => (p.key ??= String(field(p.entry, 'updatedAt') ?? ''));
    const compare = sameShapeTimes(picked) ? byCodePoint : collate;
    picked.sort((l, r) => compare(keyOf(r), keyOf(l)));
    const first = picked.find((p) => isActiveRecorded(field(p.entry, 'status')));
    // The hook puts the id in its sentence: an id that cannot be made a string throws there.
    const namedId = first ? String(field(first.entry, 'id')) : undefined;
    const nagging = picked
      .filter((p) => p.entry !== null && p.entry !== undefined && isActiveRecorded(field(p.entry, 'status')))
      .map((p) => p.at);
    return { session, names: first?.at, namedId, nagging };
  } catch (err) {
    return failed(session, err);
  }
}

function failed(session: string | null, err: unknown): StopHookVerdict {
  return { session, fails: err instanceof Error ? err.message : String(err), nagging: [] };
}

/** The sessions a run is made for: none, and each non-empty string `sessionId` of an entry. */
export function stopHookSessions(jobs: readonly unknown[]): (string | null)[] {
  return [null, ...bySession(jobs).keys()];
}

/** Each non-empty string `sessionId`'s entries, in file order: one pass, not one per session. */
function bySession(jobs: readonly unknown[]): Map<string, Picked[]> {
  const groups = new Map<string, Picked[]>();
  jobs.forEach((entry, at) => {
    const s = entry && typeof entry === 'object' ? (entry as Record<string, unknown>).sessionId : undefined;
    if (typeof s !== 'string' || !s) return;
    let g = groups.get(s);
    if (!g) groups.set(s, (g = []));
    g.push({ at, entry });
  });
  return groups;
}

/** Every run of the hook over one index, and what they say about each job id. */
export function stopHookView(jobs: readonly unknown[]): StopHookView {
  // A session's filter reads every entry's sessionId: a null entry makes each session's run throw.
  const nullAt = jobs.findIndex((e) => e === null || e === undefined);
  const runs = [
    stopHookVerdict(jobs, null),
    ...[...bySession(jobs)].map(([s, picked]) =>
      nullAt >= 0 ? stopHookVerdict([jobs[nullAt]], s) : runOver(s, picked),
    ),
  ];
  const runOf = new Map(runs.map((r) => [r.session, r]));
  const idAt = (at: number | undefined) => {
    const e = at === undefined ? undefined : jobs[at];
    const id = e && typeof e === 'object' ? (e as Record<string, unknown>).id : undefined;
    return typeof id === 'string' ? id : undefined;
  };
  const marks = new Map<string, StopHookMark>();
  const markOf = (id: string) => {
    let m = marks.get(id);
    if (!m) marks.set(id, (m = { nags: false, namedIn: [] }));
    return m;
  };
  jobs.forEach((_, at) => {
    const id = idAt(at);
    if (id === undefined || marks.has(id)) return;
    const s = (jobs[at] as Record<string, unknown>).sessionId;
    const m = markOf(id);
    if (typeof s === 'string' && s) m.session = s;
    const own = runOf.get(m.session ?? null)!;
    if (own.fails) m.fails = own.fails;
    else if (own.names !== undefined && idAt(own.names) !== id) m.behind = idAt(own.names) ?? String(own.names);
  });
  for (const r of runs) {
    for (const at of r.nagging) {
      const id = idAt(at);
      if (id !== undefined) markOf(id).nags = true;
    }
    const named = idAt(r.names);
    if (named !== undefined) markOf(named).namedIn.push(r.session);
  }
  return { runs, marks };
}

/** Why a job keeps the hook reporting it although it is not running, and what ends that. */
export type StopHookBlock =
  { why: 'record-finished'; clears: 'sync-index' } | { why: 'process-gone'; clears: 'mark-failed' };

/** What the hook says of one job: the mark reconcile gave it, or (a job made by hand) its own entry alone. */
export function stopHookMarkOf(job: Job): StopHookMark {
  return job.stopHook ?? { nags: isActiveRecorded(job.index?.status), namedIn: [] };
}

/**
 * Does the Stop hook report this job as still running although it is not? The hook believes the
 * index; the truth is its record (finished) or its process (gone, or another program's now). A job
 * that really runs, or whose process cannot be checked, is no claim.
 */
export function stopHookBlock(job: Job): StopHookBlock | undefined {
  if (!stopHookMarkOf(job).nags) return undefined;
  if (isTerminalStatus(job.record?.status)) return { why: 'record-finished', clears: 'sync-index' };
  if (isFoundDeadStatus(job.status)) return { why: 'process-gone', clears: 'mark-failed' };
  return undefined;
}

export function blocksStop(job: Job): boolean {
  return stopHookBlock(job) !== undefined;
}

export const BLOCKS_STOP_TEXT =
  "Its state.json entry still says queued/running, but its process is gone: the companion's Stop hook reports it as still running at every stop. Mark it as failed to end that.";

export const BLOCKS_STOP_FINISHED_TEXT =
  "Its record says it finished, but its state.json entry still says queued/running: the companion's Stop hook reads only state.json and reports it as still running at every stop. Update the index entry from the record to end that.";

/** The sentence for a job that blocks stop: why, and what clears it. */
export function blocksStopText(b: StopHookBlock): string {
  return b.why === 'record-finished' ? BLOCKS_STOP_FINISHED_TEXT : BLOCKS_STOP_TEXT;
}

/**
 * The marks of a freshly read state.json (undefined: not read, no marks). It is the parsed file as
 * the reader keeps it: cut at its depth and entry limits, which an index the companion wrote never reaches.
 */
export function stopHookMarks(raw: Record<string, unknown> | undefined): Map<string, StopHookMark> | undefined {
  if (!raw) return undefined;
  return stopHookView(Array.isArray(raw.jobs) ? raw.jobs : []).marks;
}

/** Two marks that say the same (a job kept from an earlier read must not keep an outdated one). */
export function sameMark(a: StopHookMark | undefined, b: StopHookMark | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

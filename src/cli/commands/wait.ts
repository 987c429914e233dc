// `codex-jobs wait <id>…`: blocks until the jobs have ended (with --any, the first of them), following
// the model on the same live path as `watch` (file events, and the re-verify of running processes
// while one claims to run: no polling loop of its own), and prints how each ended. A job the companion
// drops or deletes meanwhile is still judged: the model shows it from the archive, its process
// verified and its log's completion block read. Exit 0 all completed, 1 any failed, cancelled, stale
// or not found, 124 on --timeout, 130 on Ctrl-C.
import { LiveUpdates } from '../../core/model/live';
import { STATUS, isEndedStatus, isFoundDeadStatus } from '../../core/vocab/status';
import { sleep } from '../../core/vocab/async';
import { safeJson, safeLine } from '../../core/vocab/terminalText';
import type { Job } from '../../core/vocab/types';
import type { Args } from '../args';
import { cliArchive, modelFor, workspaceFolder } from '../jobs';
import { checkRef, jobByRef, noJobMessage } from '../jobRefs';
import type { Output } from '../output';
import { untilStopped } from '../signals';
import type { JobsModel } from '../../core/model/model';

export const EXIT_TIMEOUT = 124;
export const EXIT_INTERRUPTED = 130;

type Ending = 'ended' | 'timeout' | 'stopped';

/** The latest value of each job waited for, by id: the one not archived first (its files are there). */
function current(m: JobsModel, ids: readonly string[]): Map<string, Job> {
  const out = new Map<string, Job>();
  for (const j of m.folders[0]?.jobs ?? []) {
    if (!ids.includes(j.id)) continue;
    const had = out.get(j.id);
    if (!had || (had.archived && !j.archived)) out.set(j.id, j);
  }
  return out;
}

function decided(jobs: Map<string, Job>, ids: readonly string[], any: boolean): boolean {
  const ended = ids.filter((id) => {
    const j = jobs.get(id);
    return j !== undefined && isEndedStatus(j.status);
  });
  return any ? ended.length > 0 : ended.length === ids.length;
}

/**
 * A verdict that its process is gone (stale, pid reused) can still change: the log's completion
 * block or the archive's copy of a job just deleted may tell how it really ended, a moment later. Such
 * a verdict is taken once the model has settled (the archive's work included) and still says so
 * after the watcher's next batch could have arrived.
 */
const CONFIRM_MS = 500;

async function confirmed(m: JobsModel, ids: readonly string[], any: boolean): Promise<boolean> {
  const jobs = current(m, ids);
  if (!decided(jobs, ids, any)) return false;
  if (![...jobs.values()].some((j) => isFoundDeadStatus(j.status))) return true;
  await m.settled();
  await sleep(CONFIRM_MS);
  await m.settled();
  return decided(current(m, ids), ids, any);
}

/** Resolves when the jobs are decided, the timeout passes, or the user stops it; never polls. */
function waitFor(m: JobsModel, ids: string[], a: Args, stop: Promise<unknown>): Promise<Ending> {
  return new Promise<Ending>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let checking = false;
    let again = false;
    const end = () => {
      done = true;
      sub.dispose();
      if (timer) clearTimeout(timer);
    };
    const finish = (how: Ending) => {
      if (done) return;
      end();
      resolve(how);
    };
    // One check at a time; a change during a check asks for one more.
    const check = async (): Promise<void> => {
      if (checking) return void (again = true);
      checking = true;
      try {
        do {
          again = false;
          if (await confirmed(m, ids, a.any)) finish('ended');
        } while (again && !done);
      } finally {
        checking = false;
      }
    };
    const checkNow = () =>
      void check().catch((err: unknown) => {
        if (done) return;
        end();
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    const sub = m.onDidChange(checkNow);
    if (a.timeoutMs !== undefined) timer = setTimeout(() => finish('timeout'), a.timeoutMs);
    void stop.then(() => finish('stopped'));
    checkNow();
  });
}

export async function waitCommand(a: Args, io: Output): Promise<number> {
  for (const ref of a.positional) checkRef(ref, 'wait');
  const folder = await workspaceFolder(a, undefined);
  // Listen for Ctrl-C before anything is read or printed: it always ends the wait cleanly.
  const stop = untilStopped(io);
  const m = modelFor(a, folder);
  const live = new LiveUpdates(m, { archive: cliArchive(true) });
  try {
    await live.start();
    await m.settled();
    const jobs = m.folders[0]?.jobs ?? [];
    const ids: string[] = [];
    for (const ref of a.positional) {
      const job = jobByRef(jobs, ref, 'wait');
      if (!job) {
        io.error(noJobMessage(ref, m.folders[0]?.snapshots.map((s) => s.stateDir) ?? []));
        return 1;
      }
      if (!ids.includes(job.id)) ids.push(job.id);
    }
    const how = await waitFor(m, ids, a, stop);
    // Whatever the companion wrote with the last change (the index's summary after the record) is shown too.
    if (how === 'ended') await m.settled();
    return await report(io, a, ids, current(m, ids), how);
  } finally {
    await live.dispose();
    m.dispose();
  }
}

/** The outcome of one job, as --json gives it. */
function outcomeJson(id: string, j: Job | undefined) {
  return {
    id,
    status: j?.status ?? null,
    ended: j ? isEndedStatus(j.status) : false,
    summary: j?.display.summary ?? null,
    completedAt: j?.display.completedAt ?? null,
    errorMessage: j?.display.errorMessage ?? null,
    inferredFromLog: j?.inferred ? true : false,
    archived: j?.archived?.how ?? null,
  };
}

function exitCode(ids: readonly string[], jobs: Map<string, Job>, how: Ending, any: boolean): number {
  if (how === 'timeout') return EXIT_TIMEOUT;
  if (how === 'stopped') return EXIT_INTERRUPTED;
  const ended = ids.map((id) => jobs.get(id)).filter((j): j is Job => !!j && isEndedStatus(j.status));
  // With --any the first to end decides; several may have ended by the same update: one completed is enough.
  if (any) return ended.some((j) => j.status === 'completed') ? 0 : 1;
  return ended.every((j) => j.status === 'completed') ? 0 : 1;
}

async function report(io: Output, a: Args, ids: string[], jobs: Map<string, Job>, how: Ending): Promise<number> {
  const code = exitCode(ids, jobs, how, a.any);
  if (a.json) {
    const outcome =
      how === 'ended' ? (code === 0 ? 'completed' : 'failed') : how === 'timeout' ? 'timeout' : 'interrupted';
    await io.line(safeJson({ outcome, exitCode: code, jobs: ids.map((id) => outcomeJson(id, jobs.get(id))) }));
    return code;
  }
  for (const id of ids) {
    const j = jobs.get(id);
    const word = j ? STATUS[j.status].word : 'not found';
    const more = j && !isEndedStatus(j.status) ? ' (not ended)' : '';
    const err = j?.status !== 'completed' && j?.display.errorMessage ? `: ${j.display.errorMessage}` : '';
    await io.line(safeLine(`${id}  ${word}${more}${err}`));
  }
  if (how === 'timeout') io.error(`codex-jobs: wait timed out after ${(a.timeoutMs ?? 0) / 1000} s`);
  return code;
}

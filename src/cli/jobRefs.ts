// Job references on the command line: a whole id or a unique prefix (core/vocab/jobRef.ts). Text that
// is not id-shaped (`../x`, a path) and a prefix that fits several jobs are usage errors (exit 2),
// the latter listing the jobs it fits; no job at all is a failure (exit 1), said by the caller.
import { isJobRefText, resolveJobRef } from '../core/vocab/jobRef';
import { safeLine } from '../core/vocab/terminalText';
import type { Job } from '../core/vocab/types';
import { STATUS } from '../core/vocab/status';
import { UsageError, type Args, type CommandName } from './args';
import { collect, printWarnings, type Collected } from './jobs';
import type { Output } from './output';

/** Refuses a reference that is not id-shaped, before anything is read. */
export function checkRef(ref: string, command: CommandName): void {
  if (!isJobRefText(ref)) throw new UsageError(`"${ref}" is not a job id or id prefix`, command);
}

const MAX_LISTED = 20;

/** The job `ref` names; undefined when none; a usage error when several fit. */
export function jobByRef(jobs: readonly Job[], ref: string, command: CommandName): Job | undefined {
  const m = resolveJobRef(jobs, ref);
  if (m.kind === 'found') return m.job;
  if (m.kind === 'none') return undefined;
  const ids = [...new Set(m.candidates.map((j) => j.id))].sort();
  const shown = ids.slice(0, MAX_LISTED).map((id) => `  ${safeLine(id)}`);
  if (ids.length > MAX_LISTED) shown.push(`  … ${ids.length - MAX_LISTED} more`);
  throw new UsageError(`"${ref}" fits ${ids.length} jobs; give more of the id:\n${shown.join('\n')}`, command);
}

export function noJobMessage(ref: string, stateDirs: readonly string[]): string {
  return `codex-jobs: no job ${safeLine(ref)} in ${stateDirs.map(safeLine).join(', ') || 'any state dir'}`;
}

/**
 * The finished job the command's first argument names, in the workspace of its second (or the
 * current directory); an exit code when there is none (said on stderr) or it still runs.
 */
export async function finishedJob(
  a: Args,
  io: Output,
  command: CommandName,
): Promise<{ r: Collected; job: Job } | number> {
  const ref = a.positional[0];
  checkRef(ref, command);
  const r = await collect(a, a.positional[1]);
  const job = jobByRef(r.jobs, ref, command);
  if (!job) {
    printWarnings(r.warnings, (l) => io.error(l));
    io.error(noJobMessage(ref, r.stateDirs));
    return 1;
  }
  if (STATUS[job.status].live) {
    const id = safeLine(job.id);
    io.error(
      `codex-jobs: job ${id} is still ${STATUS[job.status].word}; \`codex-jobs wait ${id}\` waits until it ends`,
    );
    return 1;
  }
  return { r, job };
}

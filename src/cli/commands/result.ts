// `codex-jobs result <id>`: a finished job's output as the companion's own `result` renders it
// (core/io/jobResult.ts), from its record, else its log's final block, else the archive's copy of a
// job whose files are gone, which the companion can no longer show. --json adds a review's findings.
import { inferEnd } from '../../core/io/logInference';
import { recordOutput, renderJobResult } from '../../core/io/jobResult';
import { planJobLog, readPlanTail } from '../../core/archive/jobLog';
import { workspaceRootOf } from '../../core/discovery/discovery';
import { safeJson } from '../../core/vocab/terminalText';
import type { Job } from '../../core/vocab/types';
import type { Args } from '../args';
import type { Collected } from '../jobs';
import { finishedJob } from '../jobRefs';
import type { Output } from '../output';
import { reviewReport, reviewReportJson } from '../reviews';

/** Enough of a log's end for its final block (the companion's blocks are a few KB). */
const TAIL_BYTES = 1024 * 1024;

/** The body of the log's `Final output` block, read only when the record holds no output. */
async function logFinal(job: Job, r: Collected): Promise<string | undefined> {
  if (recordOutput(job.display) !== undefined || job.inferred?.rendered) return undefined;
  const plan = await planJobLog(r.logSource(job));
  if (!plan.exists) return undefined;
  const { text } = await readPlanTail(plan, TAIL_BYTES);
  return inferEnd(text)?.rendered;
}

export async function resultCommand(a: Args, io: Output): Promise<number> {
  const found = await finishedJob(a, io, 'result');
  if (typeof found === 'number') return found;
  const { r, job } = found;
  const rendered = renderJobResult(job, await logFinal(job, r));
  if (!a.json) {
    await io.write(rendered.text);
    return 0;
  }
  const review = reviewReport(job, r.jobs, await workspaceRootOf(r.workspace ?? process.cwd()));
  const d = job.display;
  await io.line(
    safeJson({
      id: job.id,
      status: job.status,
      kind: d.kind ?? null,
      title: d.title ?? null,
      summary: d.summary ?? null,
      threadId: d.threadId ?? null,
      completedAt: d.completedAt ?? null,
      errorMessage: d.errorMessage ?? null,
      source: rendered.source,
      archived: job.archived?.how ?? null,
      rendered: rendered.text,
      review: review ? reviewReportJson(job, review) : null,
    }),
  );
  return 0;
}

// A finished job's output as the companion's `result` command renders it (its render.mjs): a review's
// rendered report, else the raw output Codex returned, else the rendered text, each followed by the
// Codex session and how to resume it; else a short card (title, job, status, summary, the error). One
// step is ours: a record with no output (its final write lost, or only an index entry left) takes the
// body of its log's `Final output` block before the card. Pure: the caller reads the log.
import type { Job, JobFields } from '../vocab/types';

export type ResultSource = 'record' | 'archive' | 'log' | 'none';

export interface RenderedResult {
  text: string;
  /** Where the output came from: the record (or the archive's copy of it), the log, or nowhere (the card). */
  source: ResultSource;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const withNewline = (s: string): string => (s.endsWith('\n') ? s : `${s}\n`);

/** The companion's test for a review's stored result: it has `result` or `parseError` inside. */
function isStructuredReview(result: unknown): boolean {
  return isObj(result) && ('result' in result || 'parseError' in result);
}

/** The output a record holds, in the companion's order of preference. */
export function recordOutput(d: Pick<JobFields, 'result' | 'rendered'>): string | undefined {
  const r = d.result;
  if (isStructuredReview(r) && nonEmpty(d.rendered)) return d.rendered;
  const raw = isObj(r) ? (nonEmpty(r.rawOutput) ?? (isObj(r.codex) ? nonEmpty(r.codex.stdout) : undefined)) : undefined;
  return raw ?? nonEmpty(d.rendered);
}

function sessionLines(threadId: string | undefined): string[] {
  return threadId ? [`Codex session ID: ${threadId}`, `Resume in Codex: codex resume ${threadId}`] : [];
}

/**
 * The job's result text. `logFinal` is the body of its log's `Final output` block, when the caller
 * read one. Values are taken as they are; the caller makes them safe for where they go.
 */
export function renderJobResult(job: Job, logFinal?: string): RenderedResult {
  const d = job.display;
  const threadId = nonEmpty(d.threadId);
  const output = recordOutput(d);
  const fromLog = output === undefined ? (nonEmpty(job.inferred?.rendered) ?? nonEmpty(logFinal)) : undefined;
  const body = output ?? fromLog;
  if (body !== undefined) {
    const session = sessionLines(threadId);
    const text = withNewline(body) + (session.length ? `\n${session.join('\n')}\n` : '');
    // The model gives a job whose final write was lost its log's final block as `rendered`.
    const logged = output === undefined || (job.inferred?.rendered !== undefined && output === job.inferred.rendered);
    return { text, source: logged ? 'log' : job.archived ? 'archive' : 'record' };
  }
  const lines = [
    `# ${d.title ?? 'Codex Result'}`,
    '',
    `Job: ${job.id}`,
    `Status: ${job.status}`,
    ...sessionLines(threadId),
  ];
  if (d.summary) lines.push(`Summary: ${d.summary}`);
  lines.push('', nonEmpty(d.errorMessage) ?? 'No captured result payload was stored for this job.');
  return { text: `${lines.join('\n').trimEnd()}\n`, source: 'none' };
}

// `codex-jobs findings <id>`: a review's findings, each marked new or still open against the previous
// review of the same target, with the previous one's not reported again; as text, JSON, or SARIF 2.1.0
// (core/io/sarif.ts) on stdout or into a file the user names. That file is the one thing written: it
// replaces its target atomically (a temp file beside it, then a rename), never through a symbolic link,
// onto a FIFO or a directory, and never inside a state dir or the archive. No finding's file is opened.
import * as path from 'path';
import { promises as fs } from 'fs';
import { findingLocation, isInside, isReviewJob } from '../../core/io/findings';
import { buildSarif } from '../../core/io/sarif';
import { reviewTargetOf } from '../../core/io/reviewSeries';
import { workspaceRootOf } from '../../core/discovery/discovery';
import { isSafeFsError, writeFileAtomic } from '../../core/io/safeFs';
import { safeJson, safeLine } from '../../core/vocab/terminalText';
import type { Job } from '../../core/vocab/types';
import type { Args } from '../args';
import { cliArchive, roots } from '../jobs';
import { finishedJob } from '../jobRefs';
import type { Output } from '../output';
import { reviewReport, reviewReportJson, type ReviewReport } from '../reviews';
import { VERSION } from '../version';

export async function findingsCommand(a: Args, io: Output): Promise<number> {
  const found = await finishedJob(a, io, 'findings');
  if (typeof found === 'number') return found;
  const { r, job } = found;
  const id = safeLine(job.id);
  if (!isReviewJob(job)) {
    io.error(`codex-jobs: job ${id} is not a review; it has no findings`);
    return 1;
  }
  // Locations are relative to the workspace root as the companion computes it from the folder (the
  // git top level), never to the root a record claims: a record cannot put "/" there.
  const root = await workspaceRootOf(r.workspace ?? process.cwd());
  const report = reviewReport(job, r.jobs, root);
  if (!report) {
    io.error(`codex-jobs: review ${id} holds no result to read findings from (status ${job.status})`);
    return 1;
  }
  if (a.sarif !== undefined) {
    // The companion's books and ours: the state roots (every state dir under them), this workspace's
    // state dirs wherever they are, the archive.
    const guarded = [...(await roots(a)).map((x) => x.path), ...r.stateDirs, cliArchive().dir];
    return sarifOut(a.sarif, job, report, root, guarded, io);
  }
  if (a.json) {
    await io.line(safeJson({ id: job.id, status: job.status, ...reviewReportJson(job, report) }));
    return 0;
  }
  await io.line(findingsText(job, report).join('\n'));
  return 0;
}

async function sarifOut(
  target: string,
  job: Job,
  report: ReviewReport,
  workspace: string,
  guarded: readonly string[],
  io: Output,
): Promise<number> {
  const sarif = buildSarif({
    findings: report.findings,
    total: report.total,
    toolVersion: VERSION,
    workspaceRoot: workspace,
    jobId: job.id,
    target: reviewTargetOf(job.display),
    reviewKind: report.reviewer,
  });
  const text = `${safeJson(sarif)}\n`;
  if (target === '-') {
    await io.write(text);
    return 0;
  }
  const refused = await refusedOutput(target, guarded);
  if (refused) {
    io.error(`codex-jobs: ${safeLine(refused)}`);
    return 1;
  }
  try {
    await writeFileAtomic(target, text, path.dirname(target));
  } catch (err) {
    io.error(`codex-jobs: ${safeLine(target)}: ${safeLine(isSafeFsError(err) ? err.what : String(err))}`);
    return 1;
  }
  io.error(`codex-jobs: wrote ${safeLine(target)} (${sarif.runs[0].results.length} results)`);
  return 0;
}

/** Why the output file may not be written there: a state dir's or the archive's, or no such directory. */
async function refusedOutput(file: string, protectedDirs: readonly string[]): Promise<string | undefined> {
  let dir: string;
  try {
    dir = await fs.realpath(path.dirname(file));
  } catch {
    return `${path.dirname(file)} does not exist; ${file} not written`;
  }
  for (const p of protectedDirs) {
    const real = await fs.realpath(p).catch(() => p);
    if (isInside(real, dir) || isInside(real, path.join(dir, path.basename(file))))
      return `${file} is inside ${p}, which belongs to the companion or the archive; not written`;
  }
  return undefined;
}

function findingsText(job: Job, r: ReviewReport): string[] {
  const s = r.series;
  const shown = r.findings.length < r.total ? `${r.findings.length} of ${r.total}` : `${r.total}`;
  const head = [
    job.id,
    r.reviewer,
    reviewTargetOf(job.display)?.label,
    `${shown} findings`,
    r.verdict && `verdict: ${r.verdict}`,
  ];
  const lines = [safeLine(head.filter(Boolean).join(' · '))];
  if (s)
    lines.push(
      safeLine(
        `compared with ${s.previous}: ${s.counts.new} new, ${s.counts.stillOpen} still open, ${s.counts.fixed} not reported again`,
      ),
    );
  const marks = new Map(s?.current.map((c) => [c.finding, c.label]));
  for (const f of r.findings) {
    const mark = marks.get(f);
    lines.push(
      `  ${safeLine(f.severity).padEnd(8)} ${mark ? `${mark.padEnd(10)} ` : ''}${safeLine(f.title)} — ${safeLine(findingLocation(f))}`,
    );
  }
  if (s?.fixed.length) {
    lines.push(safeLine(`not reported again since ${s.previous}:`));
    for (const x of s.fixed)
      lines.push(
        `  ${safeLine(x.finding.severity).padEnd(8)} ${safeLine(x.finding.title)} — ${safeLine(findingLocation(x.finding))}`,
      );
  }
  for (const w of r.warnings) lines.push(`warning: ${safeLine(w)}`);
  return lines;
}

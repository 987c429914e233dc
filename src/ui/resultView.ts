// Show Result as Markdown: a review's verdict, summary, findings (linked to file:line when the file
// is in the workspace) and next steps, each finding marked new or still open when an earlier review
// of the same target exists, and that review's findings this one did not report listed after them; a
// task's output and its touched files, linked; a failed job's error kind. Text from the record is
// escaped: a finding cannot inject markup or links.
import * as vscode from 'vscode';
import type { Job } from '../core/vocab/types';
import { locateFinding, touchedFiles, type Finding, type ReviewResult } from '../core/io/findings';
import type { ReviewSeriesIndex } from '../core/io/reviewFindings';
import type { SeriesComparison } from '../core/io/reviewSeries';
import { localTime, parseTime } from '../core/vocab/format';
import { modelEffortOf, resumeCommand } from '../core/actions/resume';
import { errorOf } from './jobFeatures';
import { locationIn, markText, movedText, reviewOf } from './findingSeries';
import { t } from './l10n';

/** How many findings Show Result lists; the rest are counted. */
export const MAX_RESULT_FINDINGS = 500;

type Compared = SeriesComparison & { previous: Job };

/** `series`: the reviews of the job's folder, to compare a review with the one before it. */
export async function renderResult(
  job: Job,
  head: string,
  root: string | undefined,
  series?: ReviewSeriesIndex,
): Promise<string> {
  const d = job.display;
  const out: string[] = [head];
  const { model, effort } = modelEffortOf(job);
  if (model && effort) out.push(`${t('Model: {0}, effort {1}', esc(model), esc(effort))}\n`);
  else if (model) out.push(`${t('Model: {0}', esc(model))}\n`);
  else if (effort) out.push(`${t('Effort: {0}', esc(effort))}\n`);
  // errorOf only answers for failed and cancelled jobs.
  const e = errorOf(job);
  if (e) out.push(`**${esc(t(e.label))}:** ${esc(e.description)}\n`);
  const review = reviewOf(job);
  const cmp = series?.compare(job);
  if (review) out.push(await renderReview(review, root, cmp));
  else if (typeof d.rendered === 'string' && d.rendered.length > 0) out.push(d.rendered);
  else if (d.errorMessage) out.push(`**${t('Error')}:** ${esc(d.errorMessage)}\n`);
  else out.push(`_${t('No result recorded (yet).')}_\n`);
  if (cmp) out.push(await renderNotReported(cmp, root));
  const touched = touchedFiles(d.result);
  if (touched.total > 0) {
    out.push(`\n## ${t('Touched files')}\n`);
    for (const f of touched.files) out.push(`- ${await fileLink(root, f, undefined, f)}`);
    if (touched.total > touched.files.length)
      out.push(`- ${t('… and {0} more', touched.total - touched.files.length)}`);
  }
  const rc = resumeCommand(job);
  if (rc) out.push(`\n${t('Resume in a terminal')}: \`${rc}\`\n`);
  return out.join('\n');
}

/** "the review of 24 Nov 14:05 (`review-…`)": which earlier review a comparison is with. */
function previousText(prev: Job): string {
  const at = parseTime(prev.display.completedAt);
  // A code span cannot be escaped into: a backtick in the id is shown as a quote.
  const id = `\`${prev.id.replace(/`/g, "'")}\``;
  return at !== undefined ? `${localTime(at)} (${id})` : id;
}

async function findingLines(f: Finding, root: string | undefined, mark?: string): Promise<string[]> {
  const loc = await fileLink(root, f.file, f.lineStart, locationIn(root, f));
  const out = [`- **[${esc(f.severity)}] ${esc(f.title)}** (${loc})${mark ? ` — _${esc(mark)}_` : ''}`];
  if (f.body) out.push(`  ${esc(f.body).replace(/\n/g, '\n  ')}`);
  if (f.recommendation) out.push(`  ${t('Recommendation: {0}', esc(f.recommendation))}`);
  if (f.confidence !== undefined) out.push(`  ${t('Confidence: {0}', f.confidence)}`);
  return out;
}

async function renderReview(r: ReviewResult, root: string | undefined, cmp?: Compared): Promise<string> {
  const out: string[] = [];
  if (r.verdict) out.push(`**${t('Verdict')}:** ${esc(r.verdict)}\n`);
  if (r.summary) out.push(`${esc(r.summary)}\n`);
  for (const w of r.warnings) out.push(`> ⚠ ${esc(w)}\n`);
  out.push(`## ${t('Findings ({0})', r.total)}\n`);
  if (cmp) {
    const c = cmp.counts;
    out.push(
      `${t('Compared with the previous review of this target, {0}: {1} new, {2} still open, {3} not reported again.', previousText(cmp.previous), c.new, c.stillOpen, c.fixed)}\n`,
    );
  }
  if (r.total === 0) out.push(`_${t('None.')}_\n`);
  const marks = new Map(cmp?.current.map((c) => [c.finding, c]));
  const shown = r.findings.slice(0, MAX_RESULT_FINDINGS);
  for (const f of shown) {
    const m = marks.get(f);
    const moved = movedText(m?.lineShift);
    out.push(...(await findingLines(f, root, m && (moved ? `${markText(m)}, ${moved}` : markText(m)))));
  }
  const more = r.total - shown.length;
  if (more > 0) out.push(`\n_${t('… and {0} more finding(s) not listed.', more)}_`);
  if (r.nextSteps.length) {
    out.push(`\n## ${t('Next steps')}\n`);
    for (const s of r.nextSteps) out.push(`- ${esc(s)}`);
  }
  return out.join('\n') + '\n';
}

/** The earlier review's findings this one did not report, worded as what is known. */
async function renderNotReported(cmp: Compared, root: string | undefined): Promise<string> {
  if (!cmp.fixed.length && !cmp.leftOut) return '';
  const out = [`\n## ${t('Not reported again ({0})', cmp.fixed.length)}\n`];
  out.push(
    `${t('Findings of the previous review of this target, {0}, that this review did not report. They may be fixed, or reworded or missed this time: the review does not say which.', previousText(cmp.previous))}\n`,
  );
  if (cmp.leftOut) out.push(`_${t('{0} finding(s) beyond the limit were not compared.', cmp.leftOut)}_\n`);
  const shown = cmp.fixed.slice(0, MAX_RESULT_FINDINGS);
  for (const x of shown) out.push(...(await findingLines(x.finding, root, markText(x))));
  if (cmp.fixed.length > shown.length)
    out.push(`\n_${t('… and {0} more finding(s) not listed.', cmp.fixed.length - shown.length)}_`);
  return out.join('\n') + '\n';
}

/** A link that opens the file at the line, or plain text saying why it is not opened. */
async function fileLink(
  root: string | undefined,
  file: string | undefined,
  line: number | undefined,
  label: string,
): Promise<string> {
  if (!root || !file) return esc(label);
  const loc = await locateFinding(root, file);
  if (!loc.ok) {
    const why =
      loc.reason === 'outside'
        ? t('outside the workspace, not linked')
        : loc.reason === 'missing'
          ? t('file not found')
          : t('not a file');
    return `${esc(label)} — _${esc(why)}_`;
  }
  const uri = vscode.Uri.file(loc.path).with({ fragment: line ? `L${line}` : '' });
  return `[${esc(label)}](${uri.toString()})`;
}

function esc(s: string): string {
  return s.replace(/[\\`*_[\]<>|$#()!~]/g, (c) => `\\${c}`);
}

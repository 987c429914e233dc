// What the review gate, error kinds, resume and findings add to a job's row: context words, icon,
// description and tooltip lines. jobTreeItem.ts calls these; all decisions live in the core.
import * as vscode from 'vscode';
import type { Job } from '../core/vocab/types';
import type { JobsModel } from '../core/model/model';
import { classifyJobError, formatLocal, type ErrorInfo } from '../core/vocab/errorKinds';
import { blocksStopText, stopHookBlock, stopHookMarkOf } from '../core/vocab/stopHook';
import { canResume, kindOf, modelEffortOf, resumeCommand } from '../core/actions/resume';
import { isReadableReview } from '../core/io/reviewFindings';
import { reviewOf } from './findingSeries';
import { flagWord, isFinishedStatus } from '../core/vocab/status';
import { t } from './l10n';
import { coloredIcon } from './iconColors';

/** Memoised per job object: rows are rendered often and jobs are immutable values. */
const errors = new WeakMap<Job, ErrorInfo | null>();
export function errorOf(job: Job): ErrorInfo | undefined {
  let e = errors.get(job);
  if (e === undefined) {
    e = classifyJobError(job) ?? null;
    errors.set(job, e);
  }
  return e ?? undefined;
}

/** A finished job Codex Jobs knows how to start again. */
export function isRerunnable(job: Job): boolean {
  return isFinishedStatus(job.status) && !!kindOf(job);
}

/** Extra words for `viewItem =~ /\bword\b/`. */
export function featureWords(job: Job): string[] {
  const w: string[] = [];
  const b = stopHookBlock(job);
  // `index-behind`: Update Index Entry from Record clears it (a gone process: `markable`, Mark as Failed).
  if (b) w.push('blocks-stop', ...(b.clears === 'sync-index' ? ['index-behind'] : []));
  if (isRerunnable(job)) w.push('rerunnable');
  if (canResume(job)) w.push('resumable');
  if (resumeCommand(job)) w.push('hasThread');
  // `hasFindings`: findings to list (JSON, or the native review's findings block); `sarif`: a completed
  // review whose result can be read, so its findings (maybe none) can be exported.
  if (reviewOf(job)) w.push('hasFindings');
  if (isReadableReview(job)) w.push('sarif');
  const e = errorOf(job);
  if (e) {
    w.push(`err-${e.kind}`);
    if (e.resetAtMs !== undefined) w.push('resetKnown');
  }
  return w;
}

/** A failed job's icon says why it failed. */
export function featureIcon(job: Job): vscode.ThemeIcon | undefined {
  const e = job.status === 'failed' ? errorOf(job) : undefined;
  if (!e || e.kind === 'unknown') return undefined;
  return coloredIcon(e.icon, 'failed');
}

/** After the row's status · when · duration: blocks stop, the error's kind (with its reset time), model and effort. */
export function featureDescription(job: Job): string[] {
  const parts: string[] = [];
  if (stopHookBlock(job)) parts.push(t(flagWord('blocks-stop')));
  const e = job.status === 'failed' ? errorOf(job) : undefined;
  if (e && e.kind !== 'unknown')
    parts.push(
      e.resetAtMs !== undefined ? t('{0}, retry at {1}', t(e.label), formatLocal(e.resetAtMs, Date.now())) : t(e.label),
    );
  const { model, effort } = modelEffortOf(job);
  if (model || effort) parts.push([model, effort].filter(Boolean).join(' '));
  return parts;
}

/** Tooltip lines (the model and effort are rows of the tooltip itself). */
export function featureTooltip(md: vscode.MarkdownString, job: Job): void {
  const e = errorOf(job);
  // The description is the core's sentence, often with the error's own text in it: not a catalog string.
  if (e)
    md.appendMarkdown(`$(${e.icon}) ${esc(e.description)}${e.actionTitle ? ` (${esc(t(e.actionTitle))})` : ''}  \n`);
  const b = stopHookBlock(job);
  if (b) {
    md.appendMarkdown(`$(warning) ${esc(t(blocksStopText(b)))}  \n`);
    const m = stopHookMarkOf(job);
    const by = m.session
      ? t('the Stop hook of the Claude session that started it')
      : t('a Stop hook run without a session');
    if (m.behind) md.appendMarkdown(`${esc(t('{0} names {1} first; this job once that one ends.', by, m.behind))}  \n`);
  }
  const rc = resumeCommand(job);
  if (rc) md.appendMarkdown(`**${t('Resume in a terminal')}:** \`${rc}\`  \n`);
}

function esc(s: string): string {
  return s.replace(/[\\`*_[\]<>|$]/g, (c) => `\\${c}`);
}

/** The workspace folder a job's state dir belongs to (where a re-run or resume is started). */
export function folderPathOf(model: JobsModel, job: Job): string | undefined {
  return model.folders.find((f) => f.snapshots.some((s) => s.stateDir === job.stateDir))?.folder.path;
}

// How one job is shown in the tree: icon, label, description, tooltip, accessibility and the context
// words menus match. The texts come from the core (rowText), so the CLI's rows say the same.
import * as vscode from 'vscode';
import type { DerivedStatus, Job } from '../core/vocab/types';
import { canMarkFailed, claimsActive, hasResult, isLive, isVerifiedLive, needsAttention } from '../core/vocab/classify';
import {
  elapsedMs,
  formatBytes,
  formatDuration,
  kindLabelOf,
  rowText,
  summaryOf,
  timeWithRelative,
  titleOf,
} from '../core/vocab/format';
import { flagText, STATUS } from '../core/vocab/status';
import { t } from './l10n';
import { featureDescription, featureTooltip, featureWords } from './jobFeatures';
import { modelEffortOf } from '../core/actions/resume';
import { coloredIcon, type IconColor } from './iconColors';
import { usageTooltip } from './usageView';

const ICONS: Record<DerivedStatus, [string, IconColor | undefined]> = {
  running: ['sync~spin', undefined],
  queued: ['clock', undefined],
  stalled: ['watch', 'warning'],
  stale: ['debug-disconnect', 'warning'],
  'pid-reused': ['arrow-swap', 'error'],
  unverified: ['question', 'warning'],
  completed: ['pass', 'passed'],
  failed: ['error', 'failed'],
  cancelled: ['circle-slash', undefined],
  unknown: ['circle-outline', 'warning'],
};

export function statusIcon(status: DerivedStatus): vscode.ThemeIcon {
  const [id, color] = ICONS[status];
  return coloredIcon(id, color);
}

/** "review: working tree diff": what the job is about, kind first. */
export function jobLabel(job: Job): string {
  return rowText(job, Date.now(), t).label;
}

/**
 * "completed · yesterday 14:05 · 3s", or the error's first line for a failed job; then what the
 * review gate, error kinds and resume add (blocks stop, the error's kind, model and effort).
 */
export function jobDescription(job: Job, now: number): string {
  return [rowText(job, now, t).description, ...featureDescription(job)].join(' · ');
}

/** Words for `viewItem =~ /\bword\b/` in package.json menus. Other features append their own words. */
export function jobContextValue(job: Job): string {
  const words = ['job', job.status];
  if (claimsActive(job)) words.push('active');
  if (isLive(job)) words.push('live');
  if (isVerifiedLive(job)) words.push('cancellable');
  if (canMarkFailed(job)) words.push('markable');
  if (job.log.exists || (job.archived?.logBytes ?? 0) > 0) words.push('hasLog');
  if (job.record) words.push('hasRecord');
  if (hasResult(job)) words.push('hasResult');
  if (STATUS[job.status].ended) words.push('ended');
  if (needsAttention(job)) words.push('attention');
  words.push(...job.flags);
  words.push(...featureWords(job));
  return words.join(' ');
}

export function jobAccessibility(job: Job, now: number): vscode.AccessibilityInformation {
  return { label: [rowText(job, now, t).accessibility, ...featureDescription(job)].join(', '), role: 'treeitem' };
}

export function jobTooltip(job: Job, now = Date.now()): vscode.MarkdownString {
  const d = job.display;
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${esc(summaryOf(job))}**  \n`);
  md.appendMarkdown(`${esc(titleOf(job))} (${esc(kindLabelOf(job))}) · ${code(job.id)}  \n`);
  md.appendMarkdown(esc(t(STATUS[job.status].text)));
  if (job.recordedStatus && job.recordedStatus !== job.status)
    md.appendMarkdown(` ${t('(recorded: {0})', `\`${job.recordedStatus}\``)}`);
  md.appendMarkdown('\n\n');
  const { model, effort } = modelEffortOf(job);
  const el = elapsedMs(job, now);
  const rows: [string, string | undefined, boolean?][] = [
    // [label, value, value is our own markup (code spans) rather than text from the files]
    [t('Session'), d.sessionId ? code(d.sessionId) : undefined, true],
    [t('Model'), model],
    [t('Effort'), effort],
    [t('Write access'), d.write === undefined ? undefined : d.write ? t('yes') : t('no')],
    [t('Phase'), d.phase],
    [t('PID'), d.pid ? String(d.pid) : undefined],
    [t('Verified'), job.verification?.detail, true],
    [t('Thread'), d.threadId ? code(d.threadId) : undefined, true],
    [t('Turn'), d.turnId ? code(d.turnId) : undefined, true],
    [t('Created'), timeWithRelative(d.createdAt, now, t)],
    [t('Started'), timeWithRelative(d.startedAt, now, t)],
    [t('Updated'), timeWithRelative(d.updatedAt, now, t)],
    [t('Completed'), timeWithRelative(d.completedAt, now, t)],
    [t('Cancelled'), timeWithRelative(d.cancelledAt, now, t)],
    [isLive(job) ? t('Running for') : t('Ran for'), el !== undefined ? formatDuration(el) : undefined],
    [t('Index summary'), d.summary && d.summary !== job.record?.summary ? d.summary : undefined],
    [t('Error'), d.errorMessage],
  ];
  for (const [k, v, ours] of rows) if (v) md.appendMarkdown(`**${k}:** ${ours ? v : esc(v)}  \n`);
  if (job.index && job.record && job.index.status !== job.record.status) {
    md.appendMarkdown(
      `${t('**state.json says:** {0}, **record says:** {1}', code(job.index.status ?? '—'), code(job.record.status ?? '—'))}  \n`,
    );
  }
  featureTooltip(md, job);
  usageTooltip(md, job);
  if (job.flags.length) {
    md.appendMarkdown('\n');
    for (const f of job.flags) md.appendMarkdown(`$(warning) ${esc(t(flagText(f)))}  \n`);
  }
  md.appendMarkdown('\n');
  md.appendMarkdown(`**${t('Record')}:** ${code(job.recordPath)}${job.record ? '' : ` ${t('(missing)')}`}  \n`);
  md.appendMarkdown(
    `**${t('Log')}:** ${code(job.logPath)} ${job.log.exists ? `(${formatBytes(job.log.size)})` : t('(missing)')}  \n`,
  );
  if (job.archived)
    md.appendMarkdown(
      `**${t('Archived log')}:** ${code(job.archived.logPath)} (${formatBytes(job.archived.logBytes)})  \n`,
    );
  md.appendMarkdown(`**${t('State dir')}:** ${code(job.stateDir)}`);
  return md;
}

/** Escapes what would turn file-provided text into markup (emphasis, links, html, theme icons). */
function esc(s: string): string {
  return s.replace(/[\\`*_[\]<>|$]/g, (c) => `\\${c}`);
}

function code(s: string): string {
  return '`' + s.replace(/`/g, "'") + '`';
}

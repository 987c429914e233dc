// How one job looks in the tree: icon, label, description, tooltip and the context words menus match.
import * as vscode from 'vscode';
import type { DerivedStatus, Job } from '../core/types';
import { isVerifiedLive, needsAttention } from '../core/classify';
import { featureDescription, featureTooltip, featureWords } from './jobFeatures';
import { elapsedMs, FLAG_TEXT, formatBytes, formatDuration, kindLabelOf, STATUS_TEXT, titleOf } from '../core/format';

const ICONS: Record<DerivedStatus, [string, string | undefined]> = {
  running: ['sync~spin', undefined],
  queued: ['clock', undefined],
  stalled: ['watch', 'list.warningForeground'],
  stale: ['debug-disconnect', 'list.warningForeground'],
  'pid-reused': ['arrow-swap', 'list.errorForeground'],
  unverified: ['question', 'list.warningForeground'],
  completed: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', undefined],
  unknown: ['circle-outline', 'list.warningForeground'],
};

export function statusIcon(status: DerivedStatus): vscode.ThemeIcon {
  const [id, color] = ICONS[status];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

export function jobLabel(job: Job): string {
  return `${kindLabelOf(job)} · ${titleOf(job)}`;
}

export function jobDescription(job: Job, now: number): string {
  const parts: string[] = [];
  const phase = job.status === 'stale' || job.status === 'pid-reused' ? job.status : job.display.phase;
  if (phase) parts.push(phase);
  const el = elapsedMs(job, now);
  if (el !== undefined) parts.push(formatDuration(el));
  if (job.flags.includes('unindexed')) parts.push('unindexed');
  if (job.flags.includes('record-missing')) parts.push('record missing');
  if (job.archived) parts.push(job.archived.how);
  parts.push(...featureDescription(job));
  return parts.join(' · ');
}

/** Words for `viewItem =~ /\bword\b/` in package.json menus. */
export function jobContextValue(job: Job): string {
  const words = ['job', job.status];
  if (job.recordedStatus === 'queued' || job.recordedStatus === 'running') words.push('active');
  if (isVerifiedLive(job)) words.push('cancellable');
  if (job.log.exists || (job.archived?.logBytes ?? 0) > 0) words.push('hasLog');
  if (job.record) words.push('hasRecord');
  if (typeof job.display.rendered === 'string' && job.display.rendered.length > 0) words.push('hasResult');
  if (needsAttention(job)) words.push('attention');
  words.push(...job.flags);
  words.push(...featureWords(job));
  return words.join(' ');
}

export function jobTooltip(job: Job): vscode.MarkdownString {
  const d = job.display;
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${esc(jobLabel(job))}**  \n`);
  md.appendMarkdown(`${esc(STATUS_TEXT[job.status])}`);
  if (job.recordedStatus && job.recordedStatus !== job.status)
    md.appendMarkdown(` (recorded: \`${job.recordedStatus}\`)`);
  md.appendMarkdown('\n\n');
  const rows: [string, string | undefined][] = [
    ['Id', code(job.id)],
    ['Phase', d.phase],
    ['PID', d.pid ? String(d.pid) : undefined],
    ['Verified', job.verification?.detail],
    ['Thread', d.threadId ? code(d.threadId) : undefined],
    ['Turn', d.turnId ? code(d.turnId) : undefined],
    ['Created', d.createdAt],
    ['Started', d.startedAt],
    ['Updated', d.updatedAt],
    ['Completed', d.completedAt],
    ['Summary', d.summary],
    ['Error', d.errorMessage],
  ];
  // Our own sentences (the verification) carry code spans; text from the files is escaped.
  const ours = new Set(['Id', 'Thread', 'Turn', 'Verified']);
  for (const [k, v] of rows) if (v) md.appendMarkdown(`**${k}:** ${ours.has(k) ? v : esc(v)}  \n`);
  if (job.index && job.record && job.index.status !== job.record.status) {
    md.appendMarkdown(
      `**state.json says:** \`${job.index.status ?? '—'}\`, **record says:** \`${job.record.status ?? '—'}\`  \n`,
    );
  }
  featureTooltip(md, job);
  if (job.flags.length) {
    md.appendMarkdown('\n');
    for (const f of job.flags) md.appendMarkdown(`$(warning) ${esc(FLAG_TEXT[f] ?? f)}  \n`);
  }
  md.appendMarkdown('\n');
  md.appendMarkdown(`**Record:** ${code(job.recordPath)}${job.record ? '' : ' (missing)'}  \n`);
  md.appendMarkdown(
    `**Log:** ${code(job.logPath)}${job.log.exists ? ` (${formatBytes(job.log.size)})` : ' (missing)'}  \n`,
  );
  if (job.archived)
    md.appendMarkdown(`**Archived log:** ${code(job.archived.logPath)} (${formatBytes(job.archived.logBytes)})  \n`);
  md.appendMarkdown(`**State dir:** ${code(job.stateDir)}`);
  return md;
}

/** Escapes what would turn file-provided text into markup (emphasis, links, html, theme icons). */
function esc(s: string): string {
  return s.replace(/[\\`*_[\]<>|$]/g, (c) => `\\${c}`);
}

function code(s: string): string {
  return '`' + s.replace(/`/g, "'") + '`';
}

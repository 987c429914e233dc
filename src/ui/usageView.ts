// What each job spent and how much of the account's windows is used, in the editor: the ledger
// (core/usage) made once at activation, the tooltip's and Show Result's usage lines, and the settings.
import * as os from 'os';
import * as vscode from 'vscode';
import { codexHomes } from '../core/usage/codexHome';
import { UsageLedger } from '../core/usage/ledger';
import { usageLines } from '../core/usage/usageText';
import type { Logger } from '../core/vocab/emitter';
import type { Job, ProcessTable } from '../core/vocab/types';
import { SECTION, SETTINGS } from './ids';
import { t } from './l10n';

let shown: UsageLedger | undefined;

/** The ledger, following the model: made at activation, disposed with the extension. */
export function createUsageLedger(table: ProcessTable, logger: Logger): UsageLedger {
  const ledger = new UsageLedger({
    homes: () =>
      codexHomes({
        setting: vscode.workspace.getConfiguration(SECTION).get<string>(SETTINGS.codexHome, ''),
        env: process.env,
        homedir: os.homedir(),
        table,
      }),
    logger,
  });
  shown = ledger;
  return ledger;
}

export function usageWarnAtPercent(): number {
  const v = vscode.workspace.getConfiguration(SECTION).get<number>(SETTINGS.usageWarnAtPercent, 90);
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(100, Math.max(1, v)) : 90;
}

/** The tooltip's usage lines: the job's tokens, or why there are none (already worked out; never waits). */
export function usageTooltip(md: vscode.MarkdownString, job: Job): void {
  const u = shown?.usageOf(job);
  if (!u) return;
  md.appendMarkdown('\n');
  if (!u.usage) return void md.appendMarkdown(`$(dashboard) ${esc(t('No usage: {0}', u.reason))}  \n`);
  for (const line of usageLines(u.usage, t)) md.appendMarkdown(`$(dashboard) ${esc(line)}  \n`);
}

/** Show Result's usage section: worked out now if it was not yet. */
export async function usageSection(job: Job): Promise<string> {
  const u = shown && (shown.usageOf(job) ?? (await shown.usageFor(job).catch(() => undefined)));
  if (!u) return '';
  const body = u.usage ? usageLines(u.usage, t).map((l) => `- ${esc(l)}`) : [`_${esc(t('No usage: {0}', u.reason))}_`];
  return `\n## ${t('Usage')}\n\n${body.join('\n')}\n`;
}

/** Escapes what would turn text into markup (a path from a reason may hold anything). */
function esc(s: string): string {
  return s.replace(/[\\`*_[\]<>|$#]/g, (c) => `\\${c}`);
}

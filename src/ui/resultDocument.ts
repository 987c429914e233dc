// A job's final text (`rendered`), as a Markdown document.
import * as vscode from 'vscode';
import type { JobsModel } from '../core/model';
import { parseJobUri } from './jobUris';
import { jobLabel } from './jobTreeItem';
import { hasResult } from '../core/classify';
import { STATUS } from '../core/status';
import { localTime, parseTime } from '../core/format';
import { t } from './l10n';

export class ResultDocumentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly model: JobsModel) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    const ref = parseJobUri(this.model, uri);
    const job = ref && this.model.findJob(ref.stateDir, ref.id);
    if (!job) return t('This job is no longer known.');
    const d = job.display;
    const done = parseTime(d.completedAt);
    const head = `# ${jobLabel(job)}\n\n\`${job.id}\` · ${t(STATUS[job.status].word)}${done !== undefined ? ` · ${localTime(done)}` : ''}\n\n`;
    if (hasResult(job)) return head + d.rendered;
    if (d.errorMessage) return `${head}**${t('Error')}:** ${d.errorMessage}\n`;
    return `${head}_${t('No result recorded (yet).')}_\n`;
  }
}

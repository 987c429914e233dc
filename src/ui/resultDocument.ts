// A job's result as a Markdown document: structured for reviews (verdict, summary, findings linked
// to file:line, next steps), the final text and touched files for tasks (see resultView.ts).
import * as vscode from 'vscode';
import type { JobsModel } from '../core/model/model';
import { parseJobUri } from './jobUris';
import type { JobLookup } from './jobLookup';
import { jobLabel } from './jobTreeItem';
import { STATUS } from '../core/vocab/status';
import { localTime, parseTime } from '../core/vocab/format';
import { t } from './l10n';
import { renderResult } from './resultView';
import { findingRoot } from './findingNodes';
import { seriesOf } from './findingSeries';
import { usageSection } from './usageView';

export class ResultDocumentProvider implements vscode.TextDocumentContentProvider {
  constructor(
    private readonly model: JobsModel,
    private readonly jobs: JobLookup,
  ) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const ref = parseJobUri(this.jobs, uri);
    const job = ref && this.jobs.find(ref.stateDir, ref.id);
    if (!job) return t('This job is no longer known.');
    const done = parseTime(job.display.completedAt);
    const head = `# ${jobLabel(job)}\n\n\`${job.id}\` · ${t(STATUS[job.status].word)}${done !== undefined ? ` · ${localTime(done)}` : ''}\n`;
    const folder = this.model.folders.find((f) => f.snapshots.some((s) => s.stateDir === job.stateDir));
    const result = await renderResult(job, head, folder ? findingRoot(folder) : undefined, folder && seriesOf(folder));
    return result + (await usageSection(job));
  }
}

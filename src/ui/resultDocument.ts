// A job's final text (`rendered`), as a Markdown document.
import * as vscode from 'vscode';
import type { JobsModel } from '../core/model';
import { parseJobUri } from './jobUris';
import { jobLabel } from './jobTreeItem';

export class ResultDocumentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly model: JobsModel) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    const ref = parseJobUri(this.model, uri);
    const job = ref && this.model.findJob(ref.stateDir, ref.id);
    if (!job) return 'This job is no longer known.';
    const d = job.display;
    const head = `# ${jobLabel(job)}\n\n\`${job.id}\` · ${job.status}${d.completedAt ? ` · ${d.completedAt}` : ''}\n\n`;
    if (typeof d.rendered === 'string' && d.rendered.length > 0) return head + d.rendered;
    if (d.errorMessage) return `${head}**Error:** ${d.errorMessage}\n`;
    return `${head}_No result recorded (yet)._\n`;
  }
}

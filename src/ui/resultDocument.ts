// A job's result as a Markdown document: structured for reviews (verdict, summary, findings linked
// to file:line, next steps), the final text and touched files for tasks (see resultView.ts).
import * as vscode from 'vscode';
import type { JobsModel } from '../core/model';
import { parseJobUri } from './jobUris';
import { jobLabel } from './jobTreeItem';
import { renderResult } from './resultView';
import { findingRoot } from './findingNodes';

export class ResultDocumentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly model: JobsModel) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const ref = parseJobUri(this.model, uri);
    const job = ref && this.model.findJob(ref.stateDir, ref.id);
    if (!job) return 'This job is no longer known.';
    const d = job.display;
    const head = `# ${jobLabel(job)}\n\n\`${job.id}\` · ${job.status}${d.completedAt ? ` · ${d.completedAt}` : ''}\n`;
    const folder = this.model.folders.find((f) => f.snapshots.some((s) => s.stateDir === job.stateDir));
    return renderResult(job, head, folder ? findingRoot(folder) : undefined);
  }
}

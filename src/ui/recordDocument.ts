// The raw JSON the companion wrote for a job: its record, or its state.json entry when the record was deleted.
import * as vscode from 'vscode';
import { parseJobUri } from './jobUris';
import type { JobLookup } from './jobLookup';
import { t } from './l10n';

export class RecordDocumentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly jobs: JobLookup) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    const ref = parseJobUri(this.jobs, uri);
    const job = ref && this.jobs.find(ref.stateDir, ref.id);
    if (!job) return `// ${t('This job is no longer known.')}\n`;
    if (job.record) {
      const note = job.index
        ? ''
        : `// ${t('Not listed in state.json: this record is all that is left of it there.')}\n`;
      return `// ${job.recordPath}\n${note}${JSON.stringify(job.record.raw, null, 2)}\n`;
    }
    return `// ${t("{0} is missing; this is the job's entry in state.json.", job.recordPath)}\n${JSON.stringify(job.index?.raw ?? {}, null, 2)}\n`;
  }
}

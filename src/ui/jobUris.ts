// Virtual documents name a job by (state dir, id). A URI is only honoured for a state dir the model
// knows and a safe id, so a crafted link can never make us read an arbitrary file.
import * as vscode from 'vscode';
import type { JobLookup } from './jobLookup';
import { isSafeJobId } from '../core/io/reader';

export const LOG_SCHEME = 'codex-jobs-log';
export const RESULT_SCHEME = 'codex-jobs-result';
export const RECORD_SCHEME = 'codex-jobs-record';

const EXT: Record<string, string> = { [LOG_SCHEME]: '.log', [RESULT_SCHEME]: '.md', [RECORD_SCHEME]: '.jsonc' };

export function jobUri(scheme: string, ref: { stateDir: string; id: string }): vscode.Uri {
  return vscode.Uri.from({
    scheme,
    path: `/${ref.id}${EXT[scheme] ?? ''}`,
    query: new URLSearchParams({ dir: ref.stateDir }).toString(),
  });
}

export function parseJobUri(jobs: JobLookup, uri: vscode.Uri): { stateDir: string; id: string } | undefined {
  const stateDir = new URLSearchParams(uri.query).get('dir') ?? '';
  const ext = EXT[uri.scheme] ?? '';
  const base = uri.path.replace(/^\//, '');
  const id = ext && base.endsWith(ext) ? base.slice(0, -ext.length) : base;
  if (!isSafeJobId(id)) return undefined;
  return jobs.knows(stateDir) ? { stateDir, id } : undefined;
}

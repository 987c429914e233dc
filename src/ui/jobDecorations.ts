// A two-character age badge ("4m", "2h", "1d") at the right end of every job row. Tree rows cut the
// description first: at the default sidebar width (300 px) only the label fits, and the badge is what
// still says when a job ran. Decorations are keyed by a job's resource URI (scheme codex-jobs-job).
import * as vscode from 'vscode';
import type { JobsModel } from '../core/model/model';
import type { Job } from '../core/vocab/types';
import { ageBadge, relativeTime, startedMs } from '../core/vocab/format';
import type { OtherWorkspaces } from './otherWorkspaces';
import { t } from './l10n';

export const JOB_SCHEME = 'codex-jobs-job';

export function jobResourceUri(job: Pick<Job, 'stateDir' | 'id'>): vscode.Uri {
  return vscode.Uri.from({
    scheme: JOB_SCHEME,
    path: `/${job.id}`,
    query: new URLSearchParams({ dir: job.stateDir }).toString(),
  });
}

export class JobDecorations implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeFileDecorations = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly model: JobsModel,
    private readonly others?: OtherWorkspaces,
    private readonly now: () => number = Date.now,
  ) {
    this.subscriptions.push(
      vscode.window.registerFileDecorationProvider(this),
      model.onDidChange(() => this.changed.fire(undefined)),
    );
    if (others) this.subscriptions.push(others.onDidChange(() => this.changed.fire(undefined)));
  }

  /** Ages move on without any file changing: the view's tick asks for the badges again. */
  tick(): void {
    this.changed.fire(undefined);
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== JOB_SCHEME) return undefined;
    const dir = new URLSearchParams(uri.query).get('dir') ?? '';
    const id = uri.path.replace(/^\//, '');
    const job = this.model.findJob(dir, id) ?? this.others?.allJobs().find((j) => j.id === id && j.stateDir === dir);
    const start = job && startedMs(job);
    if (start === undefined) return undefined;
    const now = this.now();
    return new vscode.FileDecoration(ageBadge(start, now), t('started {0}', relativeTime(start, now, t)));
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}

// A two-character age badge ("4m", "2h", "1d") at the right end of every job row. Tree rows cut the
// description first: at the default sidebar width (300 px) only the label fits, and the badge is what
// still says when a job ran. Decorations are keyed by a job's resource URI (scheme codex-jobs-job).
import * as vscode from 'vscode';
import type { JobsModel } from '../core/model/model';
import type { Job } from '../core/vocab/types';
import { ageBadge, relativeTime, startedMs } from '../core/vocab/format';
import type { OtherWorkspaces } from './otherWorkspaces';
import { t } from './l10n';
import { Disposable } from '../core/vocab/lifecycle';

export const JOB_SCHEME = 'codex-jobs-job';

export function jobResourceUri(job: Pick<Job, 'stateDir' | 'id'>): vscode.Uri {
  return vscode.Uri.from({
    scheme: JOB_SCHEME,
    path: `/${job.id}`,
    query: new URLSearchParams({ dir: job.stateDir }).toString(),
  });
}

export class JobDecorations extends Disposable implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<undefined>());
  readonly onDidChangeFileDecorations = this.changed.event;

  constructor(
    private readonly model: JobsModel,
    private readonly others?: OtherWorkspaces,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this._register(vscode.window.registerFileDecorationProvider(this));
    this._register(model.onDidChange(() => this.changed.fire(undefined)));
    if (others) this._register(others.onDidChange(() => this.changed.fire(undefined)));
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
}

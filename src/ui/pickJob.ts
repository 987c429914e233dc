// Commands get a job from a tree item, from an item's own click, or (from the palette) by asking.
import * as vscode from 'vscode';
import type { JobsModel } from '../core/model/model';
import type { Job } from '../core/vocab/types';
import { rowText } from '../core/vocab/format';
import { statusIcon } from './jobTreeItem';
import { t } from './l10n';

function isJob(x: unknown): x is Job {
  return (
    !!x &&
    typeof x === 'object' &&
    typeof (x as Job).id === 'string' &&
    typeof (x as Job).stateDir === 'string' &&
    'display' in x
  );
}

/** The job an argument names, re-read from the model so a stale tree item never acts on old data. */
export async function resolveJob(
  model: JobsModel,
  arg: unknown,
  opts: { filter?: (j: Job) => boolean; placeHolder: string },
): Promise<Job | undefined> {
  const candidate = isJob(arg)
    ? arg
    : isJob((arg as { job?: unknown } | undefined)?.job)
      ? (arg as { job: Job }).job
      : undefined;
  if (candidate) return model.findJob(candidate.stateDir, candidate.id) ?? candidate;
  const jobs = model.allJobs().filter(opts.filter ?? (() => true));
  if (jobs.length === 0) {
    void vscode.window.showInformationMessage(t('Codex Jobs: no job to choose from.'));
    return undefined;
  }
  const now = Date.now();
  const picked = await vscode.window.showQuickPick(
    jobs.map((job) => {
      const row = rowText(job, now, t);
      return {
        // The icon as an icon, not "$(id)" text in the label, which a screen reader reads out.
        iconPath: statusIcon(job.status),
        label: row.label,
        description: row.description,
        detail: job.id,
        job,
      };
    }),
    { placeHolder: opts.placeHolder, matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.job;
}

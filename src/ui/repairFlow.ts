// The one way the editor changes a state dir's bookkeeping: a modal confirmation that says exactly
// what will be written, progress while both locks are held, and the outcome in words.
import * as vscode from 'vscode';
import type { RepairOptions, RepairResult } from '../core/actions/repair';
import type { Job } from '../core/vocab/types';
import type { CommandDeps } from './commandDeps';
import { resolveJob } from './pickJob';
import { jobLabel } from './jobTreeItem';
import { t } from './l10n';

export interface RepairSpec {
  /** The button and progress title, e.g. "Restore Job to Index". */
  action: string;
  placeHolder: string;
  applies: (job: Job) => boolean;
  /** What will be written, for the modal's detail. */
  detail: (job: Job) => string;
  run: (job: Job, o: RepairOptions) => Promise<RepairResult>;
}

/** Callers that already asked the user (or tests driving the command) pass `{ confirmed: true }`. */
export async function confirmAndRepair(
  deps: CommandDeps,
  spec: RepairSpec,
  arg: unknown,
  opts?: { confirmed?: boolean },
): Promise<RepairResult | undefined> {
  const job = await resolveJob(deps.model, arg, { placeHolder: spec.placeHolder, filter: spec.applies });
  if (!job) return undefined;
  if (!spec.applies(job)) {
    void vscode.window.showInformationMessage(
      t(
        'Codex Jobs: "{0}" does not apply to {1} any more ({2}).',
        spec.action,
        jobLabel(job),
        [job.status, ...job.flags].join(', '),
      ),
    );
    return undefined;
  }
  if (!opts?.confirmed) {
    const pick = await vscode.window.showWarningMessage(
      t('{0}: {1}?', spec.action, jobLabel(job)),
      { modal: true, detail: `${spec.detail(job)}\n\n${t('State dir: {0}', job.stateDir)}` },
      spec.action,
    );
    if (pick !== spec.action) return undefined;
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: t('{0}: {1}', spec.action, jobLabel(job)) },
    () => spec.run(job, { table: deps.table, archive: deps.archive, log: (m) => deps.output.info(m) }),
  );
  deps.output.info(
    `${spec.action} ${job.id}: ${result.ok ? 'done' : 'not done'}: ${result.message}${result.retries ? ` (redone ${result.retries}× after concurrent writes)` : ''}`,
  );
  if (result.ok) void vscode.window.showInformationMessage(t('Codex Jobs: {0}.', result.message));
  else void vscode.window.showWarningMessage(t('Codex Jobs: {0} did not happen: {1}', spec.action, result.message));
  deps.refresh.request('jobs', `${spec.action} ${job.id}`);
  return result;
}

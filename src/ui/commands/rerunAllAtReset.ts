import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { errorOf, isRerunnable } from '../jobFeatures';
import { registerTrustedCommand } from '../trustedCommand';
import { clock, usedNow } from '../../core/usage/usageText';
import { jobKey } from '../../core/vocab/keys';
import type { Job } from '../../core/vocab/types';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

/** The jobs that failed on the usage limit and can be started again. */
export function usageLimitedJobs(jobs: readonly Job[]): Job[] {
  return jobs.filter((j) => j.status === 'failed' && errorOf(j)?.kind === 'usage-limit' && isRerunnable(j));
}

/**
 * When the limit that stopped them resets: the latest reset their errors name, or the 5-hour
 * window's while the newest reading says it is full; now when neither is known or it has passed.
 */
export function resetTimeFor(jobs: readonly Job[], deps: Pick<CommandDeps, 'usage'>, now = Date.now()): number {
  let at = now;
  for (const j of jobs) at = Math.max(at, errorOf(j)?.resetAtMs ?? now);
  const p = deps.usage?.windows?.primary;
  if (p?.resetsAtMs !== undefined && usedNow(p, now) >= 100) at = Math.max(at, p.resetsAtMs);
  return at;
}

/**
 * Re-run All at Reset: every job that failed on the usage limit is re-run with its request (through
 * Re-run, one after another) once the window has reset, while this window is open.
 */
export function registerRerunAllAtReset(deps: CommandDeps): vscode.Disposable {
  return registerTrustedCommand(COMMANDS.rerunAllAtReset, t('starting jobs'), async () => {
    const jobs = usageLimitedJobs(deps.model.allJobs());
    if (!jobs.length) {
      void vscode.window.showInformationMessage(t('Codex Jobs: no job failed on the usage limit.'));
      return undefined;
    }
    const now = Date.now();
    const at = resetTimeFor(jobs, deps, now);
    const rerunAll = async () => {
      for (const j of jobs) {
        // The job as the model has it now (it may have been re-run by hand meanwhile: then it is left).
        const cur = deps.model.findJob(j.stateDir, j.id);
        if (cur && usageLimitedJobs([cur]).length) await vscode.commands.executeCommand(COMMANDS.rerunJob, cur);
      }
    };
    const ids = jobs.map((j) => j.id).join(', ');
    if (at <= now) {
      const go = t('Re-run Now');
      const pick = await vscode.window.showInformationMessage(
        t('Codex Jobs: the usage limit has reset. Re-run {0} job(s) now ({1})?', jobs.length, ids),
        { modal: true },
        go,
      );
      if (pick === go) await rerunAll();
      return 0;
    }
    deps.reminders.scheduleKey(`rerun-all:${jobs.map(jobKey).join('|')}`, at, () => void rerunAll());
    deps.output.info(`re-run at ${new Date(at).toISOString()}: ${ids}`);
    void vscode.window.showInformationMessage(
      t(
        'Codex Jobs: {0} job(s) will be re-run at {1}, when the window resets (while this window is open).',
        jobs.length,
        clock(at, now),
      ),
    );
    return at;
  });
}

// The one way brokers are ended from the editor: a dry run, a modal confirmation with counts,
// progress while reaping, and a summary. Used by "Reap Orphan Brokers" and "Stop Broker".
import * as vscode from 'vscode';
import { reap, type ReapPlan, type ReapSummary } from '../core/brokers/reaper';
import type { CommandDeps } from './commandDeps';
import { brokerLabel } from './brokersTree';
import { t } from './l10n';

export async function confirmAndReap(
  deps: CommandDeps,
  plan: ReapPlan,
  what: string,
): Promise<ReapSummary | undefined> {
  const live = plan.reap.filter((e) => e.class === 'orphan-live').length;
  const dead = plan.reap.length - live;
  if (plan.reap.length === 0) {
    void vscode.window.showInformationMessage(
      plan.skip.length
        ? t('Codex Jobs: no orphan brokers to reap ({0} left alone: in use, starting or not ours).', plan.skip.length)
        : t('Codex Jobs: no orphan brokers to reap.'),
    );
    return undefined;
  }
  deps.output.info(`dry run (${what}): ${plan.reap.length} to reap, ${plan.skip.length} left alone`);
  for (const e of plan.reap) deps.output.info(`  would reap ${brokerLabel(e)} (${e.class}): ${e.reason}`);
  for (const s of plan.skip) deps.output.info(`  would leave ${brokerLabel(s.entry)}: ${s.why}`);
  const detail = [
    live
      ? t(
          '{0} live orphan broker(s) will be asked to shut down, then sent SIGTERM, then SIGKILL (each re-verified first), with their app-server children.',
          live,
        )
      : '',
    dead ? t('{0} dead session dir(s) will have their broker.pid, broker.log and broker.sock removed.', dead) : '',
    plan.skip.length ? t('{0} left alone (in use, starting, or not ours).', plan.skip.length) : '',
  ]
    .filter(Boolean)
    .join('\n');
  const reapButton = t('Reap');
  const dryRun = t('Show Dry Run');
  const pick = await vscode.window.showWarningMessage(
    t('{0}: reap {1}?', what, plan.reap.length),
    { modal: true, detail },
    reapButton,
    dryRun,
  );
  if (pick === dryRun) {
    deps.output.show(true);
    return undefined;
  }
  if (pick !== reapButton) return undefined;
  const summary = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: t('Reaping orphan brokers'), cancellable: true },
    (progress, token) =>
      reap(plan, {
        table: deps.table,
        isCancelled: () => token.isCancellationRequested,
        onProgress: (done, total, e) =>
          progress.report({ message: `${done}/${total} ${brokerLabel(e)}`, increment: 100 / total }),
      }),
  );
  for (const o of summary.outcomes) deps.output.info(`${o.result}: ${brokerLabel(o.entry)}: ${o.detail}`);
  const text = t(
    'Codex Jobs: reaped {0}, already gone {1}, skipped {2}, failed {3} ({4} s).',
    summary.reaped,
    summary.alreadyGone,
    summary.skipped,
    summary.failed,
    (summary.ms / 1000).toFixed(1),
  );
  if (summary.failed)
    void vscode.window.showWarningMessage(text, t('Show Details')).then((c) => c && deps.output.show(true));
  else void vscode.window.showInformationMessage(text);
  void deps.refresh.now('brokers', 'after reaping');
  return summary;
}

// The one way brokers are ended from the editor: a dry run, a modal confirmation with counts,
// progress while reaping, and a summary. Used by "Reap Orphan Brokers" and "Stop Broker".
import * as vscode from 'vscode';
import { reap, type ReapPlan, type ReapSummary } from '../core/reaper';
import type { CommandDeps } from './commands/deps';
import { brokerLabel } from './brokersTree';

export async function confirmAndReap(
  deps: CommandDeps,
  plan: ReapPlan,
  what: string,
): Promise<ReapSummary | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Codex Jobs: stopping brokers needs a trusted workspace.');
    return undefined;
  }
  const live = plan.reap.filter((e) => e.class === 'orphan-live').length;
  const dead = plan.reap.length - live;
  if (plan.reap.length === 0) {
    void vscode.window.showInformationMessage(
      `Codex Jobs: no orphan brokers to reap${plan.skip.length ? ` (${plan.skip.length} left alone: in use, starting or not ours)` : ''}.`,
    );
    return undefined;
  }
  deps.output.info(`dry run (${what}): ${plan.reap.length} to reap, ${plan.skip.length} left alone`);
  for (const e of plan.reap) deps.output.info(`  would reap ${brokerLabel(e)} (${e.class}): ${e.reason}`);
  for (const s of plan.skip) deps.output.info(`  would leave ${brokerLabel(s.entry)}: ${s.why}`);
  const detail = [
    live
      ? `${live} live orphan broker${live === 1 ? '' : 's'} will be asked to shut down, then sent SIGTERM, then SIGKILL (each re-verified first), with their app-server children.`
      : '',
    dead
      ? `${dead} dead session dir${dead === 1 ? '' : 's'} will have their broker.pid, broker.log and broker.sock removed.`
      : '',
    plan.skip.length ? `${plan.skip.length} left alone (in use, starting, or not ours).` : '',
  ]
    .filter(Boolean)
    .join('\n');
  const pick = await vscode.window.showWarningMessage(
    `${what}: reap ${plan.reap.length}?`,
    { modal: true, detail },
    'Reap',
    'Show Dry Run',
  );
  if (pick === 'Show Dry Run') {
    deps.output.show(true);
    return undefined;
  }
  if (pick !== 'Reap') return undefined;
  const summary = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Reaping orphan brokers', cancellable: true },
    (progress, token) =>
      reap(plan, {
        table: deps.table,
        isCancelled: () => token.isCancellationRequested,
        onProgress: (done, total, e) =>
          progress.report({ message: `${done}/${total} ${brokerLabel(e)}`, increment: 100 / total }),
      }),
  );
  for (const o of summary.outcomes) deps.output.info(`${o.result}: ${brokerLabel(o.entry)}: ${o.detail}`);
  const text = `Codex Jobs: reaped ${summary.reaped}, already gone ${summary.alreadyGone}, skipped ${summary.skipped}, failed ${summary.failed} (${(summary.ms / 1000).toFixed(1)} s).`;
  if (summary.failed)
    void vscode.window.showWarningMessage(text, 'Show Details').then((c) => c && deps.output.show(true));
  else void vscode.window.showInformationMessage(text);
  void deps.brokers.rescan();
  return summary;
}

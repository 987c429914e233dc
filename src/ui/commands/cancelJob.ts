import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { resolveJob } from '../pickJob';
import { cancelJob } from '../../core/actions/cancel';
import { claimsActive } from '../../core/vocab/classify';
import { resolveLaunchEnvironment } from '../../core/discovery/companion';
import { defaultHostEnv } from '../../core/discovery/discovery';
import { launchSettings } from '../launchFlow';
import { jobLabel } from '../jobTreeItem';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

export function registerCancelJob(deps: CommandDeps): vscode.Disposable {
  return registerTrustedCommand(COMMANDS.cancelJob, t('cancelling jobs'), async (arg?: unknown) => {
    const job = await resolveJob(deps.model, arg, {
      placeHolder: t('Cancel which running Codex job?'),
      filter: claimsActive,
    });
    if (!job) return undefined;
    // The companion's own cancel is preferred when it can be found; otherwise the verified process is signalled.
    const env = await resolveLaunchEnvironment(defaultHostEnv(), launchSettings());
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: t('Cancelling {0}', jobLabel(job)) },
      () =>
        cancelJob(job, {
          table: deps.table,
          companion: env.ok ? env.companion.script : undefined,
          node: env.ok ? env.node.node : undefined,
          env: env.ok && env.pluginData.dir ? { ...process.env, CLAUDE_PLUGIN_DATA: env.pluginData.dir } : undefined,
          log: (m) => deps.output.info(m),
        }),
    );
    deps.output.info(`cancel ${job.id}: ${outcome.message}`);
    const text = t('Codex Jobs: {0}', outcome.message);
    if (outcome.refused.length) void vscode.window.showErrorMessage(text);
    else if (outcome.ok) void vscode.window.showInformationMessage(text);
    else void vscode.window.showWarningMessage(text);
    await deps.refresh.now('verify', `after cancelling ${job.id}`);
    return outcome;
  });
}

import * as os from 'os';
import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { resolveJob } from '../pickJob';
import { cancelJob } from '../../core/cancel';
import { resolveLaunchEnvironment } from '../../core/companion';
import { launchSettings } from '../launchFlow';
import { jobLabel } from '../jobTreeItem';

export function registerCancelJob(deps: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.cancelJob', async (arg?: unknown) => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Codex Jobs: cancelling jobs needs a trusted workspace.');
      return undefined;
    }
    const job = await resolveJob(deps.model, arg, {
      placeHolder: 'Cancel which running Codex job?',
      filter: (j) => j.recordedStatus === 'queued' || j.recordedStatus === 'running',
    });
    if (!job) return undefined;
    // The companion's own cancel is preferred when it can be found; otherwise the verified process is signalled.
    const env = await resolveLaunchEnvironment(
      { env: process.env, homedir: os.homedir(), tmpdir: os.tmpdir(), platform: process.platform },
      launchSettings(),
    );
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Cancelling ${jobLabel(job)}` },
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
    if (outcome.refused.length) void vscode.window.showErrorMessage(`Codex Jobs: ${outcome.message}`);
    else if (outcome.ok) void vscode.window.showInformationMessage(`Codex Jobs: ${outcome.message}`);
    else void vscode.window.showWarningMessage(`Codex Jobs: ${outcome.message}`);
    void deps.model.reverify();
    return outcome;
  });
}

import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { resolveJob } from '../pickJob';
import { runLaunch } from '../launchFlow';
import { rerunRequest } from '../../core/actions/resume';
import { folderPathOf, isRerunnable } from '../jobFeatures';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

/** Re-run: the same kind with the same request (prompt, write, model, effort, focus) from the record. */
export function registerRerunJob(deps: CommandDeps): vscode.Disposable {
  return registerTrustedCommand(
    COMMANDS.rerunJob,
    t('starting jobs'),
    async (arg?: unknown, given?: { prompt?: string; focus?: string }) => {
      const job = await resolveJob(deps.model, arg, {
        placeHolder: t('Re-run which finished Codex job?'),
        filter: isRerunnable,
      });
      if (!job) return undefined;
      const folder = folderPathOf(deps.model, job);
      const { fields, missing, why, rejected } = rerunRequest(job);
      // A record field refused as an argument: said with its field, record file and why; nothing starts.
      if (rejected) deps.output.warn(`re-run ${job.id} refused: ${why}`);
      if (!fields || !folder) {
        void vscode.window.showWarningMessage(
          t('Codex Jobs: cannot re-run {0}: {1}', job.id, why ?? t('its folder is not open')),
        );
        return undefined;
      }
      const req = { ...fields };
      if (missing.includes('prompt')) {
        const prompt =
          given?.prompt ??
          (await vscode.window.showInputBox({
            title: t('Re-run {0}', job.id),
            prompt: t(
              'Its record keeps no prompt (only the index summary, which the output replaces). What should Codex do?',
            ),
            value: job.display.summary ?? '',
            ignoreFocusOut: true,
          }));
        if (!prompt?.trim()) return undefined;
        req.prompt = prompt.trim();
      }
      if (missing.includes('focus')) {
        const focus =
          given?.focus ??
          (await vscode.window.showInputBox({
            title: t('Re-run {0}', job.id),
            prompt: t('The companion does not record an adversarial review’s focus. Focus (empty for none):'),
            ignoreFocusOut: true,
          }));
        if (focus === undefined) return undefined;
        req.focus = focus.trim() || undefined;
      }
      deps.output.info(`re-run ${job.id} as ${JSON.stringify(req)}`);
      return runLaunch(deps, folder, req);
    },
  );
}

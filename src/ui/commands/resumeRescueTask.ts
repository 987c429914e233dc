import * as vscode from 'vscode';
import type { CommandDeps } from '../commandDeps';
import { resolveJob } from '../pickJob';
import { launchEnvironment, runLaunch } from '../launchFlow';
import { canResume, describeResume, readResumeCandidate, resumeRequest } from '../../core/actions/resume';
import { folderPathOf } from '../jobFeatures';
import { registerTrustedCommand } from '../trustedCommand';
import { COMMANDS } from '../ids';
import { t } from '../l10n';

/**
 * Resume Rescue Task: asks the companion which thread `task --resume-last` will resume, says so,
 * then continues it (or sends a new prompt to it) under the launch lock like any launch.
 */
export function registerResumeRescueTask(deps: CommandDeps): vscode.Disposable {
  return registerTrustedCommand(
    COMMANDS.resumeRescueTask,
    t('starting jobs'),
    async (arg?: unknown, given?: { prompt?: string; confirmed?: boolean }) => {
      const job = await resolveJob(deps.model, arg, {
        placeHolder: t('Resume the thread of which finished rescue task?'),
        filter: canResume,
      });
      if (!job) return undefined;
      const folder = folderPathOf(deps.model, job);
      if (!folder) return undefined;
      // The record's model and effort are checked as arguments before anything is asked or started.
      const plan = resumeRequest(job);
      if (!plan.fields) {
        deps.output.warn(`resume ${job.id} refused: ${plan.why}`);
        void vscode.window.showWarningMessage(t('Codex Jobs: cannot resume {0}: {1}', job.id, plan.why ?? ''));
        return undefined;
      }
      const env = await launchEnvironment(deps);
      if (!env) return undefined;
      const c = await readResumeCandidate({
        companion: env.companion.script,
        node: env.node.node,
        cwd: folder,
        pluginData: env.pluginData.dir,
      });
      if (!c.ok) {
        void vscode.window.showErrorMessage(
          t('Codex Jobs: could not ask the companion what it would resume: {0}', c.message),
        );
        return undefined;
      }
      // The core's sentence names the thread and the job: said as it is.
      const said = describeResume(job, c.candidate);
      deps.output.info(`resume ${job.id}: ${said}`);
      if (!c.candidate.available) {
        void vscode.window.showWarningMessage(t('Codex Jobs: {0}', said));
        return undefined;
      }
      let prompt = given?.prompt;
      if (!given?.confirmed) {
        const pick = await vscode.window.showQuickPick(
          [
            { label: t('Continue'), description: t('Codex continues the thread where it left off'), prompt: false },
            {
              label: t('New prompt for this thread…'),
              description: t('Send Codex a follow-up in the same thread'),
              prompt: true,
            },
          ],
          { title: said, placeHolder: said, ignoreFocusOut: true },
        );
        if (!pick) return undefined;
        if (pick.prompt) {
          prompt = await vscode.window.showInputBox({
            title: said,
            prompt: t('What should Codex do next in this thread?'),
            ignoreFocusOut: true,
          });
          if (!prompt?.trim()) return undefined;
        }
      }
      return runLaunch(deps, folder, { ...plan.fields, prompt: prompt?.trim() || undefined });
    },
  );
}

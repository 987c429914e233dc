import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { resolveJob } from '../pickJob';
import { resumeCommand } from '../../core/resume';

export function registerCopyResumeCommand({ model }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.copyResumeCommand', async (arg?: unknown) => {
    const job = await resolveJob(model, arg, {
      placeHolder: 'Copy the resume command of which Codex job?',
      filter: (j) => !!resumeCommand(j),
    });
    const cmd = job && resumeCommand(job);
    if (!cmd) {
      if (job) void vscode.window.showInformationMessage(`Codex Jobs: ${job.id} names no Codex thread to resume.`);
      return undefined;
    }
    await vscode.env.clipboard.writeText(cmd);
    vscode.window.setStatusBarMessage(`Copied: ${cmd}`, 3000);
    return cmd;
  });
}

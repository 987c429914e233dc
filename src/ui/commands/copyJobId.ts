import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { resolveJob } from '../pickJob';

export function registerCopyJobId({ model }: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.copyJobId', async (arg?: unknown) => {
    const job = await resolveJob(model, arg, { placeHolder: 'Copy the id of which Codex job?' });
    if (!job) return undefined;
    await vscode.env.clipboard.writeText(job.id);
    vscode.window.setStatusBarMessage(`Copied ${job.id}`, 3000);
    return job.id;
  });
}

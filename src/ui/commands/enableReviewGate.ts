import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import type { LaunchArgs } from '../launchFlow';
import { runToggle } from '../reviewGateView';

export function registerEnableReviewGate(deps: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.enableReviewGate', (args?: LaunchArgs) =>
    runToggle(deps, true, args),
  );
}

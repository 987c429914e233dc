import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import type { LaunchArgs } from '../launchFlow';
import { runToggle } from '../reviewGateView';

export function registerDisableReviewGate(deps: CommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('codexJobs.disableReviewGate', (args?: LaunchArgs) =>
    runToggle(deps, false, args),
  );
}

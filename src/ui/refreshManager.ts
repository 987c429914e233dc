// The editor's refresh owner: the core's Refresher (src/core/model/refresher.ts, where the rules
// are) with the editor's targets. Its sources: watcher batches and the re-verify timer (through
// live.ts, which is given this owner), configuration and folder changes (extension.ts), commands'
// rescans and the Refresh command; what it runs: re-read the jobs, re-verify, scan brokers, and read
// All Workspaces (only while the Jobs view is shown).
import type * as vscode from 'vscode';
import { Refresher } from '../core/model/refresher';

/**
 * jobs: re-read the open folders' state dirs; verify: re-check the pids of running jobs;
 * brokers: scan broker session dirs and processes; others: the All Workspaces data.
 */
export type RefreshTarget = 'jobs' | 'verify' | 'brokers' | 'others';

export class RefreshManager extends Refresher<RefreshTarget> implements vscode.Disposable {}

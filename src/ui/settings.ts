// Reads the `codexJobs.*` settings into the core's terms.
import * as vscode from 'vscode';
import { DEFAULT_SETTINGS, type CoreSettings } from '../core/vocab/types';
import { SECTION, SETTINGS } from './ids';

export { SECTION };

export function readCoreSettings(): CoreSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const minutes = c.get<number>(SETTINGS.stalledAfterMinutes, DEFAULT_SETTINGS.stalledAfterMs / 60_000);
  const kb = c.get<number>(SETTINGS.logTailKilobytes, DEFAULT_SETTINGS.logTailBytes / 1024);
  return {
    extraRoots: (c.get<unknown[]>(SETTINGS.stateRoots, []) ?? []).filter((r): r is string => typeof r === 'string'),
    stalledAfterMs: clamp(minutes, 1, 24 * 60) * 60_000,
    logTailBytes: clamp(kb, 4, 1024) * 1024,
    progressLines: clamp(c.get<number>(SETTINGS.progressLines, DEFAULT_SETTINGS.progressLines), 0, 50),
  };
}

export function statusBarAlwaysShown(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>(SETTINGS.statusBarAlwaysShow, false);
}

function clamp(n: number | undefined, lo: number, hi: number): number {
  const v = typeof n === 'number' && Number.isFinite(n) ? n : lo;
  return Math.min(hi, Math.max(lo, v));
}

export function liveSettings(): { usePolling: boolean; reverifyIntervalMs: number } {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    usePolling: c.get<boolean>(SETTINGS.watchUsePolling, false),
    reverifyIntervalMs: clamp(c.get<number>(SETTINGS.reverifyIntervalSeconds, 2), 1, 60) * 1000,
  };
}

export function brokerSettings(): { graceMs: number; extraBrokerRoots: string[] } {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    graceMs: clamp(c.get<number>(SETTINGS.brokersGracePeriodSeconds, 30), 5, 3600) * 1000,
    extraBrokerRoots: (c.get<unknown[]>(SETTINGS.brokersExtraRoots, []) ?? []).filter(
      (r): r is string => typeof r === 'string' && r.startsWith('/'),
    ),
  };
}

export function archiveLimits(): { maxAgeMs: number; maxBytes: number; maxLogBytes: number } {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    maxAgeMs: clamp(c.get<number>(SETTINGS.archiveMaxAgeDays, 30), 1, 3650) * 24 * 3_600_000,
    maxBytes: clamp(c.get<number>(SETTINGS.archiveMaxSizeMB, 512), 16, 1024 * 1024) * 1024 * 1024,
    maxLogBytes: clamp(c.get<number>(SETTINGS.archiveMaxLogMB, 32), 1, 4096) * 1024 * 1024,
  };
}

/** The All Workspaces node in the Jobs view (off by default). */
export function showOtherWorkspaces(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>(SETTINGS.showAllWorkspaces, false);
}

export function notifyLevel(): 'off' | 'failures' | 'all' {
  return vscode.workspace.getConfiguration(SECTION).get<'off' | 'failures' | 'all'>(SETTINGS.notifications, 'failures');
}

/** The guardian (off by default): whether it runs, its grace period and settle time. */
export function guardianSettings(): { enabled: boolean; graceMs: number; settleMs: number } {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    enabled: c.get<boolean>(SETTINGS.guardianEnabled, false),
    graceMs: clamp(c.get<number>(SETTINGS.guardianGraceSeconds, 120), 10, 24 * 3600) * 1000,
    settleMs: clamp(c.get<number>(SETTINGS.guardianSettleMs, 2000), 200, 60_000),
  };
}

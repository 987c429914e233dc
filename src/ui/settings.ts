// Reads the `codexJobs.*` settings into the core's terms.
import * as vscode from 'vscode';
import { DEFAULT_SETTINGS, type CoreSettings } from '../core/types';

export const SECTION = 'codexJobs';

export function readCoreSettings(): CoreSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const minutes = c.get<number>('stalledAfterMinutes', DEFAULT_SETTINGS.stalledAfterMs / 60_000);
  const kb = c.get<number>('logTailKilobytes', DEFAULT_SETTINGS.logTailBytes / 1024);
  return {
    extraRoots: (c.get<unknown[]>('stateRoots', []) ?? []).filter((r): r is string => typeof r === 'string'),
    stalledAfterMs: clamp(minutes, 1, 24 * 60) * 60_000,
    logTailBytes: clamp(kb, 4, 1024) * 1024,
    progressLines: clamp(c.get<number>('progressLines', DEFAULT_SETTINGS.progressLines), 0, 50),
  };
}

export function statusBarAlwaysShown(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>('statusBar.alwaysShow', false);
}

function clamp(n: number | undefined, lo: number, hi: number): number {
  const v = typeof n === 'number' && Number.isFinite(n) ? n : lo;
  return Math.min(hi, Math.max(lo, v));
}

export function liveSettings(): { usePolling: boolean; reverifyIntervalMs: number } {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    usePolling: c.get<boolean>('watch.usePolling', false),
    reverifyIntervalMs: clamp(c.get<number>('reverifyIntervalSeconds', 2), 1, 60) * 1000,
  };
}

export function brokerSettings(): { graceMs: number; extraBrokerRoots: string[] } {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    graceMs: clamp(c.get<number>('brokers.gracePeriodSeconds', 30), 5, 3600) * 1000,
    extraBrokerRoots: (c.get<unknown[]>('brokers.extraRoots', []) ?? []).filter(
      (r): r is string => typeof r === 'string' && r.startsWith('/'),
    ),
  };
}

export function archiveLimits(): { maxAgeMs: number; maxBytes: number; maxLogBytes: number } {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    maxAgeMs: clamp(c.get<number>('archive.maxAgeDays', 30), 1, 3650) * 24 * 3_600_000,
    maxBytes: clamp(c.get<number>('archive.maxSizeMB', 512), 16, 1024 * 1024) * 1024 * 1024,
    maxLogBytes: clamp(c.get<number>('archive.maxLogMB', 32), 1, 4096) * 1024 * 1024,
  };
}

// `codex-jobs usage`: the account's 5-hour and weekly windows, from the newest reading in Codex's
// session files; and each job's usage for `status`. CODEX_HOME is learned as the editor learns it
// (the environment, live companion and broker processes, else ~/.codex).
import * as os from 'os';
import * as path from 'path';
import { codexHomes, type CodexHome } from '../../core/usage/codexHome';
import { UsageLedger } from '../../core/usage/ledger';
import type { AccountWindows, LimitWindow, UsageOutcome } from '../../core/usage/usageTypes';
import { clock, usedNow, windowName } from '../../core/usage/usageText';
import { relativeTime } from '../../core/vocab/format';
import { isoOf } from '../../core/vocab/dates';
import { mapLimit } from '../../core/vocab/async';
import { safeJson, safeLine } from '../../core/vocab/terminalText';
import type { Job } from '../../core/vocab/types';
import type { Args } from '../args';
import { processTable } from '../jobs';
import type { Output } from '../output';

function windowJson(w: LimitWindow | undefined, now: number) {
  if (!w) return null;
  return {
    usedPercent: w.usedPercent,
    usedPercentNow: usedNow(w, now),
    windowMinutes: w.windowMinutes ?? null,
    resetsAt: isoOf(w.resetsAtMs) ?? null,
  };
}

/** `usage --json`'s windows; fields may be added, never renamed or removed. */
export function windowsJson(w: AccountWindows, now: number) {
  return {
    asOf: isoOf(w.asOfMs) ?? null,
    ageSeconds: Math.max(0, Math.round((now - w.asOfMs) / 1000)),
    file: w.file,
    primary: windowJson(w.primary, now),
    secondary: windowJson(w.secondary, now),
    planType: w.planType ?? null,
    credits: w.credits ?? null,
  };
}

/** The usage of each job, worked out once (`status`): CODEX_HOME from the environment, else ~/.codex. */
export async function jobUsages(jobs: readonly Job[]): Promise<Map<Job, UsageOutcome>> {
  const homes = await codexHomes({ env: process.env, homedir: os.homedir() });
  const ledger = new UsageLedger({ homes: async () => homes });
  const out = new Map<Job, UsageOutcome>();
  await mapLimit(jobs, 4, async (j) => out.set(j, await ledger.usageFor(j)));
  ledger.dispose();
  return out;
}

const sessionsOf = (homes: CodexHome[]) => homes.map((h) => path.join(h.path, 'sessions')).join(', ');

export async function usageCommand(a: Args, io: Output): Promise<number> {
  const homes = await codexHomes({ env: process.env, homedir: os.homedir(), table: processTable() });
  const warnings: string[] = [];
  const ledger = new UsageLedger({
    homes: async () => homes,
    logger: { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
  });
  const w = await ledger.refreshWindows();
  ledger.dispose();
  const now = Date.now();
  const reason = w ? null : `no session file reports the account's windows under ${sessionsOf(homes)}`;
  if (a.json) {
    const body = { codexHomes: homes, windows: w ? windowsJson(w, now) : null, reason, warnings };
    await io.line(safeJson(body));
    return 0;
  }
  if (!w) await io.line(`Codex usage: ${safeLine(reason)}.`);
  else await io.line(windowsLines(w, now).join('\n'));
  for (const m of warnings) io.error(`warning: ${safeLine(m)}`);
  return 0;
}

function windowsLines(w: AccountWindows, now: number): string[] {
  const plan = w.planType ? `, plan ${safeLine(w.planType)}` : '';
  const lines = [`Codex usage as of ${clock(w.asOfMs, now)} (${relativeTime(w.asOfMs, now)})${plan}`];
  const row = (x: LimitWindow | undefined, fallback: string) => {
    if (!x) return;
    const used = `${Math.round(usedNow(x, now))} %`.padStart(5);
    const at = x.resetsAtMs;
    const reset = at === undefined ? '' : at <= now ? '  reset since the reading' : `  resets ${clock(at, now)}`;
    lines.push(`  ${windowName(x, fallback).padEnd(6)}${used}${reset}`);
  };
  row(w.primary, '5h');
  row(w.secondary, 'week');
  lines.push(`from ${safeLine(w.file)}`);
  return lines;
}

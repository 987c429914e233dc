// The account's windows: the newest rate_limits reported in any session file. The newest files of
// the two newest days are read at their ends (a few hundred KB each, a few files), bounded.
import { promises as fs } from 'fs';
import * as path from 'path';
import { openRegular, readAt } from '../io/safeFs';
import { isAccountReading, scanTokenLines } from './tokenEvents';
import { rolloutTimeOf, type SessionFiles } from './sessionFiles';
import type { AccountWindows, TokenEvent } from './usageTypes';

export const WINDOW_BOUNDS = {
  /** Day dirs looked at (today's and the one before it with sessions). */
  days: 2,
  /** Files whose mtime is looked at. */
  stats: 300,
  /** Files read at their end, newest first. */
  files: 6,
  /** Bytes of each file's end read per step, and in all. */
  step: 256 * 1024,
  perFile: 1024 * 1024,
} as const;

export function windowsOf(e: TokenEvent, file: string): AccountWindows | undefined {
  if (!isAccountReading(e) || e.atMs === undefined) return undefined;
  const l = e.limits!;
  return { asOfMs: e.atMs, file, primary: l.primary, secondary: l.secondary, planType: l.planType, credits: l.credits };
}

/** The newest account reading at the end of one file, or undefined. */
export async function lastReadingIn(file: string, root: string): Promise<AccountWindows | undefined> {
  const { fh, stats } = await openRegular(file, root);
  try {
    let end = stats.size;
    for (let read = 0; end > 0 && read < WINDOW_BOUNDS.perFile; read += WINDOW_BOUNDS.step) {
      const start = Math.max(0, end - WINDOW_BOUNDS.step);
      const buf = await readAt(fh, start, end - start, stats.size);
      const { events } = scanTokenLines(buf, start > 0, end === stats.size);
      for (let i = events.length - 1; i >= 0; i--) {
        const w = windowsOf(events[i], file);
        if (w) return w;
      }
      // The next step ends where this one's first whole line began.
      const nl = start > 0 ? buf.indexOf(0x0a) : -1;
      end = nl >= 0 ? start + nl + 1 : start;
    }
    return undefined;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** The newest reading among the newest session files of `files`' home. */
export async function latestWindows(files: SessionFiles): Promise<AccountWindows | undefined> {
  const candidates: { file: string; mtimeMs: number }[] = [];
  let days = 0;
  for await (const dir of files.dayDirsNewestFirst()) {
    if (days++ >= WINDOW_BOUNDS.days) break;
    const names = ((await files.list(dir)) ?? []).filter((n) => rolloutTimeOf(n) !== undefined);
    for (const n of names.slice(-WINDOW_BOUNDS.stats)) {
      const st = await fs.lstat(path.join(dir, n)).catch(() => undefined);
      if (st?.isFile()) candidates.push({ file: path.join(dir, n), mtimeMs: st.mtimeMs });
    }
  }
  candidates.sort((a, b) => b.mtimeMs - a.mtimeMs);
  let best: AccountWindows | undefined;
  for (const c of candidates.slice(0, WINDOW_BOUNDS.files)) {
    if (best && c.mtimeMs < best.asOfMs) break;
    const w = await lastReadingIn(c.file, files.home).catch(() => undefined);
    if (w && (!best || w.asOfMs > best.asOfMs)) best = w;
  }
  return best;
}

/** Other sessions that were written to during [fromMs, toMs]: the days it spans and the day before. */
export async function overlappingSessions(
  files: SessionFiles,
  ownFile: string,
  fromMs: number,
  toMs: number,
): Promise<number> {
  let n = 0;
  let stats = 0;
  const days = Math.min(4, Math.ceil((toMs - fromMs) / 86_400_000) + 2);
  for (let d = 0; d < days; d++) {
    const dir = files.dayDir(toMs - d * 86_400_000);
    for (const name of (await files.list(dir)) ?? []) {
      const file = path.join(dir, name);
      const born = rolloutTimeOf(name);
      if (file === ownFile || born === undefined || born > toMs || stats >= WINDOW_BOUNDS.stats) continue;
      stats++;
      const st = await fs.lstat(file).catch(() => undefined);
      if (st?.isFile() && st.mtimeMs >= fromMs) n++;
    }
  }
  return n;
}

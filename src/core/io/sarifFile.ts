// A review's SARIF log written to the file a person named: the one place outside the state dirs and
// the archive that Codex Jobs writes to, and only on that person's word. The file is replaced whole
// (a temp file beside it, then a rename: a reader never sees half a log, a hard link to it keeps the
// old bytes); a symbolic link, FIFO, directory or device at that name is refused, never followed or
// opened, and so is any name inside a state dir, a state root or the archive, however it is reached.
import { promises as fs } from 'fs';
import * as path from 'path';
import { isInside } from './findings';
import { fileTypeName, isSafeFsError, writeFileAtomic } from './safeFs';
import type { SarifLog } from './sarif';

export type SarifWrite =
  | { ok: true; path: string; bytes: number }
  | { ok: false; reason: 'invalid' | 'protected' | 'not-regular' | 'missing' | 'io'; message: string };

/** A file name for a job's SARIF log: only letters, digits, `.`, `_` and `-` of its id, never a path. */
export function sarifFileName(jobId: string): string {
  const safe = jobId
    .slice(0, 120)
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '');
  return `codex-review-${safe || 'job'}.sarif`;
}

async function realOr(p: string): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch {
    return path.resolve(p);
  }
}

/** The protected dir `file` lies in (by its name as given or by its real place), if any. */
async function protectedDirOf(file: string, real: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const d of dirs) {
    if (!d) continue;
    const given = path.resolve(d);
    if (isInside(given, file) || isInside(given, real)) return d;
    const realDir = await realOr(given);
    if (isInside(realDir, file) || isInside(realDir, real)) return d;
  }
  return undefined;
}

/**
 * Writes `log` as JSON to `target` (an absolute path). `protectedDirs`: the state dirs, state roots
 * and the archive, none of which is ever written here. The directory the person chose may be reached
 * through a link (theirs to name); the file itself may not be one. Reports what was read back.
 */
export function writeSarifFile(target: string, log: SarifLog, protectedDirs: readonly string[]): Promise<SarifWrite> {
  return writeOutputFile(target, `${JSON.stringify(log, null, 2)}\n`, protectedDirs);
}

/** Writes `data` to `target` as writeSarifFile does (the timeline's HTML export too), with the same refusals. */
export async function writeOutputFile(
  target: string,
  data: string,
  protectedDirs: readonly string[],
): Promise<SarifWrite> {
  if (!path.isAbsolute(target) || target.includes('\u0000') || !path.basename(target))
    return { ok: false, reason: 'invalid', message: `${target} is not an absolute file path.` };
  const dir = path.dirname(path.resolve(target));
  let realDir: string;
  try {
    realDir = await fs.realpath(dir);
  } catch {
    return { ok: false, reason: 'missing', message: `The folder ${dir} does not exist.` };
  }
  const file = path.join(realDir, path.basename(target));
  const inside = await protectedDirOf(path.resolve(target), file, protectedDirs);
  if (inside)
    return {
      ok: false,
      reason: 'protected',
      message: `${target} is inside ${inside}, which holds Codex's own files; choose a file elsewhere.`,
    };
  const before = await fs.lstat(file).catch(() => undefined);
  if (before && !before.isFile())
    return {
      ok: false,
      reason: 'not-regular',
      message: `${target} is a ${fileTypeName(before)}, not a regular file; nothing was written.`,
    };
  try {
    // Checked again as it is replaced: a link or FIFO put there since is refused all the same.
    await writeFileAtomic(file, data, realDir);
  } catch (err) {
    if (isSafeFsError(err, 'not-regular') || isSafeFsError(err, 'link'))
      return { ok: false, reason: 'not-regular', message: `${target}: ${err.what}; nothing was written.` };
    const why = isSafeFsError(err) ? err.what : String(err);
    return { ok: false, reason: 'io', message: `${target} could not be written: ${why}.` };
  }
  try {
    const st = await fs.lstat(file);
    if (!st.isFile())
      return { ok: false, reason: 'io', message: `${target} is a ${fileTypeName(st)} after the write; check it.` };
    return { ok: true, path: file, bytes: st.size };
  } catch (err) {
    return { ok: false, reason: 'io', message: `${target} could not be read back: ${String(err)}.` };
  }
}

// What the operating system says about pids, in one batch: /proc on Linux, one `ps` elsewhere on
// unix, one CIM query on Windows. Never throws: what cannot be known is `unknown` or `eperm`.
import { execFile } from 'child_process';
import { closeSync, openSync, promises as fs, readSync, statSync } from 'fs';
import type { ProcInfo, ProcessTable } from './types';

const validPid = (p: number) => Number.isInteger(p) && p > 0 && p < 2 ** 31;

function sameArgv(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Is `now` still the very process `snap` described (same command line and start time, not a pid reused since)? */
export function sameProcess(snap: ProcInfo, now: ProcInfo | undefined): boolean {
  return !!now && now.state === 'alive' && sameArgv(snap.argv, now.argv) && snap.startTimeMs === now.startTimeMs;
}

/**
 * `snap`'s process between its exit and becoming a zombie: its command line is already released,
 * its state still reads running. Not to be signalled, but not gone yet either.
 */
export function exitingProcess(snap: ProcInfo, now: ProcInfo | undefined): boolean {
  return (
    !!now &&
    now.state === 'alive' &&
    (now.argv?.length ?? 0) === 0 &&
    snap.startTimeMs !== undefined &&
    now.startTimeMs === snap.startTimeMs
  );
}

/** Waiting for `snap`'s process to end: it has not while it runs on or is still exiting. */
export function notYetEnded(snap: ProcInfo, now: ProcInfo | undefined): boolean {
  return sameProcess(snap, now) || exitingProcess(snap, now);
}

// ---------------------------------------------------------------- Linux

/** USER_HZ: 100 on every mainstream Linux; /proc start times are in these ticks. */
const CLK_TCK = 100;
const PAGE_SIZE = 4096;
let bootTimeMs: Promise<number | undefined> | undefined;

function bootTime(): Promise<number | undefined> {
  bootTimeMs ??= fs
    .readFile('/proc/stat', 'utf8')
    .then((s) => {
      const m = /^btime (\d+)$/m.exec(s);
      return m ? Number(m[1]) * 1000 : undefined;
    })
    .catch(() => undefined);
  return bootTimeMs;
}

/** Parses /proc/<pid>/stat; the command name is in parentheses and may itself contain ") ". */
export function parseProcStat(text: string, btimeMs: number | undefined): Partial<ProcInfo> | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  if (f.length < 22) return undefined;
  const ticks = Number(f[19]);
  return {
    state: f[0] === 'Z' || f[0] === 'X' ? 'zombie' : 'alive',
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    sid: Number(f[3]),
    startTimeMs: btimeMs !== undefined && Number.isFinite(ticks) ? btimeMs + (ticks * 1000) / CLK_TCK : undefined,
    rssBytes: Number(f[21]) * PAGE_SIZE,
  };
}

/**
 * Reads /proc synchronously on purpose: procfs is generated from kernel memory and never waits on a
 * disk, and a thread-pool round trip per file costs twenty times the read (200 pids: ~50 ms async
 * against ~3 ms here).
 */
const procBuf = Buffer.alloc(16 * 1024);

/** open + read + close: procfs reports size 0, so a sized read (readFileSync) costs extra calls. */
function readProc(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    let n = readSync(fd, procBuf, 0, procBuf.length, 0);
    if (n < procBuf.length) return Buffer.from(procBuf.subarray(0, n));
    const parts = [Buffer.from(procBuf)];
    let pos = n;
    while ((n = readSync(fd, procBuf, 0, procBuf.length, pos)) > 0) {
      parts.push(Buffer.from(procBuf.subarray(0, n)));
      pos += n;
    }
    return Buffer.concat(parts);
  } finally {
    closeSync(fd);
  }
}

function inspectLinux(pid: number, btimeMs: number | undefined, withUid: boolean): ProcInfo {
  const dir = `/proc/${pid}`;
  let statText: string;
  try {
    statText = readProc(`${dir}/stat`).toString('latin1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return { pid, state: 'gone' };
    if (code === 'EACCES' || code === 'EPERM') return { pid, state: 'eperm' };
    return { pid, state: 'unknown', error: code ?? String(err) };
  }
  const parsed = parseProcStat(statText, btimeMs);
  if (!parsed) return { pid, state: 'unknown', error: 'unparsable /proc stat' };
  const info: ProcInfo = { pid, ...parsed, state: parsed.state ?? 'alive' };
  try {
    const parts = readProc(`${dir}/cmdline`).toString('utf8').split('\0');
    if (parts.length && parts[parts.length - 1] === '') parts.pop();
    info.argv = parts;
    if (withUid) info.uid = statSync(dir).uid;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return { pid, state: 'gone' };
    if (code === 'EACCES' || code === 'EPERM') info.state = info.state === 'zombie' ? 'zombie' : 'eperm';
  }
  return info;
}

class LinuxProcessTable implements ProcessTable {
  async inspect(pids: readonly number[], withUid = false): Promise<Map<number, ProcInfo>> {
    const unique = [...new Set(pids.filter(validPid))];
    const btime = await bootTime();
    const infos = unique.map((p) => inspectLinux(p, btime, withUid));
    return new Map(infos.map((i) => [i.pid, i]));
  }

  async list(): Promise<ProcInfo[]> {
    let names: string[];
    try {
      names = await fs.readdir('/proc');
    } catch {
      return [];
    }
    const pids = names.filter((n) => /^\d+$/.test(n)).map(Number);
    return [...(await this.inspect(pids, true)).values()].filter((i) => i.state !== 'gone');
  }
}

// ---------------------------------------------------------------- other unix (macOS, BSD)

function run(
  cmd: string,
  args: string[],
  timeout = 10_000,
): Promise<{ stdout: string; code: number | null; error?: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, maxBuffer: 64 * 1024 * 1024, windowsHide: true }, (err, stdout) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
      resolve({
        stdout: String(stdout ?? ''),
        code: e ? (typeof e.code === 'number' ? e.code : -1) : 0,
        error: e ? String(e.message) : undefined,
      });
    });
  });
}

/** `ps -o pid=,ppid=,pgid=,uid=,rss=,stat=,lstart=,command=`: lstart is five words ("Mon Nov 24 00:53:37 2026"). */
export function parsePsLine(line: string): ProcInfo | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\w{3}\s+\w{3}\s+\d+\s+[\d:]+\s+\d{4})\s+(.*)$/.exec(
    line,
  );
  if (!m) return undefined;
  const start = Date.parse(m[7]);
  return {
    pid: Number(m[1]),
    ppid: Number(m[2]),
    pgid: Number(m[3]),
    uid: Number(m[4]),
    rssBytes: Number(m[5]) * 1024,
    state: m[6].startsWith('Z') ? 'zombie' : 'alive',
    startTimeMs: Number.isNaN(start) ? undefined : start,
    argv: m[8].split(/\s+/).filter(Boolean),
  };
}

class PsProcessTable implements ProcessTable {
  private async ps(args: string[]): Promise<ProcInfo[] | undefined> {
    const r = await run('ps', [...args, '-o', 'pid=,ppid=,pgid=,uid=,rss=,stat=,lstart=,command=']);
    if (r.error && !r.stdout) return r.code === 1 ? [] : undefined;
    return r.stdout
      .split('\n')
      .map(parsePsLine)
      .filter((x): x is ProcInfo => !!x);
  }

  async inspect(pids: readonly number[]): Promise<Map<number, ProcInfo>> {
    const unique = [...new Set(pids.filter(validPid))];
    const out = new Map<number, ProcInfo>();
    if (unique.length === 0) return out;
    const rows = await this.ps(['-p', unique.join(',')]);
    for (const p of unique)
      out.set(p, rows ? { pid: p, state: 'gone' } : { pid: p, state: 'unknown', error: 'ps failed' });
    for (const r of rows ?? []) if (out.has(r.pid)) out.set(r.pid, r);
    return out;
  }

  async list(): Promise<ProcInfo[]> {
    return (await this.ps(['-A'])) ?? [];
  }
}

// ---------------------------------------------------------------- Windows

class WindowsProcessTable implements ProcessTable {
  private async query(filter: string | undefined): Promise<ProcInfo[] | undefined> {
    const where = filter ? ` -Filter "${filter}"` : '';
    const script = `Get-CimInstance Win32_Process${where} | ForEach-Object { [pscustomobject]@{ p=$_.ProcessId; pp=$_.ParentProcessId; c=$_.CommandLine; t=$_.CreationDate.ToUniversalTime().ToString('o'); w=$_.WorkingSetSize } } | ConvertTo-Json -Compress`;
    const r = await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', script], 20_000);
    if (r.error && !r.stdout) return undefined;
    try {
      const data = r.stdout.trim() ? JSON.parse(r.stdout) : [];
      const rows: { p: number; pp: number; c: string | null; t: string; w: number }[] = Array.isArray(data)
        ? data
        : [data];
      return rows.map((x) => ({
        pid: x.p,
        ppid: x.pp,
        state: 'alive' as const,
        argv: x.c ? (x.c.match(/"[^"]*"|\S+/g) ?? []).map((a) => a.replace(/^"|"$/g, '')) : undefined,
        startTimeMs: Date.parse(x.t) || undefined,
        rssBytes: x.w,
      }));
    } catch {
      return undefined;
    }
  }

  async inspect(pids: readonly number[]): Promise<Map<number, ProcInfo>> {
    const unique = [...new Set(pids.filter(validPid))];
    const out = new Map<number, ProcInfo>();
    if (unique.length === 0) return out;
    const rows = await this.query(unique.map((p) => `ProcessId=${p}`).join(' OR '));
    for (const p of unique)
      out.set(p, rows ? { pid: p, state: 'gone' } : { pid: p, state: 'unknown', error: 'process query failed' });
    for (const r of rows ?? []) if (out.has(r.pid)) out.set(r.pid, r.argv ? r : { ...r, state: 'eperm' });
    return out;
  }

  async list(): Promise<ProcInfo[]> {
    return (await this.query(undefined)) ?? [];
  }
}

export function createProcessTable(platform: NodeJS.Platform = process.platform): ProcessTable {
  if (platform === 'linux') return new LinuxProcessTable();
  if (platform === 'win32') return new WindowsProcessTable();
  return new PsProcessTable();
}

// What the operating system says about pids, in one batch: /proc on Linux, one `ps` elsewhere on
// unix, one CIM query on Windows. Never throws: what cannot be known is `unknown` or `eperm`.
import { howItEnded, runChild } from './childProcess';
import { closeSync, openSync, promises as fs, readlinkSync, readSync, statSync } from 'fs';
import * as path from 'path';
import type { ProcInfo, ProcessTable } from '../vocab/types';
import { parseJsonBounded } from '../io/safeFs';

/** One unix socket as /proc/net/unix lists it ("Num RefCount Protocol Flags Type St Inode Path"). */
export interface UnixSocket {
  /** 00010000 is a listener. */
  flags: string;
  inode: string;
  /** The path it is bound to; empty for an unbound one, `@…` for an abstract one. */
  path: string;
}

/** The unix sockets open right now (Linux; none elsewhere, or when /proc cannot be read). */
export async function unixSockets(): Promise<UnixSocket[]> {
  const text = await fs.readFile('/proc/net/unix', 'utf8').catch(() => '');
  const out: UnixSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 8) out.push({ flags: f[3], inode: f[6], path: f.slice(7).join(' ') });
  }
  return out;
}

const validPid = (p: number) => Number.isInteger(p) && p > 0 && p < 2 ** 31;

function sameArgv(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Is `now` still the very process `snap` described (same command line and start time, not a pid
 * reused since)? Without a known start time nothing is the same process: a pid alone proves nothing.
 */
export function sameProcess(snap: ProcInfo, now: ProcInfo | undefined): boolean {
  return (
    !!now &&
    now.state === 'alive' &&
    sameArgv(snap.argv, now.argv) &&
    snap.startTimeMs !== undefined &&
    snap.startTimeMs === now.startTimeMs &&
    (snap.exe === undefined || now.exe === undefined || snap.exe === now.exe)
  );
}

/** A Node runtime's file name: node, nodejs, node20, node.exe (not a script that merely mentions node). */
const NODE_NAME = /^node(js)?(\d+(\.\d+)*)?(\.exe)?$/i;

/**
 * Is this process a Node runtime? Linux: its executable (/proc/<pid>/exe; a binary replaced since
 * it started reads " (deleted)"); elsewhere argv[0], the only evidence there is.
 */
export function isNodeRuntime(p: ProcInfo, platform: NodeJS.Platform = process.platform): boolean {
  const exe = p.exe?.replace(/ \(deleted\)$/, '');
  if (platform === 'linux') {
    if (!exe) return false;
    return NODE_NAME.test(path.basename(exe)) || exe === process.execPath;
  }
  const a0 = exe ?? p.argv?.[0];
  return !!a0 && NODE_NAME.test(path.basename(a0.replace(/\\/g, '/')));
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

export interface SystemConstants {
  /** USER_HZ: /proc start times are in these ticks. */
  clkTck: number;
  pageSize: number;
}

/** The fallbacks when getconf cannot be asked: right on every mainstream Linux. */
export const FALLBACK_CONSTANTS: SystemConstants = { clkTck: 100, pageSize: 4096 };
let constantsOnce: Promise<SystemConstants> | undefined;

/** The auxiliary vector's keys for the page size and clock ticks (elf.h: AT_PAGESZ, AT_CLKTCK). */
const AT_PAGESZ = 6;
const AT_CLKTCK = 17;
/** 64-bit Linux arches, whose auxiliary vector holds pairs of 8-byte words (others: 4-byte). */
const WIDE = new Set(['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64', 'mips64el']);

/**
 * CLK_TCK and PAGESIZE as the kernel handed them to this very process (/proc/self/auxv: what
 * getconf itself answers from), or undefined when it cannot be read or lacks either.
 */
export function constantsFromAuxv(auxv: Buffer, wide = WIDE.has(process.arch)): SystemConstants | undefined {
  const w = wide ? 8 : 4;
  const word = (at: number) => (wide ? Number(auxv.readBigUInt64LE(at)) : auxv.readUInt32LE(at));
  let clkTck: number | undefined;
  let pageSize: number | undefined;
  for (let at = 0; at + 2 * w <= auxv.length; at += 2 * w) {
    const key = word(at);
    if (key === 0) break; // AT_NULL ends the vector
    if (key === AT_CLKTCK) clkTck = word(at + w);
    else if (key === AT_PAGESZ) pageSize = word(at + w);
  }
  const ok = (n: number | undefined) => n !== undefined && Number.isInteger(n) && n > 0;
  return ok(clkTck) && ok(pageSize) ? { clkTck: clkTck!, pageSize: pageSize! } : undefined;
}

/**
 * CLK_TCK and PAGESIZE, asked once and cached: from /proc/self/auxv (no process started), else
 * `getconf CLK_TCK` and `getconf PAGESIZE`.
 */
export function systemConstants(): Promise<SystemConstants> {
  constantsOnce ??= (async () => {
    let auxv: Buffer | undefined;
    try {
      auxv = readProc('/proc/self/auxv');
    } catch {
      // No /proc: getconf answers.
    }
    return (auxv && constantsFromAuxv(auxv)) ?? getconfConstants();
  })();
  return constantsOnce;
}

async function getconfConstants(): Promise<SystemConstants> {
  const [t, p] = await Promise.all([run('getconf', ['CLK_TCK'], 5000), run('getconf', ['PAGESIZE'], 5000)]);
  const num = (s: string, fallback: number) => {
    const n = Number(s.trim());
    return Number.isInteger(n) && n > 0 ? n : fallback;
  };
  return {
    clkTck: t.code === 0 ? num(t.stdout, FALLBACK_CONSTANTS.clkTck) : FALLBACK_CONSTANTS.clkTck,
    pageSize: p.code === 0 ? num(p.stdout, FALLBACK_CONSTANTS.pageSize) : FALLBACK_CONSTANTS.pageSize,
  };
}

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
export function parseProcStat(
  text: string,
  btimeMs: number | undefined,
  k: SystemConstants = FALLBACK_CONSTANTS,
): Partial<ProcInfo> | undefined {
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
    startTimeMs: btimeMs !== undefined && Number.isFinite(ticks) ? btimeMs + (ticks * 1000) / k.clkTck : undefined,
    rssBytes: Number(f[21]) * k.pageSize,
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

function readLinkOrUndefined(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
}

function inspectLinux(pid: number, btimeMs: number | undefined, withUid: boolean, k: SystemConstants): ProcInfo {
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
  const parsed = parseProcStat(statText, btimeMs, k);
  if (!parsed) return { pid, state: 'unknown', error: 'unparsable /proc stat' };
  const info: ProcInfo = { pid, ...parsed, state: parsed.state ?? 'alive' };
  try {
    const parts = readProc(`${dir}/cmdline`).toString('utf8').split('\0');
    if (parts.length && parts[parts.length - 1] === '') parts.pop();
    info.argv = parts;
    if (withUid) info.uid = statSync(dir).uid;
    // Readable for our own processes only: what identity checks need (is it Node? where does it run?).
    info.exe = readLinkOrUndefined(`${dir}/exe`);
    info.cwd = readLinkOrUndefined(`${dir}/cwd`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return { pid, state: 'gone' };
    if (code === 'EACCES' || code === 'EPERM') info.state = info.state === 'zombie' ? 'zombie' : 'eperm';
  }
  return info;
}

/** Processes read per synchronous slice of a full listing: 500 processes hold the loop at most ~3 ms at a time. */
const LIST_SLICE = 32;

class LinuxProcessTable implements ProcessTable {
  async inspect(pids: readonly number[], withUid = false): Promise<Map<number, ProcInfo>> {
    const unique = [...new Set(pids.filter(validPid))];
    const [btime, k] = await Promise.all([bootTime(), systemConstants()]);
    const infos = unique.map((p) => inspectLinux(p, btime, withUid, k));
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
    // In slices, yielding between them: the reads are synchronous, and a machine with a thousand
    // processes would otherwise hold the (shared) extension host for tens of milliseconds at once.
    const out: ProcInfo[] = [];
    for (let i = 0; i < pids.length; i += LIST_SLICE) {
      if (i > 0) await new Promise((r) => setImmediate(r));
      for (const info of (await this.inspect(pids.slice(i, i + LIST_SLICE), true)).values())
        if (info.state !== 'gone') out.push(info);
    }
    return out;
  }
}

// ---------------------------------------------------------------- other unix (macOS, BSD)

async function run(
  cmd: string,
  args: string[],
  timeout = 10_000,
  env?: NodeJS.ProcessEnv,
): Promise<{ stdout: string; code: number | null; error?: string }> {
  // A listing cut short is no listing (a missing pid would read as gone): past the limit it fails.
  const o = await runChild(cmd, args, { timeoutMs: timeout, env, maxOutput: 64 * 1024 * 1024, overLimit: 'end' });
  const failed = o.startError !== undefined || o.ended !== undefined || o.code !== 0;
  return {
    stdout: o.stdout,
    code: !failed ? 0 : typeof o.code === 'number' ? o.code : -1,
    error: failed ? `${cmd} ${howItEnded(o, timeout)}` : undefined,
  };
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MON = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const PS_LINE = new RegExp(
  `^\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)\\s+(${DAY}\\s+${MON}\\s+\\d{1,2}\\s+\\d{1,2}:\\d{2}:\\d{2}\\s+\\d{4})(?:\\s+(.*))?$`,
);

/**
 * `ps -o pid=,ppid=,pgid=,uid=,rss=,stat=,lstart=,command=` under LC_ALL=C: lstart is five English
 * words ("Mon Nov 24 00:53:37 2026"). Anything else (another locale's names, a format we do not
 * know) is not parsed: undefined, and the caller must call that pid unverifiable, never gone.
 */
export function parsePsLine(line: string): ProcInfo | undefined {
  const m = PS_LINE.exec(line);
  if (!m) return undefined;
  const start = Date.parse(m[7].replace(/\s+/g, ' '));
  if (Number.isNaN(start)) return undefined;
  return {
    pid: Number(m[1]),
    ppid: Number(m[2]),
    pgid: Number(m[3]),
    uid: Number(m[4]),
    rssBytes: Number(m[5]) * 1024,
    state: m[6].startsWith('Z') ? 'zombie' : 'alive',
    startTimeMs: start,
    argv: (m[8] ?? '').split(/\s+/).filter(Boolean),
  };
}

/** The pid a ps line starts with, even when the rest does not parse. */
function leadingPid(line: string): number | undefined {
  const m = /^\s*(\d+)\s/.exec(line);
  return m ? Number(m[1]) : undefined;
}

export interface PsRows {
  rows: ProcInfo[];
  /** Pids whose lines did not parse; `all` when a line did not even start with a pid. */
  unparsed: Set<number> | 'all';
}

export function parsePsOutput(stdout: string): PsRows {
  const rows: ProcInfo[] = [];
  let unparsed: Set<number> | 'all' = new Set();
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const r = parsePsLine(line);
    if (r) {
      rows.push(r);
      continue;
    }
    const pid = leadingPid(line);
    if (pid === undefined) unparsed = 'all';
    else if (unparsed !== 'all') unparsed.add(pid);
  }
  return { rows, unparsed };
}

/**
 * `ps -E -ww -o command= -p <pid>` (macOS) / `ps eww -o command= -p <pid>` prints the command line
 * followed by the environment as `NAME=value` words. The command line is known from the table
 * (`argv`); what follows it is split where a word starts like a variable. Values holding a space
 * followed by `NAME=` are misread: only paths are taken from it, and a doubtful one is never trusted.
 */
export function parsePsEnvironment(line: string, argv: readonly string[]): Record<string, string> | undefined {
  let rest = line.replace(/^\s+/, '');
  for (const a of argv) {
    if (!rest.startsWith(a)) return undefined;
    rest = rest.slice(a.length).replace(/^\s+/, '');
  }
  const env: Record<string, string> = {};
  const re = /(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g;
  const starts: { name: string; at: number; value: number }[] = [];
  for (let m = re.exec(rest); m; m = re.exec(rest))
    starts.push({ name: m[1], at: m.index, value: m.index + m[0].length });
  if (starts.length && rest.slice(0, starts[0].at).trim()) return undefined;
  starts.forEach((s, i) => {
    const end = i + 1 < starts.length ? starts[i + 1].at : rest.length;
    env[s.name] ??= rest.slice(s.value, end).replace(/\s+$/, '');
  });
  return env;
}

const PS_ENV = { ...process.env, LC_ALL: 'C', LANG: 'C' };

export type PsRunner = (args: string[]) => Promise<{ stdout: string; code: number | null; error?: string }>;

export class PsProcessTable implements ProcessTable {
  constructor(private readonly runPs: PsRunner = (args) => run('ps', args, 10_000, PS_ENV)) {}

  private async ps(args: string[]): Promise<PsRows | undefined> {
    const r = await this.runPs([...args, '-o', 'pid=,ppid=,pgid=,uid=,rss=,stat=,lstart=,command=']);
    if (r.error && !r.stdout) return r.code === 1 ? { rows: [], unparsed: new Set() } : undefined;
    return parsePsOutput(r.stdout);
  }

  async inspect(pids: readonly number[]): Promise<Map<number, ProcInfo>> {
    const unique = [...new Set(pids.filter(validPid))];
    const out = new Map<number, ProcInfo>();
    if (unique.length === 0) return out;
    const r = await this.ps(['-p', unique.join(',')]);
    for (const p of unique) {
      const unparsed = r && (r.unparsed === 'all' || r.unparsed.has(p));
      out.set(
        p,
        r && !unparsed
          ? { pid: p, state: 'gone' }
          : { pid: p, state: 'unknown', error: r ? 'unverifiable: its ps line could not be parsed' : 'ps failed' },
      );
    }
    for (const row of r?.rows ?? []) if (out.has(row.pid)) out.set(row.pid, row);
    return out;
  }

  async list(): Promise<ProcInfo[]> {
    const r = await this.ps(['-A']);
    return r?.rows ?? [];
  }
}

// ---------------------------------------------------------------- Windows

/** Splits a Windows command line the way the C runtime does for the common cases (quotes, no escapes). */
export function splitWindowsCommandLine(c: string): string[] {
  return (c.match(/"[^"]*"|[^\s"]+(?:"[^"]*"[^\s"]*)*/g) ?? []).map((a) => a.replace(/"/g, ''));
}

/**
 * The JSON of `Get-CimInstance Win32_Process | ... | ConvertTo-Json -Compress`: one object when one
 * process matched, an array otherwise, empty output for none; CommandLine is null for processes we
 * may not read (then: eperm), CreationDate null for some system processes.
 */
export function parseCimJson(stdout: string): ProcInfo[] | undefined {
  let data: unknown;
  try {
    data = stdout.trim() ? parseJsonBounded(stdout).value : [];
  } catch {
    return undefined;
  }
  const rows = (Array.isArray(data) ? data : [data]) as Record<string, unknown>[];
  const out: ProcInfo[] = [];
  for (const x of rows) {
    if (!x || typeof x !== 'object' || typeof x.p !== 'number') continue;
    const t = typeof x.t === 'string' ? Date.parse(x.t) : NaN;
    const c = typeof x.c === 'string' ? x.c : undefined;
    out.push({
      pid: x.p,
      ppid: typeof x.pp === 'number' ? x.pp : undefined,
      state: c === undefined ? 'eperm' : 'alive',
      argv: c === undefined ? undefined : splitWindowsCommandLine(c),
      startTimeMs: Number.isNaN(t) ? undefined : t,
      rssBytes: typeof x.w === 'number' ? x.w : undefined,
      exe: typeof x.e === 'string' ? x.e : undefined,
    });
  }
  return out;
}

class WindowsProcessTable implements ProcessTable {
  private async query(filter: string | undefined): Promise<ProcInfo[] | undefined> {
    const where = filter ? ` -Filter "${filter}"` : '';
    const script = `Get-CimInstance Win32_Process${where} | ForEach-Object { [pscustomobject]@{ p=$_.ProcessId; pp=$_.ParentProcessId; c=$_.CommandLine; e=$_.ExecutablePath; t=if ($_.CreationDate) { $_.CreationDate.ToUniversalTime().ToString('o') } else { $null }; w=$_.WorkingSetSize } } | ConvertTo-Json -Compress`;
    const r = await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', script], 20_000);
    if (r.error && !r.stdout) return undefined;
    return parseCimJson(r.stdout);
  }

  async inspect(pids: readonly number[]): Promise<Map<number, ProcInfo>> {
    const unique = [...new Set(pids.filter(validPid))];
    const out = new Map<number, ProcInfo>();
    if (unique.length === 0) return out;
    const rows = await this.query(unique.map((p) => `ProcessId=${p}`).join(' OR '));
    for (const p of unique)
      out.set(p, rows ? { pid: p, state: 'gone' } : { pid: p, state: 'unknown', error: 'process query failed' });
    for (const r of rows ?? []) if (out.has(r.pid)) out.set(r.pid, r);
    return out;
  }

  async list(): Promise<ProcInfo[]> {
    return (await this.query(undefined)) ?? [];
  }
}

// ---------------------------------------------------------------- environments and working dirs

export type EnvironmentRead = { ok: true; env: Record<string, string> } | { ok: false; why: string };

/** /proc/<pid>/environ: NUL-separated NAME=value (the environment the process was started with). */
export function parseEnviron(buf: Buffer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of buf.toString('utf8').split('\0')) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] ??= kv.slice(eq + 1);
  }
  return env;
}

/**
 * The environment a process was started with, for `snap`'s process only (re-identified after the
 * read: a pid reused meanwhile gives nothing). Linux reads /proc; macOS/BSD ask ps; Windows cannot
 * read another process's environment without debugging it, so it says so.
 */
export async function readEnvironment(
  table: ProcessTable,
  snap: ProcInfo,
  platform: NodeJS.Platform = process.platform,
): Promise<EnvironmentRead> {
  let env: Record<string, string> | undefined;
  if (platform === 'linux') {
    try {
      env = parseEnviron(readProc(`/proc/${snap.pid}/environ`));
    } catch (err) {
      return { ok: false, why: `its environment could not be read (${(err as NodeJS.ErrnoException).code ?? err})` };
    }
  } else if (platform === 'win32') {
    return { ok: false, why: "Windows does not let one process read another's environment" };
  } else {
    const flag = platform === 'darwin' ? ['-E', '-ww'] : ['-ww', '-e'];
    const r = await run('ps', [...flag, '-o', 'command=', '-p', String(snap.pid)], 10_000, PS_ENV);
    const line = r.stdout.split('\n').find((l) => l.trim());
    env = line && snap.argv ? parsePsEnvironment(line, snap.argv) : undefined;
    if (!env) return { ok: false, why: 'its environment could not be read from ps' };
  }
  const again = (await table.inspect([snap.pid])).get(snap.pid);
  if (!sameProcess(snap, again)) return { ok: false, why: `pid ${snap.pid} changed while its environment was read` };
  return { ok: true, env };
}

export function createProcessTable(platform: NodeJS.Platform = process.platform): ProcessTable {
  if (platform === 'linux') return new LinuxProcessTable();
  if (platform === 'win32') return new WindowsProcessTable();
  return new PsProcessTable();
}

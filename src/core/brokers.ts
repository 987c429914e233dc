// Every app-server broker on this machine, classified by whether anything still uses it. A broker is
// identified by its command line naming exactly its session dir's socket or pid file, and by having
// started no earlier than that dir; anything else is never called ours.
import { promises as fs } from 'fs';
import * as path from 'path';
import type { ProcInfo, ProcessTable, ReadWarning, StateRoot } from './types';
import { enumerateStateDirs } from './discovery';
import { readBrokerFile } from './reader';
import { openRegular } from './safeFs';
import { START_TOLERANCE_MS } from './verify';

export type BrokerClass = 'in-use' | 'orphan-live' | 'starting' | 'dead' | 'foreign';

export const BROKER_FILES = ['broker.pid', 'broker.log', 'broker.sock'] as const;

export interface BrokerEntry {
  /** Stable key: the session dir, or `pid:<pid>` for a broker process with no dir. */
  key: string;
  dir?: string;
  pid?: number;
  class: BrokerClass;
  /** One sentence: why this class. */
  reason: string;
  ageMs?: number;
  endpoint?: string;
  /** State dirs whose broker.json names this broker. */
  referencedBy: string[];
  /** The verified broker process, when alive. */
  process?: ProcInfo;
  /** Its descendants (the `codex app-server` and below). */
  children: ProcInfo[];
  /** Broker plus descendants. */
  rssBytes?: number;
  /** Which of the known files the dir holds. */
  files: string[];
  /** The dir holds other files too: it is never removed. */
  otherFiles: string[];
}

export interface BrokerScan {
  entries: BrokerEntry[];
  warnings: ReadWarning[];
  scannedAtMs: number;
}

export interface BrokerScanOptions {
  /** Where `cxc-*` session dirs are made (the companion's os.tmpdir()). */
  tmpdir: string;
  extraBrokerRoots?: string[];
  /** Every state root: each of their state dirs' broker.json is a reference. */
  stateRoots: StateRoot[];
  graceMs: number;
  table: ProcessTable;
  uid?: number;
  now?: number;
  /** Only count dir-less broker processes whose session dir would lie under one of these. */
  dirlessWithin?: string[];
}

export interface BrokerCommand {
  script: string;
  endpoint?: string;
  pidFile?: string;
}

/** `node .../app-server-broker.mjs serve --endpoint E --cwd C --pid-file P`, from any plugin version. */
export function parseBrokerCommand(argv: readonly string[] | undefined): BrokerCommand | undefined {
  if (!argv) return undefined;
  const at = argv.findIndex((a) => path.basename(a.replace(/\\/g, '/')) === 'app-server-broker.mjs');
  if (at < 0 || argv[at + 1] !== 'serve') return undefined;
  const rest = argv.slice(at + 2);
  const opt = (name: string) => {
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === name) return rest[i + 1];
      if (rest[i].startsWith(`${name}=`)) return rest[i].slice(name.length + 1);
    }
    return undefined;
  };
  return { script: argv[at], endpoint: opt('--endpoint'), pidFile: opt('--pid-file') };
}

/** The broker of session dir `dir` is the one whose command names its socket or pid file exactly. */
export function isBrokerOf(cmd: BrokerCommand | undefined, dir: string): boolean {
  if (!cmd) return false;
  return cmd.endpoint === `unix:${path.join(dir, 'broker.sock')}` || cmd.pidFile === path.join(dir, 'broker.pid');
}

function sessionDirOf(b: { sessionDir?: string; pidFile?: string; endpoint?: string }): string | undefined {
  if (b.sessionDir) return path.normalize(b.sessionDir);
  if (b.pidFile) return path.dirname(b.pidFile);
  if (b.endpoint?.startsWith('unix:')) return path.dirname(b.endpoint.slice(5));
  return undefined;
}

async function readPidFile(file: string): Promise<{ pid?: number; warning?: string }> {
  try {
    const { fh } = await openRegular(file);
    try {
      const buf = Buffer.alloc(32);
      const { bytesRead } = await fh.read(buf, 0, 32, 0);
      const text = buf.subarray(0, bytesRead).toString('utf8').trim();
      if (bytesRead === 32 || !/^\d{1,10}$/.test(text)) return { warning: `${file} does not hold a pid` };
      const pid = Number(text);
      return pid > 1 ? { pid } : { warning: `${file} holds pid ${pid}` };
    } finally {
      await fh.close();
    }
  } catch {
    return {};
  }
}

function descendants(all: readonly ProcInfo[], pid: number): ProcInfo[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of all) if (p.ppid !== undefined) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: ProcInfo[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of byParent.get(queue.shift()!) ?? []) {
      if (out.includes(c)) continue;
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}

export async function scanBrokers(o: BrokerScanOptions): Promise<BrokerScan> {
  const now = o.now ?? Date.now();
  const uid = o.uid ?? process.getuid?.();
  const warnings: ReadWarning[] = [];

  // Who references what: every broker.json of every state dir, open workspace or not.
  const refs = new Map<string, string[]>();
  const refPids = new Map<number, string[]>();
  for (const sd of await enumerateStateDirs(o.stateRoots)) {
    const r = await readBrokerFile(path.join(sd.stateDir, 'broker.json'));
    warnings.push(...r.warnings);
    if (!r.value) continue;
    const dir = sessionDirOf(r.value);
    if (dir) refs.set(dir, [...(refs.get(dir) ?? []), sd.stateDir]);
    if (r.value.pid) refPids.set(r.value.pid, [...(refPids.get(r.value.pid) ?? []), sd.stateDir]);
  }

  const all = await o.table.list();
  const brokers = all.map((p) => ({ p, cmd: parseBrokerCommand(p.argv) })).filter((x) => x.cmd);
  const claimed = new Set<number>();
  const entries: BrokerEntry[] = [];
  const withFamily = (e: BrokerEntry, p: ProcInfo) => {
    e.process = p;
    e.pid = p.pid;
    e.children = descendants(all, p.pid);
    e.rssBytes = [p, ...e.children].reduce((n, x) => n + (x.rssBytes ?? 0), 0);
    e.ageMs = p.startTimeMs !== undefined ? now - p.startTimeMs : e.ageMs;
  };

  const roots = [o.tmpdir, ...(o.extraBrokerRoots ?? [])];
  for (const root of roots) {
    let names: string[];
    try {
      names = (await fs.readdir(root)).filter((n) => n.startsWith('cxc-'));
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = path.join(root, name);
      const e: BrokerEntry = {
        key: dir,
        dir,
        class: 'dead',
        reason: '',
        referencedBy: refs.get(dir) ?? [],
        children: [],
        files: [],
        otherFiles: [],
      };
      let st: import('fs').Stats;
      try {
        st = await fs.lstat(dir);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) {
        entries.push({ ...e, class: 'foreign', reason: 'a symbolic link; not followed' });
        continue;
      }
      if (!st.isDirectory()) continue;
      const created = st.birthtimeMs > 0 ? st.birthtimeMs : undefined;
      e.ageMs = now - (created ?? st.mtimeMs);
      if (uid !== undefined && st.uid !== uid) {
        entries.push({ ...e, class: 'foreign', reason: `owned by another user (uid ${st.uid})` });
        continue;
      }
      try {
        for (const f of await fs.readdir(dir))
          ((BROKER_FILES as readonly string[]).includes(f) ? e.files : e.otherFiles).push(f);
      } catch {
        // unreadable: treated as holding nothing we know
      }
      const pidFile = await readPidFile(path.join(dir, 'broker.pid'));
      if (pidFile.warning) warnings.push({ file: path.join(dir, 'broker.pid'), message: pidFile.warning });
      // The broker is the process whose command names this dir; the pid file only corroborates.
      const match = brokers.find(
        (b) =>
          isBrokerOf(b.cmd, dir) &&
          (created === undefined || (b.p.startTimeMs ?? Infinity) >= created - START_TOLERANCE_MS),
      );
      if (
        match &&
        match.p.state === 'alive' &&
        (match.p.uid === undefined || uid === undefined || match.p.uid === uid)
      ) {
        claimed.add(match.p.pid);
        withFamily(e, match.p);
        const referenced = e.referencedBy.length > 0 || (refPids.get(match.p.pid)?.length ?? 0) > 0;
        if (referenced)
          entries.push({
            ...e,
            class: 'in-use',
            reason: `named by ${e.referencedBy.length || 1} broker.json`,
            referencedBy: e.referencedBy.length ? e.referencedBy : refPids.get(match.p.pid)!,
          });
        else if ((e.ageMs ?? 0) < o.graceMs)
          entries.push({
            ...e,
            class: 'starting',
            reason: `unreferenced, but only ${Math.round((e.ageMs ?? 0) / 1000)} s old (a starting broker is named only once its socket answers)`,
          });
        else
          entries.push({ ...e, class: 'orphan-live', reason: 'running, but no broker.json of any workspace names it' });
        continue;
      }
      if (match) {
        entries.push({
          ...e,
          pid: match.p.pid,
          class: 'foreign',
          reason: `its broker process ${match.p.pid} belongs to another user`,
        });
        continue;
      }
      if (pidFile.pid !== undefined) {
        const info = (await o.table.inspect([pidFile.pid])).get(pidFile.pid);
        if (info && (info.state === 'alive' || info.state === 'eperm')) {
          const what = info.argv?.length
            ? `\`${info.argv
                .map((a) => path.basename(a))
                .join(' ')
                .slice(0, 80)}\``
            : 'not readable';
          entries.push({
            ...e,
            pid: pidFile.pid,
            class: 'foreign',
            reason: `pid ${pidFile.pid} from broker.pid is alive but is not this broker (${what}): never touched`,
          });
          continue;
        }
      }
      if ((e.ageMs ?? Infinity) < o.graceMs && e.referencedBy.length === 0) {
        entries.push({
          ...e,
          pid: pidFile.pid,
          class: 'starting',
          reason: 'no broker process yet, but the dir is new',
        });
        continue;
      }
      entries.push({
        ...e,
        pid: pidFile.pid,
        class: 'dead',
        reason: pidFile.pid ? `pid ${pidFile.pid} is gone; leftover files` : 'no broker process; leftover files',
      });
    }
  }

  // Broker processes whose dir is gone (or elsewhere): found by command line alone.
  for (const { p, cmd } of brokers) {
    if (claimed.has(p.pid) || p.state !== 'alive') continue;
    const dir = cmd!.endpoint?.startsWith('unix:')
      ? path.dirname(cmd!.endpoint.slice(5))
      : cmd!.pidFile
        ? path.dirname(cmd!.pidFile)
        : undefined;
    if (o.dirlessWithin && !(dir && o.dirlessWithin.some((w) => dir.startsWith(w + path.sep)))) continue;
    const e: BrokerEntry = {
      key: `pid:${p.pid}`,
      class: 'orphan-live',
      reason: '',
      referencedBy: (dir && refs.get(dir)) || refPids.get(p.pid) || [],
      children: [],
      files: [],
      otherFiles: [],
      endpoint: cmd!.endpoint,
    };
    withFamily(e, p);
    if (uid !== undefined && p.uid !== undefined && p.uid !== uid)
      entries.push({ ...e, class: 'foreign', reason: `a broker of another user (uid ${p.uid})` });
    else if (e.referencedBy.length) entries.push({ ...e, class: 'in-use', reason: 'named by a broker.json' });
    else if ((e.ageMs ?? 0) < o.graceMs) entries.push({ ...e, class: 'starting', reason: 'young and unreferenced' });
    else
      entries.push({
        ...e,
        reason: `running with no session dir${dir ? ` (${dir} is gone)` : ''}, and nothing names it`,
      });
  }
  return { entries, warnings, scannedAtMs: now };
}

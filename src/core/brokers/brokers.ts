// Every app-server broker this user runs, classified by whether anything still uses it. A process is
// a broker only when proved one: Node running an existing `.../scripts/app-server-broker.mjs` as
// argv[1], `serve` as argv[2], and an endpoint and pid file naming exactly one `cxc-*` session dir.
// Its session dir and its own workspace's state dir come from the broker itself (its argv, cwd and
// environment), wherever they are. When anything cannot be checked the class is `unknown`: never reaped.
import { promises as fs, type Stats } from 'fs';
import * as path from 'path';
import type { ProcInfo, ProcessTable, ReadWarning, StateRoot } from '../vocab/types';
import { enumerateStateDirs, resolveWorkspaceRoot, stateDirName } from '../discovery/discovery';
import { learnRoots, originText, stateRootOf, type LearnedProcess } from '../discovery/roots';
import { descendants } from '../os/terminate';
import { START_TOLERANCE_MS } from '../state/verify';

import {
  isJsonLimitError,
  isSafeFsError,
  openRealDir,
  parseJsonBounded,
  readBoundedText,
  READ_LIMITS,
} from '../io/safeFs';
import { isValidPid } from '../io/reader';

export type BrokerClass = 'in-use' | 'orphan-live' | 'unknown' | 'starting' | 'dead' | 'foreign';

export const BROKER_FILES = ['broker.pid', 'broker.log', 'broker.sock'] as const;

export interface BrokerEntry {
  /** Stable key: the session dir, or `pid:<pid>` for a broker process whose dir is gone. */
  key: string;
  dir?: string;
  /** The session dir's identity when scanned: the reaper removes files only from this very dir. */
  dirId?: { dev: number; ino: number };
  pid?: number;
  class: BrokerClass;
  /** One sentence: why this class. */
  reason: string;
  ageMs?: number;
  endpoint?: string;
  /** State dirs whose broker.json names this broker. */
  referencedBy: string[];
  /** The broker's own workspace state dir (from its --cwd and environment), when it could be computed. */
  ownStateDir?: string;
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
  /** Every state root whose broker.json files were read (configured and learned). */
  stateRoots: StateRoot[];
  /** Every dir searched for `cxc-*` session dirs, with where it was learned. */
  brokerRoots: { path: string; source: string }[];
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
  platform?: NodeJS.Platform;
  /** Learn more roots from live companion and broker processes (default true). */
  learnRoots?: boolean;
  /** Only report brokers and dirs that lie under one of these (tests: never a machine's real brokers). */
  dirlessWithin?: string[];
}

function sessionDirOf(b: { sessionDir?: string; pidFile?: string; endpoint?: string }): string | undefined {
  if (b.sessionDir) return path.normalize(b.sessionDir);
  if (b.pidFile) return path.dirname(b.pidFile);
  if (b.endpoint?.startsWith('unix:')) return path.dirname(b.endpoint.slice(5));
  return undefined;
}

async function readPidFile(file: string): Promise<{ pid?: number; warning?: string }> {
  try {
    const { text } = await readBoundedText(file, READ_LIMITS.pid, path.dirname(file));
    const t = text.trim();
    if (!/^\d{1,10}$/.test(t)) return { warning: `${file} does not hold a pid` };
    const pid = Number(t);
    return pid > 1 && isValidPid(pid) ? { pid } : { warning: `${file} holds pid ${pid}` };
  } catch (err) {
    if (isSafeFsError(err, 'missing')) return {};
    return { warning: (err as Error).message };
  }
}

interface BrokerJson {
  sessionDir?: string;
  pidFile?: string;
  endpoint?: string;
  pid?: number;
}

/** broker.json, never through a link: `missing`, the fields, or why it could not be read. */
async function readBrokerJson(file: string): Promise<{ missing: true } | { value: BrokerJson } | { error: string }> {
  let text: string;
  try {
    text = (await readBoundedText(file, READ_LIMITS.broker, path.dirname(file))).text;
  } catch (err) {
    if (isSafeFsError(err, 'missing')) return { missing: true };
    return { error: (err as Error).message };
  }
  try {
    // Deeper than any broker.json the companion writes: not read at all.
    const raw = parseJsonBounded(text, { deep: 'refuse' }).value as Record<string, unknown>;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { error: `${file} is not a JSON object` };
    const str = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : undefined);
    const pid = typeof raw.pid === 'number' && Number.isInteger(raw.pid) && raw.pid > 0 ? raw.pid : undefined;
    return { value: { sessionDir: str('sessionDir'), pidFile: str('pidFile'), endpoint: str('endpoint'), pid } };
  } catch (err) {
    if (isJsonLimitError(err)) return { error: `${file}: ${err.message}` };
    return { error: `${file} is not valid JSON (being written?)` };
  }
}

const idOf = (st: Stats) => `${st.dev}:${st.ino}`;

async function lstatOrError(p: string): Promise<Stats | NodeJS.ErrnoException> {
  try {
    return await fs.lstat(p);
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
}

const isErr = (x: Stats | NodeJS.ErrnoException): x is NodeJS.ErrnoException => x instanceof Error;

const under = (dir: string, roots: readonly string[] | undefined) =>
  !roots || roots.some((w) => dir === w || dir.startsWith(w + path.sep));

/** Paths of the unix sockets bound right now (/proc/net/unix: "Num RefCount Protocol Flags Type St Inode Path"). */
export async function boundSocketPaths(): Promise<Set<string>> {
  const out = new Set<string>();
  const text = await fs.readFile('/proc/net/unix', 'utf8').catch(() => '');
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 8 && f[7].startsWith('/')) out.add(f.slice(7).join(' '));
  }
  return out;
}

export async function scanBrokers(o: BrokerScanOptions): Promise<BrokerScan> {
  const now = o.now ?? Date.now();
  const uid = o.uid ?? process.getuid?.();
  const platform = o.platform ?? process.platform;
  const warnings: ReadWarning[] = [];

  const all = await o.table.list();
  // Every proved companion and broker, with its environment; with learnRoots off their roots are not searched.
  const learned = await learnRoots(o.table, all, { uid, platform });
  const brokerProcs = learned.processes.filter((x) => x.broker);
  if (o.learnRoots === false) {
    learned.stateRoots = [];
    learned.tmpRoots = [];
  }

  // Who references what: every broker.json of every state dir of every root, open workspace or not.
  const stateRoots: StateRoot[] = [...o.stateRoots];
  const rootSeen = new Set(stateRoots.map((r) => path.resolve(r.path)));
  const addRoot = (r: StateRoot) => {
    if (rootSeen.has(path.resolve(r.path))) return;
    rootSeen.add(path.resolve(r.path));
    stateRoots.push(r);
  };
  for (const r of learned.stateRoots) addRoot(r);
  for (const t of learned.tmpRoots)
    addRoot({
      path: path.join(t.path, 'codex-companion'),
      source: 'process',
      learnedFrom: originText(t.learnedFrom),
      origin: t.learnedFrom,
    });

  const refsByPath = new Map<string, string[]>();
  const refsById = new Map<string, string[]>();
  const refPids = new Map<number, string[]>();
  const push = <K>(m: Map<K, string[]>, k: K, v: string) => m.set(k, [...(m.get(k) ?? []), v]);
  const brokerJsonOf = new Map<string, Awaited<ReturnType<typeof readBrokerJson>>>();
  for (const sd of await enumerateStateDirs(stateRoots)) {
    const file = path.join(sd.stateDir, 'broker.json');
    const r = await readBrokerJson(file);
    brokerJsonOf.set(path.resolve(sd.stateDir), r);
    if ('error' in r) warnings.push({ file, message: r.error });
    if (!('value' in r)) continue;
    const dir = sessionDirOf(r.value);
    if (dir) {
      push(refsByPath, path.resolve(dir), sd.stateDir);
      const st = await lstatOrError(dir);
      if (!isErr(st) && st.isDirectory()) push(refsById, idOf(st), sd.stateDir);
    }
    if (r.value.pid) push(refPids, r.value.pid, sd.stateDir);
  }
  const refsOf = (dir: string, st: Stats | undefined) => [
    ...new Set([...(refsByPath.get(path.resolve(dir)) ?? []), ...((st && refsById.get(idOf(st))) ?? [])]),
  ];

  // Where session dirs are: the temp dirs given and learned, and wherever a proved broker's dir is.
  const brokerRoots: { path: string; source: string }[] = [];
  const brokerRootSeen = new Set<string>();
  const addBrokerRoot = (p: string, source: string) => {
    const k = path.resolve(p);
    if (brokerRootSeen.has(k)) return;
    brokerRootSeen.add(k);
    brokerRoots.push({ path: k, source });
  };
  addBrokerRoot(o.tmpdir, 'tmp');
  for (const r of o.extraBrokerRoots ?? []) addBrokerRoot(r, 'setting');
  for (const t of learned.tmpRoots) addBrokerRoot(t.path, originText(t.learnedFrom));
  for (const b of brokerProcs) addBrokerRoot(path.dirname(b.broker!.dir), `session dir of broker pid ${b.info.pid}`);

  const entries: BrokerEntry[] = [];
  const claimed = new Set<number>();
  const withFamily = (e: BrokerEntry, p: ProcInfo) => {
    e.process = p;
    e.pid = p.pid;
    e.children = descendants(all, p.pid);
    e.rssBytes = [p, ...e.children].reduce((n, x) => n + (x.rssBytes ?? 0), 0);
    e.ageMs = p.startTimeMs !== undefined ? now - p.startTimeMs : e.ageMs;
  };

  /** A live proved broker: in use, starting, an orphan only when its own state dir was read, else unknown. */
  const classifyLive = async (e: BrokerEntry, b: LearnedProcess): Promise<BrokerEntry> => {
    const p = b.info;
    withFamily(e, p);
    e.endpoint = b.broker!.endpoint;
    const referencedBy = e.referencedBy.length ? e.referencedBy : (refPids.get(p.pid) ?? []);
    if (referencedBy.length)
      return { ...e, class: 'in-use', reason: `named by ${referencedBy.length} broker.json`, referencedBy };
    if (p.startTimeMs === undefined)
      return { ...e, class: 'unknown', reason: 'its start time could not be read; never reaped' };
    if ((e.ageMs ?? 0) < o.graceMs)
      return {
        ...e,
        class: 'starting',
        reason: `unreferenced, but only ${Math.round((e.ageMs ?? 0) / 1000)} s old (a starting broker is named only once its socket answers)`,
      };
    // Its own workspace's state dir: from its environment and --cwd, as the companion computed it.
    const envRead = b.env;
    if (!envRead.ok) return { ...e, class: 'unknown', reason: `${envRead.why}; never reaped` };
    if (!b.broker!.cwd) return { ...e, class: 'unknown', reason: 'its command line names no --cwd; never reaped' };
    const root = stateRootOf(envRead.env, platform).root;
    const own = path.join(root, await stateDirName(await resolveWorkspaceRoot(b.broker!.cwd)));
    e.ownStateDir = own;
    const st = await lstatOrError(own);
    if (isErr(st) || !st.isDirectory() || st.isSymbolicLink())
      return {
        ...e,
        class: 'unknown',
        reason: `its own state dir ${own} ${isErr(st) ? (st.code === 'ENOENT' ? 'does not exist' : `cannot be read (${st.code})`) : 'is not a directory'}; never reaped`,
      };
    try {
      // Opened, not listed, and not through a link (it may have become one since the lstat).
      await (await openRealDir(own, root)).fh.close();
    } catch (err) {
      return {
        ...e,
        class: 'unknown',
        reason: `its own state dir ${own} cannot be read (${isSafeFsError(err) ? err.what : (err as NodeJS.ErrnoException).code}); never reaped`,
      };
    }
    const bj = brokerJsonOf.get(path.resolve(own)) ?? (await readBrokerJson(path.join(own, 'broker.json')));
    if ('error' in bj) return { ...e, class: 'unknown', reason: `${bj.error}; never reaped` };
    const mine = 'value' in bj && sessionDirOf(bj.value);
    if (mine && e.dir && path.resolve(mine) === path.resolve(e.dir))
      return { ...e, class: 'in-use', reason: 'named by its own broker.json', referencedBy: [own] };
    return {
      ...e,
      class: 'orphan-live',
      reason: `running, but neither its own state dir's broker.json (${'value' in bj ? `names ${mine || 'nothing'}` : 'absent'}) nor any other names it`,
    };
  };

  // Sockets some live process has bound (Linux): a dir whose broker.sock is one of them is not dead.
  const bound = platform === 'linux' ? await boundSocketPaths() : undefined;
  const scannedDirs = new Set<string>();
  for (const root of brokerRoots) {
    let names: string[];
    try {
      names = (await fs.readdir(root.path)).filter((n) => n.startsWith('cxc-'));
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = path.join(root.path, name);
      if (!under(dir, o.dirlessWithin)) continue;
      const st0 = await lstatOrError(dir);
      if (isErr(st0)) continue;
      if (scannedDirs.has(idOf(st0))) continue;
      scannedDirs.add(idOf(st0));
      const e: BrokerEntry = {
        key: dir,
        dir,
        class: 'dead',
        reason: '',
        referencedBy: refsOf(dir, st0.isDirectory() ? st0 : undefined),
        children: [],
        files: [],
        otherFiles: [],
      };
      if (st0.isSymbolicLink()) {
        entries.push({ ...e, class: 'foreign', reason: 'a symbolic link; not followed' });
        continue;
      }
      if (!st0.isDirectory()) continue;
      e.dirId = { dev: st0.dev, ino: st0.ino };
      const created = st0.birthtimeMs > 0 ? st0.birthtimeMs : undefined;
      e.ageMs = now - (created ?? st0.mtimeMs);
      if (uid !== undefined && st0.uid !== uid) {
        entries.push({ ...e, class: 'foreign', reason: `owned by another user (uid ${st0.uid})` });
        continue;
      }
      let listed = true;
      try {
        // Listed through the directory opened without following a link: never a dir swapped in since.
        const { fh, listPath } = await openRealDir(dir, root.path);
        try {
          for (const f of await fs.readdir(listPath))
            ((BROKER_FILES as readonly string[]).includes(f) ? e.files : e.otherFiles).push(f);
        } finally {
          await fh.close().catch(() => undefined);
        }
      } catch {
        listed = false;
      }
      const pidFile = await readPidFile(path.join(dir, 'broker.pid'));
      if (pidFile.warning) warnings.push({ file: path.join(dir, 'broker.pid'), message: pidFile.warning });
      // The broker is the proved process whose command names this very dir (by identity, not spelling).
      let match: LearnedProcess | undefined;
      for (const b of brokerProcs) {
        if (b.broker!.dir !== dir) {
          const bst = await lstatOrError(b.broker!.dir);
          if (isErr(bst) || idOf(bst) !== idOf(st0)) continue;
        }
        if (created !== undefined && (b.info.startTimeMs ?? Infinity) < created - START_TOLERANCE_MS) continue;
        match = b;
        break;
      }
      if (match) {
        claimed.add(match.info.pid);
        if (uid !== undefined && match.info.uid !== undefined && match.info.uid !== uid) {
          entries.push({
            ...e,
            pid: match.info.pid,
            class: 'foreign',
            reason: `its broker process ${match.info.pid} belongs to another user`,
          });
          continue;
        }
        entries.push(await classifyLive(e, match));
        continue;
      }
      if (!listed) {
        entries.push({ ...e, class: 'unknown', reason: 'its contents cannot be read; never touched' });
        continue;
      }
      // A live process that names this dir but is not a proved broker: the dir is not dead.
      const namer = all.find(
        (p) =>
          p.state !== 'gone' &&
          p.pid !== process.pid &&
          (p.argv ?? []).some((a) => a.includes(dir) || a.includes(name + path.sep) || a.includes(`${name}-codex`)),
      );
      if (namer) {
        entries.push({
          ...e,
          pid: namer.pid,
          class: 'unknown',
          reason: `pid ${namer.pid} names this dir but is not a proved broker; never touched`,
        });
        continue;
      }
      if (bound?.has(path.join(dir, 'broker.sock'))) {
        entries.push({
          ...e,
          pid: pidFile.pid,
          class: 'unknown',
          reason: 'its broker.sock is bound by a live process that is not a proved broker; never touched',
        });
        continue;
      }
      if (pidFile.pid !== undefined) {
        const info = (await o.table.inspect([pidFile.pid])).get(pidFile.pid);
        if (!info || info.state !== 'gone') {
          const what = info?.argv?.length
            ? `\`${info.argv
                .map((a) => path.basename(a))
                .join(' ')
                .slice(0, 80)}\``
            : info?.state === 'zombie'
              ? 'a zombie'
              : 'not readable';
          if (info?.state !== 'zombie') {
            entries.push({
              ...e,
              pid: pidFile.pid,
              class: 'foreign',
              reason: `pid ${pidFile.pid} from broker.pid is alive but is not this broker (${what}): never touched`,
            });
            continue;
          }
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

  // Proved brokers whose session dir was not among those scanned: gone (checked), or somewhere odd.
  for (const b of brokerProcs) {
    const p = b.info;
    if (claimed.has(p.pid) || !under(b.broker!.dir, o.dirlessWithin)) continue;
    const dir = b.broker!.dir;
    const e: BrokerEntry = {
      key: `pid:${p.pid}`,
      class: 'unknown',
      reason: '',
      referencedBy: refsOf(dir, undefined),
      children: [],
      files: [],
      otherFiles: [],
      endpoint: b.broker!.endpoint,
    };
    if (uid !== undefined && p.uid !== undefined && p.uid !== uid) {
      withFamily(e, p);
      entries.push({ ...e, class: 'foreign', reason: `a broker of another user (uid ${p.uid})` });
      continue;
    }
    const st = await lstatOrError(dir);
    if (!isErr(st) || st.code !== 'ENOENT') {
      withFamily(e, p);
      entries.push({
        ...e,
        reason: `its session dir ${dir} ${isErr(st) ? `cannot be checked (${st.code})` : 'is not a plain dir of a scanned temp dir'}; never reaped`,
      });
      continue;
    }
    const c = await classifyLive(e, b);
    entries.push(
      c.class === 'orphan-live'
        ? { ...c, reason: `running with no session dir (${dir} checked: gone), and nothing names it` }
        : c,
    );
  }
  return { entries, warnings, stateRoots, brokerRoots, scannedAtMs: now };
}

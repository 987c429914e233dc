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
import { unixSockets } from '../os/processes';

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
  return new Set((await unixSockets()).filter((s) => s.path.startsWith('/')).map((s) => s.path));
}

/** Who names which broker: every state dir's broker.json, by the session dir's path and identity, and by pid. */
interface References {
  byPath: Map<string, string[]>;
  byId: Map<string, string[]>;
  pids: Map<number, string[]>;
  /** Each state dir's broker.json as read, by resolved state dir. */
  brokerJsonOf: Map<string, Awaited<ReturnType<typeof readBrokerJson>>>;
}

/** What one scan knows before it opens any session dir. */
interface ScanContext {
  o: BrokerScanOptions;
  now: number;
  uid: number | undefined;
  platform: NodeJS.Platform;
  /** The whole process table. */
  all: ProcInfo[];
  /** Every proved broker process. */
  brokerProcs: LearnedProcess[];
  refs: References;
  /** Sockets some live process has bound (Linux only). */
  bound: Set<string> | undefined;
}

/** What scanning one session dir gives: its entry (none when it is not a dir), a broker.pid warning, the broker it claims. */
type DirResult = { entry?: BrokerEntry; warning?: ReadWarning; claimed?: number };

/** The state roots given, then those learned from processes (as roots, and as temp dirs' codex-companion). */
function allStateRoots(o: BrokerScanOptions, learned: Awaited<ReturnType<typeof learnRoots>>): StateRoot[] {
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
  return stateRoots;
}

/** Every broker.json of every state dir of every root, open workspace or not; warnings for those unreadable. */
async function readReferences(stateRoots: StateRoot[]): Promise<{ refs: References; warnings: ReadWarning[] }> {
  const warnings: ReadWarning[] = [];
  const refs: References = { byPath: new Map(), byId: new Map(), pids: new Map(), brokerJsonOf: new Map() };
  const push = <K>(m: Map<K, string[]>, k: K, v: string) => m.set(k, [...(m.get(k) ?? []), v]);
  for (const sd of await enumerateStateDirs(stateRoots)) {
    const file = path.join(sd.stateDir, 'broker.json');
    const r = await readBrokerJson(file);
    refs.brokerJsonOf.set(path.resolve(sd.stateDir), r);
    if ('error' in r) warnings.push({ file, message: r.error });
    if (!('value' in r)) continue;
    const dir = sessionDirOf(r.value);
    if (dir) {
      push(refs.byPath, path.resolve(dir), sd.stateDir);
      const st = await lstatOrError(dir);
      if (!isErr(st) && st.isDirectory()) push(refs.byId, idOf(st), sd.stateDir);
    }
    if (r.value.pid) push(refs.pids, r.value.pid, sd.stateDir);
  }
  return { refs, warnings };
}

/** State dirs whose broker.json names this session dir, by path or (when it is a dir) by identity. */
const refsOf = (refs: References, dir: string, st: Stats | undefined) => [
  ...new Set([...(refs.byPath.get(path.resolve(dir)) ?? []), ...((st && refs.byId.get(idOf(st))) ?? [])]),
];

/** Where session dirs are: the temp dirs given and learned, and wherever a proved broker's dir is. */
function allBrokerRoots(
  o: BrokerScanOptions,
  learned: Awaited<ReturnType<typeof learnRoots>>,
  brokerProcs: LearnedProcess[],
): { path: string; source: string }[] {
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
  return brokerRoots;
}

/** The entry with its process, the process's descendants, their memory and the process's age. */
const withFamily = (ctx: ScanContext, e: BrokerEntry, p: ProcInfo): BrokerEntry => {
  const children = descendants(ctx.all, p.pid);
  return {
    ...e,
    process: p,
    pid: p.pid,
    children,
    rssBytes: [p, ...children].reduce((n, x) => n + (x.rssBytes ?? 0), 0),
    ageMs: p.startTimeMs !== undefined ? ctx.now - p.startTimeMs : e.ageMs,
  };
};

/** A live proved broker: in use, starting, an orphan only when its own state dir was read, else unknown. */
async function classifyLive(ctx: ScanContext, entry: BrokerEntry, b: LearnedProcess): Promise<BrokerEntry> {
  const p = b.info;
  const e = { ...withFamily(ctx, entry, p), endpoint: b.broker!.endpoint };
  const referencedBy = e.referencedBy.length ? e.referencedBy : (ctx.refs.pids.get(p.pid) ?? []);
  if (referencedBy.length)
    return { ...e, class: 'in-use', reason: `named by ${referencedBy.length} broker.json`, referencedBy };
  if (p.startTimeMs === undefined)
    return { ...e, class: 'unknown', reason: 'its start time could not be read; never reaped' };
  if ((e.ageMs ?? 0) < ctx.o.graceMs)
    return {
      ...e,
      class: 'starting',
      reason: `unreferenced, but only ${Math.round((e.ageMs ?? 0) / 1000)} s old (a starting broker is named only once its socket answers)`,
    };
  // Its own workspace's state dir: from its environment and --cwd, as the companion computed it.
  const envRead = b.env;
  if (!envRead.ok) return { ...e, class: 'unknown', reason: `${envRead.why}; never reaped` };
  if (!b.broker!.cwd) return { ...e, class: 'unknown', reason: 'its command line names no --cwd; never reaped' };
  const root = stateRootOf(envRead.env, ctx.platform).root;
  const own = path.join(root, await stateDirName(await resolveWorkspaceRoot(b.broker!.cwd)));
  return classifyByOwnStateDir(ctx, { ...e, ownStateDir: own }, own, root);
}

/** The last step for a live, unreferenced, old enough broker: does its own state dir's broker.json name it? */
async function classifyByOwnStateDir(
  ctx: ScanContext,
  e: BrokerEntry,
  own: string,
  root: string,
): Promise<BrokerEntry> {
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
  const bj = ctx.refs.brokerJsonOf.get(path.resolve(own)) ?? (await readBrokerJson(path.join(own, 'broker.json')));
  if ('error' in bj) return { ...e, class: 'unknown', reason: `${bj.error}; never reaped` };
  const mine = 'value' in bj && sessionDirOf(bj.value);
  if (mine && e.dir && path.resolve(mine) === path.resolve(e.dir))
    return { ...e, class: 'in-use', reason: 'named by its own broker.json', referencedBy: [own] };
  return {
    ...e,
    class: 'orphan-live',
    reason: `running, but neither its own state dir's broker.json (${'value' in bj ? `names ${mine || 'nothing'}` : 'absent'}) nor any other names it`,
  };
}

/** The `cxc-*` names in a broker root; none when it cannot be listed. */
async function sessionDirNames(root: string): Promise<string[]> {
  try {
    return (await fs.readdir(root)).filter((n) => n.startsWith('cxc-'));
  } catch {
    return [];
  }
}

/** The dir's known and other files, listed through the dir opened without following a link; undefined when it cannot be. */
async function listSessionDir(
  dir: string,
  root: string,
): Promise<{ files: string[]; otherFiles: string[] } | undefined> {
  const files: string[] = [];
  const otherFiles: string[] = [];
  try {
    // Listed through the directory opened without following a link: never a dir swapped in since.
    const { fh, listPath } = await openRealDir(dir, root);
    try {
      for (const f of await fs.readdir(listPath))
        ((BROKER_FILES as readonly string[]).includes(f) ? files : otherFiles).push(f);
    } finally {
      await fh.close().catch(() => undefined);
    }
  } catch {
    return undefined;
  }
  return { files, otherFiles };
}

/** The broker is the proved process whose command names this very dir (by identity, not spelling). */
async function brokerOfDir(
  ctx: ScanContext,
  dir: string,
  st0: Stats,
  created: number | undefined,
): Promise<LearnedProcess | undefined> {
  for (const b of ctx.brokerProcs) {
    if (b.broker!.dir !== dir) {
      const bst = await lstatOrError(b.broker!.dir);
      if (isErr(bst) || idOf(bst) !== idOf(st0)) continue;
    }
    if (created !== undefined && (b.info.startTimeMs ?? Infinity) < created - START_TOLERANCE_MS) continue;
    return b;
  }
  return undefined;
}

/** One `cxc-*` entry of a broker root (already lstat'ed as st0): its entry, a broker.pid warning, the broker it claims. */
async function scanSessionDir(ctx: ScanContext, root: string, name: string, st0: Stats): Promise<DirResult> {
  const { uid } = ctx;
  const dir = path.join(root, name);
  const e: BrokerEntry = {
    key: dir,
    dir,
    class: 'dead',
    reason: '',
    referencedBy: refsOf(ctx.refs, dir, st0.isDirectory() ? st0 : undefined),
    children: [],
    files: [],
    otherFiles: [],
  };
  if (st0.isSymbolicLink()) return { entry: { ...e, class: 'foreign', reason: 'a symbolic link; not followed' } };
  if (!st0.isDirectory()) return {};
  e.dirId = { dev: st0.dev, ino: st0.ino };
  const created = st0.birthtimeMs > 0 ? st0.birthtimeMs : undefined;
  e.ageMs = ctx.now - (created ?? st0.mtimeMs);
  if (uid !== undefined && st0.uid !== uid)
    return { entry: { ...e, class: 'foreign', reason: `owned by another user (uid ${st0.uid})` } };
  const listing = await listSessionDir(dir, root);
  if (listing) {
    e.files = listing.files;
    e.otherFiles = listing.otherFiles;
  }
  const pidPath = path.join(dir, 'broker.pid');
  const pidFile = await readPidFile(pidPath);
  const warning = pidFile.warning ? { file: pidPath, message: pidFile.warning } : undefined;
  const match = await brokerOfDir(ctx, dir, st0, created);
  if (match) {
    const pid = match.info.pid;
    if (uid !== undefined && match.info.uid !== undefined && match.info.uid !== uid)
      return {
        warning,
        claimed: pid,
        entry: { ...e, pid, class: 'foreign', reason: `its broker process ${pid} belongs to another user` },
      };
    return { warning, claimed: pid, entry: await classifyLive(ctx, e, match) };
  }
  if (!listing)
    return { warning, entry: { ...e, class: 'unknown', reason: 'its contents cannot be read; never touched' } };
  return { warning, entry: await classifyDirWithoutBroker(ctx, e, name, pidFile.pid) };
}

/** A listed session dir that no proved broker names: unknown or foreign when anything still uses it, else starting or dead. */
async function classifyDirWithoutBroker(
  ctx: ScanContext,
  e: BrokerEntry,
  name: string,
  pid: number | undefined,
): Promise<BrokerEntry> {
  const dir = e.dir!;
  // A live process that names this dir but is not a proved broker: the dir is not dead.
  const namer = ctx.all.find(
    (p) =>
      p.state !== 'gone' &&
      p.pid !== process.pid &&
      (p.argv ?? []).some((a) => a.includes(dir) || a.includes(name + path.sep) || a.includes(`${name}-codex`)),
  );
  if (namer)
    return {
      ...e,
      pid: namer.pid,
      class: 'unknown',
      reason: `pid ${namer.pid} names this dir but is not a proved broker; never touched`,
    };
  if (ctx.bound?.has(path.join(dir, 'broker.sock')))
    return {
      ...e,
      pid,
      class: 'unknown',
      reason: 'its broker.sock is bound by a live process that is not a proved broker; never touched',
    };
  const holder = pid !== undefined ? await otherHolderOf(ctx, pid) : undefined;
  if (holder !== undefined)
    return {
      ...e,
      pid,
      class: 'foreign',
      reason: `pid ${pid} from broker.pid is alive but is not this broker (${holder}): never touched`,
    };
  if ((e.ageMs ?? Infinity) < ctx.o.graceMs && e.referencedBy.length === 0)
    return { ...e, pid, class: 'starting', reason: 'no broker process yet, but the dir is new' };
  return {
    ...e,
    pid,
    class: 'dead',
    reason: pid ? `pid ${pid} is gone; leftover files` : 'no broker process; leftover files',
  };
}

/** What the process broker.pid names is, when it is alive (not gone, not a zombie) and so not this dead broker. */
async function otherHolderOf(ctx: ScanContext, pid: number): Promise<string | undefined> {
  const info = (await ctx.o.table.inspect([pid])).get(pid);
  if (info && info.state === 'gone') return undefined;
  const what = info?.argv?.length
    ? `\`${info.argv
        .map((a) => path.basename(a))
        .join(' ')
        .slice(0, 80)}\``
    : info?.state === 'zombie'
      ? 'a zombie'
      : 'not readable';
  return info?.state !== 'zombie' ? what : undefined;
}

/** A proved broker whose session dir was not among those scanned: gone (checked), or somewhere odd. */
async function classifyStrayBroker(ctx: ScanContext, b: LearnedProcess): Promise<BrokerEntry> {
  const p = b.info;
  const dir = b.broker!.dir;
  const e: BrokerEntry = {
    key: `pid:${p.pid}`,
    class: 'unknown',
    reason: '',
    referencedBy: refsOf(ctx.refs, dir, undefined),
    children: [],
    files: [],
    otherFiles: [],
    endpoint: b.broker!.endpoint,
  };
  if (ctx.uid !== undefined && p.uid !== undefined && p.uid !== ctx.uid)
    return { ...withFamily(ctx, e, p), class: 'foreign', reason: `a broker of another user (uid ${p.uid})` };
  const st = await lstatOrError(dir);
  if (!isErr(st) || st.code !== 'ENOENT')
    return {
      ...withFamily(ctx, e, p),
      reason: `its session dir ${dir} ${isErr(st) ? `cannot be checked (${st.code})` : 'is not a plain dir of a scanned temp dir'}; never reaped`,
    };
  const c = await classifyLive(ctx, e, b);
  return c.class === 'orphan-live'
    ? { ...c, reason: `running with no session dir (${dir} checked: gone), and nothing names it` }
    : c;
}

export async function scanBrokers(o: BrokerScanOptions): Promise<BrokerScan> {
  const now = o.now ?? Date.now();
  const uid = o.uid ?? process.getuid?.();
  const platform = o.platform ?? process.platform;

  const all = await o.table.list();
  // Every proved companion and broker, with its environment; with learnRoots off their roots are not searched.
  const learned = await learnRoots(o.table, all, { uid, platform });
  const brokerProcs = learned.processes.filter((x) => x.broker);
  if (o.learnRoots === false) {
    learned.stateRoots = [];
    learned.tmpRoots = [];
  }
  const stateRoots = allStateRoots(o, learned);
  const { refs, warnings } = await readReferences(stateRoots);
  const brokerRoots = allBrokerRoots(o, learned, brokerProcs);
  // Sockets some live process has bound (Linux): a dir whose broker.sock is one of them is not dead.
  const bound = platform === 'linux' ? await boundSocketPaths() : undefined;
  const ctx: ScanContext = { o, now, uid, platform, all, brokerProcs, refs, bound };

  const entries: BrokerEntry[] = [];
  const claimed = new Set<number>();
  const scannedDirs = new Set<string>();
  for (const root of brokerRoots) {
    for (const name of await sessionDirNames(root.path)) {
      const dir = path.join(root.path, name);
      if (!under(dir, o.dirlessWithin)) continue;
      const st0 = await lstatOrError(dir);
      if (isErr(st0) || scannedDirs.has(idOf(st0))) continue;
      scannedDirs.add(idOf(st0));
      const r = await scanSessionDir(ctx, root.path, name, st0);
      if (r.warning) warnings.push(r.warning);
      if (r.claimed !== undefined) claimed.add(r.claimed);
      if (r.entry) entries.push(r.entry);
    }
  }
  for (const b of brokerProcs) {
    if (claimed.has(b.info.pid) || !under(b.broker!.dir, o.dirlessWithin)) continue;
    entries.push(await classifyStrayBroker(ctx, b));
  }
  return { entries, warnings, stateRoots, brokerRoots, scannedAtMs: now };
}

// The archive's entries on disk: loaded field by field, written atomically, kept within the limits.
// Limits drop a finished job's log bulk, never its entry: the entry remembers how far the log was
// copied, so nothing evicted is ever copied again, and a gone job keeps its record and history.
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import {
  assertRealDir,
  fitsJson,
  isSafeFsError,
  parseJsonBounded,
  READ_LIMITS,
  readBoundedText,
  STRUCTURE_LIMITS,
  writeFileAtomic,
} from '../io/safeFs';
import { mapLimit } from '../vocab/async';
import { isObject } from '../vocab/values';
import { isSafeJobId } from '../io/reader';
import { plausibleMs } from '../vocab/dates';
import type { ReadWarning } from '../vocab/types';
import { keyOf } from '../vocab/keys';
import {
  EVENT_KINDS,
  GONE_HOWS,
  MAX_HISTORY,
  newEntry,
  type ArchiveEntry,
  type ArchiveWindow,
  DEFAULT_WINDOW,
  type GoneHow,
  type HistoryEvent,
} from './entry';
import { EntryMap } from './entries';
import { IndexSet, windowIds } from './archiveIndex';

/** Sub dirs read at once, and entries at once in each: at most 32 files open for loading. */
const SUB_POOL = 4;
const ENTRY_POOL = 8;
/** Gone entries held beyond the window before the oldest are let go (not one per job that goes). */
const TRIM_SLACK = 50;

export class ArchiveStore {
  /** The entries in memory (copy-on-write): what the archive hands out. */
  readonly entries = new EntryMap();
  readonly warnings: ReadWarning[] = [];
  /** Why the archive cannot be used right now; everything else goes on without it. */
  unavailable: string | undefined;

  /** Whether an entry was written since the limits were last enforced (only growth can pass them). */
  wroteSinceEnforce = false;

  /** Which gone entries are held in memory, per state dir; older ones are on disk and in the index. */
  window: ArchiveWindow = { ...DEFAULT_WINDOW };
  /** Whether an entry must stay in memory (a log held open, a write waiting): set by the archive. */
  pinned: (k: string) => boolean = () => false;
  /** Each sub dir's index, by sub dir name, once read. */
  readonly indexes: IndexSet;

  constructor(readonly dir: string) {
    this.indexes = new IndexSet(dir);
  }

  dirOf(stateDir: string): string {
    return path.join(this.dir, createHash('sha256').update(stateDir).digest('hex').slice(0, 16));
  }

  paths(stateDir: string, id: string): { meta: string; log: string } {
    const d = this.dirOf(stateDir);
    return { meta: path.join(d, `${id}.json`), log: path.join(d, `${id}.log`) };
  }

  /** Each archive sub dir's index read, by name, once: callers that overlap wait on the same read. */
  private readonly subLoads = new Map<string, Promise<void>>();
  /** Each sub dir's window of entries read into memory, by name, once. */
  private readonly windowLoads = new Map<string, Promise<void>>();
  private rootLoad: Promise<boolean> | undefined;
  private allLoad: Promise<void> | undefined;

  /**
   * Reads what earlier sessions archived for these state dirs, or for every state dir when none are
   * named: each one's index, and into memory its entries still on disk and the window of recent gone
   * ones (older ones stay on disk, read on demand). A bad entry is skipped with a warning. Never
   * throws. Each sub dir is read once: a `status` of one workspace reads that workspace's entries.
   */
  async load(stateDirs?: readonly string[]): Promise<void> {
    if (!(await (this.rootLoad ??= this.checkRootForLoad()))) return;
    if (!stateDirs) return (this.allLoad ??= this.loadAll());
    // Bounded like every other read: `--all` names a thousand state dirs under a ulimit of 256.
    await mapLimit(stateDirs, SUB_POOL, (sd) => this.loadWindowOnce(path.basename(this.dirOf(sd)), true));
  }

  private async checkRootForLoad(): Promise<boolean> {
    try {
      await fs.mkdir(this.dir, { recursive: true });
      await assertRealDir(this.dir);
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  /** Every sub dir's index and window of entries. */
  private async loadAll(): Promise<void> {
    let subs: string[];
    try {
      subs = (await fs.readdir(this.dir)).filter((d) => /^[0-9a-f]{16}$/.test(d));
    } catch (err) {
      this.fail(err);
      return;
    }
    await mapLimit(subs, SUB_POOL, (d) => this.loadWindowOnce(d, false));
  }

  private loadOnce(d: string, mayBeMissing: boolean): Promise<void> {
    let p = this.subLoads.get(d);
    if (!p) this.subLoads.set(d, (p = this.loadSub(d, mayBeMissing)));
    return p;
  }

  private loadWindowOnce(d: string, mayBeMissing: boolean): Promise<void> {
    let p = this.windowLoads.get(d);
    if (!p) this.windowLoads.set(d, (p = this.loadOnce(d, mayBeMissing).then(() => this.loadWindow(d))));
    return p;
  }

  private async loadSub(d: string, mayBeMissing: boolean): Promise<void> {
    const sub = path.join(this.dir, d);
    let files: string[];
    try {
      await assertRealDir(sub, this.dir);
      files = await fs.readdir(sub);
    } catch (err) {
      // A state dir seen for the first time has no sub dir yet.
      if (mayBeMissing && isSafeFsError(err, 'missing')) return;
      this.warn(sub, `archive dir skipped: ${reasonOf(err)}`);
      return;
    }
    const idx = this.indexes.of(d);
    const { unindexed, warning } = await idx.load(files);
    if (warning) this.warn(idx.file, warning);
    this.indexes.counted(idx);
    // An entry with no line (written before the index existed, or by a crash between the two
    // writes) is read, given its line, and let go again unless it is in the window.
    await mapLimit(unindexed, ENTRY_POOL, (id) => this.loadEntry(sub, `${id}.json`));
    await idx.append([]).catch((err) => this.fail(err));
    if (idx.stateDir) this.trim(idx.stateDir, true);
  }

  /** Into memory: a sub dir's entries still on disk and its most recent gone ones. */
  async loadWindow(d: string): Promise<void> {
    const idx = this.indexes.get(d);
    if (!idx) return;
    const wanted = new Set(windowIds(idx, this.window));
    const sub = path.join(this.dir, d);
    await mapLimit(
      [...wanted].filter((id) => !(idx.stateDir && this.entries.getIn(idx.stateDir, id))),
      ENTRY_POOL,
      (id) => this.loadEntry(sub, `${id}.json`),
    );
    if (idx.stateDir) this.trim(idx.stateDir, true);
  }

  /**
   * Holds at most the window's gone entries of a state dir in memory: the oldest beyond it are let
   * go (they are written, and listed in the index). With some slack, so that it is not done on
   * every job that goes; `exact` trims to the window itself.
   */
  trim(stateDir: string, exact = false): void {
    const gone = this.entries.ofDir(stateDir).filter((e) => e.goneHow);
    const keep = this.window.maxGone;
    if (gone.length <= keep + (exact ? 0 : TRIM_SLACK)) return;
    gone.sort((a, b) => (b.goneAtMs ?? b.lastSeenMs) - (a.goneAtMs ?? a.lastSeenMs));
    for (const e of gone.slice(keep)) {
      const k = keyOf(e.stateDir, e.id);
      if (!this.pinned(k) && this.indexes.get(this.subOf(stateDir))?.rows.has(e.id)) this.entries.forget(k);
    }
  }

  /** Reads one indexed entry into memory if it is not there (a job of an old entry came back). */
  async recall(stateDir: string, id: string): Promise<void> {
    if (this.entries.getIn(stateDir, id)) return;
    const d = this.subOf(stateDir);
    if (!this.indexes.get(d)?.rows.has(id)) return;
    await this.loadEntry(path.join(this.dir, d), `${id}.json`);
  }

  /** Whether the archive has an entry for the job, in memory or only on disk. */
  knows(stateDir: string, id: string): boolean {
    return !!this.entries.getIn(stateDir, id) || !!this.indexes.get(this.subOf(stateDir))?.rows.has(id);
  }

  /** The name of a state dir's sub dir in the archive. */
  subOf(stateDir: string): string {
    return path.basename(this.dirOf(stateDir));
  }

  /**
   * Entries that exist but could not be read (out of descriptors, an I/O error): never written
   * over, as what a fresh entry would replace is a job's whole history. Read again before a write.
   */
  private readonly unreadable = new Set<string>();

  private async loadEntry(sub: string, f: string, replace = false): Promise<void> {
    const file = path.join(sub, f);
    try {
      const { text } = await readBoundedText(file, READ_LIMITS.archiveEntry, this.dir);
      this.unreadable.delete(file);
      const problems: string[] = [];
      // Refused unparsed when deeper than our writer ever writes (see bounded): not an entry of ours.
      const e = validateEntry(parseJsonBounded(text, { deep: 'refuse' }).value, problems);
      if (`${e.id}.json` !== f || this.dirOf(e.stateDir) !== sub) throw new Error('not where its fields say');
      const k = keyOf(e.stateDir, e.id);
      // An entry written by this process before its dir was read is the newer one.
      if (this.entries.has(k) && !replace) return;
      // Kept with what could be read; the archived log's real size stands in for a bad count.
      if (problems.some((p) => p.startsWith('logBytes')))
        e.logBytes = await fs.lstat(this.paths(e.stateDir, e.id).log).then(
          (st) => (st.isFile() ? st.size : 0),
          () => 0,
        );
      if (this.entries.has(k) && !replace) return;
      this.entries.put(e);
      this.indexes.setRow(path.basename(sub), e, text.length);
      // Said on every load until the entry is next written (the file on disk is still bad).
      if (problems.length) this.warn(file, `archive entry partly unreadable: ${problems.join('; ')}`);
    } catch (err) {
      if (isSafeFsError(err, 'io') || isSafeFsError(err, 'denied')) {
        this.unreadable.add(file);
        this.warn(file, `archive entry not read (${reasonOf(err)}); kept as it is, not written over`);
      } else this.warn(file, `archive entry skipped: ${reasonOf(err)}`);
    }
  }

  /** Records an archive failure once per reason, as "archive unavailable: <reason>". */
  fail(err: unknown): void {
    const reason = reasonOf(err);
    this.unavailable = reason;
    if (!this.warnings.some((w) => w.message === `archive unavailable: ${reason}`))
      this.warn(this.dir, `archive unavailable: ${reason}`);
  }

  private warn(file: string, message: string): void {
    // Bounded: a broken archive must not grow a list without end.
    if (this.warnings.length < 100) this.warnings.push({ file, message });
  }

  /** Bytes of every indexed entry (archived logs and meta files), kept as entries are written. */
  get totalBytes(): number {
    return this.indexes.total;
  }

  private readonly ready = new Set<string>();

  /** Makes the dir a state dir's entries go in; false (with a warning) when it cannot be used. */
  async ensureDirFor(stateDir: string): Promise<boolean> {
    // Checked once; a write into it checks the dir again (writeFileAtomic), and a failure re-checks here.
    if (this.ready.has(stateDir) && !this.unavailable) return true;
    try {
      await fs.mkdir(this.dir, { recursive: true });
      await this.checkRoot();
      await fs.mkdir(this.dirOf(stateDir));
    } catch (err) {
      if ((err as NodeJS.ErrnoException)?.code !== 'EEXIST') {
        this.ready.delete(stateDir);
        this.fail(err);
        return false;
      }
    }
    try {
      await assertRealDir(this.dirOf(stateDir), this.dir);
      this.ready.add(stateDir);
      return true;
    } catch (err) {
      this.ready.delete(stateDir);
      this.fail(err);
      return false;
    }
  }

  /**
   * Throws unless the archive dir itself is a real dir: a link to elsewhere is never written through
   * (the checks below it start at the archive dir, and would follow it).
   */
  async checkRoot(): Promise<void> {
    await assertRealDir(this.dir);
  }

  /** Writes an entry's meta file; a failure becomes a warning (the archive is unavailable, not the model). */
  async write(e: ArchiveEntry): Promise<boolean> {
    const k = keyOf(e.stateDir, e.id);
    const meta = this.paths(e.stateDir, e.id).meta;
    if (this.unreadable.has(meta)) {
      // Not this write: the entry on disk is read again, and the next scan goes on from it.
      await this.loadEntry(path.dirname(meta), path.basename(meta), true);
      return false;
    }
    const text = serialise(e);
    try {
      await this.checkRoot();
      await writeFileAtomic(meta, text, this.dir);
      const { idx, line } = this.indexes.setRow(this.subOf(e.stateDir), e, text.length);
      if (line) await idx.append([line]);
      this.wroteSinceEnforce = true;
      this.unavailable = undefined;
      if (e.goneHow && this.entries.get(k) === e) this.trim(e.stateDir);
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  /** An indexed entry: the one in memory, or read into memory (the window's trim lets it go again). */
  async entryFor(d: string, id: string): Promise<ArchiveEntry | undefined> {
    const idx = this.indexes.get(d);
    const held = idx?.stateDir ? this.entries.getIn(idx.stateDir, id) : undefined;
    if (held) return held;
    await this.loadEntry(path.join(this.dir, d), `${id}.json`);
    return idx?.stateDir ? this.entries.getIn(idx.stateDir, id) : undefined;
  }

  /** Entries read to be changed leave memory again when beyond the window. */
  trimAll(): void {
    for (const sd of this.entries.stateDirs()) this.trim(sd);
  }

  /** Drops an entry whole: from memory, its files, its row. */
  async remove(k: string, e: ArchiveEntry): Promise<void> {
    this.entries.remove(k);
    const { idx, line } = this.indexes.removeRow(this.subOf(e.stateDir), e.id);
    const p = this.paths(e.stateDir, e.id);
    await fs.rm(p.meta, { force: true }).catch((err) => this.fail(err));
    await fs.rm(p.log, { force: true }).catch((err) => this.fail(err));
    if (line) await idx.append([line]).catch((err) => this.fail(err));
  }
}

function reasonOf(err: unknown): string {
  if (isSafeFsError(err)) return err.message;
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOSPC':
      return 'the disk is full';
    case 'EROFS':
      return 'read-only file system';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'not a directory';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

// ------------------------------------------------------------------ validation and serialisation

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const optCount = (v: unknown): number | undefined => (isCount(v) ? v : undefined);
const optStr = (v: unknown, max = 4096): string | undefined =>
  typeof v === 'string' && v.length <= max ? v : undefined;

/** Builds an entry from parsed JSON, field by field; throws when a required field is unusable. */
export function validateEntry(v: unknown, problems: string[] = []): ArchiveEntry {
  if (!isObject(v)) throw new Error('not an object');
  if (!isSafeJobId(v.id)) throw new Error('no valid id');
  if (typeof v.stateDir !== 'string' || !path.isAbsolute(v.stateDir) || v.stateDir.length > 4096)
    throw new Error('no valid stateDir');
  if (!isCount(v.logOffset)) throw new Error('no valid logOffset');
  // An optional field that is there but unusable is dropped, and said (it is not the writer's).
  for (const k of COUNT_FIELDS)
    if (v[k] !== undefined && !isCount(v[k])) problems.push(`${k} ${describe(v[k])} is not a count`);
  const now = Date.now();
  // Times are shown and compared with now: one no clock could have given is dropped, and said.
  const time = (k: 'firstSeenMs' | 'lastSeenMs' | 'goneAtMs'): number | undefined => {
    const ms = optCount(v[k]);
    if (ms !== undefined && plausibleMs(ms, 'record', now) === undefined) {
      problems.push(`${k} ${describe(ms)} is not a plausible time`);
      return undefined;
    }
    return ms;
  };
  const e = newEntry(v.stateDir, v.id, time('firstSeenMs') ?? now);
  e.logOffset = v.logOffset;
  e.logBytes = optCount(v.logBytes) ?? 0;
  e.lastSeenMs = time('lastSeenMs') ?? e.firstSeenMs;
  e.lastLive = v.lastLive === true;
  e.recordMtimeMs = optCount(v.recordMtimeMs);
  e.logFileId = optStr(v.logFileId, 64);
  e.recordFileId = optStr(v.recordFileId, 64);
  e.lastStatus = optStr(v.lastStatus, 32);
  e.goneAtMs = time('goneAtMs');
  e.goneHow = GONE_HOWS.includes(v.goneHow as GoneHow) ? (v.goneHow as GoneHow) : undefined;
  e.evictedBytes = optCount(v.evictedBytes) ?? 0;
  e.skippedBytes = optCount(v.skippedBytes) ?? 0;
  e.lifeBytes = optCount(v.lifeBytes) ?? e.logBytes;
  e.logNote = optStr(v.logNote, 1024);
  for (const k of ['record', 'index'] as const) {
    const raw = v[k];
    if (raw === undefined) continue;
    if (!isObject(raw)) {
      problems.push(`${k} is not an object`);
      continue;
    }
    // Our writer never writes one this deep or large: it is not an entry of ours, and is left as it is.
    if (bounded(raw) !== raw) throw new Error(`its ${k} is nested too deep or too large`);
    e[k] = raw;
  }
  let untimed = 0;
  if (Array.isArray(v.history))
    for (const h of v.history.slice(0, MAX_HISTORY)) {
      if (!isObject(h) || !EVENT_KINDS.includes(h.what as never)) continue;
      const atMs = plausibleMs(h.atMs, 'record', now);
      if (atMs === undefined) {
        untimed++;
        continue;
      }
      const ev: HistoryEvent = { atMs, what: h.what as HistoryEvent['what'] };
      const status = optStr(h.status, 32);
      const files = optStr(h.files, 128);
      if (status) ev.status = status;
      if (files) ev.files = files;
      const note = optStr(h.note, 200);
      if (note) ev.note = note;
      if (GONE_HOWS.includes(h.by as GoneHow)) ev.by = h.by as GoneHow;
      e.history.push(ev);
    }
  if (untimed) problems.push(`${untimed} history event(s) with no plausible time dropped`);
  return e;
}

const COUNT_FIELDS = [
  'logBytes',
  'firstSeenMs',
  'lastSeenMs',
  'recordMtimeMs',
  'goneAtMs',
  'evictedBytes',
  'skippedBytes',
  'lifeBytes',
] as const;

/** A short, bounded picture of a bad value for a warning. */
function describe(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v === 'object' ? typeof v : String(v);
  return s.length > 48 ? `${s.slice(0, 45)}...` : s;
}

/** An entry holds its record one level down: so the whole entry stays within the parse's depth. */
const MAX_DEPTH = STRUCTURE_LIMITS.jsonDepth - 1;
const MAX_NODES = 200_000;

/**
 * A record as it can be kept: nesting and size bounded. A record deeper or larger than that keeps
 * only its top-level scalars (the fields the views use), so serialising never overflows the stack.
 */
export function bounded(raw: Record<string, unknown>): Record<string, unknown> {
  return fitsJson(raw, MAX_DEPTH, MAX_NODES) ? raw : scalarsOf(raw);
}

function scalarsOf(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw))
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  return out;
}

function serialise(e: ArchiveEntry): string {
  const safe: ArchiveEntry = {
    ...e,
    record: e.record ? bounded(e.record) : undefined,
    index: e.index ? bounded(e.index) : undefined,
  };
  try {
    return JSON.stringify(safe);
  } catch {
    return JSON.stringify({ ...safe, record: safe.record && scalarsOf(safe.record), index: undefined });
  }
}

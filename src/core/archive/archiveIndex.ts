// The archive's on-disk index: one small file per state dir's sub dir (`.index.jsonl`, a name no
// job id can have) with a line per entry: id, times, status, title, sizes. It answers "which jobs,
// newest first, since when" and the limits' questions without reading every entry, so the cost of a
// lookup or of `status` does not grow with the history.
//
// Lines are appended; the latest line of an id wins, and `{"id":…,"x":1}` says the entry was removed.
// Once the file holds many more lines than ids it is rewritten whole (atomically). It is never the
// only copy of anything: the entries are. So it is crash-safe by being rebuildable: a torn or bad
// line is skipped, an entry file with no line is read and given one, a line with no entry file is
// dropped, and a file that is not a regular file, or too large, is set aside and rebuilt from the
// entries (with a warning). Everything read from it is checked as an entry's fields are.
import * as path from 'path';
import { appendSafe, isSafeFsError, readBoundedText, writeFileAtomic } from '../io/safeFs';
import { isSafeJobId } from '../io/reader';
import { plausibleMs } from '../vocab/dates';
import { isObject } from '../vocab/values';
import { GONE_HOWS, type ArchiveEntry, type ArchiveWindow, type GoneHow } from './entry';

export const INDEX_FILE = '.index.jsonl';
/** 200,000 lines of ~300 bytes: far beyond what 30 days of jobs make; a larger file is not ours. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;
const MAX_TITLE = 200;

/** What the index knows of one entry. */
export interface IndexRow {
  readonly id: string;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  readonly goneAtMs?: number;
  readonly goneHow?: GoneHow;
  readonly status?: string;
  readonly title?: string;
  /** When the job was created, as its record says (ms), for `--since`. */
  readonly createdMs?: number;
  readonly logBytes: number;
  readonly metaBytes: number;
  readonly live: boolean;
}

/** The time a row sorts by: when it went (gone), else when it was last seen. */
export const rowTime = (r: IndexRow): number => r.goneAtMs ?? r.lastSeenMs;

/** Whether a row's job has ended and is no longer running (what the limits may drop). */
export const rowFinished = (r: IndexRow): boolean => !r.live || !!r.goneHow;

export function rowOf(e: ArchiveEntry, metaBytes: number): IndexRow {
  const rec = e.record ?? e.index;
  const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, MAX_TITLE) : undefined);
  const title = str(rec?.summary) ?? str(rec?.title);
  const created = Date.parse(str(rec?.createdAt) ?? '');
  return strip({
    id: e.id,
    firstSeenMs: e.firstSeenMs,
    lastSeenMs: e.lastSeenMs,
    goneAtMs: e.goneAtMs,
    goneHow: e.goneHow,
    status: e.lastStatus ?? str(rec?.status),
    title,
    createdMs: Number.isNaN(created) ? undefined : created,
    logBytes: e.logBytes,
    metaBytes,
    live: e.lastLive,
  });
}

function strip(r: IndexRow): IndexRow {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v;
  return out as unknown as IndexRow;
}

/** Whether two rows differ in what is written (when a row was last seen alone is kept in memory). */
export function rowDiffers(a: IndexRow | undefined, b: IndexRow): boolean {
  if (!a) return true;
  return (
    a.goneAtMs !== b.goneAtMs ||
    a.goneHow !== b.goneHow ||
    a.status !== b.status ||
    a.title !== b.title ||
    a.createdMs !== b.createdMs ||
    a.logBytes !== b.logBytes ||
    a.metaBytes !== b.metaBytes ||
    a.live !== b.live ||
    a.firstSeenMs !== b.firstSeenMs
  );
}

/** A row from a parsed line, field by field; undefined when it is not one (a torn or foreign line). */
export function validateRow(v: unknown, now = Date.now()): IndexRow | { id: string; removed: true } | undefined {
  if (!isObject(v) || !isSafeJobId(v.id)) return undefined;
  if (v.x === 1) return { id: v.id, removed: true };
  const count = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined);
  const time = (x: unknown) => plausibleMs(count(x), 'record', now);
  const firstSeenMs = time(v.firstSeenMs);
  const lastSeenMs = time(v.lastSeenMs);
  if (firstSeenMs === undefined || lastSeenMs === undefined) return undefined;
  const str = (x: unknown, max: number) => (typeof x === 'string' && x.length <= max ? x : undefined);
  return strip({
    id: v.id,
    firstSeenMs,
    lastSeenMs,
    goneAtMs: time(v.goneAtMs),
    goneHow: GONE_HOWS.includes(v.goneHow as GoneHow) ? (v.goneHow as GoneHow) : undefined,
    status: str(v.status, 32),
    title: str(v.title, MAX_TITLE),
    createdMs: time(v.createdMs),
    logBytes: count(v.logBytes) ?? 0,
    metaBytes: count(v.metaBytes) ?? 0,
    live: v.live === true,
  });
}

export interface IndexLoad {
  /** Ids with an entry file and no row: the caller reads those entries and `set`s their rows. */
  unindexed: string[];
  /** Said once to the archive's warnings (a hostile or broken index, rebuilt). */
  warning?: string;
}

/** One sub dir's index: its rows in memory, its file appended to and compacted. */
export class SubIndex {
  readonly rows = new Map<string, IndexRow>();
  /** The state dir whose entries these are, once an entry has said so. */
  stateDir: string | undefined;
  /** Lines in the file now (rows, superseded rows and removals). */
  private lines = 0;
  /** Whether the file must be rewritten whole (it was bad, or rows were dropped while loading). */
  private dirty = false;

  constructor(
    readonly sub: string,
    /** The archive's own dir: every read and write is beneath it. */
    private readonly root: string,
  ) {}

  get file(): string {
    return path.join(this.sub, INDEX_FILE);
  }

  /**
   * Reads the index and squares it with the entry files `names` (the sub dir's listing): rows with
   * no entry file are dropped, entry files with no row are returned to be read. Never throws.
   */
  async load(names: readonly string[]): Promise<IndexLoad> {
    const metas = new Set(
      names.filter((n) => n.endsWith('.json') && isSafeJobId(n.slice(0, -5))).map((n) => n.slice(0, -5)),
    );
    let warning: string | undefined;
    try {
      const { text } = await readBoundedText(this.file, MAX_INDEX_BYTES, this.root);
      const bad = this.parse(text);
      if (bad > 0) {
        warning = `archive index: ${bad} unreadable line(s) skipped; rebuilt from the entries`;
        this.dirty = true;
      }
    } catch (err) {
      this.rows.clear();
      this.lines = 0;
      this.dirty = true;
      if (!isSafeFsError(err, 'missing'))
        warning = `archive index not used (${reasonOf(err)}); rebuilt from the entries`;
    }
    for (const id of [...this.rows.keys()])
      if (!metas.has(id)) {
        this.rows.delete(id);
        this.dirty = true;
      }
    const unindexed = [...metas].filter((id) => !this.rows.has(id));
    if (unindexed.length) this.dirty = true;
    return { unindexed, warning };
  }

  /** Parses the file's lines, the latest line of an id winning; returns how many bad lines were not the torn last one. */
  private parse(text: string): number {
    const lines = text.split('\n');
    // A line cut short by a crash is the last one: not a problem worth a warning.
    const torn = lines.length > 0 && lines[lines.length - 1] !== '' ? 1 : 0;
    if (lines[lines.length - 1] === '') lines.pop();
    let bad = 0;
    const now = Date.now();
    for (const line of lines) {
      let row: ReturnType<typeof validateRow>;
      try {
        row = validateRow(JSON.parse(line), now);
      } catch {
        row = undefined;
      }
      if (!row) bad++;
      else if ('removed' in row) this.rows.delete(row.id);
      else this.rows.set(row.id, row);
    }
    this.lines = lines.length;
    return Math.max(0, bad - torn);
  }

  /** Sets a row in memory; returns the line to append when it differs in what is written. */
  set(row: IndexRow): string | undefined {
    const before = this.rows.get(row.id);
    this.rows.set(row.id, row);
    return rowDiffers(before, row) ? JSON.stringify(row) : undefined;
  }

  remove(id: string): string | undefined {
    if (!this.rows.delete(id)) return undefined;
    return JSON.stringify({ id, x: 1 });
  }

  /** Appends lines (or rewrites the whole file when it is due); a failure is thrown to the store. */
  async append(lines: readonly string[]): Promise<void> {
    if (lines.length === 0 && !this.dirty) return;
    this.lines += lines.length;
    if (this.dirty || this.lines > 2 * this.rows.size + 1000) return this.compact();
    await appendSafe(this.file, `${lines.join('\n')}\n`, this.root);
  }

  /** Rewrites the file with one line per row. */
  async compact(): Promise<void> {
    const text = [...this.rows.values()].map((r) => `${JSON.stringify(r)}\n`).join('');
    await writeFileAtomic(this.file, text, this.root);
    this.lines = this.rows.size;
    this.dirty = false;
  }

  /** Rows newest first (by `rowTime`), those passing `keep`, at most `limit`. */
  newest(keep: (r: IndexRow) => boolean, limit = Infinity): IndexRow[] {
    const out = [...this.rows.values()].filter(keep).sort((a, b) => rowTime(b) - rowTime(a));
    return limit < out.length ? out.slice(0, limit) : out;
  }
}

/** Every sub dir's index read so far, by sub dir name, and the bytes their entries take. */
export class IndexSet {
  private readonly byName = new Map<string, SubIndex>();
  /** Bytes of every indexed entry: its archived log and its meta file (kept as rows change). */
  total = 0;

  constructor(private readonly root: string) {}

  get(d: string): SubIndex | undefined {
    return this.byName.get(d);
  }

  /** A sub dir's index, made empty when it has none yet. */
  of(d: string): SubIndex {
    let idx = this.byName.get(d);
    if (!idx) this.byName.set(d, (idx = new SubIndex(path.join(this.root, d), this.root)));
    return idx;
  }

  all(): IterableIterator<[string, SubIndex]> {
    return this.byName.entries();
  }

  /** Counts the rows of an index just read. */
  counted(idx: SubIndex): void {
    for (const r of idx.rows.values()) this.total += r.logBytes + r.metaBytes;
  }

  /** Sets an entry's row in its index (sub dir `d`); returns the line to append, if any. */
  setRow(d: string, e: ArchiveEntry, metaBytes: number): { idx: SubIndex; line?: string } {
    const idx = this.of(d);
    idx.stateDir ??= e.stateDir;
    const before = idx.rows.get(e.id);
    const row = rowOf(e, metaBytes);
    this.total += row.logBytes + row.metaBytes - (before ? before.logBytes + before.metaBytes : 0);
    return { idx, line: idx.set(row) };
  }

  removeRow(d: string, id: string): { idx: SubIndex; line?: string } {
    const idx = this.of(d);
    const before = idx.rows.get(id);
    if (before) this.total -= before.logBytes + before.metaBytes;
    return { idx, line: idx.remove(id) };
  }
}

/** The ids a window holds of one index: every entry not gone, and the newest gone ones within its age. */
export function windowIds(idx: SubIndex, w: ArchiveWindow, now = Date.now()): string[] {
  const live = [...idx.rows.values()].filter((r) => !r.goneHow).map((r) => r.id);
  const gone = idx.newest((r) => !!r.goneHow && now - rowTime(r) <= w.maxAgeMs, w.maxGone).map((r) => r.id);
  return [...live, ...gone];
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

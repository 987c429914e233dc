// Where Codex keeps a thread: `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<local time>-<thread id>.jsonl`
// (codex-rs/core/src/rollout), or flat in `archived_sessions/` once archived. A thread's file is found
// by its name: the days around the job's start first, then the tree newest day first, bounded in
// directories and entries; what is found is cached by thread id. Every directory is opened beneath
// CODEX_HOME without following a link (io/safeFs.ts) and listed with a bound.
import { promises as fs } from 'fs';
import * as path from 'path';
import { openRealDir } from '../io/safeFs';
import { pad2 } from '../vocab/dates';

export const SESSION_BOUNDS = {
  /** Day dirs listed in one search at most (a year and more of daily use). */
  dayDirs: 400,
  /** Names read from one directory at most. */
  entriesPerDir: 20_000,
  /** Names read in one search at most. */
  entries: 200_000,
} as const;

/** A thread id as Codex makes them (a UUID); anything else is never looked up. */
const THREAD_ID = /^[0-9A-Za-z][0-9A-Za-z-]{7,63}$/;
const ROLLOUT = /^rollout-(\d{4})-(\d\d)-(\d\d)T(\d\d)-(\d\d)-(\d\d)-(.+)\.jsonl$/;

export const isThreadId = (id: unknown): id is string => typeof id === 'string' && THREAD_ID.test(id);

/** The local time in a rollout file's name, epoch ms; undefined for another name. */
export function rolloutTimeOf(name: string): number | undefined {
  const m = ROLLOUT.exec(name);
  if (!m) return undefined;
  const ms = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** What searches cost, for tests and benchmarks. */
export interface SearchCounts {
  readdirs: number;
  /** Directories opened: each listing walks from CODEX_HOME down, one open per level. */
  opens: number;
  entries: number;
}

/** A session file found, and the CODEX_HOME it is under (the root every open is made beneath). */
export interface SessionFile {
  file: string;
  home: string;
}

interface Listing {
  names: string[];
  mtimeMs: number;
}

const NOT_FOUND_MS = 30_000;
/** Directory listings kept at most (each a day's names). */
const MAX_LISTINGS = 500;

export class SessionFiles {
  readonly counts: SearchCounts = { readdirs: 0, opens: 0, entries: 0 };
  private readonly found = new Map<string, SessionFile>();
  private readonly missed = new Map<string, number>();
  private readonly listings = new Map<string, Listing>();
  readonly warnings: string[] = [];

  constructor(
    readonly home: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The thread's session file, or undefined; `nearMs` (the job's start) says which days to look at first. */
  async find(threadId: string, nearMs?: number): Promise<SessionFile | undefined> {
    if (!isThreadId(threadId)) return undefined;
    const hit = this.found.get(threadId);
    if (hit) return hit;
    const missedAt = this.missed.get(threadId);
    if (missedAt !== undefined && this.now() - missedAt < NOT_FOUND_MS) return undefined;
    const suffix = `-${threadId}.jsonl`;
    const file = await this.search((name) => name.startsWith('rollout-') && name.endsWith(suffix), nearMs);
    if (!file) {
      this.missed.set(threadId, this.now());
      return undefined;
    }
    this.missed.delete(threadId);
    const f = { file, home: this.home };
    this.found.set(threadId, f);
    return f;
  }

  /** Forgets a thread's file (it was moved or deleted). */
  forget(threadId: string): void {
    this.found.delete(threadId);
  }

  /** The days around `nearMs`, then every day dir newest first, then archived_sessions, within bounds. */
  private async search(match: (name: string) => boolean, nearMs?: number): Promise<string | undefined> {
    const budget = { dirs: SESSION_BOUNDS.dayDirs, entries: SESSION_BOUNDS.entries };
    const tried = new Set<string>();
    const look = async (dir: string) => {
      if (tried.has(dir) || budget.dirs <= 0 || budget.entries <= 0) return undefined;
      tried.add(dir);
      budget.dirs--;
      const names = (await this.list(dir)) ?? [];
      budget.entries -= names.length;
      const name = names.find(match);
      return name ? path.join(dir, name) : undefined;
    };
    if (nearMs !== undefined)
      for (const d of [0, -1, 1]) {
        const f = await look(this.dayDir(nearMs + d * 86_400_000));
        if (f) return f;
      }
    for await (const dir of this.dayDirsNewestFirst()) {
      if (budget.dirs <= 0 || budget.entries <= 0) break;
      const f = await look(dir);
      if (f) return f;
    }
    return look(path.join(this.home, 'archived_sessions'));
  }

  /** sessions/YYYY/MM/DD of a moment, in local time (as Codex names them). */
  dayDir(ms: number): string {
    const d = new Date(ms);
    return path.join(this.home, 'sessions', String(d.getFullYear()), pad2(d.getMonth() + 1), pad2(d.getDate()));
  }

  /** Every sessions/YYYY/MM/DD, newest first (names sorted; only number-named dirs). */
  async *dayDirsNewestFirst(): AsyncGenerator<string> {
    const sessions = path.join(this.home, 'sessions');
    const numbered = (names: string[], digits: number) =>
      names.filter((n) => n.length === digits && /^\d+$/.test(n)).sort((a, b) => b.localeCompare(a));
    for (const y of numbered((await this.list(sessions)) ?? [], 4)) {
      const yd = path.join(sessions, y);
      for (const m of numbered((await this.list(yd)) ?? [], 2)) {
        const md = path.join(yd, m);
        for (const d of numbered((await this.list(md)) ?? [], 2)) yield path.join(md, d);
      }
    }
  }

  /**
   * The names in `dir` (bounded), or undefined when it is not a real directory beneath CODEX_HOME.
   * A listing is kept while the directory's mtime stays the same (a new file changes it).
   */
  async list(dir: string): Promise<string[] | undefined> {
    const st = await fs.lstat(dir).catch(() => undefined);
    if (!st?.isDirectory()) return undefined;
    const kept = this.listings.get(dir);
    if (kept && kept.mtimeMs === st.mtimeMs) return kept.names;
    let opened: Awaited<ReturnType<typeof openRealDir>>;
    try {
      opened = await openRealDir(dir, this.home);
    } catch (err) {
      this.warn(`${dir}: ${(err as Error).message}; not searched`);
      return undefined;
    }
    const names: string[] = [];
    this.counts.readdirs++;
    this.counts.opens += path.relative(this.home, dir).split(path.sep).length + 1;
    try {
      const d = await fs.opendir(opened.listPath, { bufferSize: 256 });
      for await (const e of d) {
        if (names.length >= SESSION_BOUNDS.entriesPerDir) {
          this.warn(`${dir}: more than ${SESSION_BOUNDS.entriesPerDir} entries; the rest not searched`);
          break;
        }
        names.push(e.name);
      }
    } catch (err) {
      this.warn(`${dir}: could not be listed (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    } finally {
      await opened.fh.close().catch(() => undefined);
    }
    this.counts.entries += names.length;
    if (this.listings.size >= MAX_LISTINGS) this.listings.clear();
    this.listings.set(dir, { names, mtimeMs: st.mtimeMs });
    return names;
  }

  private warn(message: string): void {
    if (this.warnings.length < 20 && !this.warnings.includes(message)) this.warnings.push(message);
  }
}

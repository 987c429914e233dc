// The usage ledger: every job's usage from its thread's session file, and the account's windows,
// as values (frozen when handed out under CODEX_JOBS_FREEZE=1). The CLI asks it once per job; the
// editor lets it follow the model: a running task's file is tailed as it grows (a file watch, no
// polling), a finished job's is read once more at its end and then kept.
import { watch, type FSWatcher, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Disposable, toDisposable, type IDisposable } from '../vocab/lifecycle';
import { Emitter, silentLogger, type Event, type Logger } from '../vocab/emitter';
import { handOut } from '../vocab/freeze';
import { jobKey } from '../vocab/keys';
import { mapLimit } from '../vocab/async';
import type { Job } from '../vocab/types';
import type { CodexHome } from './codexHome';
import { SessionFiles, type SessionFile } from './sessionFiles';
import { SessionTail } from './sessionTail';
import { isReviewJob, jobSpan, REVIEW_REASON, usageFromEvents } from './jobUsage';
import { latestWindows, overlappingSessions, windowsOf } from './windows';
import type { AccountWindows, UsageOutcome } from './usageTypes';

export interface UsageLedgerOptions {
  /** Where to search (codexHomes()); asked again by rediscover(). */
  homes: () => Promise<CodexHome[]>;
  logger?: Logger;
  now?: () => number;
}

/** What follows the ledger: the model's jobs and its change event. */
export interface JobSource {
  allJobs(): readonly Job[];
  onDidChange: Event<unknown>;
}

/** Session files followed at once (running tasks'; a finished job's is let go after its last read). */
const MAX_TAILS = 64;
/** After a change, the ledger waits this long for more before reading (a burst is one read). */
const SETTLE_MS = 300;
/** The account's windows are looked for again on a change at most this often (a tail finds newer ones at once). */
const WINDOWS_EVERY_MS = 60_000;
/** A path under the user's home as ~/…: the same words on every machine. */
function tildeHome(p: string): string {
  const home = os.homedir();
  return home && p.startsWith(home + path.sep) ? `~${p.slice(home.length)}` : p;
}

const isLive = (j: Job) => j.status === 'running' || j.status === 'queued';

export class UsageLedger extends Disposable {
  private readonly changed = this._register(new Emitter<void>());
  /** Fires when a job's usage or the account's windows changed. */
  readonly onDidChange = this.changed.event;
  private homeList: Promise<CodexHome[]> | undefined;
  private readonly files = new Map<string, SessionFiles>();
  private readonly tails = new Map<string, SessionTail>();
  private readonly results = new Map<string, { status: string; outcome: UsageOutcome; text: string }>();
  private readonly overlaps = new Map<string, { atMs: number; n: number }>();
  private _windows: AccountWindows | undefined;
  private windowsAtMs = 0;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly warned = new Set<string>();

  constructor(private readonly opts: UsageLedgerOptions) {
    super();
    this.logger = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
  }

  homes(): Promise<CodexHome[]> {
    return (this.homeList ??= this.opts.homes());
  }

  /** Learns the homes again (a setting changed, processes came and went). */
  rediscover(): void {
    this.homeList = undefined;
    this.files.clear();
  }

  /** The usage last worked out for this job, or undefined when not yet. */
  usageOf(job: Job): UsageOutcome | undefined {
    return this.results.get(jobKey(job))?.outcome;
  }

  get windows(): AccountWindows | undefined {
    return this._windows;
  }

  /** Every tail's and search's cost so far, for benchmarks. */
  get costs(): { bytesRead: number; readdirs: number; entries: number } {
    let bytesRead = 0;
    for (const t of this.tails.values()) bytesRead += t.bytesRead;
    let readdirs = 0;
    let entries = 0;
    for (const f of this.files.values()) {
      readdirs += f.counts.readdirs;
      entries += f.counts.entries;
    }
    return { bytesRead, readdirs, entries };
  }

  private async sessionFiles(): Promise<SessionFiles[]> {
    const out: SessionFiles[] = [];
    for (const h of await this.homes()) {
      let f = this.files.get(h.path);
      if (!f) this.files.set(h.path, (f = new SessionFiles(h.path, this.now)));
      out.push(f);
    }
    return out;
  }

  private async locate(threadId: string, nearMs?: number): Promise<{ found?: SessionFile; owner?: SessionFiles }> {
    for (const f of await this.sessionFiles()) {
      const found = await f.find(threadId, nearMs);
      for (const w of f.warnings.splice(0)) this.warnOnce(w);
      if (found) return { found, owner: f };
    }
    return {};
  }

  /** Works out one job's usage now (reading what its file gained); the result is kept for usageOf. */
  async usageFor(job: Job): Promise<UsageOutcome> {
    const outcome = await this.compute(job);
    const key = jobKey(job);
    const text = JSON.stringify(outcome);
    const old = this.results.get(key);
    if (old && old.text === text) {
      old.status = job.status;
      return old.outcome;
    }
    const frozen = handOut(outcome);
    this.results.set(key, { status: job.status, outcome: frozen, text });
    return frozen;
  }

  private async compute(job: Job): Promise<UsageOutcome> {
    if (isReviewJob(job)) return { usage: null, reason: REVIEW_REASON };
    const threadId = job.display.threadId;
    if (!threadId)
      return {
        usage: null,
        reason: isLive(job) ? 'its Codex thread has not started yet' : 'the job names no Codex thread',
      };
    const span = jobSpan(job);
    const { found, owner } = await this.locate(threadId, span.fromMs);
    if (!found || !owner) {
      const where = (await this.homes()).map((h) => tildeHome(path.join(h.path, 'sessions'))).join(', ');
      return { usage: null, reason: `no session file found under ${where || 'any CODEX_HOME'}` };
    }
    const tail = this.tailOf(found);
    await tail.read(!isLive(job));
    if (tail.warning) {
      this.warnOnce(tail.warning);
      if (!tail.events.length) {
        owner.forget(threadId);
        return { usage: null, reason: tail.warning };
      }
    }
    if (tail.events.length) this.noteWindows(tail.events[tail.events.length - 1], found.file);
    const overlapping = await this.overlapping(job, owner, found.file, span);
    const outcome = usageFromEvents(job, tail.events, { file: found.file, partial: tail.partial, overlapping });
    // Only a running job's file is read again: a finished one's events are let go (its usage is kept).
    if (!isLive(job)) this.tails.delete(found.file);
    return outcome;
  }

  private tailOf(f: SessionFile): SessionTail {
    let t = this.tails.get(f.file);
    if (!t) {
      if (this.tails.size >= MAX_TAILS) this.tails.delete(this.tails.keys().next().value!);
      t = new SessionTail(f.file, f.home);
    } else this.tails.delete(f.file);
    this.tails.set(f.file, t); // newest use last
    return t;
  }

  /** Other sessions during the job: worked out once when it ended, at most once a minute while it runs. */
  private async overlapping(job: Job, owner: SessionFiles, file: string, span: ReturnType<typeof jobSpan>) {
    if (span.fromMs === undefined) return 0;
    const key = `${jobKey(job)}\u0000${span.toMs ?? 'open'}`;
    const kept = this.overlaps.get(key);
    if (kept && (span.toMs !== undefined || this.now() - kept.atMs < 60_000)) return kept.n;
    const n = await overlappingSessions(owner, file, span.fromMs, span.toMs ?? this.now()).catch(() => 0);
    if (this.overlaps.size > 2000) this.overlaps.clear();
    this.overlaps.set(key, { atMs: this.now(), n });
    return n;
  }

  private noteWindows(e: Parameters<typeof windowsOf>[0], file: string): void {
    const w = windowsOf(e, file);
    if (w && (!this._windows || w.asOfMs > this._windows.asOfMs)) {
      this._windows = handOut(w);
      this.windowsChanged = true;
    }
  }

  private windowsChanged = false;

  /** Looks for the newest reading in every home's newest session files. */
  async refreshWindows(): Promise<AccountWindows | undefined> {
    this.windowsAtMs = this.now();
    for (const f of await this.sessionFiles()) {
      const w = await latestWindows(f).catch((err) => void this.warnOnce(`${f.home}: ${String(err)}`));
      if (w && (!this._windows || w.asOfMs > this._windows.asOfMs)) {
        this._windows = handOut(w);
        this.windowsChanged = true;
      }
    }
    return this._windows;
  }

  /** Looks for a newer reading when the last look is over a minute old (the window regains focus); fires on news. */
  async refreshWindowsIfOld(): Promise<void> {
    if (this.now() - this.windowsAtMs <= WINDOWS_EVERY_MS) return;
    await this.refreshWindows();
    if (this.windowsChanged && !this.isDisposed) {
      this.windowsChanged = false;
      this.changed.fire();
    }
  }

  /**
   * Brings every job's usage up to date: jobs not seen yet, jobs that run (their files' new bytes),
   * and jobs whose status moved (one last read). Fires once if anything changed.
   */
  async update(jobs: readonly Job[]): Promise<void> {
    const due = jobs.filter((j) => {
      const r = this.results.get(jobKey(j));
      return !r || isLive(j) || r.status !== j.status;
    });
    let changed = false;
    await mapLimit(due, 4, async (j) => {
      const before = this.usageOf(j);
      if ((await this.usageFor(j)) !== before) changed = true;
    });
    if (this.now() - this.windowsAtMs > WINDOWS_EVERY_MS) await this.refreshWindows();
    if (changed || this.windowsChanged) {
      this.windowsChanged = false;
      if (!this.isDisposed) this.changed.fire();
    }
  }

  /** Follows `source`: its changes, and the growth of its running tasks' session files. */
  follow(source: JobSource): IDisposable {
    const follower = new Follower(this, source);
    return this._register(follower);
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message) || this.warned.size > 200) return;
    this.warned.add(message);
    this.logger.warn(`usage: ${message}`);
  }

  /** The file a job's usage was read from, when known (for watching it). */
  fileOf(job: Job): string | undefined {
    return this.usageOf(job)?.usage?.sessionFile;
  }
}

/** Runs the ledger's updates for a source: one at a time, a burst of changes one update. */
class Follower extends Disposable {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly watchers = new Map<string, FSWatcher>();

  constructor(
    private readonly ledger: UsageLedger,
    private readonly source: JobSource,
  ) {
    super();
    this._register(source.onDidChange(() => this.schedule()));
    this._register(
      toDisposable(() => {
        clearTimeout(this.timer);
        for (const w of this.watchers.values()) w.close();
        this.watchers.clear();
      }),
    );
    this.schedule(0);
  }

  schedule(ms = SETTLE_MS): void {
    if (this.isDisposed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.run().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
    }, ms);
    this.timer.unref?.();
  }

  private async run(): Promise<void> {
    const jobs = this.source.allJobs();
    await this.ledger.update(jobs).catch(() => undefined);
    if (!this.isDisposed) await this.watchRunning(jobs);
  }

  /** A file watch on each running task's session file (its growth is a change); none on others. */
  private async watchRunning(jobs: readonly Job[]): Promise<void> {
    const want = new Set<string>();
    for (const j of jobs) {
      const f = isLive(j) ? this.ledger.fileOf(j) : undefined;
      if (f) want.add(f);
    }
    for (const [f, w] of this.watchers)
      if (!want.has(f)) {
        w.close();
        this.watchers.delete(f);
      }
    for (const f of want) {
      if (this.watchers.has(f)) continue;
      // Only a regular file is watched (a link would be followed by the watch).
      const st = await fs.lstat(f).catch(() => undefined);
      if (!st?.isFile() || this.isDisposed) continue;
      try {
        const w = watch(f, { persistent: false }, () => this.schedule());
        w.on('error', () => {
          w.close();
          this.watchers.delete(f);
        });
        this.watchers.set(f, w);
      } catch {
        // No watch (too many, or gone): its next change comes with the model's.
      }
    }
  }
}

// The guardian: keeps the companion's own books whole (state.json, jobs/<id>.json and .log), so
// Claude Code's /codex:status, /codex:result and the Stop hook see the truth too. Off unless the
// user turns it on. Each mend is one of the repairs a user could ask for (actions/repair.ts), applied
// only when the state dir is quiet (quiet.ts), under the same locks, atomically, checked after; a mend
// a racing writer undid is tried again after the next quiet, within a budget per job. It never
// deletes anything, and signals only orphan brokers proven so by the reaper.
import type { JobsModel } from '../model/model';
import type { JobArchive } from '../archive/archive';
import type { BrokerScan } from '../brokers/brokers';
import { planReap, reap } from '../brokers/reaper';
import {
  markStaleFailed,
  restoreLog,
  restoreRecord,
  restoreToIndex,
  syncIndexEntry,
  type RepairOptions,
  type RepairResult,
} from '../actions/repair';
import { Disposable, toDisposable } from '../vocab/lifecycle';
import { Emitter, type Event } from '../vocab/emitter';
import type { Job, ProcessTable } from '../vocab/types';
import { nextGraceEnd, planMends, processGone, type Mend, type MendKind } from './plan';
import { quietState } from './quiet';
import { isActiveRecorded } from '../vocab/status';

export const DEFAULT_GRACE_MS = 120_000;
export const DEFAULT_SETTLE_MS = 2_000;
/** Tries per job and mend: a writer that keeps undoing one is not fought forever. */
export const MEND_BUDGET = 5;
/** The reason a job marked failed carries, which the companion shows. */
export const GONE_REASON = 'process gone; marked by Codex Jobs';
/** How often orphan brokers are looked for, at most. */
const BROKER_EVERY_MS = 30_000;

export interface GuardianOptions {
  model: JobsModel;
  table: ProcessTable;
  graceMs?: number;
  settleMs?: number;
  /** Re-reads the model (default: model.refresh); the editor passes its refresh owner's. */
  refresh?: () => Promise<void>;
  /** Scans brokers for orphans; none given: brokers are left alone. */
  scanBrokers?: () => Promise<BrokerScan>;
  now?: () => number;
}

export type GuardianActionKind = MendKind | 'reap' | 'undone' | 'gave-up';

/** One thing the guardian did (or tried), for the output channel and the CLI's lines. */
export interface GuardianAction {
  atMs: number;
  kind: GuardianActionKind;
  ok: boolean;
  stateDir: string;
  id?: string;
  message: string;
}

export interface GuardianCounts {
  putBack: number;
  recordsRestored: number;
  logsRestored: number;
  synced: number;
  markedFailed: number;
  brokersReaped: number;
  /** Writes into the companion's files that held when checked. */
  writes: number;
  /** Mends a racing writer undid, done again. */
  undone: number;
  /** Mends refused or failed (nothing written). */
  refused: number;
}

const NOTES: Record<MendKind, string> = {
  index: 'put back in the index by the guardian',
  record: 'record restored from the archive by the guardian',
  log: 'log restored from the archive by the guardian',
  sync: 'index entry updated from its record by the guardian',
  fail: 'marked failed by the guardian: its process was gone',
};

export class Guardian extends Disposable {
  private readonly _onDidAct = this._register(new Emitter<GuardianAction>());
  readonly onDidAct: Event<GuardianAction> = this._onDidAct.event;
  readonly counts: GuardianCounts = {
    putBack: 0,
    recordsRestored: 0,
    logsRestored: 0,
    synced: 0,
    markedFailed: 0,
    brokersReaped: 0,
    writes: 0,
    undone: 0,
    refused: 0,
  };
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** One check at a time, across state dirs: mends are few, and a lock is taken per write. */
  private chain: Promise<void> = Promise.resolve();
  private readonly goneSince = new Map<string, Map<string, number>>();
  private readonly tries = new Map<string, number>();
  /** Mends that held, by job and kind: wanted again later means a writer undid it. */
  private readonly held = new Set<string>();
  private lastBrokerScan = 0;
  /** Per state dir, when our own last write there ended. */
  private readonly ownUntil = new Map<string, number>();
  private readonly graceMs: number;
  private readonly settleMs: number;
  private readonly now: () => number;

  constructor(private readonly o: GuardianOptions) {
    super();
    this.graceMs = o.graceMs ?? DEFAULT_GRACE_MS;
    this.settleMs = o.settleMs ?? DEFAULT_SETTLE_MS;
    this.now = o.now ?? Date.now;
    this._register(o.model.onDidChange(() => this.pokeAll()));
    this._register(toDisposable(() => this.timers.forEach((t) => clearTimeout(t))));
  }

  /** Looks at every state dir shown now (and again whenever the model changes). */
  start(): void {
    this.pokeAll();
  }

  /** Resolves once no check is running or waiting to run now (timers may still be set). */
  idle(): Promise<void> {
    return this.chain;
  }

  private get archive(): JobArchive | undefined {
    return this.o.model.archive;
  }

  private stateDirs(): string[] {
    return [
      ...new Set(this.o.model.folders.flatMap((f) => f.snapshots.filter((s) => s.exists).map((s) => s.stateDir))),
    ];
  }

  private pokeAll(): void {
    for (const d of this.stateDirs()) this.poke(d, this.settleMs);
  }

  /** A check of `stateDir` in `ms`; an earlier one already set stands. */
  private poke(stateDir: string, ms: number): void {
    if (this.isDisposed || this.timers.has(stateDir)) return;
    const t = setTimeout(
      () => {
        this.timers.delete(stateDir);
        this.chain = this.chain
          .then(() => this.check(stateDir))
          .catch((err) => this.say('gave-up', false, stateDir, undefined, `guardian check failed: ${String(err)}`));
      },
      Math.max(0, ms),
    );
    t.unref?.();
    this.timers.set(stateDir, t);
  }

  private jobsOf(stateDir: string): Job[] {
    return this.o.model.allJobs().filter((j) => j.stateDir === stateDir);
  }

  private async check(stateDir: string): Promise<void> {
    if (this.isDisposed) return;
    const quiet = await quietState(stateDir, this.settleMs, this.o.table, this.now());
    if (!quiet.quiet) return this.poke(stateDir, quiet.waitMs);
    await (this.o.refresh ?? (() => this.o.model.refresh()))();
    await this.o.model.idle();
    const jobs = this.jobsOf(stateDir);
    const gone = this.trackGone(stateDir, jobs);
    const mends = planMends({
      jobs,
      indexSize: jobs.filter((j) => j.index && !j.archived).length,
      now: this.now(),
      graceMs: this.graceMs,
      goneSince: gone,
      kept: (j) => {
        const e = this.archive?.get(j.stateDir, j.id);
        return { record: !!e?.record, logBytes: e?.logBytes ?? 0 };
      },
    });
    let wrote = false;
    for (const m of mends) {
      if (this.isDisposed) return;
      // Every write waits for quiet again: a mend's own write, or a companion's, moves the dir.
      if (wrote) {
        const q = await quietState(stateDir, this.settleMs, this.o.table, this.now(), this.ownUntil.get(stateDir));
        if (!q.quiet) return this.poke(stateDir, q.waitMs);
      }
      if (await this.apply(m)) {
        wrote = true;
        this.ownUntil.set(stateDir, Date.now());
      }
    }
    await this.reapOrphans(stateDir);
    if (wrote) return this.poke(stateDir, this.settleMs); // see that the mends held
    const next = nextGraceEnd({ jobs, graceMs: this.graceMs, goneSince: gone });
    if (next !== undefined) this.poke(stateDir, next - this.now() + 50);
  }

  /** Since when each active job has been seen with its process gone (forgotten once it is not). */
  private trackGone(stateDir: string, jobs: readonly Job[]): Map<string, number> {
    const was = this.goneSince.get(stateDir) ?? new Map<string, number>();
    const now = new Map<string, number>();
    for (const j of jobs)
      if (processGone(j) && isActiveRecorded(j.record?.status ?? j.index?.status))
        now.set(j.id, was.get(j.id) ?? this.now());
    this.goneSince.set(stateDir, now);
    return now;
  }

  /** One mend, within its budget; whether it wrote. */
  private async apply(m: Mend): Promise<boolean> {
    const key = `${m.job.stateDir}\0${m.job.id}\0${m.kind}`;
    const tried = this.tries.get(key) ?? 0;
    if (tried >= MEND_BUDGET) return false;
    this.tries.set(key, tried + 1);
    if (this.held.delete(key)) {
      this.counts.undone++;
      this.say(
        'undone',
        true,
        m.job.stateDir,
        m.job.id,
        `a concurrent writer undid the last mend (${m.kind}); mending again`,
      );
    }
    const opts: RepairOptions = {
      table: this.o.table,
      archive: this.archive,
      now: this.now,
      note: NOTES[m.kind],
      reason: GONE_REASON,
    };
    const r = await REPAIRS[m.kind](m.job, opts);
    if (!r.ok) {
      this.counts.refused++;
      this.say(m.kind, false, m.job.stateDir, m.job.id, `not mended (${m.why}): ${r.message}`);
      if (tried + 1 >= MEND_BUDGET)
        this.say('gave-up', false, m.job.stateDir, m.job.id, `gave up on ${m.kind} after ${MEND_BUDGET} tries`);
      return false;
    }
    this.held.add(key);
    this.counts.writes++;
    // Redone inside the repair: a writer changed state.json around our write (its own jobs kept).
    this.counts.undone += r.retries ?? 0;
    this.count(m.kind);
    this.say(m.kind, true, m.job.stateDir, m.job.id, `${NOTES[m.kind]} (${m.why})${retried(r)}`);
    return true;
  }

  private count(kind: MendKind): void {
    const c = this.counts;
    if (kind === 'index') c.putBack++;
    else if (kind === 'record') c.recordsRestored++;
    else if (kind === 'log') c.logsRestored++;
    else if (kind === 'sync') c.synced++;
    else c.markedFailed++;
  }

  /** Orphan brokers (live, referenced by nothing, past their grace) ended with the reaper's proofs. */
  private async reapOrphans(stateDir: string): Promise<void> {
    if (!this.o.scanBrokers || this.now() - this.lastBrokerScan < BROKER_EVERY_MS) return;
    this.lastBrokerScan = this.now();
    const plan = planReap(await this.o.scanBrokers());
    // Only the brokers of a workspace it guards: another workspace's are not its business.
    const guarded = new Set(this.stateDirs());
    const orphans = plan.reap.filter(
      (e) => e.class === 'orphan-live' && e.ownStateDir !== undefined && guarded.has(e.ownStateDir),
    );
    if (orphans.length === 0) return;
    const s = await reap({ reap: orphans, skip: [] }, { table: this.o.table });
    for (const o of s.outcomes) {
      if (o.result === 'reaped') this.counts.brokersReaped++;
      this.say(
        'reap',
        o.result === 'reaped',
        stateDir,
        undefined,
        `orphan broker ${o.entry.dir ?? `pid ${o.entry.pid}`}: ${o.result}: ${o.detail}`,
      );
    }
  }

  private say(kind: GuardianActionKind, ok: boolean, stateDir: string, id: string | undefined, message: string): void {
    this._onDidAct.fire({ atMs: this.now(), kind, ok, stateDir, id, message });
  }
}

const REPAIRS: Record<MendKind, (job: Job, o: RepairOptions) => Promise<RepairResult>> = {
  index: restoreToIndex,
  record: restoreRecord,
  log: restoreLog,
  sync: syncIndexEntry,
  fail: markStaleFailed,
};

function retried(r: RepairResult): string {
  return r.retries ? `; redone ${r.retries} time(s) over a concurrent write` : '';
}

/** What the guardian has done, in a few words: "3 jobs put back, 1 record restored". */
export function guardianSummary(c: GuardianCounts): string {
  const n = (k: number, one: string, many: string) => (k ? `${k} ${k === 1 ? one : many}` : '');
  const parts = [
    n(c.putBack, 'job put back', 'jobs put back'),
    n(c.recordsRestored, 'record restored', 'records restored'),
    n(c.logsRestored, 'log restored', 'logs restored'),
    n(c.synced, 'index entry updated', 'index entries updated'),
    n(c.markedFailed, 'job marked failed', 'jobs marked failed'),
    n(c.brokersReaped, 'broker reaped', 'brokers reaped'),
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'nothing mended yet';
}

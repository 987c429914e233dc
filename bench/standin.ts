// A stand-in that keeps a state dir the way the companion does under load, for the soak benchmark:
// a new background task at a given rate, its record and log; on every tick a log line for every
// running job and `state.json` rewritten (newest first, pruned to 50 entries, the files of pruned
// jobs deleted, as the companion's pruning writer does); each job completes after about 3 s. Every
// id it creates is appended to `<ids file>`, outside the state dir, so the archive can be checked.
//
//   node out/bench/standin.js --state-dir DIR --workspace WS --ids FILE [--rate 10] [--tick 100]
//     [--run-ms 3000] [--minutes 5]
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';

export interface StandInOptions {
  stateDir: string;
  workspace: string;
  ids: string;
  /** New jobs per second. */
  rate: number;
  tickMs: number;
  /** From created to completed. */
  runMs: number;
  /** Stop creating jobs after this long (ms); the process then exits. */
  durationMs: number;
}

interface Job {
  id: string;
  createdMs: number;
  record: Record<string, unknown>;
  lines: number;
  done: boolean;
}

const MAX_INDEX = 50;

function rand6(): string {
  return Math.floor(Math.random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
}

export class StandIn {
  created = 0;
  private readonly jobs: Job[] = [];
  private owed = 0;
  private seq = 0;
  private readonly jobsDir: string;

  constructor(private readonly o: StandInOptions) {
    this.jobsDir = path.join(o.stateDir, 'jobs');
    mkdirSync(this.jobsDir, { recursive: true });
  }

  private file(id: string, ext: 'json' | 'log'): string {
    return path.join(this.jobsDir, `${id}.${ext}`);
  }

  private create(now: number): void {
    const iso = new Date(now).toISOString();
    // Unique even for several in one millisecond: a sequence number in the time part's place.
    const id = `task-${(now + this.seq++).toString(36)}-${rand6()}`;
    const record: Record<string, unknown> = {
      id,
      kind: 'task',
      kindLabel: 'rescue',
      title: 'Codex Task',
      workspaceRoot: this.o.workspace,
      jobClass: 'task',
      summary: `Soak task ${this.created + 1}`,
      write: false,
      createdAt: iso,
      updatedAt: iso,
      status: 'running',
      startedAt: iso,
      phase: 'starting',
      pid: process.pid,
      logFile: this.file(id, 'log'),
      request: { cwd: this.o.workspace, model: 'gpt-5', effort: 'medium', prompt: 'soak', write: false, jobId: id },
    };
    appendFileSync(this.o.ids, `${id}\n`);
    writeFileSync(this.file(id, 'json'), JSON.stringify(record, null, 2));
    writeFileSync(this.file(id, 'log'), `[${iso}] Starting Codex Task.\n`);
    this.jobs.unshift({ id, createdMs: now, record, lines: 0, done: false });
    this.created++;
  }

  private complete(j: Job, now: number): void {
    const iso = new Date(now).toISOString();
    j.record = {
      ...j.record,
      status: 'completed',
      phase: 'done',
      pid: null,
      updatedAt: iso,
      completedAt: iso,
      rendered: `Done: ${j.id}`,
      result: { ok: true },
    };
    writeFileSync(this.file(j.id, 'json'), JSON.stringify(j.record, null, 2));
    appendFileSync(this.file(j.id, 'log'), `[${iso}] Turn completed.\n\n[${iso}] Final output\nDone.\n`);
    j.done = true;
  }

  /** One tick: new jobs owed by the rate, a line per running job, completions, the index, pruning. */
  tick(now: number, creating: boolean): void {
    if (creating) {
      this.owed += (this.o.rate * this.o.tickMs) / 1000;
      while (this.owed >= 1) {
        this.owed--;
        this.create(now);
      }
    }
    const iso = new Date(now).toISOString();
    for (const j of this.jobs) {
      if (j.done) continue;
      if (now - j.createdMs >= this.o.runMs) this.complete(j, now);
      else appendFileSync(this.file(j.id, 'log'), `[${iso}] Running step ${++j.lines}.\n`);
    }
    // Newest first (creation order is update order here), at most 50; the pruned jobs' files go.
    const pruned = this.jobs.splice(MAX_INDEX);
    for (const j of pruned) {
      rmSync(this.file(j.id, 'json'), { force: true });
      rmSync(this.file(j.id, 'log'), { force: true });
    }
    const index = this.jobs.map((j) => {
      const { request: _r, rendered: _d, result: _s, ...entry } = j.record;
      return entry;
    });
    writeFileSync(
      path.join(this.o.stateDir, 'state.json'),
      JSON.stringify({ version: 1, config: { stopReviewGate: false }, jobs: index }, null, 2),
    );
  }

  /** Runs until the duration is over and every job has completed. */
  run(): Promise<void> {
    const start = Date.now();
    return new Promise((resolve) => {
      const t = setInterval(() => {
        const now = Date.now();
        const creating = now - start < this.o.durationMs;
        this.tick(now, creating);
        if (!creating && this.jobs.every((j) => j.done)) {
          clearInterval(t);
          resolve();
        }
      }, this.o.tickMs);
    });
  }
}

function arg(argv: string[], name: string, dflt?: string): string {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : dflt;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const s = new StandIn({
    stateDir: arg(argv, 'state-dir'),
    workspace: arg(argv, 'workspace'),
    ids: arg(argv, 'ids'),
    rate: Number(arg(argv, 'rate', '10')),
    tickMs: Number(arg(argv, 'tick', '100')),
    runMs: Number(arg(argv, 'run-ms', '3000')),
    durationMs: Number(arg(argv, 'minutes', '5')) * 60_000,
  });
  process.on('SIGTERM', () => process.exit(0));
  void s.run().then(() => process.exit(0));
}

// The one queue of work on the model's state dirs. Every change to what the model shows is a task
// run here, one at a time, each starting from the state the previous one left, so none overwrites
// another. The kinds of task:
//   refresh   find the roots and state dirs again and read every one whole;
//   files     re-read what a batch of file events names (per state dir, only those files);
//   verify    re-check the pids of the jobs that claim to run;
//   archived  after the archive has copied a state dir's snapshot (archive.observe, which runs in
//             the background so that reading never waits for copying): when that copy found jobs
//             deleted or moved a job's history, that state dir's snapshot goes through the pipeline
//             again from the same files, and the deleted jobs appear from the archive. This is the one
//             way the archive's work comes back into the model.
//
// The one coalescing rule: a task asked for while a task of the same kind and key waits (queued,
// not started) joins it: it shares that task's run and its promise, and a batch of file events
// merges what it names into the waiting batch. A task that has started is never joined: what was
// asked for after it started may not have been seen by it. Keys: a state dir for `archived`, one
// key for every other kind (batches name their state dirs inside). One more rule follows from what
// a refresh is: when a refresh starts, it takes over the `files` task waiting behind it (it reads
// everything that batch names), which then runs as nothing.
import type { ChangeBatch, StateDirChange } from '../state/watcher';

export type TaskKind = 'refresh' | 'files' | 'verify' | 'archived';

interface Task {
  readonly kind: TaskKind;
  readonly key: string;
  /** For `files`: the batch so far (a new object on each merge, never the one handed in). */
  batch?: ChangeBatch;
  dropped: boolean;
  done: Promise<void>;
}

export class WorkQueue {
  private tail: Promise<void> = Promise.resolve();
  private readonly waiting: Task[] = [];
  private stopped = false;

  constructor(private readonly onError: (err: unknown) => void) {}

  /** Queues `run` as a task of `kind` and `key`, or joins the one of that kind and key that waits. */
  add(kind: TaskKind, key: string, run: () => Promise<void>): Promise<void> {
    return this.queue(kind, key, undefined, run);
  }

  /** Queues a batch of file events; a waiting batch takes in what this one names instead. */
  addBatch(batch: ChangeBatch, run: (batch: ChangeBatch) => Promise<void>): Promise<void> {
    return this.queue('files', '', batch, run);
  }

  /** Drops the waiting tasks of a kind: what they would do is being done (a refresh reads everything). */
  drop(kind: TaskKind): void {
    for (const t of this.waiting) if (t.kind === kind) t.dropped = true;
  }

  /** Resolves once every task queued so far has run. */
  idle(): Promise<void> {
    return this.tail;
  }

  /** No task starts from now on (the model is disposed). */
  stop(): void {
    this.stopped = true;
  }

  private queue(
    kind: TaskKind,
    key: string,
    batch: ChangeBatch | undefined,
    run: (batch: ChangeBatch) => Promise<void>,
  ): Promise<void> {
    const same = this.waiting.find((t) => t.kind === kind && t.key === key && !t.dropped);
    if (same) {
      if (batch && same.batch) same.batch = mergeBatches(same.batch, batch);
      return same.done;
    }
    const task: Task = { kind, key, batch, dropped: false, done: Promise.resolve() };
    task.done = this.tail.then(() => {
      this.waiting.splice(this.waiting.indexOf(task), 1);
      if (this.stopped || task.dropped) return undefined;
      return run(task.batch ?? EMPTY);
    });
    this.tail = task.done.catch(this.onError);
    this.waiting.push(task);
    return task.done;
  }
}

const EMPTY: ChangeBatch = { dirs: new Map(), layout: false };

/** One batch naming everything `a` and `b` name; neither is changed. */
export function mergeBatches(a: ChangeBatch, b: ChangeBatch): ChangeBatch {
  const dirs = new Map<string, StateDirChange>();
  for (const [dir, c] of a.dirs) dirs.set(dir, c);
  for (const [dir, c] of b.dirs) {
    const e = dirs.get(dir);
    dirs.set(dir, e ? mergeChanges(e, c) : c);
  }
  return { dirs, layout: a.layout || b.layout };
}

function mergeChanges(a: StateDirChange, b: StateDirChange): StateDirChange {
  return {
    index: a.index || b.index,
    broker: a.broker || b.broker,
    jobs: new Set([...a.jobs, ...b.jobs]),
    // Absent means every named job's record is read: absent on either side stays absent.
    records: a.records && b.records ? new Set([...a.records, ...b.records]) : undefined,
    rescan: a.rescan || b.rescan,
  };
}

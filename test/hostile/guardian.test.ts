// Hostile state dirs against `codex-jobs guard`: a state dir swapped for a link while it writes,
// state.json a FIFO, a lock of a lock-aware companion held forever by a dead owner and by a live one,
// an index entry whose id is `../x`, a process that imitates a broker. The guardian never writes or
// reads outside the state dir, never deletes a file, never hangs, and signals nothing that is not a
// proven orphan broker. Each case runs in its own pid and mount namespace; the decoy tree is checked.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import {
  CLI,
  crashText,
  type Ctx,
  DEAD_PID,
  armOutside,
  fingerprint,
  makeCtx,
  outsideDiff,
  record,
  runIsolated,
  tmpBase,
  writeJson,
} from './harness';

const LOST = 'task-guard0-lostjb';

/** Every file name below the state dir (dirs included), to compare before and after: nothing deleted. */
async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      out.push(path.relative(dir, p));
      if (e.isDirectory() && !e.isSymbolicLink()) await visit(p);
    }
  };
  await visit(dir);
  return out.sort();
}

/** state.json's text; a FIFO (or nothing) is never opened here: that would block. */
async function readState(c: Ctx): Promise<string> {
  const f = path.join(c.stateA, 'state.json');
  const st = await fs.lstat(f).catch(() => undefined);
  return st?.isFile() ? fs.readFile(f, 'utf8') : `not a file: ${st ? 'fifo or other' : 'missing'}`;
}

interface GuardCase {
  name: string;
  setup: (c: Ctx) => Promise<void>;
  /** Shell lines run in the namespace before the guardian (background processes, swaps). */
  prelude?: (c: Ctx) => string[];
  /** Shell lines run after it stopped, their output appended (e.g. whether a process still lives). */
  after?: string[];
  /** The guardian may write (put the lost job back): else state.json must be as it was. */
  writes: boolean;
  check?: (c: Ctx, out: string) => Promise<void>;
  /** The follower lists the decoy dir a swapped link names (it does so without the guardian too). */
  followerLists?: boolean;
}

/** A finished job dropped from the index, with room in it: what the guardian puts back. */
async function droppedJob(c: Ctx): Promise<void> {
  await writeJson(path.join(c.jobsA, `${LOST}.json`), record(LOST));
}

const CASES: GuardCase[] = [
  {
    name: 'a plain dropped job is put back (the control)',
    setup: droppedJob,
    writes: true,
    check: async (c) => {
      const s = await fs.readFile(path.join(c.stateA, 'state.json'), 'utf8');
      assert.ok(s.includes(LOST), s);
    },
  },
  {
    name: 'state.json is a FIFO: no hang, nothing written, the FIFO stays',
    setup: async (c) => {
      await droppedJob(c);
      await fs.rm(path.join(c.stateA, 'state.json'));
      execFileSync('mkfifo', [path.join(c.stateA, 'state.json')]);
    },
    writes: false,
    check: async (c) => assert.ok((await fs.lstat(path.join(c.stateA, 'state.json'))).isFIFO()),
  },
  {
    name: 'a .state.lock held forever by a dead owner: waited for, never stolen or deleted',
    setup: async (c) => {
      await droppedJob(c);
      await fs.mkdir(path.join(c.stateA, '.state.lock'));
      await writeJson(path.join(c.stateA, '.state.lock', 'owner'), { pid: DEAD_PID, startedAt: 0, token: 'x' });
      const old = new Date(Date.now() - 3_600_000);
      await fs.utimes(path.join(c.stateA, '.state.lock'), old, old);
    },
    writes: false,
  },
  {
    name: 'a state.json.lock file held by a live owner: waited for, never deleted',
    setup: async (c) => {
      await droppedJob(c);
      await fs.writeFile(path.join(c.stateA, 'state.json.lock'), '1\n');
    },
    writes: false,
  },
  {
    name: 'an index entry whose id is ../x: never a path, nothing written outside',
    setup: async (c) => {
      const idx = JSON.parse(await fs.readFile(path.join(c.stateA, 'state.json'), 'utf8')) as { jobs: unknown[] };
      idx.jobs.push({ ...record('../x'), status: 'running', pid: DEAD_PID, completedAt: undefined });
      await writeJson(path.join(c.stateA, 'state.json'), idx);
      await writeJson(path.join(c.dir, 'rootA', 'x.json'), record('x'));
    },
    writes: true,
  },
  {
    name: 'the state dir swapped for a link to the decoy again and again while it writes',
    setup: droppedJob,
    prelude: (c) => [
      // Swaps for 3 s (by the clock: it must end, the dir back in place, before the guardian stops).
      `(end=$(($(date +%s) + 3)); while [ $(date +%s) -lt $end ]; do mv '${c.stateA}' '${c.stateA}.real' && ln -s '${path.join(c.outside, 'fakestate')}' '${c.stateA}'; sleep 0.01; rm '${c.stateA}' && mv '${c.stateA}.real' '${c.stateA}'; sleep 0.01; done) &`,
    ],
    writes: true,
    followerLists: true,
  },
  {
    name: 'a process that imitates a broker is never signalled',
    setup: droppedJob,
    prelude: (c) => [
      `${process.execPath} -e 'setInterval(() => {}, 1 << 30)' -- ${path.join(c.dir, 'scripts', 'app-server-broker.mjs')} serve --endpoint unix:${path.join(c.tmp, 'cxc-fake00', 'broker.sock')} --cwd ${c.ws} --pid-file ${path.join(c.tmp, 'cxc-fake00', 'broker.pid')} &`,
      'export IMITATOR=$!',
    ],
    after: ['kill -0 $IMITATOR && echo IMITATOR-ALIVE'],
    writes: true,
    check: async (_c, out) => assert.match(out, /IMITATOR-ALIVE/),
  },
];

describe('hostile state dirs against the guardian', () => {
  let base: string;
  after(async () => {
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  for (const k of CASES)
    test(k.name, async () => {
      base ??= await tmpBase();
      const c = await makeCtx(base, `guard-${k.name}`);
      await k.setup(c);
      await fs.mkdir(path.join(c.tmp, 'cxc-fake00'), { recursive: true });
      await armOutside(c.outside);
      const before = await fingerprint(c.outside);
      const namesBefore = await names(c.stateA);
      const stateBefore = await readState(c);
      c.prelude = k.prelude?.(c) ?? [];
      // The guardian for 6 s, then Ctrl-C: it must exit 0 with its summary.
      // GUARD_AS_WATCH=1: the same case with `watch`, which only reads (what the follower alone does).
      const argv = process.env.GUARD_AS_WATCH
        ? [process.execPath, CLI, 'watch', c.ws, '--state-root', c.rootA]
        : [process.execPath, CLI, 'guard', c.ws, '--state-root', c.rootA, '--grace-seconds', '1', '--settle-ms', '200'];
      const script = `timeout -s INT --preserve-status 6 ${argv.map((a) => `'${a}'`).join(' ')}; echo "GUARD-EXIT $?"; ${(k.after ?? []).join('; ')}`;
      const r = await runIsolated(c, ['sh', '-c', script], 30_000);
      const out = `${r.stdout}\n${r.stderr}`;
      assert.equal(r.timedOut, false, `hung: ${out}`);
      assert.equal(crashText(out), undefined, out);
      assert.match(r.stdout, /GUARD-EXIT 0/, out);
      if (!process.env.GUARD_AS_WATCH) assert.match(r.stdout, /guardian stopped \(SIGINT\)/, out);
      const { diff: all } = await outsideDiff(c.outside, before);
      // The follower (`watch` too, without the guardian) lists a swapped-in link's target dir; the
      // guardian itself never reads, writes, creates or deletes anything there.
      const diff = k.followerLists ? all.filter((d) => !d.startsWith('read ') || !d.endsWith('/fakestate')) : all;
      assert.deepEqual(diff, [], `outside touched: ${diff.join('; ')}`);
      // Never deletes: every name that was in the state dir is still there.
      const now = await names(c.stateA);
      for (const n of namesBefore) assert.ok(now.includes(n), `${n} deleted; output: ${out}`);
      if (!k.writes) assert.equal(await readState(c), stateBefore);
      await k.check?.(c, out);
    });
});

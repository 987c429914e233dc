// Hostile indexes against "blocks stop" and its repair. `status --json` must say blocksStop exactly
// where the companion's Stop hook keeps reporting a job that is not running (its whole index, its
// order, its sessions; nothing where it throws or where the index cannot be read), and Update Index
// Entry from Record must write only the state dir, refuse a link or a record changed since it was
// shown, and leave an index the hook no longer nags about. Each case runs in its own pid and mount
// namespace, with the decoy outside tree checked after.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import {
  CLI,
  CORE,
  crashText,
  type Ctx,
  DEAD_PID,
  fingerprint,
  iso,
  makeCtx,
  outsideDiff,
  record,
  runIsolated,
  tmpBase,
  writeJson,
} from './harness';

const DRIVER = path.join(__dirname, 'stopHookDriver.js');
const T0 = Date.parse('2026-11-30T10:00:00.000Z');
const X = 'task-stop00-xxxxxx';
const Y = 'task-stop01-yyyyyy';
const Z = 'task-stop02-zzzzzz';

interface Repair {
  mode: 'sync' | 'changed';
  id: string;
  /** The repair's answer must be ok (else a refusal). */
  ok: boolean;
  /** After it: the index entry's status as read again. */
  index?: string;
  /** Between the look of `status --json` and the repair. */
  before?: (c: Ctx) => Promise<void>;
}

interface StopCase {
  name: string;
  /** Passes on the code before this change too: shows behaviour that stays. */
  control?: boolean;
  setup: (c: Ctx) => Promise<void>;
  /** Shell lines run in the namespace first. */
  prelude?: (c: Ctx) => string[];
  /** blocksStop per job id in `status --json`. */
  blocks: Record<string, boolean>;
  /** The status shown, per job id. */
  status?: Record<string, string>;
  /** A warning must name this file (relative to the state dir). */
  warns?: string;
  repair?: Repair;
}

/** Replaces state A: `index` is state.json's jobs as given (anything), `records` its jobs/ files. */
async function stateA(c: Ctx, index: unknown[] | string, records: Record<string, unknown>[]): Promise<void> {
  await fs.rm(c.stateA, { recursive: true, force: true });
  await fs.mkdir(c.jobsA, { recursive: true });
  const file = path.join(c.stateA, 'state.json');
  if (typeof index === 'string') await fs.writeFile(file, index);
  else await writeJson(file, { version: 1, config: { stopReviewGate: false }, jobs: index });
  for (const r of records) await writeJson(path.join(c.jobsA, `${String(r.id)}.json`), r);
}

const at = (min: number) => iso(T0 + min * 60_000);
/** A job the index still calls running (its worker's pid is gone). */
const running = (id: string, min: number, extra: Record<string, unknown> = {}) =>
  record(id, {
    status: 'running',
    phase: 'investigating',
    pid: DEAD_PID,
    completedAt: undefined,
    updatedAt: at(min),
    ...extra,
  });
const done = (id: string, min: number, extra: Record<string, unknown> = {}) =>
  record(id, { status: 'completed', updatedAt: at(min), completedAt: at(min), ...extra });

const CASES: StopCase[] = [
  {
    name: 'index running, record completed, pid dead',
    setup: (c) => stateA(c, [running(X, 5)], [done(X, 4)]),
    blocks: { [X]: true },
    repair: { mode: 'sync', id: X, ok: true, index: 'completed' },
  },
  {
    name: 'index running, record completed and newer: the row says completed',
    setup: (c) => stateA(c, [running(X, 1)], [done(X, 9)]),
    blocks: { [X]: true },
  },
  {
    name: 'index queued, record cancelled',
    setup: (c) =>
      stateA(c, [running(X, 1, { status: 'queued', phase: 'queued' })], [done(X, 9, { status: 'cancelled' })]),
    blocks: { [X]: true },
  },
  {
    name: 'index running, record failed, no pid anywhere',
    setup: (c) => stateA(c, [running(X, 1, { pid: null })], [done(X, 9, { status: 'failed', errorMessage: 'boom' })]),
    blocks: { [X]: true },
  },
  {
    name: 'index queued, its worker never started (pid dead)',
    control: true,
    setup: (c) =>
      stateA(
        c,
        [running(X, 1, { status: 'queued', phase: 'queued' })],
        [running(X, 1, { status: 'queued', phase: 'queued' })],
      ),
    blocks: { [X]: true },
  },
  {
    name: 'index running, process alive: it really runs',
    control: true,
    setup: async (c) => {
      const script = path.join(c.dir, 'plugin', 'scripts', 'codex-companion.mjs');
      await fs.mkdir(path.dirname(script), { recursive: true });
      await fs.writeFile(script, 'setInterval(() => {}, 1 << 30);\n');
      await stateA(c, [running(X, 1, { pid: 2 })], [running(X, 1, { pid: 2 })]);
      // A log line just now: alive and not silent, so `running` (not `stalled`).
      await fs.writeFile(path.join(c.jobsA, `${X}.log`), `[${new Date().toISOString()}] working\n`);
    },
    status: { [X]: 'running' },
    prelude: (c) => [
      `${process.execPath} ${path.join(c.dir, 'plugin', 'scripts', 'codex-companion.mjs')} task-worker --cwd ${c.ws} --job-id ${X} &`,
      'sleep 0.5',
    ],
    blocks: { [X]: false },
  },
  {
    name: 'two sessions: one with a stale job, one whose record finished',
    setup: (c) =>
      stateA(
        c,
        [
          running(Y, 5, { sessionId: 'sess-2' }),
          done(Z, 4, { sessionId: 'sess-1' }),
          running(X, 1, { sessionId: 'sess-1' }),
        ],
        [
          done(Y, 6, { sessionId: 'sess-2' }),
          done(Z, 4, { sessionId: 'sess-1' }),
          running(X, 1, { sessionId: 'sess-1' }),
        ],
      ),
    blocks: { [X]: true, [Y]: true, [Z]: false },
  },
  {
    name: 'duplicate ids: the first entry completed, the second running',
    setup: (c) => stateA(c, [done(X, 5), done(Y, 4), running(X, 1)], [done(X, 5), done(Y, 4)]),
    blocks: { [X]: true, [Y]: false },
    repair: { mode: 'sync', id: X, ok: true, index: 'completed' },
  },
  {
    name: 'a null entry: the hook throws and names nothing',
    setup: (c) => stateA(c, [running(X, 2), null], [running(X, 2)]),
    blocks: { [X]: false },
  },
  {
    name: 'an updatedAt with a junk toString: the hook throws sorting',
    setup: (c) =>
      stateA(c, [running(X, 2), running(Y, 1, { updatedAt: { toString: 1 } })], [running(X, 2), done(Y, 1)]),
    blocks: { [X]: false, [Y]: false },
  },
  {
    name: 'the newest running entry has an id that cannot be printed: the hook throws',
    setup: (c) =>
      stateA(c, [{ id: { toString: 'x' }, status: 'running', updatedAt: at(9) }, running(X, 1)], [running(X, 1)]),
    blocks: { [X]: false },
  },
  {
    name: 'an entry with no id runs newest: the stale job still keeps the hook nagging',
    control: true,
    setup: (c) => stateA(c, [{ status: 'running', updatedAt: at(9) }, running(X, 1)], [running(X, 1)]),
    blocks: { [X]: true },
  },
  {
    name: 'a junk status is not running to the hook',
    control: true,
    setup: (c) => stateA(c, [running(X, 1, { status: 'RUNNING' })], [running(X, 1)]),
    blocks: { [X]: false },
  },
  {
    name: 'state.json is a link to an index outside: refused, no claim',
    control: true,
    setup: async (c) => {
      await stateA(c, [], [running(X, 1)]);
      await writeJson(path.join(c.outside, 'index.json'), { jobs: [running(X, 1)] });
      await fs.rm(path.join(c.stateA, 'state.json'));
      await fs.symlink(path.join(c.outside, 'index.json'), path.join(c.stateA, 'state.json'));
    },
    blocks: { [X]: false },
    warns: 'state.json',
  },
  {
    name: 'state.json is a FIFO: refused at once, no claim',
    control: true,
    setup: async (c) => {
      await stateA(c, [], [running(X, 1)]);
      await fs.rm(path.join(c.stateA, 'state.json'));
      execFileSync('mkfifo', [path.join(c.stateA, 'state.json')]);
    },
    blocks: { [X]: false },
    warns: 'state.json',
  },
  {
    name: 'repair refused: state.json became a link to outside',
    setup: async (c) => {
      await stateA(c, [running(X, 5)], [done(X, 4)]);
      await writeJson(path.join(c.outside, 'index.json'), { jobs: [running(X, 5)] });
    },
    blocks: { [X]: true },
    repair: {
      mode: 'sync',
      id: X,
      ok: false,
      before: async (c) => {
        await fs.rm(path.join(c.stateA, 'state.json'));
        await fs.symlink(path.join(c.outside, 'index.json'), path.join(c.stateA, 'state.json'));
      },
    },
  },
  {
    name: 'repair refused: the record changed since it was shown',
    setup: (c) => stateA(c, [running(X, 5)], [done(X, 4)]),
    blocks: { [X]: true },
    repair: { mode: 'changed', id: X, ok: false, index: 'running' },
  },
  {
    name: 'repair refused: the record is a link to outside',
    setup: async (c) => {
      await stateA(c, [running(X, 5)], [done(X, 4)]);
      await writeJson(path.join(c.outside, 'rec.json'), done(X, 4));
    },
    blocks: { [X]: true },
    repair: {
      mode: 'sync',
      id: X,
      ok: false,
      index: 'running',
      before: async (c) => {
        await fs.rm(path.join(c.jobsA, `${X}.json`));
        await fs.symlink(path.join(c.outside, 'rec.json'), path.join(c.jobsA, `${X}.json`));
      },
    },
  },
  {
    name: 'a thousand sessions, each with a stale job',
    control: true,
    setup: (c) =>
      stateA(
        c,
        Array.from({ length: 1000 }, (_, i) => running(`task-many${i}-aaaaaa`, i, { sessionId: `s-${i}` })),
        [],
      ),
    blocks: { 'task-many0-aaaaaa': true, 'task-many999-aaaaaa': true },
  },
];

const tally: { name: string; ok: boolean; control: boolean; ms: number; rssKb?: number }[] = [];
let base = '';

after(async () => {
  const worst = [...tally].sort((a, b) => b.ms - a.ms)[0];
  const failing = tally.filter((t) => !t.ok && !t.control).length;
  process.stdout.write(
    `# stop hook: ${tally.length} cases, ${failing} failing (${tally.filter((t) => t.control).length} controls); slowest ${worst?.name} ${worst?.ms} ms, ${Math.round((worst?.rssKb ?? 0) / 1024)} MB; max RSS ${Math.round(Math.max(0, ...tally.map((t) => t.rssKb ?? 0)) / 1024)} MB\n`,
  );
  if (base && process.env.CODEX_JOBS_HOSTILE_KEEP !== '1') await fs.rm(base, { recursive: true, force: true });
});

const TIMEOUT = 30_000;

async function runCase(k: StopCase): Promise<string[]> {
  base ||= await tmpBase();
  const c = await makeCtx(base, `stophook-${k.name}`);
  await k.setup(c);
  c.prelude = k.prelude?.(c) ?? [];
  await fingerprint(c.outside); // arms it
  let before = await fingerprint(c.outside);
  const problems: string[] = [];
  const roots = ['--state-root', c.rootA, '--state-root', c.rootB];
  const r = await runIsolated(c, [process.execPath, CLI, 'status', '--json', ...roots, c.ws], TIMEOUT);
  const rec = { name: k.name, ok: false, control: !!k.control, ms: r.ms, rssKb: r.maxRssKb };
  tally.push(rec);
  if (r.timedOut) problems.push('status --json hung');
  const crash = crashText(r.stderr) ?? crashText(r.stdout);
  if (crash) problems.push(`status --json crashed: ${crash}`);
  let body: { jobs: { id: string; blocksStop: boolean }[]; warnings: { file: string }[] } | undefined;
  try {
    body = JSON.parse(r.stdout) as typeof body;
  } catch {
    problems.push(`status --json printed no JSON (rc ${r.code}): ${r.stderr.slice(0, 300)}`);
  }
  for (const [id, want] of Object.entries(k.blocks)) {
    const j = body?.jobs.find((x) => x.id === id);
    if (body && j?.blocksStop !== want) problems.push(`${id}: blocksStop ${j?.blocksStop} (want ${want})`);
  }
  for (const [id, want] of Object.entries(k.status ?? {})) {
    const j = body?.jobs.find((x) => x.id === id) as { status?: string } | undefined;
    if (body && j?.status !== want) problems.push(`${id}: status ${j?.status} (want ${want})`);
  }
  if (k.warns && body && !body.warnings.some((w) => w.file === path.join(c.stateA, k.warns!)))
    problems.push(`no warning names ${k.warns}`);
  let d = await outsideDiff(c.outside, before);
  before = d.now;
  problems.push(...d.diff.map((x) => `status --json: ${x}`));
  if (k.repair) {
    await k.repair.before?.(c);
    const q = await runIsolated(
      c,
      [process.execPath, DRIVER, c.rootA, c.stateA, c.archive, k.repair.mode, k.repair.id],
      TIMEOUT,
      { CODEX_JOBS_HOSTILE_CORE: CORE },
    );
    rec.ms = Math.max(rec.ms, q.ms);
    rec.rssKb = Math.max(rec.rssKb ?? 0, q.maxRssKb ?? 0);
    const line = (tag: string) => new RegExp(`^${tag} (.*)$`, 'm').exec(q.stdout)?.[1];
    const res = JSON.parse(line('RESULT') ?? 'null') as { ok?: boolean; message?: string } | 'missing' | null;
    const afterLook = JSON.parse(line('AFTER') ?? 'null') as { index?: string; history: string[] } | null;
    if (q.timedOut) problems.push('the repair hung');
    if (crashText(q.stderr) || line('THREW'))
      problems.push(`the repair threw: ${line('THREW') ?? crashText(q.stderr)}`);
    if (res === 'missing' || res === null) problems.push('no Update Index Entry from Record repair');
    else {
      if (res.ok !== k.repair.ok) problems.push(`repair ok=${res.ok} (want ${k.repair.ok}): ${res.message}`);
      if (k.repair.index && afterLook?.index !== k.repair.index)
        problems.push(`after the repair the index says ${afterLook?.index} (want ${k.repair.index})`);
      if (res.ok && !afterLook?.history.includes('restored')) problems.push('the repair is not in the job history');
    }
    d = await outsideDiff(c.outside, before);
    problems.push(...d.diff.map((x) => `repair: ${x}`));
    if (res && res !== 'missing' && res.ok) {
      // What the hook then says: the job no longer blocks stop.
      c.prelude = [];
      const s = await runIsolated(c, [process.execPath, CLI, 'status', '--json', ...roots, c.ws], TIMEOUT);
      const j = (JSON.parse(s.stdout) as NonNullable<typeof body>).jobs.find((x) => x.id === k.repair!.id);
      if (j?.blocksStop !== false) problems.push(`after the repair blocksStop is ${j?.blocksStop}`);
    }
  }
  rec.ok = problems.length === 0;
  return problems;
}

describe('hostile: blocks stop and its repair', { concurrency: 4 }, () => {
  for (const k of CASES)
    test(k.name, async () => {
      const problems = await runCase(k);
      assert.deepEqual(problems, [], k.name);
    });
});

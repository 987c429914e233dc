// Hostile JSON sizes and depths, and hostile dates, through the built CLI (each command in its own pid
// and mount namespace, the decoy outside checked after each): every command ends in time with bounded
// memory, exits 0 with valid output, still shows the jobs, and names the bad file in a warning; a time
// that is none is shown as unknown (or with its year), never as "Invalid Date", never a crash.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import {
  BAD,
  CLI,
  CORE,
  crashText,
  type Ctx,
  DRIVER,
  fingerprint,
  GOOD_A,
  GOOD_B,
  logText,
  makeCtx,
  outsideDiff,
  record,
  BAD_RECORD,
  type RunResult,
  runIsolated,
  SECRET,
  tmpBase,
  writeJson,
} from './harness';

type Cmd = 'status' | 'status --json' | 'brokers --json';

interface JsonDoc {
  jobs: {
    id: string;
    status: string;
    createdAt: string | null;
    completedAt: string | null;
    error: { kind: string; resetAt: string | null } | null;
    history: { at: string | null }[];
  }[];
  warnings: { file: string; message: string }[];
}

interface Case {
  name: string;
  /** Written before the archive is primed (when it is). */
  before?: (c: Ctx) => Promise<void>;
  /** Archive every job first (the driver's keep), then run setup. */
  prime?: boolean;
  setup?: (c: Ctx) => Promise<void>;
  commands?: Cmd[];
  /** Text some warning of `status --json` (file and message) must hold. */
  warn?: string | ((c: Ctx) => string);
  /** What else the `status --json` document must say: a failure's text, or undefined. */
  json?: (doc: JsonDoc, c: Ctx) => string | undefined;
  /** The job that must be listed besides the good ones. */
  shown?: string;
  /** Each command's wall time and peak RSS must stay below these. */
  maxMs?: number;
  maxRssKb?: number;
  /** Passes on the old code too. */
  control?: boolean;
  todo?: string;
}

const FAIL = 'task-fail00-dddddd';
/** A 6 MB text of arrays nested three million deep. */
const DEEP_ARRAYS = `${'['.repeat(3_000_000)}${']'.repeat(3_000_000)}`;

const archiveSub = (c: Ctx, stateDir: string) =>
  path.join(c.archive, createHash('sha256').update(stateDir).digest('hex').slice(0, 16));

/** Root A's state with these jobs added to the good and the bad one, each with a record and a log. */
async function addJobs(c: Ctx, jobs: Record<string, unknown>[], recordText?: (j: Record<string, unknown>) => string) {
  const all = [record(GOOD_A), BAD_RECORD(), ...jobs];
  await writeJson(path.join(c.stateA, 'state.json'), { version: 1, config: { stopReviewGate: false }, jobs: all });
  for (const j of jobs) {
    const f = path.join(c.jobsA, `${String(j.id)}.json`);
    await fs.writeFile(f, recordText ? recordText(j) : JSON.stringify(j));
    await fs.writeFile(path.join(c.jobsA, `${String(j.id)}.log`), logText(String(j.id)));
  }
}

/** A failed job whose error says when the usage limit resets, with these fields. */
const limitJob = (errorMessage: string, extra: Record<string, unknown> = {}) =>
  record(FAIL, { status: 'failed', phase: 'failed', errorMessage, ...extra });

const jobOf = (doc: JsonDoc, id: string) => doc.jobs.find((j) => j.id === id);

/** The failed job is there, classified as a usage limit, with no reset time (the text gave none that is one). */
const noReset = (doc: JsonDoc): string | undefined => {
  const j = jobOf(doc, FAIL);
  if (!j) return `${FAIL} is not listed`;
  if (j.error?.kind !== 'usage-limit') return `error kind ${j.error?.kind}`;
  return j.error.resetAt === null ? undefined : `resetAt ${j.error.resetAt} read from a time that is none`;
};

/** The job's time field is unknown (null) or a plausible ISO time. */
const timeUnknown =
  (field: 'createdAt' | 'completedAt') =>
  (doc: JsonDoc): string | undefined => {
    const j = jobOf(doc, FAIL);
    if (!j) return `${FAIL} is not listed`;
    const v = j[field];
    if (v === null) return undefined;
    const ms = Date.parse(v);
    return ms > Date.UTC(1970, 0, 1) && ms < Date.now() + 10 * 365 * 86_400_000 ? undefined : `${field} is ${v}`;
  };

const yearCase = (label: string, value: string): Case => ({
  name: `createdAt is ${label}`,
  before: (c) => addJobs(c, [record(FAIL, { createdAt: value, startedAt: undefined })]),
  warn: `${FAIL}.json`,
  json: timeUnknown('createdAt'),
  shown: FAIL,
});

const CASES: Case[] = [
  {
    name: 'ten review records whose rawOutput is 6 MB of arrays nested 3,000,000 deep',
    before: (c) =>
      addJobs(
        c,
        Array.from({ length: 10 }, (_, i) =>
          record(`review-deep0${i}-aaaaaa`, {
            kind: 'review',
            kindLabel: 'review',
            jobClass: 'review',
            result: { rawOutput: `{"verdict":"x","findings":${DEEP_ARRAYS}}` },
          }),
        ),
      ),
    commands: ['status --json'],
    json: (doc) =>
      doc.jobs.filter((j) => j.id.startsWith('review-deep')).length === 10
        ? undefined
        : 'the deep reviews are not all listed',
    maxMs: 10_000,
    maxRssKb: 400_000,
  },
  {
    name: 'a state.json entry holds 6 MB of arrays nested 3,000,000 deep',
    setup: async (c) => {
      const r = JSON.stringify(BAD_RECORD());
      const text = `{"version":1,"jobs":[${JSON.stringify(record(GOOD_A))},${r.slice(0, -1)},"extra":${DEEP_ARRAYS}}]}`;
      await fs.writeFile(path.join(c.stateA, 'state.json'), text);
    },
    warn: 'state.json',
    json: (doc) =>
      doc.warnings.some((w) => /nested deeper/.test(w.message)) ? undefined : 'no "nested deeper" warning',
    maxMs: 6000,
    maxRssKb: 150_000,
  },
  {
    name: 'a record field is an object nested 1,200,000 deep (6 MB)',
    setup: async (c) => {
      const n = 1_200_000;
      const r = JSON.stringify(BAD_RECORD());
      await fs.writeFile(
        path.join(c.jobsA, `${BAD}.json`),
        `${r.slice(0, -1)},"extra":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`,
      );
    },
    warn: `${BAD}.json`,
    shown: BAD,
    maxMs: 6000,
    maxRssKb: 150_000,
  },
  {
    name: 'broker.json is nested 20,000 deep (under its size limit)',
    setup: (c) =>
      fs.writeFile(
        path.join(c.stateA, 'broker.json'),
        `{"pid":31003,"sessionDir":"/nonexistent","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
      ),
    commands: ['status --json', 'brokers --json'],
    warn: 'broker.json',
  },
  {
    name: 'an archive entry holds a record of 6 MB nested 3,000,000 deep',
    prime: true,
    setup: (c) =>
      fs.writeFile(
        path.join(archiveSub(c, c.stateA), 'task-arch01-ffffff.json'),
        `{"id":"task-arch01-ffffff","stateDir":${JSON.stringify(c.stateA)},"logOffset":0,"logBytes":0,"record":{"id":"task-arch01-ffffff","x":${DEEP_ARRAYS}}}`,
      ),
    warn: 'task-arch01-ffffff.json',
    maxMs: 6000,
    maxRssKb: 150_000,
  },
  {
    name: 'a record string of 8 MB of backslash escapes (over the record limit: refused unread)',
    setup: (c) =>
      fs.writeFile(
        path.join(c.jobsA, `${BAD}.json`),
        `${JSON.stringify(BAD_RECORD()).slice(0, -1)},"x":"${'\\\\'.repeat(4_200_000)}"}`,
      ),
    warn: `${BAD}.json`,
    maxMs: 6000,
    control: true,
  },
  {
    name: 'usage limit: try again in 99999999999999 days',
    before: (c) => addJobs(c, [limitJob("You've hit your usage limit. Try again in 99999999999999 days.")]),
    json: noReset,
    shown: FAIL,
  },
  {
    name: 'usage limit: try again in a 400-digit count of hours',
    before: (c) => addJobs(c, [limitJob(`You've hit your usage limit. Try again in ${'9'.repeat(400)} hours.`)]),
    json: noReset,
    shown: FAIL,
  },
  {
    name: 'usage limit in 99999999999999 days, the job files deleted (only the archive has it)',
    before: (c) => addJobs(c, [limitJob("You've hit your usage limit. Try again in 99999999999999 days.")]),
    prime: true,
    setup: async (c) => {
      await fs.rm(path.join(c.jobsA, `${FAIL}.json`));
      await fs.rm(path.join(c.jobsA, `${FAIL}.log`));
      await writeJson(path.join(c.stateA, 'state.json'), { version: 1, jobs: [record(GOOD_A), BAD_RECORD()] });
    },
    json: noReset,
    shown: FAIL,
  },
  {
    name: 'usage limit: try again at 99:99',
    before: (c) => addJobs(c, [limitJob("You've hit your usage limit. Try again at 99:99.")]),
    json: noReset,
    shown: FAIL,
  },
  {
    name: 'usage limit: try again at 25:61 AM',
    before: (c) => addJobs(c, [limitJob("You've hit your usage limit. Try again at 25:61 AM.")]),
    json: noReset,
    shown: FAIL,
  },
  {
    name: 'usage limit: try again at 13:00 PM',
    before: (c) => addJobs(c, [limitJob("You've hit your usage limit. Try again at 13:00 PM.")]),
    json: noReset,
    shown: FAIL,
  },
  {
    name: 'usage limit in 3 days, completed in year 275760',
    before: (c) =>
      addJobs(c, [
        limitJob("You've hit your usage limit. Try again in 3 days.", {
          completedAt: '+275760-09-13T00:00:00.000Z',
          updatedAt: '+275760-09-13T00:00:00.000Z',
        }),
      ]),
    warn: `${FAIL}.json`,
    json: timeUnknown('completedAt'),
    shown: FAIL,
  },
  yearCase('year 0', '0000-01-01T00:00:00.000Z'),
  yearCase('year 1900', '1900-06-01T12:00:00.000Z'),
  yearCase('the text "-1"', '-1'),
  yearCase('the text "NaN"', 'NaN'),
  {
    name: 'an archive entry has a history time past year 275760',
    prime: true,
    setup: async (c) => {
      const f = path.join(archiveSub(c, c.stateA), `${GOOD_A}.json`);
      const e = JSON.parse(await fs.readFile(f, 'utf8')) as { history: { atMs: number }[] };
      e.history = [...e.history, { atMs: 9e15, what: 'status', status: 'completed' } as never];
      await writeJson(f, e);
    },
    warn: `${GOOD_A}.json`,
    json: (doc) =>
      jobOf(doc, GOOD_A)?.history.every((h) => typeof h.at === 'string') ? undefined : 'a history time is not ISO text',
  },
  {
    name: 'an archive entry has a history time before 1970 and a lastSeenMs of 1e300',
    prime: true,
    setup: async (c) => {
      const f = path.join(archiveSub(c, c.stateA), `${GOOD_A}.json`);
      const e = JSON.parse(await fs.readFile(f, 'utf8')) as { history: { atMs: number }[] };
      e.history = [{ atMs: -1, what: 'created' } as never, ...e.history];
      await writeJson(f, { ...e, lastSeenMs: 1e300 });
    },
    warn: `${GOOD_A}.json`,
  },
];

let base = '';
const figures: { case: string; cmd: Cmd; ms: number; maxRssKb?: number }[] = [];

after(async () => {
  const worst = [...figures].sort((a, b) => (b.maxRssKb ?? 0) - (a.maxRssKb ?? 0))[0];
  const slowest = [...figures].sort((a, b) => b.ms - a.ms)[0];
  if (worst)
    process.stdout.write(
      `# parse and dates: most memory ${Math.round((worst.maxRssKb ?? 0) / 1024)} MB (${worst.case}: ${worst.cmd}); slowest ${slowest.ms} ms (${slowest.case}: ${slowest.cmd})\n`,
    );
  if (base && process.env.CODEX_JOBS_HOSTILE_KEEP !== '1') await fs.rm(base, { recursive: true, force: true });
});

function args(c: Ctx, cmd: Cmd): string[] {
  const roots = ['--state-root', c.rootA, '--state-root', c.rootB];
  if (cmd === 'brokers --json') return ['brokers', '--json', ...roots];
  return cmd === 'status' ? ['status', ...roots, c.ws] : ['status', '--json', ...roots, c.ws];
}

/** Everything a command's run must satisfy; the reason it does not, or undefined. */
function judge(k: Case, c: Ctx, cmd: Cmd, r: RunResult, outside: string[]): string | undefined {
  if (r.timedOut) return `no exit after ${r.ms} ms`;
  const crash = crashText(r.stderr);
  if (crash || r.signal) return `crash: ${r.signal ?? ''} ${crash ?? ''}`;
  if (r.code !== 0) return `exit code ${r.code}: ${r.stderr.split('\n')[0].slice(0, 200)}`;
  if (outside.length) return `outside touched: ${outside.slice(0, 3).join('; ')}`;
  const all = `${r.stdout}\n${r.stderr}`;
  if (all.includes(SECRET)) return 'printed what the decoy outside holds';
  // What a Date that is none prints as ("Invalid Date", "NaN-NaN-NaN NaN:NaN"), or throws.
  const invalid = /.*(Invalid (Date|time value)|NaN[-:]NaN|\bNaN ?(min|[smhdw])\b).*/.exec(all);
  if (invalid) return `printed an invalid date: ${invalid[0].slice(0, 200)}`;
  if (k.maxMs && r.ms > k.maxMs) return `took ${r.ms} ms (at most ${k.maxMs})`;
  if (k.maxRssKb && r.maxRssKb && r.maxRssKb > k.maxRssKb)
    return `peak RSS ${Math.round(r.maxRssKb / 1024)} MB (at most ${Math.round(k.maxRssKb / 1024)})`;
  const warn = typeof k.warn === 'function' ? k.warn(c) : k.warn;
  if (cmd === 'brokers --json') {
    let doc: { warnings: { file?: string; message: string }[] };
    try {
      doc = JSON.parse(r.stdout) as typeof doc;
    } catch {
      return `output is not JSON (${r.stdout.length} bytes)`;
    }
    if (warn && !doc.warnings.some((w) => `${w.file ?? ''}: ${w.message}`.includes(warn)))
      return `no broker warning names "${warn}": ${JSON.stringify(doc.warnings).slice(0, 300)}`;
    return undefined;
  }
  if (cmd === 'status') {
    const lines = all.split('\n');
    const row = (id: string) => lines.find((l) => l.includes(id) && !/warning/i.test(l)) ?? '';
    for (const id of [GOOD_A, GOOD_B]) if (!/\bcompleted\b/.test(row(id))) return `${id}: "${row(id)}"`;
    if (k.shown && !row(k.shown)) return `${k.shown} is not listed`;
    return undefined;
  }
  let doc: JsonDoc;
  try {
    doc = JSON.parse(r.stdout) as JsonDoc;
  } catch {
    return `output is not JSON (${r.stdout.length} bytes)`;
  }
  for (const id of [GOOD_A, GOOD_B])
    if (jobOf(doc, id)?.status !== 'completed') return `${id} is ${jobOf(doc, id)?.status}`;
  if (k.shown && !jobOf(doc, k.shown)) return `${k.shown} is not listed`;
  if (warn && !doc.warnings.some((w) => `${w.file}: ${w.message}`.includes(warn)))
    return `no warning names "${warn}": ${JSON.stringify(doc.warnings).slice(0, 300)}`;
  return k.json?.(doc, c);
}

async function runCase(k: Case): Promise<Map<Cmd, string | undefined>> {
  base ||= await tmpBase();
  const c = await makeCtx(base, k.name);
  await k.before?.(c);
  if (k.prime) {
    const p = await runIsolated(c, [process.execPath, DRIVER, c.rootA, c.stateA, c.archive, 'prime'], 60_000, {
      CODEX_JOBS_HOSTILE_CORE: CORE,
    });
    assert.match(p.stdout, /^END$/m, `priming the archive failed: ${p.stdout.slice(-300)} ${p.stderr.slice(0, 300)}`);
  }
  await k.setup?.(c);
  await fingerprint(c.outside); // arms it
  let before = await fingerprint(c.outside);
  const out = new Map<Cmd, string | undefined>();
  for (const cmd of k.commands ?? (['status --json', 'status'] as Cmd[])) {
    const r = await runIsolated(c, [process.execPath, CLI, ...args(c, cmd)], 30_000);
    figures.push({ case: k.name, cmd, ms: r.ms, maxRssKb: r.maxRssKb });
    if (process.env.CODEX_JOBS_PARSE_FIGURES === '1')
      process.stdout.write(`# ${k.name}: ${cmd}: ${r.ms} ms, ${Math.round((r.maxRssKb ?? 0) / 1024)} MB\n`);
    const { diff, now } = await outsideDiff(c.outside, before);
    before = now;
    out.set(cmd, judge(k, c, cmd, r, diff));
  }
  return out;
}

describe('hostile JSON sizes and dates', { concurrency: 2 }, () => {
  for (const k of CASES) {
    test(k.name, async (t) => {
      const results = await runCase(k);
      for (const [cmd, failure] of results)
        await t.test(cmd, { todo: k.todo }, () => assert.equal(failure, undefined, `${k.name} / ${cmd}: ${failure}`));
    });
  }
});

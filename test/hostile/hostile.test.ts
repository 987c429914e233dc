// The hostile-input suite: every case of cases.ts through every CLI command and the core's repairs
// and cancel. Each command must end in time (no hang), without a stack trace and with its documented
// exit code (no crash), name the bad file in a warning, still show the good jobs, and read, write or
// delete nothing in the decoy outside tree. Run: npm run build && npx tsc -p . && npm run test:hostile.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as path from 'path';
import { CASES, type CommandName, type HostileCase, startRace } from './cases';
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
  makeCtx,
  opensOutside,
  outsideDiff,
  type RunResult,
  runIsolated,
  SECRET,
  STRACE,
  tmpBase,
} from './harness';

type Verdict = 'ok' | 'hang' | 'crash' | 'out-of-bounds' | 'wrong';
const tally: { case: string; command: CommandName; verdict: Verdict; detail: string; control: boolean }[] = [];
let maxRssKb = 0;
let maxRssWhere = '';
let base = '';

after(async () => {
  const count = (v: Verdict, control?: boolean) =>
    tally.filter((t) => t.verdict === v && (control === undefined || t.control === control)).length;
  const casesFailing = new Set(tally.filter((t) => t.verdict !== 'ok').map((t) => t.case));
  const summary = {
    cli: CLI,
    core: CORE,
    cases: new Set(tally.map((t) => t.case)).size,
    runs: tally.length,
    hangs: count('hang'),
    crashes: count('crash'),
    outOfBounds: count('out-of-bounds'),
    wrong: count('wrong'),
    casesFailing: casesFailing.size,
    controlCasesFailing: new Set(tally.filter((t) => t.verdict !== 'ok' && t.control).map((t) => t.case)).size,
    maxRssKb,
    maxRssWhere,
    failures: tally.filter((t) => t.verdict !== 'ok'),
  };
  if (process.env.CODEX_JOBS_HOSTILE_REPORT)
    await fs.writeFile(process.env.CODEX_JOBS_HOSTILE_REPORT, JSON.stringify(summary, null, 2));
  process.stdout.write(
    `# hostile: ${summary.cases} cases, ${summary.runs} runs: ${summary.hangs} hangs, ${summary.crashes} crashes, ${summary.outOfBounds} out-of-bounds, ${summary.wrong} wrong; max RSS ${Math.round(maxRssKb / 1024)} MB (${maxRssWhere})\n`,
  );
  if (base && process.env.CODEX_JOBS_HOSTILE_KEEP !== '1') await fs.rm(base, { recursive: true, force: true });
});

const DEFAULT_TIMEOUT = 12_000;
const TRACE_ALL = process.env.CODEX_JOBS_HOSTILE_STRACE === '1';
const TRACED: CommandName[] = ['status --json', 'log bad', 'brokers --json', 'core'];

function cliArgs(c: Ctx, cmd: CommandName): string[] {
  const roots = ['--state-root', c.rootA, '--state-root', c.rootB];
  switch (cmd) {
    case 'status':
      return ['status', ...roots, c.ws];
    case 'status --json':
      return ['status', '--json', ...roots, c.ws];
    case 'status --all':
      return ['status', '--all', ...roots];
    case 'log good':
      return ['log', GOOD_B, ...roots, c.ws];
    case 'log bad':
      return ['log', BAD, ...roots, c.ws];
    case 'brokers':
      return ['brokers', ...roots];
    case 'brokers --json':
      return ['brokers', '--json', ...roots];
    case 'reap --dry-run':
      return ['reap', '--dry-run', ...roots];
    default:
      throw new Error(cmd);
  }
}

interface Judged {
  verdict: Verdict;
  detail: string;
}

/** Everything a command's output must satisfy for a case, as one verdict. */
function judge(k: HostileCase, c: Ctx, cmd: CommandName, r: RunResult, outside: string[]): Judged {
  const all = `${r.stdout}\n${r.stderr}`;
  if (r.timedOut) return { verdict: 'hang', detail: `no exit after ${r.ms} ms` };
  const crash = crashText(r.stderr);
  if (crash || r.signal) return { verdict: 'crash', detail: `${r.signal ?? ''} ${crash ?? ''}`.trim() };
  if (outside.length) return { verdict: 'out-of-bounds', detail: outside.slice(0, 3).join('; ') };
  if (all.includes(SECRET)) return { verdict: 'out-of-bounds', detail: 'printed what the decoy outside holds' };
  if (/root:x?:0:0:/.test(all)) return { verdict: 'out-of-bounds', detail: 'printed /etc/passwd' };
  if (cmd === 'core') {
    if (/^THREW /m.test(r.stdout)) return { verdict: 'crash', detail: /^THREW .*/m.exec(r.stdout)![0] };
    if (!/^END$/m.test(r.stdout)) return { verdict: 'crash', detail: `driver ended early (rc ${r.code})` };
    return { verdict: 'ok', detail: '' };
  }
  const expected = cmd === 'log bad' ? [0, 1] : [0];
  if (!expected.includes(r.code ?? -1))
    return { verdict: 'crash', detail: `exit code ${r.code}: ${r.stderr.split('\n')[0].slice(0, 200)}` };
  const warn = typeof k.warn === 'function' ? k.warn(c) : k.warn;
  const goodA = k.goodA ?? true;
  if (cmd === 'status --json') {
    let doc: { jobs: { id: string; status: string }[]; warnings: { file: string; message: string }[] };
    try {
      doc = JSON.parse(r.stdout);
    } catch {
      return { verdict: 'crash', detail: `output is not JSON (${r.stdout.length} bytes)` };
    }
    const st = (id: string) => doc.jobs.find((j) => j.id === id)?.status;
    if (st(GOOD_B) !== 'completed') return { verdict: 'wrong', detail: `${GOOD_B} is ${st(GOOD_B)}` };
    if (goodA && st(GOOD_A) !== 'completed') return { verdict: 'wrong', detail: `${GOOD_A} is ${st(GOOD_A)}` };
    if (warn && !doc.warnings.some((w) => `${w.file}: ${w.message}`.includes(warn)))
      return { verdict: 'wrong', detail: `no warning names "${warn}"` };
  }
  if (cmd === 'status' || cmd === 'status --all') {
    // Only what the text is documented to say: a row names the job and its status; a warning line
    // (on stdout or stderr) says "warning" and names the file. Column layout is not assumed.
    const lines = all.split('\n');
    const row = (id: string) => lines.find((l) => l.includes(id) && !/warning/i.test(l)) ?? '';
    if (!/\bcompleted\b/.test(row(GOOD_B))) return { verdict: 'wrong', detail: `${GOOD_B}: "${row(GOOD_B)}"` };
    if (goodA && !/\bcompleted\b/.test(row(GOOD_A))) return { verdict: 'wrong', detail: `${GOOD_A}: "${row(GOOD_A)}"` };
    const wantWarn = cmd === 'status' || !k.noWarnAll;
    if (wantWarn && warn && !lines.some((l) => /warning/i.test(l) && l.includes(warn)))
      return { verdict: 'wrong', detail: `no warning line names "${warn}"` };
  }
  if (cmd === 'log good' && !r.stdout.includes(`progress of ${GOOD_B}`))
    return { verdict: 'wrong', detail: `the good log was not printed (rc ${r.code})` };
  if (cmd === 'brokers --json') {
    let doc: { warnings: { file: string; message: string }[] };
    try {
      doc = JSON.parse(r.stdout);
    } catch {
      return { verdict: 'crash', detail: `output is not JSON (${r.stdout.length} bytes)` };
    }
    if (k.brokerWarn && !doc.warnings.some((w) => `${w.file}: ${w.message}`.includes(k.brokerWarn!)))
      return { verdict: 'wrong', detail: `no broker warning names "${k.brokerWarn}"` };
  }
  return { verdict: 'ok', detail: '' };
}

const COMMANDS: CommandName[] = [
  'status',
  'status --json',
  'status --all',
  'log good',
  'log bad',
  'brokers',
  'brokers --json',
  'reap --dry-run',
  'core',
];

async function runCase(k: HostileCase): Promise<Map<CommandName, Judged>> {
  base ||= await tmpBase();
  const c = await makeCtx(base, k.name);
  c.dropDac = !!k.dropDac;
  const timeout = k.timeoutMs ?? DEFAULT_TIMEOUT;
  const core = (mode: string, traceFile?: string) =>
    runIsolated(
      c,
      [process.execPath, DRIVER, c.rootA, c.stateA, c.archive, mode],
      timeout,
      { CODEX_JOBS_HOSTILE_CORE: CORE },
      traceFile,
    );
  if (k.prime) await core('prime');
  await k.setup(c);
  await fingerprint(c.outside); // arms it
  let before = await fingerprint(c.outside);
  const stop = k.race ? startRace(k.race(c)) : undefined;
  const out = new Map<CommandName, Judged>();
  try {
    for (const cmd of COMMANDS) {
      if (cmd === 'log bad' && !k.logBad) continue;
      // An fs-level observer where strace is there: every command under CODEX_JOBS_HOSTILE_STRACE=1,
      // else the ones that read the most (status --json, log of the bad job, brokers --json, the core).
      const traced = STRACE && (TRACE_ALL || TRACED.includes(cmd));
      const traceFile = traced ? path.join(c.dir, `trace-${cmd.replace(/\W+/g, '-')}.txt`) : undefined;
      const r =
        cmd === 'core'
          ? await core('repair', traceFile)
          : await runIsolated(c, [process.execPath, CLI, ...cliArgs(c, cmd)], timeout, {}, traceFile);
      const opened = traceFile ? (await opensOutside(c, traceFile)).map((f) => `opened ${f}`) : [];
      if (r.maxRssKb && r.maxRssKb > maxRssKb) {
        maxRssKb = r.maxRssKb;
        maxRssWhere = `${k.name}: ${cmd}`;
      }
      const { diff, now } = await outsideDiff(c.outside, before);
      before = now;
      const j = judge(k, c, cmd, r, [...opened, ...diff]);
      out.set(cmd, j);
      tally.push({ case: k.name, command: cmd, verdict: j.verdict, detail: j.detail, control: !!k.control });
    }
  } finally {
    stop?.();
  }
  return out;
}

describe('hostile input', { concurrency: 6 }, () => {
  for (const k of CASES) {
    test(k.name, { skip: k.skip }, async (t) => {
      const results = await runCase(k);
      for (const [cmd, j] of results) {
        await t.test(cmd, { todo: k.todo?.[cmd] }, () => {
          assert.equal(j.verdict, 'ok', `${k.name} / ${cmd}: ${j.verdict}: ${j.detail}`);
        });
      }
    });
  }
});

export { path };

// Hostile record fields against Re-run, Resume and Open Finding (issue 21).
//
// Arguments: a record's review base, scope, model, effort, focus, prompt or thread id must never
// become an option of the companion or of git. Each case seeds the stand-in companion's state dir
// with a record, runs Re-run or Resume as the editor does it (recordArgsDriver) in its own pid
// namespace, with a `git` on PATH that records its arguments and writes where an `--output=` option
// tells it (standing for any git option that writes), and the companion recording its own argv.
// A refused field must be named with its record file and nothing started; nothing outside changes.
//
// Findings: a finding's path is opened only by its checked real path, inside the workspace by path
// segments, checked again once loaded; a task's review-shaped output is never findings.

import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as path from 'path';
import { coreModule } from './coreModule';
import type * as Findings from '../../src/core/io/findings';
import {
  CLI,
  CORE,
  crashText,
  type Ctx,
  fingerprint,
  makeCtx,
  outsideDiff,
  record,
  REPO,
  runIsolated,
  SECRET,
  tmpBase,
  writeStateDir,
} from './harness';
import type { DriverParams } from './recordArgsDriver';

const FAKE_COMPANION = path.join(REPO, 'test', 'fixtures', 'fake-plugin', 'scripts', 'codex-companion.mjs');
const ARG_DRIVER = path.join(__dirname, 'recordArgsDriver.js');
const JOB = 'review-hostil-aaaaaa';
const TASK = 'task-hostil-bbbbbb';

let base = '';
const tally: { case: string; ok: boolean; detail: string; ms: number; maxRssKb?: number; control: boolean }[] = [];
after(async () => {
  const failing = tally.filter((t) => !t.ok);
  const worst = [...tally].sort((a, b) => b.ms - a.ms)[0];
  const rss = [...tally].sort((a, b) => (b.maxRssKb ?? 0) - (a.maxRssKb ?? 0))[0];
  process.stdout.write(
    `# record args: ${tally.length} cases (${tally.filter((t) => t.control).length} controls), ${failing.length} failing` +
      `${failing.length ? ` (${failing.map((f) => f.case).join('; ')})` : ''}; slowest ${worst?.case} ${worst?.ms} ms; ` +
      `max RSS ${Math.round((rss?.maxRssKb ?? 0) / 1024)} MB (${rss?.case})\n`,
  );
  if (base && process.env.CODEX_JOBS_HOSTILE_KEEP !== '1') await fs.rm(base, { recursive: true, force: true });
});

type Outcome = { ok: boolean; detail: string; ms: number; maxRssKb?: number };

/** One test per case, each tallied for the summary line. */
function suiteOf<K extends { name: string; control?: boolean }>(
  title: string,
  cases: K[],
  run: (k: K) => Promise<Outcome>,
): void {
  describe(title, { concurrency: 4 }, () => {
    for (const k of cases) {
      test(k.name, async () => {
        const r = await run(k);
        tally.push({ case: k.name, ...r, control: !!k.control });
        assert.ok(r.ok, `${k.name}: ${r.detail}`);
      });
    }
  });
}

// ---------------------------------------------------------------- arguments from records

/** A fake `git`: records its arguments; an `--output=<file>` argument writes that file, as git diff would. */
const FAKE_GIT = (node: string) => `#!${node}
const fs = require('fs');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_GIT_LOG, JSON.stringify(args) + '\\n');
for (const a of args) {
  const m = /^--output=([\\s\\S]*)$/.exec(a);
  if (m) fs.writeFileSync(m[1], 'written by git\\n');
}
if (args[0] === 'merge-base') {
  process.stdout.write('0'.repeat(40) + '\\n');
  process.exit(0);
}
process.exit(128);
`;

const reviewRecord = (baseRef: string, extra: Record<string, unknown> = {}) =>
  record(JOB, {
    kind: 'review',
    kindLabel: 'review',
    jobClass: 'review',
    threadId: 'thr_review1',
    result: { review: 'Review', target: { mode: 'branch', label: `branch diff against ${baseRef}`, baseRef } },
    ...extra,
  });

const taskRecord = (request: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  record(TASK, {
    threadId: 'thr_task1',
    request: { prompt: 'fix the bug', write: false, resumeLast: false, ...request },
    ...extra,
  });

interface Seen {
  /** The companion's runs: each its argv (subcommand first). */
  companion: string[][];
  git: string[][];
  refusal?: string;
  launched?: { ok: boolean; message: string };
}

interface ArgCase {
  name: string;
  control?: boolean;
  mode: DriverParams['mode'];
  records?: (c: Ctx) => Record<string, unknown>[];
  jobId?: string;
  request?: (c: Ctx) => Record<string, unknown>;
  given?: DriverParams['given'];
  /** Refused: what the message must name (besides the record file, for a record's field). */
  refused?: RegExp;
  /** Started: what the companion's run must show; a sentence when it does not. */
  started?: (s: Seen, c: Ctx) => string | undefined;
}

const launchRuns = (s: Seen) => s.companion.filter((a) => ['task', 'review', 'adversarial-review'].includes(a[0]));

/** The companion's argv has `value` only as the text after `--`. */
const afterDashes = (value: string) => (s: Seen) => {
  const run = launchRuns(s)[0];
  if (!run) return `the companion was not started: ${s.refusal ?? s.launched?.message}`;
  const i = run.indexOf('--');
  return i >= 0 && run[i + 1] === value && run.indexOf(value) === i + 1
    ? undefined
    : `the text is not alone after "--": ${JSON.stringify(run)}`;
};

const withBase = (ref: string) => (s: Seen) => {
  const run = launchRuns(s)[0];
  if (!run) return `the companion was not started: ${s.refusal ?? s.launched?.message}`;
  if (run[run.indexOf('--base') + 1] !== ref) return `no --base ${ref}: ${JSON.stringify(run)}`;
  return s.git.some((g) => g[0] === 'merge-base' && g[2] === ref) ? undefined : 'git merge-base did not get the ref';
};

const ARG_CASES: ArgCase[] = [
  {
    name: 'base --output=<outside file>',
    mode: 'rerun',
    records: (c) => [reviewRecord(`--output=${path.join(c.outside, 'written-by-git')}`)],
    refused: /base .*--output=.*starts with "-"/,
  },
  { name: 'base -x', mode: 'rerun', records: () => [reviewRecord('-x')], refused: /base "-x".*starts with "-"/ },
  { name: 'base main..HEAD', mode: 'rerun', records: () => [reviewRecord('main..HEAD')], refused: /base .*"\.\."/ },
  { name: 'base with a space', mode: 'rerun', records: () => [reviewRecord('main x')], refused: /base .*space/ },
  {
    name: 'base with a newline and an option',
    mode: 'rerun',
    records: (c) => [reviewRecord(`main\n--output=${path.join(c.outside, 'nl')}`)],
    refused: /base "main\\n--output=.*control character/,
  },
  {
    name: 'base with an escape sequence',
    mode: 'rerun',
    records: () => [reviewRecord('main\u001b[2J')],
    refused: /base "main\\u001b\[2J"/,
  },
  { name: 'base @{-1}', mode: 'rerun', records: () => [reviewRecord('@{-1}')], refused: /base "@\{-1\}".*"@\{"/ },
  { name: 'base ending in .lock', mode: 'rerun', records: () => [reviewRecord('main.lock')], refused: /\.lock/ },
  {
    name: 'scope not in the list, passed by a caller',
    mode: 'launch',
    request: (c) => ({ kind: 'review', scope: `--output=${path.join(c.outside, 'scope')}` }),
    refused: /scope .*takes only auto, working-tree, branch/,
  },
  {
    name: 'model --config=x',
    mode: 'rerun',
    jobId: TASK,
    records: () => [taskRecord({ model: '--config=x' })],
    refused: /model "--config=x".*starts with "-"/,
  },
  {
    name: 'model -m on a review',
    mode: 'rerun',
    records: () => [reviewRecord('main', { request: { model: '-m' } })],
    refused: /model "-m"/,
  },
  {
    name: 'effort --yolo',
    mode: 'rerun',
    jobId: TASK,
    records: () => [taskRecord({ effort: '--yolo' })],
    refused: /effort "--yolo".*takes only none, minimal/,
  },
  {
    name: 'effort unknown',
    mode: 'rerun',
    jobId: TASK,
    records: () => [taskRecord({ effort: 'ultra' })],
    refused: /effort "ultra"/,
  },
  {
    name: 'prompt with a NUL byte',
    mode: 'rerun',
    jobId: TASK,
    records: () => [taskRecord({ prompt: 'fix\u0000 --write' })],
    refused: /prompt .*NUL byte/,
  },
  {
    name: 'resume: model --config=x in the record',
    mode: 'resume',
    jobId: TASK,
    records: () => [taskRecord({ model: '--config=x' })],
    refused: /model "--config=x"/,
  },
  {
    name: 'resume: the companion offers a thread id with / and ..',
    mode: 'resume',
    jobId: TASK,
    records: () => [
      taskRecord({}),
      record('task-other0-cccccc', {
        threadId: 'thr_1/../../x',
        updatedAt: '2026-11-30T11:00:00.000Z',
        completedAt: '2026-11-30T11:00:00.000Z',
      }),
    ],
    refused: /thread whose id "thr_1\/\.\.\/\.\.\/x" is not of a thread id's shape/,
  },
  {
    name: 'control: focus starting with -- stays text after --',
    control: true,
    mode: 'rerun',
    records: () => [reviewRecord('main', { kind: 'adversarial-review', result: { target: { mode: 'working-tree' } } })],
    given: { focus: '--base=--output=x' },
    started: afterDashes('--base=--output=x'),
  },
  {
    name: 'control: prompt starting with -- stays text after --',
    control: true,
    mode: 'rerun',
    jobId: TASK,
    records: () => [taskRecord({ prompt: '--write --model=x' })],
    started: afterDashes('--write --model=x'),
  },
  {
    name: 'control: base main',
    control: true,
    mode: 'rerun',
    records: () => [reviewRecord('main')],
    started: withBase('main'),
  },
  {
    name: 'control: base a commit hash',
    control: true,
    mode: 'rerun',
    records: () => [reviewRecord('4b825dc642cb6eb9a060e54bf8d69288fbee4904')],
    started: withBase('4b825dc642cb6eb9a060e54bf8d69288fbee4904'),
  },
  {
    name: "resume: the record's thread id has / and ..",
    mode: 'resume',
    jobId: TASK,
    records: () => [taskRecord({}, { threadId: 'thr/../x' })],
    refused: /not a finished rescue task with a thread/,
  },
];

const lines = async (file: string): Promise<string[][]> =>
  (await fs.readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as string[]);

async function runArgCase(k: ArgCase): Promise<Outcome> {
  base ||= await tmpBase();
  const c = await makeCtx(base, `args-${k.name}`);
  const pluginData = path.join(c.dir, 'plugin');
  const stateDir = path.join(pluginData, 'state', path.basename(c.stateA));
  if (k.records) await writeStateDir(stateDir, k.records(c));
  const bin = path.join(c.dir, 'bin');
  await fs.mkdir(bin);
  await fs.writeFile(path.join(bin, 'git'), FAKE_GIT(process.execPath), { mode: 0o755 });
  const argvFile = path.join(c.dir, 'companion-argv.jsonl');
  const gitLog = path.join(c.dir, 'git-argv.jsonl');
  await fingerprint(c.outside);
  const before = await fingerprint(c.outside);
  const params: DriverParams = {
    mode: k.mode,
    pluginData,
    stateDir,
    jobId: k.jobId ?? JOB,
    workspace: c.ws,
    companion: FAKE_COMPANION,
    given: k.given,
    request: k.request?.(c),
  };
  const r = await runIsolated(c, [process.execPath, ARG_DRIVER, JSON.stringify(params)], 30_000, {
    CODEX_JOBS_HOSTILE_CORE: CORE,
    PATH: `${bin}:${process.env.PATH}`,
    FAKE_GIT_LOG: gitLog,
    FAKE_COMPANION_ARGV: argvFile,
    FAKE_COMPANION_GIT: '1',
    FAKE_COMPANION_MODE: 'exit',
    FAKE_COMPANION_RMW_DELAY_MS: '0',
  });
  const done = (ok: boolean, detail: string) => ({ ok, detail, ms: r.ms, maxRssKb: r.maxRssKb });
  if (r.timedOut) return done(false, `no exit after ${r.ms} ms`);
  const crash = crashText(r.stderr);
  const m = /^RESULT (.*)$/m.exec(r.stdout);
  if (crash || !m) return done(false, `crash: ${crash ?? `no result (rc ${r.code}): ${r.stderr.slice(0, 300)}`}`);
  const out = JSON.parse(m[1]) as { refused?: string; launch?: { ok: boolean; message: string }; error?: string };
  if (out.error) return done(false, out.error);
  const seen: Seen = {
    companion: await lines(argvFile),
    git: await lines(gitLog),
    refusal: out.refused ?? (out.launch && !out.launch.ok ? out.launch.message : undefined),
    launched: out.launch,
  };
  const { diff } = await outsideDiff(c.outside, before);
  if (diff.length) return done(false, `outside changed: ${diff.join('; ')}`);
  // Whatever else happened: git never got an option where a ref goes.
  const injected = seen.git.find((g) => g[0] === 'merge-base' && g.slice(1).some((a) => a.startsWith('-')));
  if (injected) return done(false, `git got an option from a record: ${JSON.stringify(injected)}`);
  if (k.started) {
    const why = k.started(seen, c);
    return done(!why, why ?? '');
  }
  const started = launchRuns(seen);
  if (started.length) return done(false, `the companion was started: ${JSON.stringify(started[0])}`);
  if (!seen.refusal) return done(false, `no refusal: ${JSON.stringify(out)}`);
  if (k.refused && !k.refused.test(seen.refusal))
    return done(false, `the refusal does not say ${k.refused}: ${seen.refusal}`);
  // A record's field is named with the record file it came from.
  const recordFile = path.join(stateDir, 'jobs', `${params.jobId}.json`);
  if (k.records && !k.control && k.mode === 'rerun' && !seen.refusal.includes(recordFile))
    return done(false, `the refusal does not name ${recordFile}: ${seen.refusal}`);
  return done(true, seen.refusal);
}

suiteOf('record fields as arguments', ARG_CASES, runArgCase);

// ---------------------------------------------------------------- findings

// Loaded from CORE like the driver's core, so the same cases run against an older build. Partial:
// an older core has no openPinned; then Open Finding's flow of that time (locate, then open the path).
const F = coreModule(CORE, 'findings') as Partial<typeof Findings> & typeof Findings;
type Opened = { ok: true; path: string; value: string } | { ok: false; reason: string; message: string };

/** Open Finding without the editor: `read` stands for the editor loading the file by the path given. */
async function openAsEditor(root: string, file: string, between?: () => Promise<void>): Promise<Opened> {
  const read = (p: string) => fs.readFile(p, 'utf8');
  if (F.openPinned) return F.openPinned(root, file, read, between);
  const loc = await F.locateFinding(root, file);
  if (!loc.ok) return loc;
  await between?.();
  return { ok: true, path: loc.path, value: await read(loc.path) };
}

interface FindingCase {
  name: string;
  control?: boolean;
  /** The finding's path, given the workspace. */
  file: (c: Ctx) => string;
  setup?: (c: Ctx) => Promise<void>;
  /** Runs between the check and the open. */
  between?: (c: Ctx) => Promise<void>;
  /** `opened` (with this content), or the reason it is not opened (and what the message says). */
  expect: { opened: string } | { reason: string; message?: RegExp };
  /** The simulated editor's read of a path swapped after the check goes outside: allowed to be seen. */
  readOutside?: boolean;
}

const inWs = async (c: Ctx, rel: string, text = 'inside\n') => {
  await fs.mkdir(path.dirname(path.join(c.ws, rel)), { recursive: true });
  await fs.writeFile(path.join(c.ws, rel), text);
};

const FINDING_CASES: FindingCase[] = [
  {
    name: 'a path swapped for a link to outside between check and open',
    file: () => 'src/inner.txt',
    setup: (c) => inWs(c, 'src/inner.txt'),
    between: async (c) => {
      await fs.rename(path.join(c.ws, 'src'), path.join(c.ws, 'src.orig'));
      await fs.symlink(path.join(c.outside, 'dir'), path.join(c.ws, 'src'));
    },
    expect: { reason: 'changed', message: /changed while it was being opened/ },
    readOutside: true,
  },
  {
    name: '..hidden/x.ts is inside',
    file: () => '..hidden/x.ts',
    setup: (c) => inWs(c, '..hidden/x.ts', 'hidden dir\n'),
    expect: { opened: 'hidden dir\n' },
  },
  {
    name: '..x.ts is inside',
    file: () => '..x.ts',
    setup: (c) => inWs(c, '..x.ts', 'dots\n'),
    expect: { opened: 'dots\n' },
  },
  {
    name: 'C:\\x is a Windows path, listed, not opened',
    file: () => 'C:\\x',
    setup: (c) => inWs(c, 'C:\\x'),
    expect: { reason: 'outside', message: /Windows path/ },
  },
  {
    name: 'a NUL byte in the path',
    file: () => 'src/a\u0000.ts',
    expect: { reason: 'invalid', message: /NUL byte/ },
  },
  {
    name: 'control characters in the path',
    file: () => 'src/\u001b]0;pwned\u0007.ts',
    setup: (c) => inWs(c, 'src/\u001b]0;pwned\u0007.ts'),
    expect: { reason: 'invalid', message: /control characters/ },
  },
  {
    name: 'a 10,000-character path',
    file: () => 'a/'.repeat(5000),
    expect: { reason: 'invalid', message: /longer than 4096/ },
  },
  {
    name: 'control: a link to outside is outside',
    control: true,
    file: () => 'link.txt',
    setup: (c) => fs.symlink(path.join(c.outside, 'secret.txt'), path.join(c.ws, 'link.txt')),
    expect: { reason: 'outside' },
  },
  { name: 'control: ../x', control: true, file: () => '../x', expect: { reason: 'outside' } },
  { name: 'control: /etc/passwd', control: true, file: () => '/etc/passwd', expect: { reason: 'outside' } },
  {
    name: 'control: an inside file opens',
    control: true,
    file: () => 'src/app.ts',
    setup: (c) => inWs(c, 'src/app.ts', 'app\n'),
    expect: { opened: 'app\n' },
  },
];

async function runFindingCase(k: FindingCase): Promise<Outcome> {
  const t0 = Date.now();
  base ||= await tmpBase();
  const c = await makeCtx(base, `finding-${k.name}`);
  await k.setup?.(c);
  await fingerprint(c.outside);
  const before = await fingerprint(c.outside);
  // As the finding record gives it: through the review parser (which bounds and keeps the path).
  const parsed = F.parseReviewResult({ result: { findings: [{ title: 't', file: k.file(c) }] } });
  const file = parsed?.findings[0]?.file ?? '';
  const r = await openAsEditor(c.ws, file, k.between ? () => k.between!(c) : undefined).catch((err: Error) => ({
    ok: false as const,
    reason: 'threw',
    message: String(err?.message ?? err),
  }));
  const done = (ok: boolean, detail: string) => ({ ok, detail, ms: Date.now() - t0 });
  const { diff } = await outsideDiff(c.outside, before);
  const bad = diff.filter((d) => !(k.readOutside && d.startsWith('read ')));
  if (bad.length) return done(false, `outside changed: ${bad.join('; ')}`);
  if (r.ok && r.value.includes(SECRET)) return done(false, `opened a file outside: ${r.path}`);
  if ('opened' in k.expect) {
    if (!r.ok) return done(false, `not opened: ${r.message}`);
    return done(r.value === k.expect.opened, `opened ${r.path}`);
  }
  if (r.ok) return done(false, `opened ${r.path}`);
  if (r.reason !== k.expect.reason) return done(false, `${r.reason} (want ${k.expect.reason}): ${r.message}`);
  if (k.expect.message && !k.expect.message.test(r.message)) return done(false, `message: ${r.message}`);
  return done(true, r.message);
}

suiteOf('finding paths', FINDING_CASES, runFindingCase);

// ---------------------------------------------------------------- findings only from reviews

const reviewShaped = {
  verdict: 'needs-attention',
  summary: 'looks like a review',
  findings: [{ severity: 'critical', title: 'read me', file: '../../etc/passwd', line_start: 1 }],
  next_steps: [],
};

interface TaskCase {
  name: string;
  control?: boolean;
  rec: Record<string, unknown>;
  /** Whether `status --json` may give it findings. */
  findings: boolean;
}

const TASK_CASES: TaskCase[] = [
  {
    name: 'a rescue task whose rawOutput is review-shaped JSON',
    rec: record(TASK, { result: { rawOutput: JSON.stringify(reviewShaped) } }),
    findings: false,
  },
  {
    name: 'a rescue task whose result.result is review-shaped',
    rec: record(TASK, { result: { result: reviewShaped } }),
    findings: false,
  },
  {
    name: 'a rescue task that says its job class is review',
    rec: record(TASK, { jobClass: 'review', result: { result: reviewShaped } }),
    findings: false,
  },
  {
    name: 'control: an adversarial review keeps its findings',
    control: true,
    rec: record(JOB, { kind: 'adversarial-review', jobClass: 'review', result: { result: reviewShaped } }),
    findings: true,
  },
];

async function runTaskCase(k: TaskCase): Promise<Outcome> {
  base ||= await tmpBase();
  const c = await makeCtx(base, `task-${k.name}`);
  await writeStateDir(c.stateA, [k.rec]);
  await fingerprint(c.outside);
  const before = await fingerprint(c.outside);
  const r = await runIsolated(c, [process.execPath, CLI, 'status', '--json', '--state-root', c.rootA, c.ws], 15_000);
  const done = (ok: boolean, detail: string) => ({ ok, detail, ms: r.ms, maxRssKb: r.maxRssKb });
  if (r.timedOut || r.code !== 0 || crashText(r.stderr)) return done(false, `status --json: rc ${r.code} ${r.stderr}`);
  const { diff } = await outsideDiff(c.outside, before);
  if (diff.length) return done(false, `outside changed: ${diff.join('; ')}`);
  const doc = JSON.parse(r.stdout) as { jobs: { id: string; findings: { total: number } | null }[] };
  const job = doc.jobs.find((j) => j.id === k.rec.id);
  if (!job) return done(false, 'the job is not listed');
  const has = job.findings !== null && job.findings !== undefined;
  return done(has === k.findings, `findings: ${JSON.stringify(job.findings)}`);
}

suiteOf('findings only from reviews', TASK_CASES, runTaskCase);

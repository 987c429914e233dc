// Strings from files must never reach the terminal as control sequences: records, file names and log
// bodies carrying window-title OSCs, OSC 52 clipboard writes, clear-screen CSIs, CR, BS, DEL, C1 CSI,
// 8-bit ESC in invalid UTF-8 and bidi overrides, through every command, into a pipe and under a
// terminal. The only escape sequences allowed are our own colours, on a terminal. The payload must
// still be visible (shown as `\x1b]0;…`). `log --raw` is the control: the bytes as they are.
/* eslint-disable no-control-regex -- finding control characters is what these patterns are for */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import {
  CLI,
  crashText,
  type Ctx,
  fingerprint,
  GOOD_A,
  makeCtx,
  outsideDiff,
  record,
  runIsolated,
  tmpBase,
  writeJson,
  writeStateDir,
} from './harness';

const OSC_TITLE = '\x1b]0;PWNED-TITLE\x07';
const OSC2_ST = '\x1b]2;PWNED2\x1b\\';
const OSC52 = `\x1b]52;c;${Buffer.from('rm -rf ~').toString('base64')}\x07`;
const CLEAR = '\x1b[2J\x1b[H';
const C1_CSI = '\u009b2J';
const BIDI = 'invoice\u202Efdp.exe';

/** Anything a terminal would obey: C0 but LF and TAB, DEL, C1, bidi controls, line separators. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** Our own sequences (colours and the redraw), the only ones allowed, and only on a terminal. */
const OWN_SEQ = /\x1b\[(?:\d+(?:;\d+)*m|H|K|J|2J|\?1049[hl]|\?25[hl])/g;

let base = '';
let worst = { ms: 0, rssKb: 0, what: '' };
before(async () => {
  base = await tmpBase();
});
after(async () => {
  process.stdout.write(`# terminal: slowest ${worst.what} ${worst.ms} ms, max RSS ${worst.rssKb} kB\n`);
  if (base && process.env.CODEX_JOBS_HOSTILE_KEEP !== '1') await fs.rm(base, { recursive: true, force: true });
});

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
  rawStdout: Buffer;
}

/**
 * Runs a shell line in the case's pid and mount namespace, stdout and stderr into files so their
 * bytes are checked as written (a stray 0x9b byte is not UTF-8: decoding it strictly fails).
 */
async function run(c: Ctx, line: string, what: string, timeoutMs = 15_000): Promise<Out> {
  const out = path.join(c.dir, 'out.bin');
  const err = path.join(c.dir, 'err.bin');
  const r = await runIsolated(c, ['sh', '-c', `${line} >'${out}' 2>'${err}'`], timeoutMs);
  const rawStdout = await fs.readFile(out);
  const rawStderr = await fs.readFile(err);
  if (r.ms > worst.ms) worst = { ...worst, ms: r.ms, what };
  if ((r.maxRssKb ?? 0) > worst.rssKb) worst = { ...worst, rssKb: r.maxRssKb ?? 0 };
  assert.ok(!r.timedOut, `${what}: timed out`);
  const stdout = strictUtf8(rawStdout, `${what}: stdout`);
  const stderr = strictUtf8(rawStderr, `${what}: stderr`);
  const crash = crashText(stderr);
  assert.equal(crash, undefined, `${what}: crashed: ${crash}`);
  return { code: r.code, stdout, stderr, rawStdout };
}

function strictUtf8(b: Buffer, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    const i = b.findIndex((x) => x >= 0x80);
    assert.fail(
      `${what}: not UTF-8 (a raw 8-bit control?) near ${JSON.stringify(b.subarray(i, i + 8).toString('latin1'))}`,
    );
  }
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const cliLine = (args: string[]) => [process.execPath, CLI, ...args].map(q).join(' ');
const roots = (c: Ctx) => ['--state-root', c.rootA, '--state-root', c.rootB];

/** No control character anywhere; with `ownSgr`, our own sequences (and the pty's CRLF) first taken out. */
function assertClean(text: string, what: string, ownSgr = false): void {
  const t = ownSgr ? text.replace(OWN_SEQ, '').replace(/\r\n/g, '\n') : text;
  const m = CONTROL.exec(t);
  if (m) {
    const at = m.index;
    assert.fail(
      `${what}: control U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} reaches the terminal: ${JSON.stringify(t.slice(Math.max(0, at - 40), at + 40))}`,
    );
  }
}

function assertShown(text: string, visible: string[], what: string): void {
  for (const v of visible)
    assert.ok(text.includes(v), `${what}: ${JSON.stringify(v)} not shown in ${JSON.stringify(text.slice(0, 600))}`);
}

/** A case: the workspace gets `jobs` in state A (the good job stays), then `check` runs. */
async function withCase(
  name: string,
  jobs: Record<string, unknown>[],
  check: (c: Ctx) => Promise<unknown>,
  logs: Record<string, string | Buffer> = {},
): Promise<void> {
  const c = await makeCtx(base, name);
  await writeStateDir(c.stateA, [record(GOOD_A), ...jobs]);
  for (const [id, body] of Object.entries(logs)) await fs.writeFile(path.join(c.jobsA, `${id}.log`), body);
  const before = await fingerprint(c.outside);
  await check(c);
  const { diff } = await outsideDiff(c.outside, before);
  assert.deepEqual(diff, [], `${name}: outside touched`);
}

const T = 'task-term01-tttttt';
const R = 'review-term02-rrrrrr';

async function statusShows(c: Ctx, visible: string[], what: string, args = ['status', ...roots(c), c.ws]) {
  const r = await run(c, cliLine(args), what);
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  assertClean(r.stdout, `${what}: stdout`);
  assertClean(r.stderr, `${what}: stderr`);
  assertShown(r.stdout, visible, what);
  assert.ok(r.stdout.includes(GOOD_A), `${what}: the good job is still shown`);
  return r;
}

/** `args` runs (exit 0) and its warnings on stderr show `visible`, with no control character. */
async function warnsShown(c: Ctx, args: string[], visible: string[]): Promise<void> {
  const r = await run(c, cliLine(args), args[0]);
  assert.equal(r.code, 0, r.stderr);
  assertClean(r.stdout, 'stdout');
  assertClean(r.stderr, 'stderr');
  assertShown(r.stderr, visible, 'warning');
}

/** A job whose log is `body`: `log` prints it clean, showing `visible`. */
const logShows = (name: string, body: string | Buffer, visible: string[]) =>
  withCase(
    name,
    [record(T)],
    async (c) => {
      const r = await run(c, cliLine(['log', T, ...roots(c), c.ws]), 'log');
      assert.equal(r.code, 0, r.stderr);
      assertClean(r.stdout, 'stdout');
      assertShown(r.stdout, visible, 'log');
    },
    { [T]: body },
  );

const hasScript = spawnSync('script', ['--version']).status === 0;

describe('terminal: strings from files are shown, never obeyed', { concurrency: 3 }, () => {
  test('status: a prompt with a window-title OSC 0', () =>
    withCase('prompt-osc0', [record(T, { summary: undefined, request: { prompt: `fix it ${OSC_TITLE} now` } })], (c) =>
      statusShows(c, ['fix it \\x1b]0;PWNED-TITLE\\x07 now'], 'status'),
    ));

  test('status: a summary with an OSC 52 clipboard write', () =>
    withCase('summary-osc52', [record(T, { summary: `copy ${OSC52}` })], (c) =>
      statusShows(c, ['copy \\x1b]52;c;'], 'status'),
    ));

  test('status: an error message with clear-screen and cursor-home CSIs', () =>
    withCase('error-csi', [record(T, { status: 'failed', errorMessage: `turn failed ${CLEAR}all good` })], (c) =>
      statusShows(c, ['turn failed \\x1b[2J\\x1b[Hall good'], 'status'),
    ));

  test('status: a review target with a carriage return that overwrites the line', () =>
    withCase(
      'target-cr',
      [
        record(R, {
          kind: 'review',
          kindLabel: 'review',
          jobClass: 'review',
          summary: undefined,
          result: { target: { label: 'working tree diff\rALL CLEAR, nothing to see' } },
        }),
      ],
      (c) => statusShows(c, ['working tree diff\\rALL CLEAR'], 'status'),
    ));

  test('status: a kind label with backspaces and DEL', () =>
    withCase('kind-bs-del', [record(T, { kindLabel: 'rescue\b\b\b\b\b\bEVIL\x7f' })], (c) =>
      statusShows(c, ['rescue\\x08\\x08\\x08\\x08\\x08\\x08EVIL\\x7f'], 'status'),
    ));

  test('status: a summary with a C1 CSI (U+009B) clear-screen', () =>
    withCase('summary-c1', [record(T, { summary: `c1 ${C1_CSI} end` })], (c) =>
      statusShows(c, ['c1 \\u{009b}2J end'], 'status'),
    ));

  test('status: a summary with a bidi override', () =>
    withCase('summary-bidi', [record(T, { summary: BIDI })], (c) =>
      statusShows(c, ['invoice\\u{202e}fdp.exe'], 'status'),
    ));

  test('status --all: an OSC 2 ended by ST in another workspace', () =>
    withCase('all-osc2', [record(T, { summary: `other ${OSC2_ST}` })], (c) =>
      statusShows(c, ['other \\x1b]2;PWNED2\\x1b\\'], 'status --all', ['status', '--all', ...roots(c)]),
    ));

  test('status: a job file named with an OSC in jobs/ is named in the warning, shown', () =>
    withCase('warning-file-name', [], async (c) => {
      await fs.writeFile(path.join(c.jobsA, `task-${OSC_TITLE}.json`), '{}');
      await warnsShown(c, ['status', ...roots(c), c.ws], ['task-\\x1b]0;PWNED-TITLE\\x07.json']);
    }));

  test('status: an index id with a bidi override is named in the warning, shown', () =>
    withCase('warning-id-bidi', [], async (c) => {
      await writeJson(path.join(c.stateA, 'state.json'), {
        version: 1,
        jobs: [record(GOOD_A), { id: `task-${BIDI}`, status: 'running' }],
      });
      await warnsShown(c, ['status', ...roots(c), c.ws], ['\\u{202e}']);
    }));

  test('status --all: a state dir whose name holds a clear-screen CSI, named in a warning', () =>
    withCase('warning-state-dir', [], async (c) => {
      const dir = path.join(c.rootB, `ws${CLEAR}-0123456789abcdef`);
      await fs.mkdir(path.join(dir, 'jobs'), { recursive: true });
      await fs.writeFile(path.join(dir, 'state.json'), '{ torn');
      await warnsShown(c, ['status', '--all', ...roots(c)], ['ws\\x1b[2J\\x1b[H-0123456789abcdef']);
    }));

  test('status --json: C1 and bidi controls escaped, the exact strings kept', () =>
    withCase('json-c1-bidi', [record(T, { summary: `${C1_CSI} ${BIDI} \x7f ${OSC_TITLE}` })], async (c) => {
      const r = await run(c, cliLine(['status', '--json', ...roots(c), c.ws]), 'status --json');
      assert.equal(r.code, 0, r.stderr);
      assertClean(r.stdout, 'stdout');
      const job = (JSON.parse(r.stdout).jobs as { id: string; summary: string }[]).find((j) => j.id === T);
      assert.equal(job?.summary, `${C1_CSI} ${BIDI} \x7f ${OSC_TITLE}`, 'the data is exact');
    }));

  test('log: a body with OSC 52 and clear-screen, into a pipe', () =>
    logShows('log-osc52', `line one\r\npaste ${OSC52}\n${CLEAR}gone\r\r\nend\n`, [
      'line one\n',
      'paste \\x1b]52;c;',
      '\\x1b[2J\\x1b[Hgone\\r\n',
      'end\n',
    ]));

  test('log: 8-bit ESC and CSI bytes (invalid UTF-8), a UTF-8 C1 and backspaces', () =>
    logShows(
      'log-8bit',
      Buffer.concat([
        Buffer.from('a'),
        Buffer.from([0x9b]),
        Buffer.from('2Jb\nc\x1b]0;x\x07\nd\u009b2J\ne\b\bf\nünïcödé ✓\n'),
      ]),
      ['a\\x9b2Jb', 'c\\x1b]0;x\\x07', 'd\\u{009b}2J', 'e\\x08\\x08f', 'ünïcödé ✓'],
    ));

  test('log -f: an OSC 52 and a clear-screen appended while followed', () =>
    withCase(
      'log-follow',
      [record(T, { status: 'running', completedAt: undefined })],
      async (c) => {
        const log = path.join(c.jobsA, `${T}.log`);
        const line = `(sleep 1.5; printf 'late ${OSC52.replace(/\x1b/g, '\\033').replace(/\x07/g, '\\007')}\\033[2J\\n' >> ${q(log)}) & timeout --preserve-status -s INT 4 ${cliLine(['log', '-f', T, ...roots(c), c.ws])}`;
        const r = await run(c, line, 'log -f');
        assert.equal(r.code, 0, r.stderr);
        assertClean(r.stdout, 'stdout');
        assertShown(r.stdout, ['first\n', 'late \\x1b]52;c;', '\\x1b[2J\n'], 'log -f');
      },
      { [T]: 'first\n' },
    ));

  test('log --raw: the bytes exactly as they are (the control)', () => {
    const body = Buffer.concat([Buffer.from(`x ${OSC52}${CLEAR}\r\n`), Buffer.from([0x9b, 0x1b, 0x07, 0x0a])]);
    return withCase(
      'log-raw',
      [record(T)],
      async (c) => {
        const out = path.join(c.dir, 'raw.bin');
        const r = await runIsolated(
          c,
          ['sh', '-c', `${cliLine(['log', '--raw', T, ...roots(c), c.ws])} > ${q(out)}`],
          15_000,
        );
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(await fs.readFile(out), body);
      },
      { [T]: body },
    );
  });

  test('watch into a pipe: a summary with a title OSC and a clear-screen', () =>
    withCase('watch-pipe', [record(T, { summary: `watched ${OSC_TITLE}${CLEAR}` })], async (c) => {
      const r = await run(c, `timeout --preserve-status -s INT 4 ${cliLine(['watch', ...roots(c), c.ws])}`, 'watch');
      assert.equal(r.code, 0, r.stderr);
      assertClean(r.stdout, 'stdout');
      assertShown(r.stdout, ['watched \\x1b]0;PWNED-TITLE\\x07\\x1b[2J\\x1b[H', '== '], 'watch');
    }));

  test('brokers and reap --dry-run: a session dir named with an OSC 0 and a CR', () =>
    withCase('brokers-dir', [], async (c) => {
      const dir = path.join(c.tmp, `cxc-${OSC_TITLE}\rok`);
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, 'broker.pid'), '31000\n');
      for (const cmd of [
        ['brokers', '--grace-seconds', '0'],
        ['reap', '--dry-run', '--grace-seconds', '0'],
      ]) {
        const r = await run(c, cliLine([...cmd, ...roots(c)]), cmd[0]);
        assert.equal(r.code, 0, r.stderr);
        assertClean(r.stdout, `${cmd[0]} stdout`);
        assertClean(r.stderr, `${cmd[0]} stderr`);
        assertShown(r.stdout, ['cxc-\\x1b]0;PWNED-TITLE\\x07\\rok'], cmd[0]);
      }
    }));

  test('brokers: a torn broker.json in a state dir named with an OSC 52, named in a warning', () =>
    withCase('brokers-json', [], async (c) => {
      const dir = path.join(c.rootB, `ws${OSC52}-0123456789abcdef`);
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, 'broker.json'), '{ torn');
      await warnsShown(c, ['brokers', '--grace-seconds', '0', ...roots(c)], ['ws\\x1b]52;c;']);
    }));

  test('an error naming a path with a title OSC', () =>
    withCase('error-path', [], async (c) => {
      const r = await run(c, cliLine(['status', ...roots(c), path.join(c.dir, `no${OSC_TITLE}`)]), 'status');
      assert.equal(r.code, 1);
      assertClean(r.stderr, 'stderr');
      assertShown(r.stderr, ['no\\x1b]0;PWNED-TITLE\\x07 does not exist'], 'error');
    }));

  test(
    'status on a terminal: only our colours; rows cut to the width count the escapes as shown and never split one',
    { skip: !hasScript && 'needs script(1)' },
    () =>
      withCase(
        'tty-status',
        [record(T, { summary: `${OSC_TITLE}${CLEAR}${C1_CSI}${BIDI} and a long tail `.repeat(3) })],
        async (c) => {
          const cmd = `stty cols 90; ${cliLine(['status', ...roots(c), c.ws])}`;
          const r = await run(c, `script -qec ${q(cmd)} /dev/null`, 'status (tty)');
          assert.equal(r.code, 0, r.stderr);
          assertClean(r.stdout, 'stdout', true);
          assert.ok(r.stdout.includes('\x1b['), 'coloured on a terminal');
          const lines = r.stdout.replace(OWN_SEQ, '').replace(/\r/g, '').split('\n').filter(Boolean);
          for (const l of lines) assert.ok([...l].length <= 90, `cut to 90 columns: ${[...l].length}: ${l}`);
          const row = lines.find((l) => l.startsWith(T));
          assert.ok(row, lines.join('\n'));
          // The cut lands between shown escapes: the summary's part ends in a whole one, then "…".
          assert.match(row, /(\\x1b|\\x07|\\u\{009b\}|\\u\{202e\}|[^\\]\w?)…/, row);
          assert.doesNotMatch(row, /\\(x[0-9a-f]?|u\{?[0-9a-f]{0,3})…/, row);
        },
      ),
  );
});

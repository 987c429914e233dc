// `codex-jobs findings`, run as users run it: a series of native reviews of the working tree (a
// finding fixed, one moved by 12 lines, one new), SARIF validated against the 2.1.0 schema on stdout
// and into a file (written atomically; never through a link, onto a FIFO or a directory, or into a
// state dir), and hostile input: 100,000 findings, paths outside the workspace (one a FIFO: opening it
// would hang the command).
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import { promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { record, sandbox, writeIndex, writeJob, type Sandbox } from './helpers';
import { golden, hostileOutputs, runCli, shapeOf } from './cliHelpers';

const SCHEMA = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'sarif-schema-2.1.0.json'), 'utf8'),
) as object;

function validSarif(log: unknown): void {
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('uri-reference', (s: string) => !/\s/.test(s) && URL.canParse(s, 'file:///base/'));
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  const validate = ajv.compile(SCHEMA);
  assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 5)));
}

const IDS = {
  first: 'review-mwz0a001-ser001',
  second: 'review-mwz0a002-ser002',
  big: 'review-mwz0a003-big003',
  task: 'task-mwz0a004-task04',
  claims: 'review-mwz0a005-root05',
};

/** Codex's native review text: `- [P1] title — path:start-end` with an indented body. */
const native = (ws: string, items: [string, string, number, number][]) =>
  [
    'Looks mostly fine.',
    '',
    'Full review comments:',
    '',
    ...items.flatMap(([tag, title, start, end]) => [
      `- ${tag} ${title} — ${path.join(ws, 'src', 'app.ts')}:${start}-${end}`,
      '  Why it matters.',
      '',
    ]),
  ].join('\n');

describe('codex-jobs findings', () => {
  let sb: Sandbox;
  let env: NodeJS.ProcessEnv;
  let outside = '';
  const findings = (args: string[]) =>
    runCli(['findings', ...args, '--state-root', sb.root], { cwd: sb.workspace, env });

  before(async () => {
    sb = await sandbox('findings-ws');
    env = { CODEX_JOBS_ARCHIVE_DIR: path.join(sb.tmp, 'archive') };
    outside = path.join(sb.tmp, 'outside.fifo');
    execFileSync('mkfifo', [outside]);
    const review = (id: string, at: number, stdout: string) =>
      record(id, {
        kind: 'review',
        kindLabel: 'review',
        title: 'Codex Review',
        jobClass: 'review',
        summary: 'Review working tree diff',
        workspaceRoot: sb.workspace,
        completedAt: new Date(at).toISOString(),
        result: {
          target: { mode: 'working-tree', label: 'working tree diff', explicit: false },
          codex: { status: 0, stdout },
        },
        rendered: stdout,
      });
    const now = Date.now();
    const first = review(
      IDS.first,
      now - 60_000,
      native(sb.workspace, [
        ['[P1]', 'Null dereference in the parser', 10, 12],
        ['[P2]', 'Unbounded retry loop', 40, 44],
        ['[P3]', 'Misleading log message', 90, 90],
      ]),
    );
    const second = review(
      IDS.second,
      now - 1000,
      native(sb.workspace, [
        ['[P1]', 'Null dereference in the parser', 22, 24],
        ['[P3]', 'Misleading log message', 102, 102],
        ['[P0]', 'Secret written to the log', 130, 131],
      ]).concat(
        `\n- [P2] Outside read — ${outside}:1-2\n  Names a FIFO outside the workspace.\n- [P2] Relative escape — ../../etc/passwd:3-3\n  Outside too.\n`,
      ),
    );
    const big = record(IDS.big, {
      kind: 'adversarial-review',
      jobClass: 'review',
      workspaceRoot: sb.workspace,
      result: {
        result: {
          verdict: 'needs-attention',
          summary: 'Many.',
          findings: Array.from({ length: 100_000 }, (_, i) => ({
            severity: 'low',
            title: `f${i}`,
            file: `src/f${i}.ts`,
            line_start: i + 1,
          })),
        },
        parseError: null,
      },
    });
    // A record that claims the whole disk as its workspace: locations stay relative to ours.
    const claims = record(IDS.claims, {
      kind: 'adversarial-review',
      jobClass: 'review',
      workspaceRoot: '/',
      result: {
        result: {
          verdict: 'needs-attention',
          findings: [
            { severity: 'high', title: 'Reads the password file', file: '/etc/passwd', line_start: 1 },
            { severity: 'low', title: 'Inside', file: 'src/ok.ts', line_start: 2 },
          ],
        },
        parseError: null,
      },
    });
    await writeJob(sb.stateDir, claims);
    const task = record(IDS.task);
    for (const r of [first, second, task]) await writeJob(sb.stateDir, r);
    // Compact, as the companion writes it (about 6 MB): within the record's read limit.
    await fs.writeFile(path.join(sb.stateDir, 'jobs', `${IDS.big}.json`), JSON.stringify(big));
    await writeIndex(sb.stateDir, [first, second, { ...big, result: undefined }, claims, task]);
  });
  after(async () => {
    await sb.cleanup();
  });

  test('a series: each finding new or still open (one moved by 12 lines), the fixed one not reported again', async () => {
    const r = await findings([IDS.second, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    const marks = json.findings.map((f: { title: string; mark: string; lineShift: number | null }) => [
      f.title,
      f.mark,
      f.lineShift,
    ]);
    assert.deepEqual(marks.slice(0, 3), [
      ['Null dereference in the parser', 'still-open', 12],
      ['Misleading log message', 'still-open', 12],
      ['Secret written to the log', 'new', null],
    ]);
    assert.equal(json.previousReview.id, IDS.first);
    assert.deepEqual(
      json.previousReview.notReportedAgain.map((f: { title: string }) => f.title),
      ['Unbounded retry loop'],
    );
    await golden('findings-json-shape', shapeOf(json));
    const t = await findings([IDS.second]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, new RegExp(`compared with ${IDS.first}: 3 new, 2 still open, 1 not reported again`));
    assert.match(t.stdout, /high +still open +Null dereference in the parser — .*src\/app\.ts:22-24/);
    assert.match(t.stdout, /not reported again since .*\n +medium +Unbounded retry loop/);
    // The first of the series has nothing to compare with.
    const f = JSON.parse((await findings([IDS.first, '--json'])).stdout);
    assert.equal(f.previousReview, null);
  });

  test('--sarif to stdout is valid SARIF 2.1.0; paths outside the workspace have no location and are never opened', async () => {
    const r = await findings([IDS.second, '--sarif']);
    assert.equal(r.code, 0, r.stderr);
    const log = JSON.parse(r.stdout);
    validSarif(log);
    const results = log.runs[0].results as { message: { text: string }; locations?: unknown }[];
    assert.equal(results.length, 5);
    assert.equal(log.runs[0].properties.jobId, IDS.second);
    const out = results.filter((x) => !x.locations);
    assert.equal(out.length, 2, 'the FIFO and ../../etc/passwd get no location');
    assert.equal((await findings([IDS.second, '--sarif', '-'])).stdout, r.stdout);
  });

  test("hostile: a record's own workspace root is never taken: /etc/passwd stays outside", async () => {
    const r = await findings([IDS.claims, '--sarif']);
    assert.equal(r.code, 0, r.stderr);
    const log = JSON.parse(r.stdout);
    validSarif(log);
    const [passwd, ok] = log.runs[0].results as {
      locations?: { physicalLocation: { artifactLocation: { uri: string } } }[];
    }[];
    assert.equal(passwd.locations, undefined);
    assert.equal(ok.locations?.[0].physicalLocation.artifactLocation.uri, 'src/ok.ts');
  });

  test('--sarif <file>: written atomically; a link, a FIFO, a directory or a state dir refused', async () => {
    const file = path.join(sb.tmp, 'out.sarif');
    const r = await findings([IDS.second, '--sarif', file]);
    assert.equal(r.code, 0, r.stderr);
    validSarif(JSON.parse(await fs.readFile(file, 'utf8')));
    assert.deepEqual(
      (await fs.readdir(sb.tmp)).filter((n) => n.includes('.tmp')),
      [],
      'no temp file left',
    );
    const again = await findings([`${IDS.second}`, `--sarif=${file}`]);
    assert.equal(again.code, 0, again.stderr);

    const { victim: target, link, fifo, dir } = await hostileOutputs(sb.tmp, '.sarif');
    for (const bad of [link, fifo, dir]) {
      const b = await findings([IDS.second, '--sarif', bad]);
      assert.equal(b.code, 1, `${bad}: ${b.stderr}`);
      assert.ok(b.stderr.includes(bad), b.stderr);
    }
    assert.equal(await fs.readFile(target, 'utf8'), 'keep', 'the link target is untouched');
    for (const inside of [
      path.join(sb.stateDir, 'x.sarif'),
      path.join(sb.stateDir, 'jobs', `${IDS.second}.json`),
      path.join(sb.root, 'x.sarif'),
    ]) {
      const before = await fs.readFile(path.join(sb.stateDir, 'jobs', `${IDS.second}.json`), 'utf8');
      const b = await findings([IDS.second, '--sarif', inside]);
      assert.equal(b.code, 1, `${inside}: ${b.stderr}`);
      assert.match(b.stderr, /belongs to the companion or the archive; not written/);
      await assert.rejects(fs.stat(path.join(sb.stateDir, 'x.sarif')));
      assert.equal(await fs.readFile(path.join(sb.stateDir, 'jobs', `${IDS.second}.json`), 'utf8'), before);
    }
    const missing = await findings([IDS.second, '--sarif', path.join(sb.tmp, 'no-such-dir', 'x.sarif')]);
    assert.equal(missing.code, 1);
  });

  test('hostile: 100,000 findings are capped (1,000 shown, the total said), SARIF still valid, in bounded time', async () => {
    const t0 = Date.now();
    const r = await findings([IDS.big, '--json']);
    const jsonMs = Date.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.total, 100_000);
    assert.equal(json.shown, 1000);
    const t1 = Date.now();
    const s = await findings([IDS.big, '--sarif']);
    const sarifMs = Date.now() - t1;
    const log = JSON.parse(s.stdout);
    validSarif(log);
    assert.equal(log.runs[0].properties.findingsTotal, 100_000);
    assert.equal(log.runs[0].results.length, 1000);
    const text = await findings([IDS.big]);
    assert.match(text.stdout.split('\n')[0], /1000 of 100000 findings/);
    console.log(`100,000 findings: --json ${jsonMs} ms, --sarif ${sarifMs} ms (whole process)`);
    assert.ok(jsonMs < 20_000 && sarifMs < 20_000);
  });

  test('a job that is not a review has no findings (exit 1); references as for result', async () => {
    const r = await findings([IDS.task]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not a review/);
    assert.equal((await findings(['../x', '--sarif'])).code, 2);
    assert.equal((await findings(['review-mwz0a00'])).code, 2);
  });
});

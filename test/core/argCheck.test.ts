// The rules for arguments built from record fields, and companionArgs refusing what breaks them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import {
  argProblems,
  effortProblem,
  gitRefProblem,
  InvalidArgumentError,
  isThreadId,
  launchArgProblems,
  MAX_TEXT_BYTES,
  modelProblem,
  scopeProblem,
  showValue,
} from '../../src/core/vocab/argCheck';
import { companionArgs, launchJob } from '../../src/core/actions/launcher';

const GOOD_REFS = [
  'main',
  'origin/main',
  'refs/heads/feature/x-1',
  'release-1.2',
  'v1.0.0',
  'HEAD',
  'feat_é',
  '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  'a1b2c3d',
];
const BAD_REFS = [
  '',
  '-x',
  '--output=/tmp/x',
  'main..HEAD',
  '..',
  'main x',
  'main\nx',
  'main\t',
  'main\u001b[2J',
  'main\u007f',
  'a\u202eb',
  'a\u200bb',
  'HEAD~1',
  'main^',
  'a:b',
  'a?',
  'a*',
  'a[1]',
  'a\\b',
  '@{-1}',
  'main@{upstream}',
  '@',
  '/main',
  'main/',
  'a//b',
  'main.',
  '.hidden',
  'a/.b',
  'main.lock',
  'a.lock/b',
  'x'.repeat(1025),
];

test('git refs: check-ref-format rules, no leading "-", nothing invisible; hashes pass', () => {
  for (const r of GOOD_REFS) assert.equal(gitRefProblem(r), undefined, r);
  for (const r of BAD_REFS) assert.ok(gitRefProblem(r), `accepted ${JSON.stringify(r)}`);
  assert.match(gitRefProblem('--output=/x')!, /starts with "-"/);
  assert.match(gitRefProblem('a..b')!, /"\.\."/);
  assert.match(gitRefProblem('@{-1}')!, /"@\{"/);
});

test('every ref accepted here is one git itself accepts', (t) => {
  if (spawnSync('git', ['--version']).status !== 0) return t.skip('no git');
  for (const r of [...GOOD_REFS, ...BAD_REFS.filter((b) => !b.includes('\u0000'))]) {
    if (gitRefProblem(r)) continue;
    const g = spawnSync('git', ['check-ref-format', '--allow-onelevel', r]);
    assert.equal(g.status, 0, `git refuses ${JSON.stringify(r)}`);
  }
});

test('scope, effort, model, thread id: from the lists and shapes the companion takes', () => {
  for (const s of ['auto', 'working-tree', 'branch']) assert.equal(scopeProblem(s), undefined);
  for (const s of ['everything', '--output=x', 'Branch', '']) assert.ok(scopeProblem(s), s);
  for (const e of ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'High', ' low '])
    assert.equal(effortProblem(e), undefined);
  for (const e of ['--yolo', 'ultra', '-1', 'max']) assert.ok(effortProblem(e), e);
  for (const m of ['gpt-5.4', 'gpt-5.3-codex-spark', 'spark', 'gpt-oss:20b', 'o3'])
    assert.equal(modelProblem(m), undefined);
  for (const m of ['--config=x', '-m', 'a b', 'a/b', 'a\nb', 'x'.repeat(200), '.x']) assert.ok(modelProblem(m), m);
  for (const id of ['thr_24148001', '019a3c1e-7d2b-7c11-9d7e-0d1f2a3b4c5d']) assert.equal(isThreadId(id), true);
  for (const id of ['thr/1', '../x', 'thr_1..x', '-x', 'a b', '', undefined, 7]) assert.equal(isThreadId(id), false);
});

test('argProblems: free text may start with "-" but holds no NUL and fits a command line', () => {
  assert.deepEqual(argProblems({ focus: '--base=x', prompt: '-rm' }), []);
  const [p] = argProblems({ prompt: 'a\u0000b' });
  assert.equal(p.field, 'prompt');
  assert.match(p.why, /NUL/);
  assert.match(argProblems({ focus: 'x'.repeat(MAX_TEXT_BYTES + 1) })[0].why, /bytes long/);
  assert.match(argProblems({ model: 7 })[0].why, /number, not text/);
  assert.deepEqual(argProblems({ base: '', model: undefined, effort: null }), []);
  // A review passes no prompt, a task no base: only what reaches the companion is checked.
  assert.deepEqual(launchArgProblems({ kind: 'review', prompt: 'a\u0000' }), []);
  assert.deepEqual(launchArgProblems({ kind: 'task', prompt: 'p', base: '-x' }), []);
  assert.equal(launchArgProblems({ kind: '--help' })[0].field, 'kind');
});

test('showValue: quoted, invisible characters escaped, long values cut', () => {
  assert.equal(showValue('a\u001b[2J'), '"a\\u001b[2J"');
  assert.equal(showValue('a\u202eb\u0085'), '"a\\u202eb\\u0085"');
  assert.ok(showValue('x'.repeat(1000)).length < 100);
});

test('companionArgs refuses a bad value with a typed error; the good ones pass as before', () => {
  const c = { companion: '/c.mjs' };
  const refused = (req: Parameters<typeof companionArgs>[0]) => {
    try {
      companionArgs(req);
    } catch (err) {
      assert.ok(err instanceof InvalidArgumentError);
      return err.problems.map((p) => p.field);
    }
    assert.fail(`accepted ${JSON.stringify(req)}`);
  };
  assert.deepEqual(refused({ ...c, kind: 'review', base: '--output=/x' }), ['base']);
  assert.deepEqual(refused({ ...c, kind: 'review', scope: '--x' as 'auto' }), ['scope']);
  assert.deepEqual(refused({ ...c, kind: 'task', prompt: 'p', model: '-m', effort: '--yolo' }), ['model', 'effort']);
  assert.deepEqual(refused({ ...c, kind: 'adversarial-review', focus: 'a\u0000' }), ['focus']);
  assert.deepEqual(refused({ ...c, kind: '--help' as 'task' }), ['kind']);
  assert.deepEqual(companionArgs({ ...c, kind: 'review', base: 'origin/main', model: 'gpt-5.4' }), [
    '/c.mjs',
    'review',
    '--json',
    '--base',
    'origin/main',
    '--model',
    'gpt-5.4',
  ]);
  // The companion lowercases the effort; it is passed as it will read it.
  assert.deepEqual(companionArgs({ ...c, kind: 'task', prompt: 'p', effort: 'High' }).slice(-4), [
    '--effort',
    'high',
    '--',
    'p',
  ]);
  assert.deepEqual(companionArgs({ ...c, kind: 'adversarial-review', focus: '--scope=x' }).slice(-2), [
    '--',
    '--scope=x',
  ]);
});

test('launchJob: a refused value is said and nothing is started', async () => {
  const r = await launchJob({
    companion: '/nonexistent/codex-companion.mjs',
    node: process.execPath,
    workspaceFolder: '/nonexistent',
    kind: 'review',
    base: '--output=/tmp/x',
  });
  assert.equal(r.ok, false);
  assert.match(r.message, /^Not started: base "--output=\/tmp\/x": it starts with "-"/);
  assert.equal(r.waitedMs, 0);
});

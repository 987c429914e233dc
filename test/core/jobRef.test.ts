// Job references as the companion takes them: the exact id first, else a unique prefix; text that is
// not id-shaped is refused before any lookup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJobRefText, resolveJobRef } from '../../src/core/vocab/jobRef';

const jobs = [
  { id: 'task-mwu0a001-run001' },
  { id: 'task-mwu0a002-run002' },
  { id: 'review-mwu0b003-rev003' },
  { id: 'task-mwu0a001' },
];

test('the exact id wins over a longer id it is a prefix of', () => {
  assert.deepEqual(resolveJobRef(jobs, 'task-mwu0a001'), { kind: 'found', job: jobs[3] });
});

test('a unique prefix names its job; a shared one is ambiguous with every candidate; none is none', () => {
  assert.deepEqual(resolveJobRef(jobs, 'review'), { kind: 'found', job: jobs[2] });
  const amb = resolveJobRef(jobs, 'task-mwu0a00');
  assert.equal(amb.kind, 'ambiguous');
  assert.deepEqual(amb.kind === 'ambiguous' && amb.candidates.map((j) => j.id), [jobs[0].id, jobs[1].id, jobs[3].id]);
  assert.deepEqual(resolveJobRef(jobs, 'task-zzz'), { kind: 'none' });
});

test('the same id in two state dirs is one job, not an ambiguity', () => {
  const twice = [
    { id: 'task-a1', dir: 1 },
    { id: 'task-a1', dir: 2 },
  ];
  assert.equal(resolveJobRef(twice, 'task-a').kind, 'found');
});

test('hostile: ../, paths, dot names, control characters, empty and overlong text are not references', () => {
  for (const bad of [
    '',
    '.',
    '..',
    '../x',
    'a/../b',
    'a/b',
    '/etc/passwd',
    '..\\x',
    'a\\b',
    '-rf',
    'a b',
    'a\x1bb',
    'a\u202eb',
    'x'.repeat(129),
    'a..b',
  ])
    assert.equal(isJobRefText(bad), false, JSON.stringify(bad));
  for (const ok of ['t', 'task-mwu0a001-run001', 'review-mwu0', 'A.b_c-1', 'x'.repeat(128)])
    assert.equal(isJobRefText(ok), true, ok);
});

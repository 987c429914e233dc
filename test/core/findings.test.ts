import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import {
  findingLocation,
  findingsJson,
  hasReviewResult,
  isInside,
  latestReview,
  lexicalPlace,
  locateFinding,
  MAX_FINDING_PATH,
  MAX_FINDINGS,
  openPinned,
  parseReviewResult,
  pinFinding,
  reviewResultOf,
  touchedFiles,
} from '../../src/core/io/findings';
import { exampleRecord, jobOf } from './featureHelpers';

test('the real adversarial review record: verdict, summary, one finding, next steps', () => {
  const rec = exampleRecord('adversarial-review.ok.completed');
  const r = parseReviewResult(rec.result)!;
  assert.equal(r.verdict, 'needs-attention');
  assert.equal(r.summary, 'One adversarial concern surfaced.');
  assert.equal(r.total, 1);
  assert.deepEqual(r.warnings, []);
  const [f] = r.findings;
  assert.equal(f.severity, 'high');
  assert.equal(f.title, 'Missing empty-state guard');
  assert.equal(f.file, 'src/app.js');
  assert.equal(f.lineStart, 4);
  assert.equal(f.lineEnd, 6);
  assert.equal(f.recommendation, 'Handle empty collections before indexing.');
  assert.equal(findingLocation(f), 'src/app.js:4-6');
  assert.deepEqual(r.nextSteps, ['Add an empty-state test.']);
});

test('a plain review and a task hold no structured review result', () => {
  assert.equal(parseReviewResult(exampleRecord('review.ok.completed').result), undefined);
  assert.equal(parseReviewResult(exampleRecord('task.ok.completed').result), undefined);
  assert.equal(parseReviewResult(undefined), undefined);
  assert.equal(parseReviewResult('a string'), undefined);
});

test('result.result missing: the rawOutput JSON is used', () => {
  const rec = exampleRecord('adversarial-review.ok.completed');
  const result = { ...(rec.result as Record<string, unknown>), result: null };
  assert.equal(parseReviewResult(result)?.findings.length, 1);
});

test('hostile findings: not a list, not objects, missing fields, bad lines, unknown severity', () => {
  assert.match(parseReviewResult({ result: { findings: { a: 1 } } })!.warnings[0], /not a list/);
  assert.match(parseReviewResult({ result: { findings: 'x', next_steps: 7 } })!.warnings.join(' '), /next steps/);
  const r = parseReviewResult({
    result: {
      findings: [
        null,
        42,
        'text',
        {},
        { title: 'only a title' },
        { body: 'only a body\nsecond line', severity: 'HIGH' },
        { title: 't', severity: 'catastrophic', line_start: -3, line_end: 'x', file: 7 },
        { title: 't', line_start: 9, line_end: 2 },
        { title: 't', line_start: 1e308, line_end: NaN },
        { title: 'x'.repeat(100_000) },
      ],
    },
  })!;
  assert.equal(r.total, 10);
  assert.equal(r.findings.length, 6);
  assert.match(r.warnings[0], /4 finding/);
  assert.equal(r.findings[0].severity, 'unknown');
  assert.equal(r.findings[0].file, undefined);
  assert.equal(findingLocation(r.findings[0]), '(no file)');
  assert.equal(r.findings[1].title, 'only a body');
  assert.equal(r.findings[1].severity, 'high');
  assert.equal(r.findings[2].severity, 'unknown');
  assert.equal(r.findings[2].lineStart, undefined);
  assert.deepEqual([r.findings[3].lineStart, r.findings[3].lineEnd], [9, 9]);
  assert.equal(r.findings[4].lineStart, 10_000_000);
  assert.ok(r.findings[5].title.length < 5000);
});

test('10,000 findings: parsed in bounded time, capped, and the rest counted', () => {
  const findings = Array.from({ length: 10_000 }, (_, i) => ({
    severity: ['critical', 'high', 'medium', 'low'][i % 4],
    title: `finding ${i}`,
    body: 'b',
    file: `src/f${i}.ts`,
    line_start: i + 1,
    line_end: i + 2,
    confidence: 0.5,
    recommendation: 'r',
  }));
  const t0 = performance.now();
  const r = parseReviewResult({ result: { verdict: 'needs-attention', summary: 's', findings, next_steps: [] } })!;
  const ms = performance.now() - t0;
  assert.equal(r.total, 10_000);
  assert.equal(r.findings.length, MAX_FINDINGS);
  assert.match(r.warnings.join(' '), /9000 more finding/);
  console.log(`parsed 10,000 findings (kept ${r.findings.length}) in ${ms.toFixed(1)} ms`);
});

test('locateFinding: inside, missing, ../ outside, absolute outside, a link leading out, a directory', async () => {
  const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-findings-')));
  try {
    const root = path.join(tmp, 'repo');
    await fs.mkdir(path.join(root, 'src'), { recursive: true });
    await fs.writeFile(path.join(root, 'src', 'app.js'), 'a\nb\n');
    await fs.writeFile(path.join(tmp, 'secret.txt'), 'x');
    await fs.symlink(path.join(tmp, 'secret.txt'), path.join(root, 'link.txt'));
    assert.deepEqual(await locateFinding(root, 'src/app.js'), { ok: true, path: path.join(root, 'src', 'app.js') });
    assert.equal(((await locateFinding(root, 'src/nope.js')) as { reason: string }).reason, 'missing');
    assert.equal(((await locateFinding(root, '../secret.txt')) as { reason: string }).reason, 'outside');
    assert.equal(((await locateFinding(root, 'src/../../secret.txt')) as { reason: string }).reason, 'outside');
    assert.equal(((await locateFinding(root, path.join(tmp, 'secret.txt'))) as { reason: string }).reason, 'outside');
    assert.equal(((await locateFinding(root, 'link.txt')) as { reason: string }).reason, 'outside');
    assert.equal(((await locateFinding(root, 'src')) as { reason: string }).reason, 'not-file');
    assert.equal(((await locateFinding(root, undefined)) as { reason: string }).reason, 'no-file');
    assert.equal((await locateFinding(root, path.join(root, 'src/app.js'))).ok, true);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});

test('touchedFiles: strings kept, junk dropped, bounded', () => {
  assert.deepEqual(touchedFiles({ touchedFiles: ['a.ts', 3, null, { path: 'b.ts' }, 'x'.repeat(5000)] }), {
    files: ['a.ts', 'b.ts'],
    total: 5,
  });
  assert.deepEqual(touchedFiles({ touchedFiles: 'a' }), { files: [], total: 0 });
  assert.equal(touchedFiles({ touchedFiles: Array(10_000).fill('f') }).files.length, 500);
});

test('latestReview: the newest completed review with findings wins', () => {
  const rec = exampleRecord('adversarial-review.ok.completed');
  const older = jobOf({ ...rec, id: 'review-a-000001', completedAt: '2026-11-24T00:00:00.000Z' });
  const newer = jobOf({ ...rec, id: 'review-b-000002', completedAt: '2026-11-25T00:00:00.000Z' });
  const running = jobOf({ ...rec, id: 'review-c-000003', status: 'running', completedAt: '2026-11-26T00:00:00.000Z' });
  const plain = jobOf({ ...exampleRecord('review.ok.completed'), completedAt: '2026-11-27T00:00:00.000Z' });
  assert.equal(latestReview([older, newer, running, plain])?.id, 'review-b-000002');
  assert.equal(latestReview([plain]), undefined);
});

test('isInside compares path segments: "..hidden" and "..x.ts" are inside, ".." is not', () => {
  const root = path.resolve('/ws');
  assert.equal(isInside(root, path.join(root, '..hidden', 'x.ts')), true);
  assert.equal(isInside(root, path.join(root, '..x.ts')), true);
  assert.equal(isInside(root, path.join(root, '...')), true);
  assert.equal(isInside(root, root), true);
  assert.equal(isInside(root, path.resolve('/ws2/x')), false);
  assert.equal(isInside(root, path.resolve('/x')), false);
  assert.equal(isInside(root, path.resolve('/')), false);
});

test('lexicalPlace: outside, Windows drive paths, NUL, control characters, over-long paths', () => {
  const root = path.resolve('/ws');
  const reason = (f: string) => {
    const p = lexicalPlace(root, f);
    return 'inside' in p ? 'inside' : p.reason;
  };
  assert.equal(reason('..hidden/x.ts'), 'inside');
  assert.equal(reason('..x.ts'), 'inside');
  assert.equal(reason('src/../a.ts'), 'inside');
  assert.equal(reason('../x'), 'outside');
  assert.equal(reason('/etc/passwd'), 'outside');
  assert.equal(reason('a\u0000b'), 'invalid');
  assert.equal(reason('src/\u001b]0;x\u0007.ts'), 'invalid');
  assert.equal(reason('a\u0085b'), 'invalid');
  assert.equal(reason('src/evil\u202etxt.js'), 'invalid');
  assert.equal(reason('x'.repeat(MAX_FINDING_PATH + 1)), 'invalid');
  if (path.sep === '/') {
    assert.equal(reason('C:\\x'), 'outside');
    assert.equal(reason('c:/x'), 'outside');
    assert.equal(reason('\\\\host\\share\\x'), 'outside');
    assert.equal(reason('..\\..\\etc\\passwd'), 'outside');
    assert.equal(reason('a:b.ts'), 'inside');
  }
  const nul = lexicalPlace(root, 'a\u0000b');
  assert.ok(!('inside' in nul) && /"a\\u0000b" holds a NUL byte/.test(nul.message), JSON.stringify(nul));
});

test('a finding path over the limit is kept over it, never cut to a shorter name', () => {
  const long = `src/${'a'.repeat(5000)}`;
  const r = parseReviewResult({
    result: {
      findings: [
        { title: 't', file: long },
        { title: 'u', file: 'src/x.ts' },
      ],
    },
  })!;
  assert.equal(r.findings[0].file!.length, MAX_FINDING_PATH + 1);
  assert.ok(long.startsWith(r.findings[0].file!));
  assert.equal(r.findings[1].file, 'src/x.ts');
});

test('pinFinding and openPinned: the real path is opened and checked again once loaded', async () => {
  const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-findings-')));
  try {
    const root = path.join(tmp, 'repo');
    await fs.mkdir(path.join(root, 'src'), { recursive: true });
    await fs.mkdir(path.join(root, '..hidden'));
    await fs.mkdir(path.join(tmp, 'out'));
    await fs.writeFile(path.join(root, 'src', 'app.js'), 'inside\n');
    await fs.writeFile(path.join(root, '..hidden', 'x.ts'), 'hidden\n');
    await fs.writeFile(path.join(tmp, 'out', 'app.js'), 'SECRET\n');
    // A link inside the workspace to a file inside: opened by the file's own path.
    await fs.symlink(path.join(root, 'src', 'app.js'), path.join(root, 'alias.js'));
    const pin = await pinFinding(root, 'alias.js');
    assert.ok(pin.ok);
    assert.equal(pin.path, path.join(root, 'src', 'app.js'));
    assert.equal((await locateFinding(root, '..hidden/x.ts')).ok, true);
    // A root reached through a link: the path stays under the root as given.
    await fs.symlink(root, path.join(tmp, 'via'));
    const viaPin = await pinFinding(path.join(tmp, 'via'), 'alias.js');
    assert.ok(viaPin.ok);
    assert.equal(viaPin.path, path.join(tmp, 'via', 'src', 'app.js'));

    const read = (p: string) => fs.readFile(p, 'utf8');
    const plain = await openPinned(root, 'src/app.js', read);
    assert.ok(plain.ok);
    assert.equal(plain.value, 'inside\n');
    // Swapped for a link to outside between the check and the open: caught, not shown.
    const swapped = await openPinned(root, 'src/app.js', read, async () => {
      await fs.rename(path.join(root, 'src'), path.join(root, 'src.orig'));
      await fs.symlink(path.join(tmp, 'out'), path.join(root, 'src'));
    });
    assert.equal(swapped.ok, false);
    assert.equal((swapped as { reason: string }).reason, 'changed');
    await fs.rm(path.join(root, 'src'));
    await fs.rename(path.join(root, 'src.orig'), path.join(root, 'src'));
    // Another file renamed over it (another inode) after the check: caught too.
    const replaced = await openPinned(root, 'src/app.js', read, async () => {
      await fs.writeFile(path.join(root, 'src', 'other.js'), 'other\n');
      await fs.rename(path.join(root, 'src', 'other.js'), path.join(root, 'src', 'app.js'));
    });
    assert.equal((replaced as { reason: string }).reason, 'changed');
    let opened = false;
    const outside = await openPinned(root, '../out/app.js', async () => (opened = true));
    assert.equal(outside.ok, false);
    assert.equal(opened, false, 'a path outside is never handed to the editor');
    const fifo = path.join(root, 'fifo');
    if (spawnSync('mkfifo', [fifo]).status === 0)
      assert.equal(((await locateFinding(root, 'fifo')) as { reason: string }).reason, 'not-file');
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});

test('findings come only from review jobs: a task with review-shaped output has none', () => {
  const shaped = {
    verdict: 'needs-attention',
    findings: [{ severity: 'high', title: 'x', file: '../../etc/passwd' }],
  };
  const task = jobOf({ ...exampleRecord('task.ok.completed'), result: { rawOutput: JSON.stringify(shaped) } });
  const task2 = jobOf({ ...exampleRecord('task.ok.completed'), jobClass: 'review', result: { result: shaped } });
  for (const j of [task, task2]) {
    assert.equal(hasReviewResult(j), false);
    assert.equal(reviewResultOf(j), undefined);
    assert.equal(findingsJson(j), null);
  }
  const adv = jobOf(exampleRecord('adversarial-review.ok.completed'));
  assert.equal(reviewResultOf(adv)?.findings.length, 1);
  assert.equal(findingsJson(adv)?.total, 1);
});

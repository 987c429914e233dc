// The native review's text read back into findings. The shapes follow what Codex renders
// (openai/codex: codex-rs/core/src/review_format.rs `format_review_findings_block`, joined to the
// explanation by `render_review_output_text` in codex-rs/app-server/src/bespoke_event_handling.rs; the
// `[P0]`..`[P3]` title tags come from codex-rs/core/review_prompt.md) and what the companion makes of
// it (`rendered`: `# Codex Review`, `Target: ...`, the text, then `stderr:` and `Reasoning:` sections).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  nativeReviewOf,
  nativeReviewTextOf,
  parseNativeReviewText,
  parseTextLocation,
  splitPriority,
  PRIORITY_SEVERITY,
} from '../../src/core/io/reviewText';
import { findingLocation, MAX_FINDING_PATH, MAX_FINDINGS } from '../../src/core/io/findings';
import { exampleRecord, jobOf } from './featureHelpers';

const SEVERAL = [
  'The change breaks empty responses and mishandles one path; the rest looks correct.',
  '',
  'Full review comments:',
  '',
  '- [P1] Guard against an empty list before indexing — /home/dev/repo/src/app.ts:12-18',
  '  `items[0]` is read without a length check, so an empty response from the API throws',
  '  inside the handler.',
  '',
  '- [P2] Keep the trailing slash when joining URLs — /home/dev/repo/src/url.ts:40-41',
  '  `join` drops it, so relative links resolve one level up.',
  '',
  '- [P0] Do not log the access token — /home/dev/repo/src/auth.ts:7-7',
  '  The token is written to the debug log.',
  '',
  '- [P3] Name the magic number — /home/dev/repo/src/retry.ts:3-3',
  '  `3` could be `MAX_RETRIES`.',
].join('\n');

test('several findings: priorities as severities, absolute paths, line ranges, bodies', () => {
  const r = parseNativeReviewText(SEVERAL);
  assert.equal(r.structured, true);
  assert.equal(r.total, 4);
  assert.deepEqual(r.warnings, []);
  assert.equal(r.summary, 'The change breaks empty responses and mishandles one path; the rest looks correct.');
  assert.deepEqual(
    r.findings.map((f) => [f.index, f.severity, f.priority, f.title, findingLocation(f)]),
    [
      [0, 'high', 1, 'Guard against an empty list before indexing', '/home/dev/repo/src/app.ts:12-18'],
      [1, 'medium', 2, 'Keep the trailing slash when joining URLs', '/home/dev/repo/src/url.ts:40-41'],
      [2, 'critical', 0, 'Do not log the access token', '/home/dev/repo/src/auth.ts:7'],
      [3, 'low', 3, 'Name the magic number', '/home/dev/repo/src/retry.ts:3'],
    ],
  );
  assert.equal(
    r.findings[0].body,
    '`items[0]` is read without a length check, so an empty response from the API throws\ninside the handler.',
  );
  assert.equal(r.findings[2].lineStart, 7);
  assert.equal(r.findings[2].lineEnd, 7);
  assert.equal(r.verdict, undefined);
  assert.deepEqual(r.nextSteps, []);
});

test('priority mapping: P0..P3 to critical, high, medium, low; no tag is unknown', () => {
  assert.deepEqual(PRIORITY_SEVERITY, { 0: 'critical', 1: 'high', 2: 'medium', 3: 'low' });
  assert.deepEqual(splitPriority('[P1] Fix it'), { priority: 1, title: 'Fix it' });
  assert.deepEqual(splitPriority('[p3]Fix it'), { priority: 3, title: 'Fix it' });
  assert.deepEqual(splitPriority('[P4] Fix it'), { title: '[P4] Fix it' });
  assert.deepEqual(splitPriority('Fix [P1] it'), { title: 'Fix [P1] it' });
  const r = parseNativeReviewText('Review comment:\n\n- Untagged title — /r/a.ts:1-2\n  body');
  assert.equal(r.findings[0].severity, 'unknown');
  assert.equal(r.findings[0].priority, undefined);
});

test('no findings: the real native review record stays text, with no warning', () => {
  const rec = exampleRecord('review.ok.completed');
  const job = jobOf(rec);
  const r = nativeReviewOf(job)!;
  assert.equal(r.structured, false);
  assert.deepEqual(r.findings, []);
  assert.equal(r.total, 0);
  assert.deepEqual(r.warnings, []);
  assert.equal(r.summary, 'Reviewed uncommitted changes.\nNo material issues found.');
  // Its `rendered` gives the same, the companion's heading left out.
  const fromRendered = parseNativeReviewText(rec.rendered);
  assert.equal(fromRendered.summary, 'Reviewed uncommitted changes.\nNo material issues found.');
  assert.equal(fromRendered.structured, false);
});

test('plain text of other shapes: no findings, no warnings, never a throw', () => {
  for (const t of [
    'Reviewer failed to output a response.',
    '',
    '   \n\n',
    'Review comment:',
    'Review comment:\nnot an entry\n- a list item later',
    'Some prose.\nFull review comments: follow below\n- not a block',
    '- [P1] A bullet with no header — /r/a.ts:1-2',
  ]) {
    const r = parseNativeReviewText(t);
    assert.equal(r.structured, false, JSON.stringify(t));
    assert.deepEqual(r.findings, []);
    assert.deepEqual(r.warnings, []);
  }
  for (const v of [undefined, null, 42, {}, ['x']]) assert.equal(parseNativeReviewText(v).structured, false);
});

test('one finding: "Review comment:" header; the companion\'s rendered text with stderr and reasoning after it', () => {
  const rendered = [
    '# Codex Review',
    '',
    'Target: branch diff against main',
    '',
    'One issue.',
    '',
    'Review comment:',
    '',
    '- [P2] Close the file handle — /r/src/io.ts:20-24',
    '  The handle leaks on the error path.',
    '',
    'stderr:',
    '',
    '```text',
    '- [P1] not a finding — /r/x.ts:1-1',
    '```',
    '',
    'Reasoning:',
    '- looked at io.ts',
  ].join('\n');
  const r = parseNativeReviewText(rendered);
  assert.equal(r.summary, 'One issue.');
  assert.equal(r.total, 1);
  assert.equal(r.findings[0].title, 'Close the file handle');
  assert.equal(r.findings[0].body, 'The handle leaks on the error path.');
  assert.equal(findingLocation(r.findings[0]), '/r/src/io.ts:20-24');
});

test('paths with spaces, Windows paths, relative paths, a bare path, a single line', () => {
  const t = [
    'Full review comments:',
    '',
    '- [P1] Spaces — /home/dev/My Project/src/file name.ts:3-9',
    '- [P2] Windows drive — C:\\Users\\dev\\My Project\\src\\app.ts:3',
    '- [P2] Windows range — C:\\x\\y.ts:10-12',
    '- [P3] UNC — \\\\server\\share\\z.ts:5-5',
    '- [P3] Relative — src/a.ts:1-2',
    '- [P3] Bare path — src/no-lines.ts',
    '- [P3] Colon in a name — /r/a:b.ts:4-4',
  ].join('\r\n');
  const r = parseNativeReviewText(t);
  assert.deepEqual(
    r.findings.map((f) => [f.file, f.lineStart, f.lineEnd]),
    [
      ['/home/dev/My Project/src/file name.ts', 3, 9],
      ['C:\\Users\\dev\\My Project\\src\\app.ts', 3, 3],
      ['C:\\x\\y.ts', 10, 12],
      ['\\\\server\\share\\z.ts', 5, 5],
      ['src/a.ts', 1, 2],
      ['src/no-lines.ts', undefined, undefined],
      ['/r/a:b.ts', 4, 4],
    ],
  );
  assert.ok(r.findings.every((f) => !f.title.includes('\r')));
});

test('parseTextLocation: forms Codex writes and malformed ones', () => {
  assert.deepEqual(parseTextLocation('/r/a.ts:12-18'), { file: '/r/a.ts', lineStart: 12, lineEnd: 18 });
  assert.deepEqual(parseTextLocation('C:\\x\\y.ts:3'), { file: 'C:\\x\\y.ts', lineStart: 3, lineEnd: 3 });
  assert.deepEqual(parseTextLocation('C:\\x\\y.ts'), { file: 'C:\\x\\y.ts', lineStart: undefined, lineEnd: undefined });
  // A range that runs backwards keeps its start; line 0 is no line.
  assert.deepEqual(parseTextLocation('/r/a.ts:18-12'), { file: '/r/a.ts', lineStart: 18, lineEnd: 18 });
  assert.deepEqual(parseTextLocation('/r/a.ts:0-0'), { file: '/r/a.ts', lineStart: undefined, lineEnd: undefined });
  // Huge line numbers are clamped, not overflowed.
  assert.equal(parseTextLocation('/r/a.ts:99999999999999999999-99999999999999999999')!.lineStart, 10_000_000);
  // Words that are no path.
  assert.equal(parseTextLocation('not a location'), undefined);
  assert.equal(parseTextLocation('foo-12'), undefined);
  assert.equal(parseTextLocation(':12'), undefined);
  assert.equal(parseTextLocation('   '), undefined);
  // A path over PATH_MAX stays over it (never cut to another name).
  const long = `/r/${'d/'.repeat(3000)}a.ts`;
  assert.equal(parseTextLocation(`${long}:1-2`)!.file.length, MAX_FINDING_PATH + 1);
});

test('a malformed block: entries without a location, an empty entry, dashes in titles, checkboxes, ASCII separators', () => {
  const t = [
    'Full review comments:',
    '',
    '- [P1] No location at all',
    '  Its body.',
    '- [P2] Trailing separator but no location — ',
    '- ',
    '- [P1] Use the cache — not the disk — /r/cache.ts:5-6',
    '- [x] [P2] Checked in the interactive view — /r/a.ts:1-1',
    '- [ ] [P3] Unchecked — /r/b.ts:2-2',
    '- [P2] ASCII separator -- /r/c.ts:3-4',
    '- [P2] Location that is no path — see the docs',
    '  body line',
    '\tbody line after a tab',
    '',
    '',
    '  body line after two blank lines',
  ].join('\n');
  const r = parseNativeReviewText(t);
  assert.equal(r.structured, true);
  assert.equal(r.total, 8);
  assert.equal(r.dropped, 1); // the empty `- ` entry: neither title nor body
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(
    r.findings.map((f) => [f.index, f.title, f.file ?? null, f.severity]),
    [
      [0, 'No location at all', null, 'high'],
      [1, 'Trailing separator but no location —', null, 'medium'],
      [3, 'Use the cache — not the disk', '/r/cache.ts', 'high'],
      [4, 'Checked in the interactive view', '/r/a.ts', 'medium'],
      [5, 'Unchecked', '/r/b.ts', 'low'],
      [6, 'ASCII separator', '/r/c.ts', 'medium'],
      [7, 'Location that is no path — see the docs', null, 'medium'],
    ],
  );
  assert.equal(r.findings[0].body, 'Its body.');
  assert.equal(r.findings[6].body, 'body line\nbody line after a tab\n\n\nbody line after two blank lines');
});

test('the block ends at the first unindented line; only the first block of a log is read', () => {
  const block = 'Review comment:\n\n- [P1] Once — /r/a.ts:1-2\n  body';
  const log = [
    '[2026-12-01T07:38:46.402Z] Reviewer started: current changes',
    '',
    '[2026-12-01T07:38:47.873Z] Review output',
    block,
    '[2026-12-01T07:38:47.900Z] Reviewer finished.',
    '',
    '[2026-12-01T07:38:47.920Z] Final output',
    '# Codex Review',
    '',
    block,
  ].join('\n');
  const r = parseNativeReviewText(log);
  assert.equal(r.total, 1);
  assert.equal(r.findings[0].body, 'body');
});

test('nativeReviewOf: native reviews only; the text from codex.stdout, else rendered', () => {
  const rec = exampleRecord('review.ok.completed');
  const result = rec.result as { codex: { stdout: string } };
  result.codex.stdout = SEVERAL;
  const r = nativeReviewOf(jobOf(rec))!;
  assert.equal(r.total, 4);
  assert.equal(nativeReviewTextOf({ result: { codex: { stdout: '' } }, rendered: 'R' }), 'R');
  assert.equal(nativeReviewTextOf({ result: 7 }), undefined);
  // An adversarial review is read from its JSON (findings.ts), a task never.
  assert.equal(nativeReviewOf(jobOf(exampleRecord('adversarial-review.ok.completed'))), undefined);
  assert.equal(nativeReviewOf(jobOf(exampleRecord('task.ok.completed'))), undefined);
  // A running review has no text yet.
  assert.equal(nativeReviewOf(jobOf(exampleRecord('review.ok.running'))), undefined);
});

test('hostile: a block of 100,000 entries is read in bounded time, capped, the rest counted', () => {
  const lines = ['Full review comments:'];
  for (let i = 0; i < 100_000; i++)
    lines.push('', `- [P${i % 4}] finding ${i} — /r/src/f${i}.ts:${i + 1}-${i + 3}`, `  body ${i}`);
  const text = lines.join('\n');
  const t0 = performance.now();
  const r = parseNativeReviewText(text);
  const ms = performance.now() - t0;
  assert.equal(r.total, 100_000);
  assert.equal(r.findings.length, MAX_FINDINGS);
  assert.equal(r.findings[999].title, 'finding 999');
  assert.match(r.warnings.join(' '), /99000 more finding/);
  assert.ok(ms < 10_000, `took ${ms} ms`);
  console.log(`100,000 entries (${(text.length / 1e6).toFixed(1)} MB) read in ${ms.toFixed(0)} ms`);
});

test('hostile: 50 MB strings (no block, one huge body line, one huge title line, a huge header run) stay bounded', () => {
  const big = 50 * 1024 * 1024;
  const cases: [string, string][] = [
    ['prose with no block', 'All good. '.repeat(big / 10)],
    ['one huge body line', `Review comment:\n\n- [P1] t — /r/a.ts:1-2\n  ${'x'.repeat(big)}\n`],
    ['one huge title line', `Review comment:\n\n- [P1] ${'y'.repeat(big)} — /r/a.ts:1-2\n`],
    ['one huge path', `Review comment:\n\n- [P1] t — /${'p'.repeat(big)}.ts:1-2\n`],
    ['a line of digits', `Review comment:\n\n- [P1] t — /r/a.ts:${'9'.repeat(big)}\n`],
    ['blank lines after a header', `Full review comments:\n${'\n'.repeat(big)}x`],
    ['blank lines inside a body', `Review comment:\n\n- [P1] t — /r/a.ts:1-2\n  a${'\n'.repeat(big)}  b\n`],
    ['many headers', 'Review comment:\n'.repeat(big / 16)],
  ];
  for (const [name, text] of cases) {
    const t0 = performance.now();
    const r = parseNativeReviewText(text);
    const ms = performance.now() - t0;
    const size = JSON.stringify(r).length;
    assert.ok(size < 20_000, `${name}: result of ${size} characters`);
    assert.ok(ms < 15_000, `${name}: took ${ms} ms`);
    console.log(`${name}: ${ms.toFixed(0)} ms, result ${size} characters`);
  }
});

test('hostile: control characters in a title are kept as data (the views make them visible)', () => {
  const r = parseNativeReviewText('Review comment:\n\n- [P1] Bad \u001b]0;pwned\u0007 title — /r/a.ts:1-1\n  b');
  assert.equal(r.findings[0].title, 'Bad \u001b]0;pwned\u0007 title');
  assert.equal(r.findings[0].file, '/r/a.ts');
});

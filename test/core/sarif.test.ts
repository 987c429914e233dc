// SARIF logs built from review findings, validated against the SARIF 2.1.0 JSON schema.
// test/fixtures/sarif-schema-2.1.0.json is the schema as published in oasis-tcs/sarif-spec
// (sarif-2.1/prose/sarif-schema-2.1.0.json, the draft-07 form, at commit e058381), reformatted by
// prettier only. ajv 8 is present as a transitive dependency (through @vscode/vsce).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { buildSarif, SARIF_TOOL_NAME, sarifRuleId, SRCROOT } from '../../src/core/io/sarif';
import type { SarifLog } from '../../src/core/io/sarif';
import { parseReviewResult } from '../../src/core/io/findings';
import type { Finding } from '../../src/core/io/findings';
import { parseNativeReviewText } from '../../src/core/io/reviewText';
import { reviewTargetOf } from '../../src/core/io/reviewSeries';
import { exampleRecord } from './featureHelpers';

const SCHEMA_PATH = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'sarif-schema-2.1.0.json');

function validator() {
  // The schema's language-tag pattern is not valid as a unicode regular expression; its formats are
  // checked here by the URL parser (ajv-formats is not installed).
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('uri-reference', (s: string) => !/\s/.test(s) && URL.canParse(s, 'file:///base/'));
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  return ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
}
const validate = validator();

function assertValid(log: SarifLog): void {
  const ok = validate(JSON.parse(JSON.stringify(log)));
  assert.ok(ok, JSON.stringify(validate.errors, null, 1));
}

const ROOT = '/w/repo';

const NATIVE = `Three problems.

Full review comments:

- [P0] Do not log the access token — /w/repo/src/auth.ts:7-7
  The token is written to the debug log.

- [P2] Handle paths with spaces — /w/repo/src/my dir/file name#1.ts:3-9
  Splitting on spaces breaks them.

- [P3] Outside the workspace — /etc/passwd:1-1
  Should never be opened.

- Untagged — src/relative.ts:4-4
  body`;

test('the schema rejects what it should (the validator works)', () => {
  assert.equal(validate({ version: '2.1.0' }), false);
  assert.equal(validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 7 } } }] }), false);
  assert.equal(validate({ version: '2.1.0', runs: [] }), true);
});

test('a native review: tool, rules from severities, levels, relative locations, target and job id', () => {
  const review = parseNativeReviewText(NATIVE);
  const log = buildSarif({
    findings: review.findings,
    toolVersion: '0.1.0',
    workspaceRoot: ROOT,
    jobId: 'review-mwtzeltv-ooxlxg',
    target: { mode: 'working-tree', label: 'working tree diff' },
    reviewKind: 'review',
  });
  assertValid(log);
  assert.equal(log.version, '2.1.0');
  const run = log.runs[0];
  assert.equal(run.tool.driver.name, SARIF_TOOL_NAME);
  assert.equal(run.tool.driver.version, '0.1.0');
  assert.deepEqual(
    run.tool.driver.rules.map((r) => [r.id, r.defaultConfiguration.level]),
    [
      ['codex-review/critical', 'error'],
      ['codex-review/medium', 'warning'],
      ['codex-review/low', 'note'],
      ['codex-review/unknown', 'warning'],
    ],
  );
  assert.deepEqual(run.originalUriBaseIds?.[SRCROOT].uri, 'file:///w/repo/');
  assert.deepEqual(run.properties, {
    jobId: 'review-mwtzeltv-ooxlxg',
    findingsTotal: 4,
    findingsIncluded: 4,
    findingsWithoutLocation: 1,
    reviewKind: 'review',
    reviewTarget: { mode: 'working-tree', label: 'working tree diff' },
  });
  const [token, spaces, outside, untagged] = run.results;
  assert.equal(token.ruleId, sarifRuleId('critical'));
  assert.equal(run.tool.driver.rules[token.ruleIndex].id, token.ruleId);
  assert.equal(token.level, 'error');
  assert.equal(token.properties.priority, 'P0');
  assert.deepEqual(token.locations, [
    {
      physicalLocation: {
        artifactLocation: { uri: 'src/auth.ts', uriBaseId: SRCROOT },
        region: { startLine: 7, endLine: 7 },
      },
    },
  ]);
  assert.match(token.message.text, /^Do not log the access token\n\nThe token is written/);
  assert.equal(spaces.locations![0].physicalLocation.artifactLocation.uri, 'src/my%20dir/file%20name%231.ts');
  assert.deepEqual(spaces.locations![0].physicalLocation.region, { startLine: 3, endLine: 9 });
  assert.equal(untagged.locations![0].physicalLocation.artifactLocation.uri, 'src/relative.ts');
  assert.equal(untagged.level, 'warning');
  // Outside the workspace: no location, the path listed in the message and properties.
  assert.equal(outside.locations, undefined);
  assert.equal(outside.properties.unlocatedFile, '/etc/passwd');
  assert.equal(outside.properties.locationProblem, 'outside');
  assert.match(outside.message.text, /Location not given: \/etc\/passwd is outside the workspace/);
  // Fingerprints: stable per file and title, only for located results.
  assert.match(token.partialFingerprints!['codexJobsFinding/v1'], /^[0-9a-f]{32}$/);
  assert.equal(outside.partialFingerprints, undefined);
});

test('the real adversarial review record: target from the record, recommendation in the message', () => {
  const rec = exampleRecord('adversarial-review.ok.completed');
  const r = parseReviewResult(rec.result)!;
  const log = buildSarif({
    findings: r.findings,
    total: r.total,
    toolVersion: '1.2.3',
    workspaceRoot: ROOT,
    jobId: rec.id as string,
    target: reviewTargetOf(rec),
    reviewKind: 'adversarial-review',
    informationUri: 'https://example.invalid/codex-jobs',
  });
  assertValid(log);
  const [res] = log.runs[0].results;
  assert.equal(res.level, 'error');
  assert.equal(res.locations![0].physicalLocation.artifactLocation.uri, 'src/app.js');
  assert.deepEqual(res.locations![0].physicalLocation.region, { startLine: 4, endLine: 6 });
  assert.match(res.message.text, /Recommendation: Handle empty collections before indexing\./);
  assert.equal(res.properties.confidence, 0.87);
  assert.deepEqual(log.runs[0].properties.reviewTarget, { mode: 'working-tree', label: 'working tree diff' });
});

test('no findings: a valid log with no rules and no results', () => {
  const log = buildSarif({
    findings: [],
    toolVersion: '0.1.0',
    workspaceRoot: ROOT,
    jobId: 'review-x',
    target: 'working tree diff',
  });
  assertValid(log);
  assert.deepEqual(log.runs[0].results, []);
  assert.deepEqual(log.runs[0].tool.driver.rules, []);
  assert.deepEqual(log.runs[0].properties.reviewTarget, { label: 'working tree diff' });
});

const finding = (over: Partial<Finding>, index = 0): Finding => ({ index, severity: 'high', title: 't', ...over });

test('hostile: paths outside the workspace or unusable are listed, never located', () => {
  const files = [
    '../secret.txt',
    '/etc/shadow',
    '/w/repo/../other/x.ts',
    '/w/repository/x.ts',
    'C:\\Windows\\system.ini',
    '..\\..\\escape.ts',
    'src/\u0000nul.ts',
    'src/\u001b[2Jclear.ts',
    `src/${'a'.repeat(5000)}.ts`,
    '/w/repo',
    '.',
  ];
  const log = buildSarif({
    findings: files.map((file, i) => finding({ file, lineStart: 1 }, i)),
    toolVersion: '0',
    workspaceRoot: ROOT,
    jobId: 'review-h',
  });
  assertValid(log);
  for (const [i, r] of log.runs[0].results.entries()) {
    assert.equal(r.locations, undefined, files[i]);
    assert.equal(r.properties.unlocatedFile, files[i]);
    assert.ok(['outside', 'invalid'].includes(r.properties.locationProblem as string), files[i]);
    // The message shows control characters visibly, never raw.
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(r.message.text, /[\u0000-\u0009\u000b-\u001f]/);
  }
  assert.equal(log.runs[0].properties.findingsWithoutLocation, files.length);
  // For a code scanning upload, results without a location can be left out (and are counted).
  const upload = buildSarif({
    findings: [finding({ file: '/etc/shadow' }), finding({ file: 'ok.ts' }, 1)],
    toolVersion: '0',
    workspaceRoot: ROOT,
    jobId: 'j',
    omitUnlocated: true,
  });
  assertValid(upload);
  assert.equal(upload.runs[0].results.length, 1);
  assert.equal(upload.runs[0].properties.findingsOmittedWithoutLocation, 1);
});

test('hostile: control characters and bidi overrides in titles are shown visibly in messages', () => {
  const log = buildSarif({
    findings: [
      finding({
        title: 'Bad \u001b]0;pwned\u0007 title \u202e gnp.exe',
        body: 'line1\nline2\u001b[31m',
        file: 'src/a.ts',
      }),
    ],
    toolVersion: '0',
    workspaceRoot: ROOT,
    jobId: 'j',
  });
  assertValid(log);
  const text = log.runs[0].results[0].message.text;
  assert.ok(text.startsWith('Bad \\x1b]0;pwned\\x07 title \\u{202e} gnp.exe\n\nline1\nline2\\x1b[31m'), text);
});

test('hostile: a review of 100,000 findings gives a bounded, valid log', () => {
  const lines = ['Full review comments:'];
  for (let i = 0; i < 100_000; i++)
    lines.push('', `- [P${i % 4}] finding ${i} — /w/repo/src/f${i % 50}.ts:${i + 1}-${i + 2}`, `  body ${i}`);
  const t0 = performance.now();
  const review = parseNativeReviewText(lines.join('\n'));
  const log = buildSarif({
    findings: review.findings,
    total: review.total,
    toolVersion: '0',
    workspaceRoot: ROOT,
    jobId: 'j',
  });
  const ms = performance.now() - t0;
  assertValid(log);
  assert.equal(log.runs[0].results.length, 1000);
  assert.equal(log.runs[0].properties.findingsTotal, 100_000);
  assert.equal(log.runs[0].properties.findingsIncluded, 1000);
  assert.ok(ms < 10_000, `took ${ms} ms`);
  console.log(
    `100,000 entries to a SARIF log of 1,000 results in ${ms.toFixed(0)} ms (${JSON.stringify(log).length} characters)`,
  );
});

test('pure: locations come from the text alone, for a workspace and files that do not exist', () => {
  // A workspace that does not exist and files that do not exist: locations come from the text alone.
  const log = buildSarif({
    findings: [finding({ file: 'nowhere/at/all.ts', lineStart: 3 })],
    toolVersion: '0',
    workspaceRoot: '/does/not/exist',
    jobId: 'j',
  });
  assertValid(log);
  assert.equal(log.runs[0].results[0].locations![0].physicalLocation.artifactLocation.uri, 'nowhere/at/all.ts');
});

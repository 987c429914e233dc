// A job's result rendered as the companion's own `result` command renders it. test/golden/
// companion-result-render.json holds what the real companion (plugin 1.0.5, scripts/lib/render.mjs
// renderStoredJobResult) printed for every record of /work/shared/companion-examples/jobs, each given
// as both its index entry and its stored record; ours must print the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { recordOutput, renderJobResult } from '../../src/core/io/jobResult';
import { EXAMPLES, exampleRecord, jobOf } from './featureHelpers';

const GOLDEN = path.join(__dirname, '..', '..', '..', 'test', 'golden', 'companion-result-render.json');

test("every real example record renders exactly as the companion's result command printed it", () => {
  const expected = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Record<string, string>;
  const names = readdirSync(path.join(EXAMPLES, 'jobs'))
    .filter((n) => n.endsWith('.json'))
    .map((n) => n.slice(0, -5))
    .sort();
  assert.deepEqual(Object.keys(expected).sort(), names, 'the golden covers every example');
  for (const name of names) assert.equal(renderJobResult(jobOf(exampleRecord(name))).text, expected[name], name);
});

test("a record with no output takes its log's final block, and says so; else the card", () => {
  const job = jobOf({ id: 'task-x1', status: 'completed', title: 'Codex Task', summary: 'S' });
  assert.deepEqual(renderJobResult(job, 'From the log.'), { text: 'From the log.\n', source: 'log' });
  assert.deepEqual(renderJobResult(job), {
    text: '# Codex Task\n\nJob: task-x1\nStatus: completed\nSummary: S\n\nNo captured result payload was stored for this job.\n',
    source: 'none',
  });
  // The record's own output wins over the log.
  const withOut = jobOf({ id: 'task-x2', status: 'completed', rendered: 'Mine.' });
  assert.deepEqual(renderJobResult(withOut, 'From the log.'), { text: 'Mine.\n', source: 'record' });
});

test("the companion's order: a review's rendered report, else raw output, else codex stdout, else rendered", () => {
  assert.equal(recordOutput({ result: { result: {}, rawOutput: 'raw' }, rendered: 'R' }), 'R');
  assert.equal(recordOutput({ result: { rawOutput: 'raw', codex: { stdout: 'out' } }, rendered: 'R' }), 'raw');
  assert.equal(recordOutput({ result: { codex: { stdout: 'out' } }, rendered: 'R' }), 'out');
  assert.equal(recordOutput({ result: { rawOutput: '' }, rendered: 'R' }), 'R');
  assert.equal(recordOutput({ result: 'text' }), undefined);
});

// Completion read from the end of a log, on the companion's real log shapes; a cut log says nothing.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'fs';
import * as path from 'path';
import { beginningLost, inferEnd } from '../../src/core/io/logInference';

const LOGS = path.resolve(__dirname, '../../../test/fixtures/companion-logs');
const log = (name: string) => readFileSync(path.join(LOGS, `${name}.log`), 'utf8');

describe('log-tail inference', () => {
  test('completed task, review and adversarial review, with the final output as the result', () => {
    for (const name of ['task.ok', 'review.ok', 'review.direct-fallback', 'adversarial-review.ok']) {
      const end = inferEnd(log(name));
      assert.equal(end?.status, 'completed', name);
      assert.ok(end!.rendered!.length > 10, name);
    }
    assert.equal(inferEnd(log('task.ok'))!.rendered, 'Handled the requested task.\nTask prompt accepted.\n');
    assert.match(
      inferEnd(log('adversarial-review.ok'))!.rendered!,
      /^# Codex Adversarial Review\n[\s\S]*- Add an empty-state test\.\n$/,
    );
  });

  test('a failed turn is failed, cancels are cancelled (also when a final block follows)', () => {
    assert.equal(inferEnd(log('task.turn-failed'))?.status, 'failed');
    for (const name of [
      'task.cancel',
      'review.cancel-leader',
      'review.cancel-nonleader',
      'adversarial-review.cancel-leader',
    ])
      assert.equal(inferEnd(log(name))?.status, 'cancelled', name);
  });

  test('a log with no ending says nothing (the failure is only in the record)', () => {
    for (const name of ['task.fail-start', 'review.fail-start', 'adversarial-review.fail-start'])
      assert.equal(inferEnd(log(name)), undefined, name);
  });

  test('a log cut mid-block stays unknown: mid-line, or at a line boundary inside the final block', () => {
    for (const name of ['task.ok', 'review.ok', 'adversarial-review.ok', 'task.turn-failed']) {
      const full = log(name);
      const cut = full.slice(0, full.length - 5);
      assert.equal(inferEnd(cut), undefined, `${name} cut mid-line`);
      const lines = full.slice(0, -1).split('\n');
      const atLine = `${lines.slice(0, -1).join('\n')}\n`;
      assert.equal(inferEnd(atLine), undefined, `${name} cut before its last line`);
      const titleOnly = full.slice(0, full.lastIndexOf('Final output') + 'Final output\n'.length);
      assert.equal(inferEnd(titleOnly), undefined, `${name} cut after the block title`);
    }
    assert.equal(
      inferEnd(log('task.ok').replace(/\n\[[^\]]+\] Final output\n[\s\S]*$/, '\n')),
      undefined,
      'no final block',
    );
  });

  test("a log without the companion's first line lost its beginning (deleted and re-created); other shapes say nothing", () => {
    const names = ['task.ok', 'task.cancel', 'review.ok', 'review.cancel-nonleader', 'adversarial-review.ok'];
    for (const name of names) {
      const full = log(name);
      assert.equal(beginningLost(full), false, `${name} whole`);
      const lines = full.split('\n');
      // The worker's next append re-creates the file with only what follows.
      // The last write: the blank line before the last block, or the last line.
      const blank = lines.map((l, i) => (l === '' && /^\[[^\]]+\] /.test(lines[i + 1] ?? '') ? i : -1));
      const lastWrite = Math.max(...blank) >= 0 ? Math.max(...blank) : lines.length - 2;
      for (const from of [1, 3, lastWrite])
        assert.equal(beginningLost(lines.slice(from).join('\n')), true, `${name} from line ${from}`);
    }
    // Re-created by the final block's append, which starts with the blank line before the block.
    assert.equal(beginningLost(`\n[${new Date().toISOString()}] Final output\nDone.\n`), true);
    const t = '[2026-12-01T07:38:36.890Z]';
    for (const other of ['', 'line one\n', `${t} Turn start`, `${t} step 0: made by hand\n`, '\nplain\n', '\n'])
      assert.equal(beginningLost(other), false, JSON.stringify(other));
  });
});

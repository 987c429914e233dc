// A job's progress lines under its row: a block's title carries its text, as the user needs it.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readLogPreview } from '../../src/core/io/reader';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'progress-'));
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

test('an "Assistant message" line shows the first line of the message, trimmed', async () => {
  const log = path.join(tmp, 'a.log');
  const long = 'y'.repeat(300);
  await fs.writeFile(
    log,
    [
      '[2026-12-01T07:38:51.492Z] Turn started (turn_1).',
      '[2026-12-01T07:38:52.994Z] Assistant message',
      '',
      '   I fixed the flaky test in src/app.test.ts.   ',
      'Second line of the message.',
      '[2026-12-01T07:38:53.019Z] Turn completed.',
      '[2026-12-01T07:38:53.042Z] Final output',
      long,
      '[2026-12-01T07:38:54.000Z] Review output',
      '',
    ].join('\n'),
  );
  const p = await readLogPreview(log, 64 * 1024, 10, tmp);
  assert.deepEqual(
    p.progress.map((l) => l.text),
    [
      'Turn started (turn_1).',
      'Assistant message: I fixed the flaky test in src/app.test.ts.',
      'Turn completed.',
      `Final output: ${'y'.repeat(119)}…`,
      // Nothing follows yet: the title alone.
      'Review output',
    ],
  );
});

test('the real adversarial review log reads with its message', async () => {
  const real = path.join(__dirname, '..', '..', '..', '..', 'shared', 'companion-examples', 'logs');
  const file = path.join(real, 'adversarial-review.ok.log');
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return; // the shared examples sit beside the repo on a developer's machine
  const log = path.join(tmp, 'r.log');
  await fs.writeFile(log, text);
  const p = await readLogPreview(log, 64 * 1024, 20, tmp);
  assert.ok(
    p.progress.some((l) => l.text.startsWith('Assistant message: {"verdict":"needs-attention"')),
    p.progress.map((l) => l.text).join(' | '),
  );
  assert.ok(p.progress.some((l) => l.text === 'Final output: # Codex Adversarial Review'));
});

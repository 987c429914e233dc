// Hostile session files: huge, torn by the writer, a link, a FIFO, a directory, binary, deep JSON,
// lines longer than a read, numbers that are not numbers. Each gives a clear outcome naming the
// file, bounded reads, and never a hang or a throw.
import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { describe, it } from 'node:test';
import { UsageLedger } from '../../src/core/usage/ledger';
import { SessionTail, TAIL_BOUNDS } from '../../src/core/usage/sessionTail';
import { scanTokenLines } from '../../src/core/usage/tokenEvents';
import type { Job } from '../../src/core/vocab/types';
import { jobOf } from './featureHelpers';
import { rolloutPath, sessionLines, threadIdOf, withHome, type Turn } from './usageFixtures';

const MIN = 60_000;
const start = Date.now() - 60 * MIN;
const turns: Turn[] = [
  { atMs: start + MIN, input: 1000, output: 100, primary: 10 },
  { atMs: start + 2 * MIN, input: 2000, output: 200, primary: 12 },
];

const job = (threadId: string, status: Job['status'] = 'completed'): Job =>
  jobOf(
    {
      id: `task-${threadId.slice(-4)}`,
      kind: 'task',
      status,
      threadId,
      startedAt: new Date(start).toISOString(),
      completedAt: status === 'completed' ? new Date(start + 10 * MIN).toISOString() : undefined,
    },
    { status },
  );

async function place(home: string, threadId: string, content: string | Buffer): Promise<string> {
  const file = rolloutPath(home, threadId, start);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
  return file;
}

function ledger(home: string, warnings: string[] = []) {
  return new UsageLedger({
    homes: async () => [{ path: home, via: 'test' }],
    logger: { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
  });
}

describe('usage: hostile session files', () => {
  it('huge (64 MB, sparse): its head and end are read, bounded, and the usage says so', async () => {
    await withHome(async (home) => {
      const id = threadIdOf(1);
      const lines = sessionLines(id, 'resets-at', turns);
      const file = await place(home, id, lines.slice(0, 3).join('\n') + '\n');
      const fh = await fs.open(file, 'r+');
      await fh.truncate(64 * 1024 * 1024);
      await fh.close();
      await fs.appendFile(file, '\n' + lines.slice(3).join('\n') + '\n');
      const tail = new SessionTail(file, home);
      await tail.read(true);
      assert.ok(tail.bytesRead <= TAIL_BOUNDS.head + TAIL_BOUNDS.end + 1024, `read ${tail.bytesRead} bytes`);
      assert.equal(tail.partial, true);
      const r = await ledger(home).usageFor(job(id));
      assert.equal(r.usage!.tokens.total, 3300);
      assert.equal(r.usage!.partial, true);
    });
  });

  it('torn mid-line by the writer: the whole lines count, the torn one waits', async () => {
    await withHome(async (home) => {
      const id = threadIdOf(2);
      const lines = sessionLines(id, 'resets-at', turns);
      const last = lines[lines.length - 1];
      const file = await place(home, id, lines.slice(0, -1).join('\n') + '\n' + last.slice(0, 50));
      const tail = new SessionTail(file, home);
      await tail.read(false);
      assert.equal(tail.events.length, 1);
      await fs.appendFile(file, last.slice(50) + '\n');
      assert.equal(await tail.read(false), true);
      assert.equal(tail.events.length, 2);
      // Torn at the end for good (the writer died): the last read gives what is whole, no error.
      await fs.appendFile(file, '{"timestamp":"x","type":"event_msg","payload":{"type":"token_co');
      await tail.read(true);
      assert.equal(tail.events.length, 2);
      assert.equal(tail.warning, undefined);
    });
  });

  it('a symbolic link: not followed, the reason names the file', async () => {
    await withHome(async (home) => {
      const id = threadIdOf(3);
      const outside = path.join(path.dirname(home), 'outside.jsonl');
      await fs.writeFile(outside, sessionLines(id, 'resets-at', turns).join('\n') + '\n');
      const file = rolloutPath(home, id, start);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.symlink(outside, file);
      const r = await ledger(home).usageFor(job(id));
      assert.equal(r.usage, null);
      assert.match(r.reason!, new RegExp(`${path.basename(file)}.*symbolic link; not followed`));
    });
  });

  it('a day dir that is a link to elsewhere is not searched', async () => {
    await withHome(async (home) => {
      const id = threadIdOf(4);
      const elsewhere = path.join(path.dirname(home), 'elsewhere');
      await fs.mkdir(elsewhere);
      const file = rolloutPath(home, id, start);
      await fs.writeFile(path.join(elsewhere, path.basename(file)), sessionLines(id, 'resets-at', turns).join('\n'));
      await fs.mkdir(path.dirname(path.dirname(file)), { recursive: true });
      await fs.symlink(elsewhere, path.dirname(file));
      const r = await ledger(home).usageFor(job(id));
      assert.equal(r.usage, null);
      assert.match(r.reason!, /no session file found under/);
    });
  });

  it('a FIFO: refused at once, never a hang', async () => {
    await withHome(async (home) => {
      const id = threadIdOf(5);
      const file = rolloutPath(home, id, start);
      await fs.mkdir(path.dirname(file), { recursive: true });
      execFileSync('mkfifo', [file]);
      const t0 = Date.now();
      const r = await ledger(home).usageFor(job(id, 'running'));
      assert.ok(Date.now() - t0 < 5000);
      assert.equal(r.usage, null);
      assert.match(r.reason!, /not a regular file \(FIFO\)/);
    });
  });

  it('a directory named as a session file', async () => {
    await withHome(async (home) => {
      const id = threadIdOf(6);
      await fs.mkdir(rolloutPath(home, id, start), { recursive: true });
      const r = await ledger(home).usageFor(job(id));
      assert.match(r.reason!, /not a regular file \(directory\)/);
    });
  });

  it('binary, with "token_count" in it: nothing taken, nothing thrown', async () => {
    await withHome(async (home) => {
      const id = threadIdOf(7);
      const junk = Buffer.alloc(3 * 1024 * 1024);
      for (let i = 0; i < junk.length; i++) junk[i] = (i * 2654435761) >>> 24;
      for (let i = 1000; i < junk.length; i += 70_000) junk.write('"token_count"', i);
      await place(home, id, junk);
      const r = await ledger(home).usageFor(job(id));
      assert.equal(r.usage, null);
      assert.equal(r.reason, 'its session file has no token counts for it');
    });
  });

  it('deep JSON and lines longer than a read: skipped, the events after them still read', async () => {
    await withHome(async (home) => {
      const id = threadIdOf(8);
      const lines = sessionLines(id, 'resets-at', turns);
      const deep = `{"type":"event_msg","payload":{"type":"token_count","info":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
      const shallowDeep = `{"type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":${'['.repeat(40)}${']'.repeat(40)}}}}`;
      const long = JSON.stringify({ type: 'response_item', payload: { text: 'x'.repeat(2 * TAIL_BOUNDS.piece) } });
      await place(home, id, [lines[0], deep, shallowDeep, long, ...lines.slice(1)].join('\n') + '\n');
      const r = await ledger(home).usageFor(job(id));
      assert.equal(r.usage!.tokens.total, 3300);
    });
  });

  it('numbers that are not numbers are not counts', () => {
    const line = (v: string) =>
      `{"timestamp":"2026-01-01T00:00:00Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":${v},"output_tokens":5,"total_tokens":${v}}},"rate_limits":{"primary":{"used_percent":${v},"window_minutes":300}}}}\n`;
    for (const v of ['-5', '1e300', '"12"', 'null', '[1]', '{"a":1}']) {
      const { events } = scanTokenLines(Buffer.from(line(v)));
      assert.equal(events.length, 1, v);
      assert.equal(events[0].total!.input, 0, v);
      assert.equal(events[0].limits, undefined, v);
    }
  });

  it('a thread id that is not one is never looked up (no path from it)', async () => {
    await withHome(async (home) => {
      const r = await ledger(home).usageFor(job('../../../etc/passwd'));
      assert.match(r.reason!, /no session file found/);
    });
  });
});

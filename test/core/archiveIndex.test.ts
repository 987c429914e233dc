// The archive's on-disk index (archiveIndex.ts): crash-safe by being rebuildable from the entries,
// and hostile-tolerant: a torn, huge, linked, FIFO or directory index, and lines that are not ours,
// are a warning that names the file and a rebuild, never a hang, a throw or a write elsewhere.
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { JobArchive } from '../../src/core/archive/archive';
import { INDEX_FILE, validateRow } from '../../src/core/archive/archiveIndex';
import { jobWithLog, record, sandbox, writeJob, type Sandbox } from './helpers';

describe('the archive index', () => {
  let sb: Sandbox;
  let dir: string;
  const ids = ['task-mwv2a001-index1', 'task-mwv2a002-index2', 'task-mwv2a003-index3'];
  const make = () => new JobArchive(dir, undefined, undefined, { background: false, holdLogs: false });

  beforeEach(async () => {
    sb = await sandbox();
    dir = path.join(sb.tmp, 'archive');
    const a = make();
    const t0 = Date.now() - 60_000;
    for (const [i, id] of ids.entries()) {
      await writeJob(sb.stateDir, record(id, { summary: `job ${i}` }), 'done\n');
      const j = await jobWithLog(sb.stateDir, id, path.join(sb.stateDir, 'jobs', `${id}.log`), 'completed');
      await a.observe(sb.stateDir, [j], 50, t0 + i * 1000);
      await a.observe(sb.stateDir, [], 50, t0 + i * 1000 + 500);
    }
    await a.flush();
    await a.dispose();
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  const indexFile = () => path.join(path.dirname(make().entryPaths(sb.stateDir, 'x').meta), INDEX_FILE);

  const rowIds = (a: JobArchive): string[] =>
    a
      .rows(sb.stateDir)
      .map((r) => r.id)
      .sort();

  async function reload(): Promise<JobArchive> {
    const a = make();
    await a.load([sb.stateDir]);
    return a;
  }

  test('written as entries are, one row per entry, newest first', async () => {
    const a = await reload();
    assert.deepEqual(
      a.rows(sb.stateDir).map((r) => [r.id, r.status, r.goneHow]),
      [...ids].reverse().map((id) => [id, 'completed', 'pruned']),
    );
    assert.deepEqual(a.warnings, []);
  });

  test('a crash between an entry and its row: the entry is read and given its row; a row with no entry goes', async () => {
    const f = indexFile();
    const lines = (await fs.readFile(f, 'utf8')).split('\n').filter(Boolean);
    // The last row lost, and a row for an entry that is not there.
    const ghost = JSON.stringify({ ...JSON.parse(lines[0]), id: 'task-mwv2a009-ghost9' });
    await fs.writeFile(f, [...lines.slice(0, -1), ghost].join('\n') + '\n');
    const a = await reload();
    assert.deepEqual(rowIds(a), [...ids].sort());
    assert.deepEqual(a.warnings, [], 'nothing to warn about: it is what a crash leaves');
    // Rewritten whole: the next process reads the right rows at once.
    const text = await fs.readFile(f, 'utf8');
    assert.ok(!text.includes('ghost9'));
  });

  test('a torn last line is what a crash leaves: skipped quietly; bad lines within are said and rebuilt', async () => {
    const f = indexFile();
    await fs.appendFile(f, '{"id":"task-mwv2a00');
    let a = await reload();
    assert.equal(a.rows(sb.stateDir).length, 3);
    assert.deepEqual(a.warnings, []);
    const text = await fs.readFile(f, 'utf8');
    const hostile = [
      '[1,2,3]',
      '{"id":"../../etc/passwd","firstSeenMs":1,"lastSeenMs":1}',
      JSON.stringify({ id: 'task-mwv2a004-bad004', firstSeenMs: 1e300, lastSeenMs: -5 }),
      '{"id":' + '['.repeat(10_000),
      JSON.stringify({
        id: ids[0],
        firstSeenMs: Date.now(),
        lastSeenMs: Date.now(),
        title: '\x1b]0;pwned\x07' + 'x'.repeat(5000),
      }),
    ];
    await fs.writeFile(f, hostile.join('\n') + '\n' + text);
    a = await reload();
    assert.deepEqual(rowIds(a), [...ids].sort());
    assert.ok(
      a.warnings.some((w) => w.file === f && /unreadable line/.test(w.message)),
      JSON.stringify(a.warnings),
    );
    for (const r of a.rows(sb.stateDir)) assert.ok((r.title ?? '').length <= 200);
  });

  for (const kind of ['link', 'fifo', 'dir', 'huge'] as const)
    test(`an index that is a ${kind}: not read, said, rebuilt from the entries${kind === 'link' ? ', never written through' : ''}`, async () => {
      const f = indexFile();
      await fs.rm(f);
      const outside = path.join(sb.tmp, 'outside.txt');
      await fs.writeFile(outside, 'not the archive\n');
      if (kind === 'link') await fs.symlink(outside, f);
      else if (kind === 'fifo') execFileSync('mkfifo', [f]);
      else if (kind === 'dir') await fs.mkdir(f);
      else await fs.writeFile(f, Buffer.alloc(0)).then(() => fs.truncate(f, 65 * 1024 * 1024));
      const a = await reload();
      assert.deepEqual(rowIds(a), [...ids].sort(), 'rebuilt from the entries');
      assert.ok(
        a.warnings.some((w) => w.file === f && /archive index not used/.test(w.message)),
        JSON.stringify(a.warnings),
      );
      assert.equal(await fs.readFile(outside, 'utf8'), 'not the archive\n', 'nothing written outside');
      await a.dispose();
    });

  test('a row is checked field by field', () => {
    assert.equal(validateRow({ id: 'a/b', firstSeenMs: Date.now(), lastSeenMs: Date.now() }), undefined);
    assert.equal(validateRow({ id: 'task-x', firstSeenMs: 'soon', lastSeenMs: Date.now() }), undefined);
    const r = validateRow({
      id: 'task-x',
      firstSeenMs: Date.now(),
      lastSeenMs: Date.now(),
      logBytes: -1,
      goneHow: 'x',
    });
    assert.ok(r && !('removed' in r) && r.logBytes === 0 && r.goneHow === undefined);
  });
});

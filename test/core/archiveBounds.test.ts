// The archive stays bounded and copies each byte at most once: the per-job cap, a huge sparse log,
// the CLI's status path, and an archive dir that cannot be used.
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { JobArchive } from '../../src/core/archive/archive';
import { jobWithLog, sandbox, type Sandbox } from './helpers';
import { until } from './launchHelpers';

describe('a bounded archive', () => {
  let sb: Sandbox;
  const archives: JobArchive[] = [];
  beforeEach(async () => {
    sb = await sandbox();
    await fs.mkdir(path.join(sb.stateDir, 'jobs'), { recursive: true });
  });
  afterEach(async () => {
    for (const a of archives.splice(0)) await a.dispose();
    await sb.cleanup();
  });
  const make = (...args: ConstructorParameters<typeof JobArchive>) => {
    const a = new JobArchive(...args);
    archives.push(a);
    return a;
  };
  const logOf = (id: string, stateDir = sb.stateDir) => path.join(stateDir, 'jobs', `${id}.log`);
  const finished = (id: string, stateDir = sb.stateDir) => jobWithLog(stateDir, id, logOf(id, stateDir), 'completed');

  test('a log over the per-job cap keeps its first and last parts with a marked gap, copied once', async () => {
    const id = 'task-mwu3a001-capped';
    const lines = Array.from(
      { length: 4000 },
      (_, i) => `[2026-12-01T00:00:00.000Z] line ${String(i).padStart(5, '0')}\n`,
    );
    await fs.writeFile(logOf(id), lines.join(''));
    const a = make(path.join(sb.tmp, 'archive'), { maxLogBytes: 8192 });
    await a.observe(sb.stateDir, [await finished(id)], 1);
    const text = await fs.readFile(a.entryPaths(sb.stateDir, id).log, 'utf8');
    assert.ok(text.startsWith(lines[0]), 'the beginning is kept');
    assert.ok(text.endsWith(lines[3999]), 'the end is kept');
    assert.match(text, /\[codex-jobs\] \d+ bytes of the log \(bytes \d+ to \d+\) are not kept/);
    assert.ok(a.bytesCopied <= 8192, `copied ${a.bytesCopied}`);
    const copied = a.bytesCopied;
    const written = a.entriesWritten;
    await a.observe(sb.stateDir, [await finished(id)], 1);
    assert.equal(a.bytesCopied, copied, 'nothing copied again');
    assert.equal(a.entriesWritten, written, 'nothing written again');
  });

  test('a 2 GiB sparse log costs the cap once in the background, and nothing on the CLI status path', async () => {
    const id = 'task-mwu3a002-sparse';
    const fh = await fs.open(logOf(id), 'w');
    await fh.write('Starting Codex Task.\n');
    await fh.truncate(2 * 1024 * 1024 * 1024);
    await fh.write('Final line.\n', 2 * 1024 * 1024 * 1024 - 12);
    await fh.close();
    const cli = make(path.join(sb.tmp, 'cli'), {}, undefined, { background: false });
    await cli.observe(sb.stateDir, [await finished(id)], 1);
    assert.equal(cli.bytesCopied, 0, 'the CLI copies no big log');
    assert.match(cli.get(sb.stateDir, id)!.logNote ?? '', /not copied yet/);
    const written = cli.entriesWritten;
    await cli.observe(sb.stateDir, [await finished(id)], 1);
    assert.equal(cli.entriesWritten, written, 'the second status writes nothing');

    const ext = make(path.join(sb.tmp, 'ext'), { maxLogBytes: 4 * 1024 * 1024 });
    await ext.observe(sb.stateDir, [await finished(id)], 1);
    await until(async () => (!ext.copying ? true : undefined), 'the background copy', 60_000);
    await ext.flush();
    assert.ok(ext.bytesCopied <= 4 * 1024 * 1024, `copied ${ext.bytesCopied}`);
    const text = await fs.readFile(ext.entryPaths(sb.stateDir, id).log, 'utf8');
    assert.ok(text.startsWith('Starting Codex Task.\n'));
    assert.ok(text.endsWith('Final line.\n'));
    const after = ext.bytesCopied;
    await ext.observe(sb.stateDir, [await finished(id)], 1);
    assert.equal(ext.bytesCopied, after, 'copied once');
  });

  test('an archive dir that is a file is "archive unavailable", and observing goes on', async () => {
    const file = path.join(sb.tmp, 'not-a-dir');
    await fs.writeFile(file, 'x');
    const id = 'task-mwu3a003-nodir1';
    await fs.writeFile(logOf(id), 'hello\n');
    const a = make(file);
    await a.observe(sb.stateDir, [await finished(id)], 1);
    await a.flush();
    assert.match(a.warnings[0]?.message ?? '', /^archive unavailable: /);
  });

  test('an entry with bad fields is skipped with a warning; a deep record is kept bounded', async () => {
    const a = make(path.join(sb.tmp, 'archive'));
    const id = 'task-mwu3a004-deep01';
    await fs.writeFile(logOf(id), 'hello\n');
    const job = (await finished(id)) as { record: { raw: Record<string, unknown> } };
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    job.record.raw = { id, status: 'completed', result: deep };
    await a.observe(sb.stateDir, [job as never], 1);
    await a.flush();
    const dir = path.dirname(a.entryPaths(sb.stateDir, id).meta);
    await fs.writeFile(path.join(dir, 'task-mwu3a005-badf01.json'), JSON.stringify({ id: 'x/../y', logOffset: 'no' }));
    const again = make(a.dir);
    await again.load();
    assert.equal(again.get(sb.stateDir, id)?.record?.status, 'completed');
    assert.equal(again.get(sb.stateDir, id)?.record?.result, undefined, 'the deep part is not kept');
    assert.match(again.warnings.map((w) => w.message).join('\n'), /archive entry skipped/);
  });

  test('an archive dir that is a link to elsewhere is never written through', async () => {
    const id = 'task-mwu3a006-linked';
    await fs.writeFile(logOf(id), 'hello\n');
    const elsewhere = path.join(sb.tmp, 'elsewhere');
    await fs.mkdir(elsewhere);
    await fs.symlink(elsewhere, path.join(sb.tmp, 'archive'));
    const a = make(path.join(sb.tmp, 'archive'));
    await a.observe(sb.stateDir, [await finished(id)], 1);
    await a.keep(await finished(id));
    await a.flush();
    await a.dispose();
    assert.deepEqual(await fs.readdir(elsewhere), []);
    assert.match(a.warnings[0]?.message ?? '', /^archive unavailable: .*symbolic link/);
  });

  test('an entry whose logBytes is not a count is kept, warned about, its size taken from its log', async () => {
    const id = 'task-mwu3a007-badcnt';
    await fs.writeFile(logOf(id), 'hello\n');
    const a = make(path.join(sb.tmp, 'archive'));
    await a.observe(sb.stateDir, [await finished(id)], 1);
    await a.flush();
    const meta = a.entryPaths(sb.stateDir, id).meta;
    await fs.writeFile(meta, JSON.stringify({ ...JSON.parse(await fs.readFile(meta, 'utf8')), logBytes: 'abc' }));
    const again = make(a.dir);
    await again.load();
    assert.equal(again.get(sb.stateDir, id)?.logBytes, 6);
    assert.equal(again.get(sb.stateDir, id)?.record?.status, 'completed');
    assert.ok(again.warnings.some((w) => w.file === meta && /logBytes "abc" is not a count/.test(w.message)));
  });

  test("a look at one state dir reads only that dir's entries; the size limit still counts every dir's", async () => {
    // A neighbour workspace's state dir, archived earlier, one of its entries torn since.
    const other = path.join(sb.root, 'other-0123456789abcdef');
    await fs.mkdir(path.join(other, 'jobs'), { recursive: true });
    const dir = path.join(sb.tmp, 'archive');
    const limits = { maxAgeMs: 3_600_000, maxBytes: 14_000, maxLogBytes: 1_000_000 };
    const first = make(dir, limits);
    const theirs = ['task-mwu3a010-other1', 'task-mwu3a011-other2', 'task-mwu3a012-other3'];
    for (const id of theirs) await fs.writeFile(logOf(id, other), 'o'.repeat(4000));
    // Seen one after another: the oldest is the first (eviction goes oldest first).
    for (let i = 1; i <= theirs.length; i++)
      await first.observe(other, await Promise.all(theirs.slice(0, i).map((id) => finished(id, other))), i, 1000 * i);
    await first.flush();
    const torn = path.join(path.dirname(first.entryPaths(other, theirs[0]).meta), 'task-mwu3a019-torn01.json');
    await fs.writeFile(torn, '{"id": ');

    // A later process looks at this workspace only, and writes nothing: the neighbour's entries are not read.
    const mine = 'task-mwu3a013-mine01';
    await fs.writeFile(logOf(mine), 'm'.repeat(10));
    const seed = make(dir, limits);
    await seed.observe(sb.stateDir, [await finished(mine)], 1, 5000);
    await seed.flush();
    const quiet = make(dir, limits, undefined, { background: false });
    await quiet.observe(sb.stateDir, [await finished(mine)], 1, 6000);
    await quiet.flush();
    assert.equal(quiet.entriesWritten, 0);
    assert.equal(quiet.get(other, theirs[0]), undefined, "the neighbour's entries were not read");
    assert.ok(!quiet.warnings.some((w) => w.file === torn), "no warning about the neighbour's torn entry");

    // One that grows this workspace's archive past the limit evicts the neighbour's oldest bulk.
    const big = 'task-mwu3a014-mine02';
    await fs.writeFile(logOf(big), 'b'.repeat(4000));
    const growing = make(dir, limits, undefined, { background: false });
    await growing.observe(sb.stateDir, [await finished(mine), await finished(big)], 2, 7000);
    await growing.flush();
    assert.equal(growing.get(other, theirs[0])?.logBytes, 0, "the neighbour's oldest log bulk went");
    assert.ok(growing.get(sb.stateDir, big)!.logBytes > 0);
    assert.ok(growing.totalBytes <= limits.maxBytes, `total ${growing.totalBytes}`);
    assert.ok(growing.warnings.some((w) => w.file === torn && /archive entry skipped/.test(w.message)));
  });

  test('a long-lived archive applies the age limit on its first look, though nothing grew', async () => {
    const other = path.join(sb.root, 'other-0123456789abcdef');
    await fs.mkdir(path.join(other, 'jobs'), { recursive: true });
    const dir = path.join(sb.tmp, 'archive');
    const id = 'task-mwu3a015-aged01';
    await fs.writeFile(logOf(id, other), 'hello\n');
    const first = make(dir);
    await first.observe(other, [await finished(id, other)], 1, 1000);
    await first.observe(other, [], 0, 2000); // gone from disk: the archive's copy is the only one
    await first.flush();
    const meta = first.entryPaths(other, id).meta;
    const limits = { maxAgeMs: 60_000, maxBytes: 1_000_000, maxLogBytes: 1_000_000 };
    // The command line, writing nothing, leaves it to the extension.
    const cli = make(dir, limits, undefined, { background: false });
    await cli.observe(sb.stateDir, [], 0, 10_000_000);
    await cli.flush();
    await fs.stat(meta);
    const ext = make(dir, limits);
    await ext.observe(sb.stateDir, [], 0, 10_000_000);
    await ext.flush();
    await assert.rejects(fs.stat(meta), /ENOENT/, 'a gone job past the age limit is dropped');
  });

  test('an entry that exists but cannot be read (out of descriptors) is never written over', async () => {
    const dir = path.join(sb.tmp, 'archive');
    const ids = Array.from({ length: 24 }, (_, i) => `task-mwu3a1${String(i).padStart(2, '0')}-story${i % 10}`);
    for (const id of ids) await fs.writeFile(logOf(id), 'hello\n');
    const first = make(dir);
    await first.observe(sb.stateDir, await Promise.all(ids.map((id) => finished(id))), ids.length, 1000);
    await first.flush();
    const before = await Promise.all(ids.map((id) => fs.readFile(first.entryPaths(sb.stateDir, id).meta, 'utf8')));
    // A later process loads them with almost no descriptor free (the rest taken, as a busy host's
    // are), then looks again with descriptors to spare: what it could not read, it must not replace.
    const script = `
      const fs = require('fs');
      const { JobArchive } = require(${JSON.stringify(path.resolve(__dirname, '../../src/core/archive/archive.js'))});
      const { jobWithLog } = require(${JSON.stringify(path.resolve(__dirname, 'helpers.js'))});
      (async () => {
        const a = new JobArchive(${JSON.stringify(dir)}, undefined, undefined, { background: false, holdLogs: false });
        const hog = [];
        try { for (;;) hog.push(fs.openSync('/dev/null', 'r')); } catch {}
        for (const fd of hog.splice(0, 6)) fs.closeSync(fd);
        await a.load([${JSON.stringify(sb.stateDir)}]);
        for (const fd of hog) fs.closeSync(fd);
        const jobs = await Promise.all(${JSON.stringify(ids)}.map((id) =>
          jobWithLog(${JSON.stringify(sb.stateDir)}, id, ${JSON.stringify(path.join(sb.stateDir, 'jobs'))} + '/' + id + '.log', 'completed')));
        await a.observe(${JSON.stringify(sb.stateDir)}, jobs, jobs.length, 5000);
        await a.observe(${JSON.stringify(sb.stateDir)}, jobs, jobs.length, 6000);
        await a.flush();
        console.log(JSON.stringify(a.warnings.filter((w) => /archive entry/.test(w.message)).length));
      })();`;
    const out = execFileSync('sh', ['-c', 'ulimit -n 64; exec "$0" -e "$1"', process.execPath, script], {
      encoding: 'utf8',
    });
    assert.ok(Number(out.trim()) > 0, `some entries could not be read (${out.trim()}): the test needs that`);
    const after = await Promise.all(ids.map((id) => fs.readFile(first.entryPaths(sb.stateDir, id).meta, 'utf8')));
    const rewritten = ids.filter((id, i) => {
      const [a, b] = [JSON.parse(before[i]), JSON.parse(after[i])];
      return JSON.stringify(a.history) !== JSON.stringify(b.history) || a.firstSeenMs !== b.firstSeenMs;
    });
    assert.deepEqual(rewritten, [], 'a story was written over');
  });
});

// The one safe way to open files: links, FIFOs, directories and sizes, on real files.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'child_process';
import { BoundedCache } from '../../src/core/vocab/boundedCache';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  appendSafe,
  assertRealDir,
  copyRegular,
  mkdirBeneath,
  openForAppend,
  openRealDir,
  writeNewFile,
  parseJsonBounded,
  stringifyBounded,
  TOO_DEEP,
  isJsonLimitError,
  JsonLimitError,
  isSafeFsError,
  openRegular,
  readBoundedText,
  removeBeneath,
  renameBeneath,
  writeFileAtomic,
} from '../../src/core/io/safeFs';

let tmp: string;
const p = (...names: string[]) => path.join(tmp, ...names);

before(async () => {
  tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-safefs-')));
  await fs.writeFile(p('outside.txt'), 'secret\n');
  await fs.mkdir(p('root', 'dir'), { recursive: true });
  await fs.writeFile(p('root', 'dir', 'ok.json'), '{"a":1}');
  await fs.symlink(p('outside.txt'), p('root', 'dir', 'link.json'));
  await fs.symlink(p('root', 'dir'), p('root', 'linkdir'));
  if (process.platform !== 'win32') execFileSync('mkfifo', [p('root', 'dir', 'fifo.json')]);
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

describe('safeFs', () => {
  test('reads a regular file', async () => {
    assert.equal((await readBoundedText(p('root', 'dir', 'ok.json'), 100, p('root'))).text, '{"a":1}');
  });

  test('refuses a link, with a message naming it', async () => {
    await assert.rejects(readBoundedText(p('root', 'dir', 'link.json'), 100, p('root')), (e) => {
      assert.ok(isSafeFsError(e, 'link'));
      assert.match(e.message, /link\.json: is a symbolic link; not followed/);
      return true;
    });
  });

  test(
    'a FIFO never blocks: refused at once as not a regular file',
    { skip: process.platform === 'win32' },
    async () => {
      const t0 = Date.now();
      await assert.rejects(openRegular(p('root', 'dir', 'fifo.json'), p('root')), /not a regular file \(FIFO\)/);
      assert.ok(Date.now() - t0 < 2000);
      await assert.rejects(appendSafe(p('root', 'dir', 'fifo.json'), 'x', p('root')), /not a regular file/);
    },
  );

  test('a directory is refused', async () => {
    await assert.rejects(readBoundedText(p('root', 'dir'), 100, p('root')), /not a regular file \(directory\)/);
  });

  test('over the limit: skipped, not read', async () => {
    await assert.rejects(readBoundedText(p('root', 'dir', 'ok.json'), 3, p('root')), (e) =>
      isSafeFsError(e, 'too-large'),
    );
  });

  test('read in pieces sized to the file: a file larger than one piece is read whole, one past the limit refused', async () => {
    const text = 'x'.repeat(200_000);
    await fs.writeFile(p('root', 'dir', 'big.json'), text);
    assert.equal((await readBoundedText(p('root', 'dir', 'big.json'), 300_000, p('root'))).text, text);
    assert.equal((await readBoundedText(p('root', 'dir', 'big.json'), 200_000, p('root'))).text, text);
    await assert.rejects(readBoundedText(p('root', 'dir', 'big.json'), 199_999, p('root')), (e) =>
      isSafeFsError(e, 'too-large'),
    );
  });

  test('a directory kept for the next read is walked to again once it was made anew or became a link', async () => {
    const dir = p('kept', 'jobs');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'a.json'), 'first');
    assert.equal((await readBoundedText(path.join(dir, 'a.json'), 100, p('kept'))).text, 'first');
    // Deleted and made again at once (the companion's concurrent writers do): the new one is read.
    await fs.rm(dir, { recursive: true });
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'a.json'), 'second');
    assert.equal((await readBoundedText(path.join(dir, 'a.json'), 100, p('kept'))).text, 'second');
    // Swapped for a link to elsewhere: refused, not read through the directory kept from before.
    await fs.rename(dir, `${dir}.real`);
    await fs.symlink(p('root', 'dir'), dir);
    await assert.rejects(readBoundedText(path.join(dir, 'ok.json'), 100, p('kept')), (e) => isSafeFsError(e, 'link'));
    await assert.rejects(readBoundedText(path.join(dir, 'a.json'), 100, p('kept')), (e) => isSafeFsError(e, 'link'));
  });

  test('a missing file says so', async () => {
    await assert.rejects(readBoundedText(p('nope'), 3, tmp), (e) => isSafeFsError(e, 'missing'));
  });

  test('assertRealDir refuses a link below the root, accepts real dirs', async () => {
    await assertRealDir(p('root', 'dir'), p('root'));
    await assert.rejects(assertRealDir(p('root', 'linkdir'), p('root')), (e) => isSafeFsError(e, 'link'));
    await assert.rejects(assertRealDir(p('elsewhere'), p('root')), /not inside/);
  });

  test('writeFileAtomic refuses to replace a link and writes nothing through it', async () => {
    await assert.rejects(
      writeFileAtomic(p('root', 'dir', 'link.json'), 'pwned', p('root')),
      /link\.json: is a symbolic link; not replaced/,
    );
    assert.equal(await fs.readFile(p('outside.txt'), 'utf8'), 'secret\n');
    await assert.rejects(writeFileAtomic(p('root', 'linkdir', 'new.json'), 'x', p('root')), (e) =>
      isSafeFsError(e, 'link'),
    );
    await writeFileAtomic(p('root', 'dir', 'new.json'), 'fine', p('root'));
    assert.equal(await fs.readFile(p('root', 'dir', 'new.json'), 'utf8'), 'fine');
  });

  test('remove, rename and mkdir beneath a root: a directory that became a link is not entered', async () => {
    // A state dir used a moment ago, then swapped for a link to a decoy holding the same names.
    const sd = p('bn', 'sd');
    const decoy = p('bn-decoy');
    await fs.mkdir(sd, { recursive: true });
    await fs.mkdir(decoy, { recursive: true });
    await writeNewFile(path.join(sd, 'a.tmp'), 'ours', p('bn'));
    await fs.rename(sd, `${sd}.real`);
    await fs.symlink(decoy, sd);
    for (const f of ['a.tmp', 'state.json']) await fs.writeFile(path.join(decoy, f), 'decoy');
    const link = (e: unknown) => isSafeFsError(e, 'link');
    await assert.rejects(removeBeneath(path.join(sd, 'a.tmp'), p('bn')), link);
    await assert.rejects(renameBeneath(path.join(sd, 'a.tmp'), path.join(sd, 'state.json'), p('bn')), link);
    await assert.rejects(mkdirBeneath(path.join(sd, 'jobs'), p('bn')), link);
    assert.deepEqual((await fs.readdir(decoy)).sort(), ['a.tmp', 'state.json'], 'nothing removed, moved or made');
    assert.equal(await fs.readFile(path.join(decoy, 'state.json'), 'utf8'), 'decoy');
    // Back in place: each does what it says, in the real directory.
    await fs.rm(sd);
    await fs.rename(`${sd}.real`, sd);
    await renameBeneath(path.join(sd, 'a.tmp'), path.join(sd, 'state.json'), p('bn'));
    await mkdirBeneath(path.join(sd, 'jobs'), p('bn'));
    await mkdirBeneath(path.join(sd, 'jobs'), p('bn')); // one that exists is fine
    await removeBeneath(path.join(sd, 'state.json'), p('bn'));
    await removeBeneath(path.join(sd, 'state.json'), p('bn')); // so is one already gone
    assert.deepEqual(await fs.readdir(sd), ['jobs']);
    await assert.rejects(renameBeneath(path.join(sd, 'x'), p('bn', 'x'), p('bn')), /not beside/);
  });

  test('appendSafe never appends through a link', async () => {
    await assert.rejects(appendSafe(p('root', 'dir', 'link.json'), 'x', p('root')), (e) => isSafeFsError(e, 'link'));
    assert.equal(await fs.readFile(p('outside.txt'), 'utf8'), 'secret\n');
  });

  test('JSON nested 100,000 deep is cut at the limit and can be serialised again', () => {
    const n = 100_000;
    const { value, cut } = parseJsonBounded(`{"keep":1,"deep":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`);
    assert.equal(cut, 1);
    assert.equal((value as { keep: number }).keep, 1);
    assert.ok(stringifyBounded(value).includes(TOO_DEEP));
    assert.equal(parseJsonBounded('{"a":[1,{"b":2}]}').cut, 0);
  });

  test('a file whose directory is a link is refused (the directory is checked, not only the file)', async () => {
    await assert.rejects(readBoundedText(p('root', 'linkdir', 'ok.json'), 100, p('root')), (e) =>
      isSafeFsError(e, 'link'),
    );
    assert.equal((await readBoundedText(p('root', 'dir', 'ok.json'), 100, p('root'))).text, '{"a":1}');
  });

  // A directory swapped for a link and back, as fast as a shell can, while every opener runs: the
  // check of a directory and the open below it are two steps, and a swap between them must never
  // land an open (let alone a write) in the link's target. Opens are also traced where strace is.
  test(
    'jobs/ swapped for a link to outside and back while every opener runs: nothing outside is opened or written',
    { skip: process.platform !== 'linux' && 'swaps go through /proc/self/fd' },
    async () => {
      const state = p('race', 'state');
      const jobs = path.join(state, 'jobs');
      const decoy = p('race-outside', 'jobs');
      await fs.mkdir(jobs, { recursive: true });
      await fs.mkdir(decoy, { recursive: true });
      const names = ['a.log', 'a.json', 'copy.log', 'new.json'];
      for (const n of names) await fs.writeFile(path.join(decoy, n), 'outside\n');
      await fs.writeFile(path.join(decoy, 'decoy-only'), '');
      await fs.writeFile(path.join(jobs, 'a.log'), 'inside\n');
      await fs.writeFile(path.join(jobs, 'a.json'), '{}');
      await fs.writeFile(p('race', 'src.log'), 'copied\n');
      const before = await Promise.all(names.map((n) => fs.stat(path.join(decoy, n))));
      // Each rename leaves a moment with no jobs/ at all, and one with the link in its place.
      const loop = `while :; do mv -T '${jobs}' '${jobs}.real' && ln -sfn '${decoy}' '${jobs}'; rm -f '${jobs}'; mv -T '${jobs}.real' '${jobs}'; done`;
      const swapper = spawn('sh', ['-c', loop], { detached: true, stdio: 'ignore' });
      const seen = new Set<string>();
      const read: string[] = [];
      try {
        const end = Date.now() + 3000;
        for (let i = 0; Date.now() < end; i++) {
          const attempts: Promise<unknown>[] = [
            appendSafe(path.join(jobs, 'a.log'), 'x\n', p('race')),
            openForAppend(path.join(jobs, 'a.log'), p('race')).then(({ fh }) => fh.close()),
            writeFileAtomic(path.join(jobs, 'a.json'), '{}', p('race')),
            writeNewFile(path.join(jobs, `new-${i}.json`), '{}', p('race')),
            writeNewFile(path.join(jobs, 'new.json'), '{}', p('race')),
            copyRegular(
              { file: p('race', 'src.log'), root: p('race') },
              { file: path.join(jobs, `copy-${i}.log`), root: p('race') },
            ),
            copyRegular(
              { file: p('race', 'src.log'), root: p('race') },
              { file: path.join(jobs, 'copy.log'), root: p('race') },
            ),
            openRegular(path.join(jobs, 'a.log'), p('race')).then(async ({ fh }) => {
              read.push((await fh.readFile()).toString().split('\n')[0]);
              await fh.close();
            }),
            openRealDir(jobs, p('race')).then(async ({ fh, listPath }) => {
              for (const n of await fs.readdir(listPath)) seen.add(n);
              await fh.close();
            }),
          ];
          for (const r of await Promise.allSettled(attempts))
            if (r.status === 'rejected' && !isSafeFsError(r.reason)) throw r.reason;
        }
      } finally {
        process.kill(-swapper.pid!, 'SIGKILL');
      }
      const after = await Promise.all(names.map((n) => fs.stat(path.join(decoy, n))));
      for (let i = 0; i < names.length; i++) {
        assert.equal(after[i].size, before[i].size, `${names[i]} outside was written`);
        assert.equal(after[i].mtimeMs, before[i].mtimeMs, `${names[i]} outside was written`);
      }
      assert.deepEqual((await fs.readdir(decoy)).sort(), [...names, 'decoy-only'].sort(), 'a file was created outside');
      assert.ok(!read.includes('outside'), 'a file outside was read');
      assert.ok(read.includes('inside'), 'the real log was never read: the test proved nothing');
      assert.ok(!seen.has('decoy-only'), 'the directory outside was listed');
    },
  );
});

describe('the bounded JSON parse', () => {
  /** How long `fn` takes, and what it returns. */
  const timed = (fn: () => unknown): { ms: number; value: unknown } => {
    const t = Date.now();
    const value = fn();
    return { ms: Date.now() - t, value };
  };

  test('3,000,000 nested arrays are cut in the text, never built: fast, and the rest kept', () => {
    const n = 3_000_000;
    const text = `{"keep":"[[[ not a level \\" [[","deep":${'['.repeat(n)}${']'.repeat(n)},"after":2}`;
    const { ms, value } = timed(() => parseJsonBounded(text));
    const r = value as { value: { keep: string; deep: unknown; after: number }; cut: number };
    assert.equal(r.cut, 1);
    assert.equal(r.value.keep, '[[[ not a level " [[');
    assert.equal(r.value.after, 2);
    assert.ok(JSON.stringify(r.value).length < 2000);
    assert.ok(ms < 1500, `took ${ms} ms`);
  });

  test('text over the size limit is refused before a look inside, with a typed error', () => {
    // 50 MB of backslash escapes in one string.
    const text = `"${'\\\\'.repeat(25 * 1024 * 1024)}"`;
    const t = Date.now();
    assert.throws(
      () => parseJsonBounded(text),
      (e) => isJsonLimitError(e) && e.reason === 'too-large' && /larger than the 16 MB JSON limit/.test(e.message),
    );
    assert.ok(Date.now() - t < 100, 'refused without a scan');
    assert.throws(() => parseJsonBounded('[1,2,3]', { maxChars: 3 }), JsonLimitError);
  });

  test('escapes are skipped in one pass: 8 MB of backslashes and escaped quotes', () => {
    const body = '\\\\\\"['.repeat(1024 * 1024);
    const t = Date.now();
    const r = parseJsonBounded(`["${body}",[1]]`, 2);
    assert.ok(Date.now() - t < 2000);
    assert.equal(r.cut, 0);
    assert.equal((r.value as unknown[])[1] instanceof Array, true);
  });

  test("deep: 'refuse' refuses the whole text; the old call with a depth still cuts", () => {
    assert.throws(
      () => parseJsonBounded('{"a":[[[1]]]}', { maxDepth: 3, deep: 'refuse' }),
      (e) => isJsonLimitError(e) && e.reason === 'too-deep' && e.message === 'nested deeper than 3 levels; not parsed',
    );
    assert.deepEqual(parseJsonBounded('{"a":[[[1]]],"b":[2]}', 3), { value: { a: [[TOO_DEEP]], b: [2] }, cut: 1 });
    assert.deepEqual(parseJsonBounded('{"a":[[[1]]]}', { maxDepth: 4, deep: 'refuse' }).cut, 0);
  });

  test('bad JSON is still a SyntaxError, an unclosed deep part too', () => {
    assert.throws(() => parseJsonBounded('{"a":'), SyntaxError);
    assert.throws(() => parseJsonBounded(`{"a":${'['.repeat(100)}`), SyntaxError);
    assert.throws(() => parseJsonBounded(']]]}}}'), SyntaxError);
    assert.throws(() => parseJsonBounded('"unterminated \\'), SyntaxError);
  });
});

test('a bounded cache keeps at most its count and its size, the least recently used dropped first', () => {
  const c = new BoundedCache<string, number>(3, 100);
  c.set('a', 1, 10);
  c.set('b', 2, 10);
  c.set('c', 3, 10);
  assert.equal(c.get('a'), 1); // now the most recent
  c.set('d', 4, 10);
  assert.equal(c.has('b'), false);
  assert.deepEqual([c.has('a'), c.has('c'), c.has('d')], [true, true, true]);
  c.set('e', 5, 90); // over the size: the oldest go until it fits
  assert.equal(c.totalBytes <= 100, true);
  assert.equal(c.has('e'), true);
  c.set('huge', 6, 101); // more than the whole budget: not kept
  assert.equal(c.has('huge'), false);
  c.delete('e');
  assert.equal(c.totalBytes, c.size ? c.totalBytes : 0);
});

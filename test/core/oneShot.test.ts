// The CLI's one-shot path: the same safe opens made with synchronous calls (the whole safeFs, reader
// and state-dir-swap suites run again in that mode, below), CLK_TCK and PAGESIZE from the auxiliary
// vector, and the git top level found by a walk that gives git's own answer, asking git only when
// it cannot be sure.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { useSynchronousCalls } from '../../src/core/io/fsCalls';
import { constantsFromAuxv, systemConstants } from '../../src/core/os/processes';
import { resolveWorkspaceRoot, workspaceRootOf } from '../../src/core/discovery/discovery';

// Every suite loaded below runs with synchronous calls: the same cases, the same expectations.
useSynchronousCalls(true);
/* eslint-disable @typescript-eslint/no-require-imports */
require('./safeFs.test');
require('./reader.test');
require('./stateDirSwap.test');
/* eslint-enable @typescript-eslint/no-require-imports */

describe('system constants from /proc/self/auxv', () => {
  const vector = (wide: boolean, pairs: [number, number][]) => {
    const w = wide ? 8 : 4;
    const b = Buffer.alloc((pairs.length + 1) * 2 * w);
    pairs.forEach(([k, v], i) => {
      if (wide) {
        b.writeBigUInt64LE(BigInt(k), i * 2 * w);
        b.writeBigUInt64LE(BigInt(v), i * 2 * w + w);
      } else {
        b.writeUInt32LE(k, i * 2 * w);
        b.writeUInt32LE(v, i * 2 * w + w);
      }
    });
    return b;
  };

  test('64-bit and 32-bit vectors; AT_NULL ends it; a missing or zero value is no answer', () => {
    assert.deepEqual(
      constantsFromAuxv(
        vector(true, [
          [33, 1],
          [6, 16384],
          [17, 250],
        ]),
        true,
      ),
      {
        clkTck: 250,
        pageSize: 16384,
      },
    );
    assert.deepEqual(
      constantsFromAuxv(
        vector(false, [
          [6, 4096],
          [17, 100],
        ]),
        false,
      ),
      { clkTck: 100, pageSize: 4096 },
    );
    assert.equal(constantsFromAuxv(vector(true, [[6, 4096]]), true), undefined, 'no AT_CLKTCK');
    assert.equal(
      constantsFromAuxv(
        vector(true, [
          [6, 4096],
          [17, 0],
        ]),
        true,
      ),
      undefined,
      'a zero',
    );
    // Past AT_NULL nothing counts; a torn vector (not a whole pair) is read no further than it goes.
    const ended = Buffer.concat([vector(true, [[6, 4096]]), vector(true, [[17, 100]])]);
    assert.equal(constantsFromAuxv(ended, true), undefined);
    assert.equal(
      constantsFromAuxv(
        vector(true, [
          [6, 4096],
          [17, 100],
        ]).subarray(0, 21),
        true,
      ),
      undefined,
    );
    assert.equal(constantsFromAuxv(Buffer.alloc(0), true), undefined);
  });

  test('what this process was given is what getconf says', { skip: process.platform !== 'linux' }, async () => {
    const k = await systemConstants();
    assert.equal(k.clkTck, Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()));
    assert.equal(k.pageSize, Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()));
  });
});

describe('the git top level without starting git', { skip: process.platform === 'win32' }, () => {
  let tmp: string;
  let bin: string;
  let marker: string;
  const git = (cwd: string, ...a: string[]) => execFileSync('git', a, { cwd, stdio: 'ignore' });
  before(async () => {
    tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-walk-')));
    // A `git` that notes each time it is asked, then asks the real one.
    bin = path.join(tmp, 'bin');
    marker = path.join(tmp, 'asked.txt');
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    await fs.mkdir(bin);
    await fs.writeFile(path.join(bin, 'git'), `#!/bin/sh\necho "$PWD" >> "${marker}"\nexec "${real}" "$@"\n`, {
      mode: 0o755,
    });
  });
  after(() => fs.rm(tmp, { recursive: true, force: true }));

  /** The walk's answer and git's, and whether the walk asked git. */
  async function both(folder: string): Promise<{ walk: string; git: string; asked: boolean }> {
    const realGit = await resolveWorkspaceRoot(folder);
    await fs.rm(marker, { force: true });
    const PATH = process.env.PATH;
    process.env.PATH = `${bin}:${PATH}`;
    try {
      const walk = await workspaceRootOf(folder);
      const asked = await fs.stat(marker).then(
        () => true,
        () => false,
      );
      return { walk, git: realGit, asked };
    } finally {
      process.env.PATH = PATH;
    }
  }

  test('a repo, a folder in it, a link into it, a nested repo, a folder outside git: git not started', async () => {
    const repo = path.join(tmp, 'repo');
    await fs.mkdir(path.join(repo, 'a', 'b'), { recursive: true });
    git(repo, 'init', '-q');
    await fs.mkdir(path.join(repo, 'a', 'inner'));
    git(path.join(repo, 'a', 'inner'), 'init', '-q');
    await fs.symlink(path.join(repo, 'a'), path.join(tmp, 'link-to-a'));
    const plain = path.join(tmp, 'plain', 'deep');
    await fs.mkdir(plain, { recursive: true });
    for (const folder of [
      repo,
      path.join(repo, 'a', 'b'),
      path.join(tmp, 'link-to-a', 'b'),
      path.join(repo, 'a', 'inner'),
      plain,
    ]) {
      const r = await both(folder);
      assert.equal(r.walk, r.git, folder);
      assert.equal(r.asked, false, `${folder}: git was started`);
    }
  });

  test('where the walk cannot be sure, git answers: a worktree, a bare repo, a junk .git, GIT_DIR, a worktree config', async () => {
    const main = path.join(tmp, 'main');
    await fs.mkdir(main);
    git(main, 'init', '-q');
    git(main, '-c', 'user.email=t@e', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'init');
    const wt = path.join(tmp, 'wt');
    git(main, 'worktree', 'add', '-q', wt);
    const bare = path.join(tmp, 'bare.git');
    execFileSync('git', ['init', '-q', '--bare', bare]);
    const junk = path.join(tmp, 'junk', 'sub');
    await fs.mkdir(path.join(tmp, 'junk', '.git'), { recursive: true });
    await fs.mkdir(junk);
    const moved = path.join(tmp, 'moved');
    await fs.mkdir(path.join(moved, 'sub'), { recursive: true });
    git(moved, 'init', '-q');
    git(moved, 'config', 'core.worktree', path.join(moved, 'sub'));
    for (const folder of [wt, bare, path.join(main, '.git'), junk, path.join(moved, 'sub')]) {
      const r = await both(folder);
      assert.equal(r.walk, r.git, folder);
      assert.equal(r.asked, true, `${folder}: git was not asked`);
    }
    process.env.GIT_DIR = path.join(main, '.git');
    try {
      const r = await both(path.join(tmp, 'plain'));
      assert.equal(r.walk, r.git);
      assert.equal(r.asked, true, 'GIT_DIR set: git was not asked');
    } finally {
      delete process.env.GIT_DIR;
    }
  });
});

describe("the Stop hook's sort without a collator", () => {
  test('ISO times of one length sort by code point exactly as the default collator sorts them', () => {
    const collator = new Intl.Collator();
    for (const ms of [false, true]) {
      const times = Array.from({ length: 400 }, (_, i) => {
        const t = new Date(Date.UTC(2020, 0, 1) + Math.floor(Math.random() * 2e11) + (i % 7)).toISOString();
        return ms ? t : t.replace(/\.\d{3}Z$/, 'Z');
      });
      times.push(times[3], times[3]);
      const byCollator = [...times].sort((a, b) => collator.compare(b, a));
      const byCodePoint = [...times].sort((a, b) => (b < a ? -1 : b > a ? 1 : 0));
      assert.deepEqual(byCodePoint, byCollator);
    }
  });
});

import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  candidateRoots,
  enumerateStateDirs,
  mapFolder,
  resolveWorkspaceRoot,
  slugOf,
  stateDirName,
} from '../../src/core/discovery';

const sha16 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

describe('slug and hash, as the companion computes them', () => {
  // Slugs written out by hand from the rule: runs of [^a-zA-Z0-9._-] become "-", then "-" trimmed.
  const vectors: [string, string][] = [
    ['/home/u/my project', 'my-project'],
    ['/home/u/Проект ü', 'workspace'],
    ['/home/u/app Проект v2', 'app-v2'],
    ['/home/u/--lead-dash--', 'lead-dash'],
    ['/home/u/.dotted.name.', '.dotted.name.'],
    ['/home/u/@@@', 'workspace'],
    ['/home/u/a  b\tc', 'a-b-c'],
    ['/home/u/repo_1.2-x', 'repo_1.2-x'],
    ['/', 'workspace'],
  ];
  for (const [root, slug] of vectors) {
    test(`slug of ${JSON.stringify(root)} is ${slug}`, () => assert.equal(slugOf(root), slug));
  }

  test('the hash is of the real path; the slug of the path as given', async () => {
    const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'disc-')));
    try {
      const real = path.join(tmp, 'real project');
      await fs.mkdir(real);
      const link = path.join(tmp, 'linked name');
      await fs.symlink(real, link);
      assert.equal(await stateDirName(real), `real-project-${sha16(real)}`);
      assert.equal(await stateDirName(link), `linked-name-${sha16(real)}`);
      // A path that does not exist is hashed as given.
      assert.equal(await stateDirName(path.join(tmp, 'gone')), `gone-${sha16(path.join(tmp, 'gone'))}`);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });
});

describe('workspace roots and state dirs', () => {
  let tmp: string;
  before(async () => {
    tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'disc-')));
  });
  after(() => fs.rm(tmp, { recursive: true, force: true }));

  test('a subfolder of a repo maps to the repo; a worktree to itself; a folder outside git to itself', async () => {
    const repo = path.join(tmp, 'repo');
    await fs.mkdir(path.join(repo, 'packages', 'web'), { recursive: true });
    const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, stdio: 'ignore' });
    git('init', '-q');
    git('-c', 'user.email=t@e', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'init');
    assert.equal(await resolveWorkspaceRoot(path.join(repo, 'packages', 'web')), repo);
    const wt = path.join(tmp, 'wt');
    git('worktree', 'add', '-q', wt);
    assert.equal(await resolveWorkspaceRoot(wt), wt);
    assert.notEqual(await stateDirName(wt), await stateDirName(repo));
    const plain = path.join(tmp, 'plain');
    await fs.mkdir(plain);
    assert.equal(await resolveWorkspaceRoot(plain), plain);
  });

  test('every candidate root is searched and several matches are all found', async () => {
    const home = path.join(tmp, 'home');
    const tmpdir = path.join(tmp, 't');
    const ws = path.join(tmp, 'plain2');
    await fs.mkdir(ws);
    const name = await stateDirName(ws);
    const pluginState = path.join(home, '.claude', 'plugins', 'data', 'codex-openai-codex', 'state');
    await fs.mkdir(path.join(pluginState, name), { recursive: true });
    await fs.mkdir(path.join(tmpdir, 'codex-companion', name), { recursive: true });
    await fs.mkdir(path.join(tmpdir, 'codex-companion', 'other-0123456789abcdef'), { recursive: true });
    const extra = path.join(tmp, 'extra-root');
    const host = { env: {}, homedir: home, tmpdir, platform: process.platform };
    const found = await candidateRoots(host, [extra, 'relative/ignored']);
    assert.deepEqual(
      found.roots.map((r) => r.source),
      ['plugin-data', 'tmp'],
    );
    assert.deepEqual(
      found.all.map((r) => r.path),
      [pluginState, path.join(tmpdir, 'codex-companion'), extra],
    );
    assert.match(found.warnings[0], /relative\/ignored.*not an absolute path/);
    const mapping = await mapFolder(ws, found.roots);
    assert.deepEqual(
      mapping.candidates.filter((c) => c.exists).map((c) => c.stateDir),
      [path.join(pluginState, name), path.join(tmpdir, 'codex-companion', name)],
    );
    const all = await enumerateStateDirs(found.roots);
    assert.deepEqual(all.map((d) => d.name).sort(), [name, name, 'other-0123456789abcdef'].sort());
    // CLAUDE_CONFIG_DIR replaces ~/.claude.
    const viaEnv = await candidateRoots(
      { ...host, env: { CLAUDE_CONFIG_DIR: path.join(home, '.claude') }, homedir: '/nonexistent' },
      [],
    );
    assert.equal(viaEnv.roots[0].path, pluginState);
  });
});

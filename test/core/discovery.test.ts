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
} from '../../src/core/discovery/discovery';
import { JobsModel } from '../../src/core/model/model';
import { createProcessTable } from '../../src/core/os/processes';
import { DEFAULT_SETTINGS } from '../../src/core/vocab/types';
import { FAKE_COMPANION, ProcessGroup } from '../fixtures/spawn';
import { record, writeIndex, writeJob } from './helpers';

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

describe('roots from the environment and from live processes', () => {
  let tmp: string;
  before(async () => {
    tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'roots-')));
  });
  after(() => fs.rm(tmp, { recursive: true, force: true }));

  test('with only CLAUDE_PLUGIN_DATA set (no setting, no default root), the workspace and its jobs are found', async () => {
    const ws = path.join(tmp, 'ws');
    await fs.mkdir(ws);
    const pd = path.join(tmp, 'pd');
    const sd = path.join(pd, 'state', await stateDirName(await resolveWorkspaceRoot(ws)));
    const ids = ['task-mwe0a001-env001', 'task-mwe0a002-env002', 'review-mwe0a003-env003', 'task-mwe0a004-env004'];
    for (const id of ids) await writeJob(sd, record(id, { kind: id.startsWith('review') ? 'review' : 'task' }));
    await writeIndex(
      sd,
      ids.map((id) => record(id)),
    );
    const host = {
      env: { CLAUDE_PLUGIN_DATA: pd },
      homedir: path.join(tmp, 'home'),
      tmpdir: path.join(tmp, 'none'),
      platform: process.platform,
      learnRoots: false,
    };
    const found = await candidateRoots(host, []);
    assert.deepEqual(
      found.roots.map((r) => [r.path, r.source]),
      [[path.join(pd, 'state'), 'env']],
    );
    assert.match(found.searched[0], /CLAUDE_PLUGIN_DATA/);
    const m = new JobsModel({ host, table: createProcessTable(), settings: DEFAULT_SETTINGS });
    m.setFolders([{ path: ws, name: 'ws' }]);
    await m.refresh();
    const jobs = m.folders.flatMap((f) => f.jobs);
    assert.deepEqual(jobs.map((j) => j.id).sort(), [...ids].sort());
    m.dispose();
  });

  test("a live companion's CLAUDE_PLUGIN_DATA and TMPDIR become roots, with the process they came from", async () => {
    const pd = path.join(tmp, 'worker-pd');
    const t = path.join(tmp, 'worker-tmp');
    await fs.mkdir(path.join(pd, 'state'), { recursive: true });
    await fs.mkdir(path.join(t, 'codex-companion'), { recursive: true });
    const procs = new ProcessGroup();
    try {
      const pid = await procs.start(
        process.execPath,
        [FAKE_COMPANION, 'task-worker', '--cwd', tmp, '--job-id', 'task-mwe0a009-lrn009'],
        {
          waitReady: true,
          env: { ...process.env, CLAUDE_PLUGIN_DATA: pd, TMPDIR: t },
        },
      );
      const found = await candidateRoots(
        {
          env: {},
          homedir: path.join(tmp, 'home'),
          tmpdir: path.join(tmp, 'none'),
          platform: process.platform,
          learnRoots: true,
        },
        [],
      );
      const learned = found.roots.filter((r) => r.origin?.pid === pid);
      assert.deepEqual(
        learned.map((r) => [r.path, r.source, r.learnedFrom]).sort(),
        [
          [path.join(pd, 'state'), 'process', `CLAUDE_PLUGIN_DATA of task-worker pid ${pid}`],
          [path.join(t, 'codex-companion'), 'process', `TMPDIR of task-worker pid ${pid}`],
        ].sort(),
      );
      assert.ok(found.searched.some((s) => s.includes(`task-worker pid ${pid}`)));
    } finally {
      await procs.stopAll();
    }
  });
});

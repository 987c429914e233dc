// Writing a SARIF log to the file a person named: atomic, never through a link, FIFO or directory,
// never inside a state dir (however reached), a job id never a path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildSarif } from '../../src/core/io/sarif';
import { sarifFileName, writeSarifFile } from '../../src/core/io/sarifFile';

const log = () =>
  buildSarif({
    findings: [{ index: 0, severity: 'high', title: 'A finding', file: 'src/a.ts', lineStart: 3, lineEnd: 4 }],
    toolVersion: '0.1.0',
    workspaceRoot: '/w/repo',
    jobId: 'review-x',
  });

async function tmpDir(): Promise<string> {
  return fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'sarif-file-')));
}

test('a job id becomes a file name, never a path', () => {
  assert.equal(sarifFileName('review-mwv3e9mm-f1nd13'), 'codex-review-review-mwv3e9mm-f1nd13.sarif');
  assert.equal(sarifFileName('../../etc/passwd'), 'codex-review-etc_passwd.sarif');
  assert.equal(sarifFileName('..\\x'), 'codex-review-x.sarif');
  assert.equal(sarifFileName('\u0000\u001b[31m'), 'codex-review-31m.sarif');
  assert.equal(sarifFileName('...'), 'codex-review-job.sarif');
  assert.ok(sarifFileName('a'.repeat(10_000)).length < 160);
  for (const id of ['../x', 'a/b', 'a\\b', '..']) assert.ok(!/[\\/]/.test(sarifFileName(id)), id);
});

test('writes the log whole, replaces a regular file, leaves a hard link to the old one as it was', async () => {
  const dir = await tmpDir();
  try {
    const target = path.join(dir, 'out.sarif');
    await fs.writeFile(target, 'old');
    await fs.link(target, path.join(dir, 'hard'));
    const r = await writeSarifFile(target, log(), []);
    assert.ok(r.ok, JSON.stringify(r));
    const text = await fs.readFile(target, 'utf8');
    assert.equal(r.bytes, Buffer.byteLength(text));
    assert.equal(JSON.parse(text).version, '2.1.0');
    assert.equal(await fs.readFile(path.join(dir, 'hard'), 'utf8'), 'old');
    assert.deepEqual((await fs.readdir(dir)).sort(), ['hard', 'out.sarif'], 'no temp file left');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('refuses a symbolic link, a FIFO, a directory; a relative or missing path', async () => {
  const dir = await tmpDir();
  try {
    const victim = path.join(dir, 'victim.txt');
    await fs.writeFile(victim, 'keep');
    await fs.symlink(victim, path.join(dir, 'link.sarif'));
    execFileSync('mkfifo', [path.join(dir, 'fifo.sarif')]);
    await fs.mkdir(path.join(dir, 'dir.sarif'));
    for (const [name, what] of [
      ['link.sarif', /symbolic link/],
      ['fifo.sarif', /FIFO/],
      ['dir.sarif', /directory/],
    ] as const) {
      const r = await writeSarifFile(path.join(dir, name), log(), []);
      assert.equal(r.ok, false, name);
      assert.ok(!r.ok && r.reason === 'not-regular' && what.test(r.message), JSON.stringify(r));
    }
    assert.equal(await fs.readFile(victim, 'utf8'), 'keep');
    assert.ok((await fs.lstat(path.join(dir, 'link.sarif'))).isSymbolicLink());
    const rel = await writeSarifFile('out.sarif', log(), []);
    assert.ok(!rel.ok && rel.reason === 'invalid');
    const missing = await writeSarifFile(path.join(dir, 'no', 'such', 'out.sarif'), log(), []);
    assert.ok(!missing.ok && missing.reason === 'missing');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('refuses any name inside a state dir: directly, through .., through a link to it', async () => {
  const dir = await tmpDir();
  try {
    const state = path.join(dir, 'state', 'repo-0123456789abcdef');
    await fs.mkdir(path.join(state, 'jobs'), { recursive: true });
    await fs.mkdir(path.join(dir, 'elsewhere'));
    await fs.symlink(state, path.join(dir, 'elsewhere', 'via'));
    for (const target of [
      path.join(state, 'out.sarif'),
      path.join(state, 'jobs', 'review-x.json'),
      `${path.join(dir, 'elsewhere')}/../state/repo-0123456789abcdef/state.json`,
      path.join(dir, 'elsewhere', 'via', 'out.sarif'),
    ]) {
      const r = await writeSarifFile(target, log(), [state]);
      assert.ok(!r.ok && r.reason === 'protected', `${target}: ${JSON.stringify(r)}`);
    }
    assert.deepEqual(await fs.readdir(state), ['jobs']);
    // Beside it (a name that merely starts alike) is fine.
    const beside = await writeSarifFile(`${state}-copy.sarif`, log(), [state]);
    assert.ok(beside.ok, JSON.stringify(beside));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

// Finding the companion script, the Node to run it, and the plugin data root.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  choosePluginData,
  compareSemver,
  findCompanion,
  findNode,
  resolveLaunchEnvironment,
  searchPath,
  SETTING_COMPANION,
  SETTING_NODE,
  SETTING_PLUGIN_DATA,
} from '../../src/core/discovery/companion';
import type { HostEnv } from '../../src/core/vocab/types';
import { causeLine, howItEnded, runChild } from '../../src/core/os/childProcess';

let tmp: string;
before(async () => {
  tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-companion-test-')));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

let n = 0;
async function home(): Promise<string> {
  const h = path.join(tmp, `home-${n++}`);
  await fs.mkdir(h, { recursive: true });
  return h;
}
const host = (
  homedir: string,
  env: Record<string, string | undefined> = {},
  platform: NodeJS.Platform = 'linux',
): HostEnv => ({ env, homedir, tmpdir: path.join(homedir, 'tmp'), platform });
const notNode = { execPath: '/opt/Code/code', versions: { ...process.versions, electron: '30.0.0' } };

async function touch(file: string, mode = 0o644): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, '');
  await fs.chmod(file, mode);
}

describe('finding the companion', () => {
  test('(f) the highest semver among several versions and marketplaces', async () => {
    const h = await home();
    const cache = path.join(h, '.claude', 'plugins', 'cache');
    for (const v of ['1.0.2', '1.0.9', '1.0.10', '1.0.10-rc.1', '0.9.99'])
      await touch(path.join(cache, 'openai-codex', 'codex', v, 'scripts', 'codex-companion.mjs'));
    await touch(path.join(cache, 'other-market', 'codex', '1.0.3', 'scripts', 'codex-companion.mjs'));
    await fs.mkdir(path.join(cache, 'openai-codex', 'codex', '1.0.11', 'scripts'), { recursive: true }); // half installed
    await touch(path.join(cache, 'openai-codex', 'codex', 'latest', 'scripts', 'codex-companion.mjs')); // not a version
    const r = await findCompanion(host(h));
    assert.ok(r.ok);
    assert.equal(r.version, '1.0.10');
    assert.equal(r.script, path.join(cache, 'openai-codex', 'codex', '1.0.10', 'scripts', 'codex-companion.mjs'));
    assert.equal(r.source, 'plugin-cache');
  });

  test('CLAUDE_CONFIG_DIR replaces ~/.claude', async () => {
    const h = await home();
    const config = path.join(h, 'elsewhere');
    await touch(
      path.join(config, 'plugins', 'cache', 'openai-codex', 'codex', '1.0.5', 'scripts', 'codex-companion.mjs'),
    );
    const r = await findCompanion(host(h, { CLAUDE_CONFIG_DIR: config }));
    assert.ok(r.ok);
    assert.equal(r.version, '1.0.5');
  });

  test('(f) none found: an actionable error naming what was searched and the setting', async () => {
    const h = await home();
    const r = await findCompanion(host(h));
    assert.equal(r.ok, false);
    assert.ok(!r.ok);
    assert.equal(r.setting, SETTING_COMPANION);
    assert.match(
      r.message,
      new RegExp(
        `${path.join(h, '.claude', 'plugins', 'cache').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*codex-companion\\.mjs`,
      ),
    );
    assert.match(r.message, /codexJobs\.companionPath/);
    assert.match(r.message, /\/plugin install codex@openai-codex/);
  });

  test('the setting wins; a wrong setting says so', async () => {
    const h = await home();
    const script = path.join(h, 'custom', 'codex-companion.mjs');
    await touch(script);
    const ok = await findCompanion(host(h), script);
    assert.ok(ok.ok && ok.source === 'setting' && ok.script === script);
    const bad = await findCompanion(host(h), path.join(h, 'missing.mjs'));
    assert.ok(!bad.ok);
    assert.match(bad.message, /codexJobs\.companionPath.*is not a file/);
  });

  test('semver precedence', () => {
    const sorted = [
      '1.0.10',
      '1.0.2',
      '1.0.10-rc.1',
      '1.0.10-rc.10',
      '1.0.10-rc.2',
      '1.0.10-alpha',
      '2.0.0',
      '1.0.10-rc.1.1',
    ].sort(compareSemver);
    assert.deepEqual(sorted, [
      '1.0.2',
      '1.0.10-alpha',
      '1.0.10-rc.1',
      '1.0.10-rc.1.1',
      '1.0.10-rc.2',
      '1.0.10-rc.10',
      '1.0.10',
      '2.0.0',
    ]);
  });
});

describe('finding node', () => {
  test('(f) node on the PATH', async () => {
    const h = await home();
    const bin1 = path.join(h, 'bin1');
    const bin2 = path.join(h, 'bin2');
    await touch(path.join(bin1, 'node'), 0o644); // not executable: skipped
    await touch(path.join(bin2, 'node'), 0o755);
    const r = await findNode(host(h, { PATH: ['relative/bin', bin1, bin2].join(':') }), undefined, notNode);
    assert.ok(r.ok);
    assert.equal(r.node, path.join(bin2, 'node'));
    assert.equal(r.source, 'path');
  });

  test('the real node of this machine is found on the real PATH', async () => {
    const r = await findNode(
      { env: process.env, homedir: os.homedir(), tmpdir: os.tmpdir(), platform: process.platform },
      undefined,
      notNode,
    );
    assert.ok(r.ok, !r.ok ? r.message : '');
  });

  test('Windows: PATHEXT is honoured, but .cmd shims are never taken (no shell)', async () => {
    const h = await home();
    const shim = path.join(h, 'shim');
    const real = path.join(h, 'real');
    await touch(path.join(shim, 'node.CMD'));
    await touch(path.join(real, 'node.exe'));
    const win = (p: string) => host(h, { Path: p, PATHEXT: '.COM;.EXE;.BAT;.CMD' }, 'win32');
    assert.equal((await searchPath('node', win(shim))).found, undefined);
    assert.equal((await searchPath('node', win(`${shim};${real}`))).found, path.join(real, 'node.exe'));
  });

  test('no node anywhere, and the editor runs on Electron: an actionable error', async () => {
    const h = await home();
    const r = await findNode(host(h, { PATH: path.join(h, 'empty') }), undefined, notNode);
    assert.ok(!r.ok);
    assert.equal(r.setting, SETTING_NODE);
    assert.match(r.message, /No Node\.js was found.*empty.*not Node.*codexJobs\.nodePath/s);
  });

  test("this process's own runtime is used only when it really is node", async () => {
    const h = await home();
    const fakeNode = path.join(h, 'rt', 'node');
    await touch(fakeNode, 0o755);
    const r = await findNode(host(h, { PATH: '' }), undefined, { execPath: fakeNode, versions: process.versions });
    assert.ok(r.ok && r.source === 'runtime' && r.node === fakeNode);
    const electronNamedNode = await findNode(host(h, { PATH: '' }), undefined, {
      execPath: fakeNode,
      versions: { ...process.versions, electron: '30.0.0' },
    });
    assert.equal(electronNamedNode.ok, false);
  });

  test('the node setting wins; a wrong one says which setting', async () => {
    const h = await home();
    const r = await findNode(host(h, { PATH: '' }), path.join(h, 'nope', 'node'), notNode);
    assert.ok(!r.ok);
    assert.match(r.message, /codexJobs\.nodePath/);
    const ok = await findNode(host(h, { PATH: '' }), process.execPath, notNode);
    assert.ok(ok.ok && ok.source === 'setting');
  });
});

describe('the plugin data root', () => {
  test('the marketplace default when it exists', async () => {
    const h = await home();
    const data = path.join(h, '.claude', 'plugins', 'data');
    await fs.mkdir(path.join(data, 'codex-openai-codex'), { recursive: true });
    await fs.mkdir(path.join(data, 'other-plugin'), { recursive: true });
    const c = await choosePluginData(host(h));
    assert.equal(c.dir, path.join(data, 'codex-openai-codex'));
    assert.equal(c.stateRoot, path.join(data, 'codex-openai-codex', 'state'));
  });

  test('the single dir there; several: none, with a note naming the setting', async () => {
    const h = await home();
    const data = path.join(h, '.claude', 'plugins', 'data');
    await fs.mkdir(path.join(data, 'codex-mymarket'), { recursive: true });
    assert.equal((await choosePluginData(host(h))).dir, path.join(data, 'codex-mymarket'));
    await fs.mkdir(path.join(data, 'codex-othermarket'), { recursive: true });
    const several = await choosePluginData(host(h));
    assert.equal(several.dir, undefined);
    assert.equal(several.stateRoot, path.join(h, 'tmp', 'codex-companion'));
    assert.match(several.note!, new RegExp(SETTING_PLUGIN_DATA.replace('.', '\\.')));
    const chosen = await choosePluginData(host(h), path.join(data, 'codex-othermarket'));
    assert.equal(chosen.source, 'setting');
    assert.equal(chosen.dir, path.join(data, 'codex-othermarket'));
  });

  test('no plugin data: none (the companion falls back to its temp root)', async () => {
    const h = await home();
    const c = await choosePluginData(host(h));
    assert.equal(c.source, 'none');
    assert.equal(c.dir, undefined);
    assert.equal(c.note, undefined);
  });

  test('everything at once, or the first actionable problem', async () => {
    const h = await home();
    const bin = path.join(h, 'bin');
    await touch(path.join(bin, 'node'), 0o755);
    const missing = await resolveLaunchEnvironment(host(h, { PATH: bin }), {}, notNode);
    assert.ok(!missing.ok && missing.setting === SETTING_COMPANION);
    await touch(
      path.join(h, '.claude', 'plugins', 'cache', 'openai-codex', 'codex', '1.0.5', 'scripts', 'codex-companion.mjs'),
    );
    const env = await resolveLaunchEnvironment(host(h, { PATH: bin }), {}, notNode);
    assert.ok(env.ok);
    assert.equal(env.companion.version, '1.0.5');
    assert.equal(env.node.node, path.join(bin, 'node'));
    assert.equal(env.pluginData.source, 'none');
  });
});

describe('running a short-lived child (childProcess)', () => {
  test("causeLine: the thrown Error's line, not Node's stack footer and version", () => {
    const uncaught = [
      'file:///x/codex-companion.mjs:12',
      '    throw new Error("Cannot enable the gate: config is corrupt");',
      '    ^',
      '',
      'Error: Cannot enable the gate: config is corrupt',
      '    at file:///x/codex-companion.mjs:12:11',
      '    at async asyncRunEntryPointWithESMLoader (node:internal/modules/run_main:117:5)',
      '',
      'Node.js v20.20.2',
    ].join('\n');
    assert.equal(causeLine(uncaught), 'Error: Cannot enable the gate: config is corrupt');
    assert.equal(causeLine('TypeError [ERR_X]: bad\n    at y (z.js:1:1)\n\nNode.js v22.1.0'), 'TypeError [ERR_X]: bad');
    // The companion's own report of a caught error is one plain line.
    assert.equal(causeLine('No active job found for "x".\n'), 'No active job found for "x".');
    assert.equal(causeLine('    at a (b.js:1:1)\n\nNode.js v20.20.2\n'), '');
  });

  test('runChild: a child that cannot be started, one that exits, one that prints too much', async () => {
    const missing = await runChild(path.join(tmp, 'no-such-program'), [], { timeoutMs: 5000 });
    assert.match(missing.startError ?? '', /ENOENT/);
    const exits = await runChild(process.execPath, ['-e', 'console.log("hi"); process.exit(3)'], { timeoutMs: 5000 });
    assert.deepEqual([exits.code, exits.stdout, exits.ended], [3, 'hi\n', undefined]);
    assert.equal(howItEnded(exits), 'exited with code 3');
    const loud = await runChild(
      process.execPath,
      ['-e', 'setInterval(() => process.stdout.write("x".repeat(65536)), 1)'],
      {
        timeoutMs: 10_000,
        maxOutput: 100_000,
        overLimit: 'end',
      },
    );
    assert.equal(loud.ended, 'output');
    assert.equal(loud.stdout.length, 100_000);
  });

  test('runChild: at the timeout a child that obeys SIGTERM ends without SIGKILL', async () => {
    const o = await runChild(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      timeoutMs: 300,
      killGraceMs: 3000,
    });
    assert.equal(o.ended, 'timeout');
    assert.equal(o.signal, 'SIGTERM');
    assert.equal(o.killed, undefined);
    assert.ok(o.ms < 2500, `${o.ms} ms`);
    assert.match(howItEnded(o, 300), /did not finish within 0\.3 s; its process group was ended$/);
  });
});

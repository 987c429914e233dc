// Identity and process-table parsers, without processes: other systems' outputs in their real shapes.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  parseCimJson,
  parseEnviron,
  parsePsEnvironment,
  parsePsLine,
  PsProcessTable,
  sameProcess,
  systemConstants,
} from '../../src/core/os/processes';
import { parseBrokerCommand } from '../../src/core/os/identity';
import { matchCompanionCommand } from '../../src/core/state/verify';
import { stateRootOf, tmpdirOf } from '../../src/core/discovery/roots';

describe('ps (macOS, BSD)', () => {
  test('a C-locale line parses; a non-English lstart does not, and its pid is unverifiable, never gone', async () => {
    const ok = parsePsLine(
      '  501     1   501   501  2048 Ss   Mon Nov 24 00:53:37 2026     /usr/local/bin/node /x/scripts/codex-companion.mjs review',
    )!;
    assert.equal(ok.pid, 501);
    assert.equal(ok.startTimeMs, Date.parse('Mon Nov 24 00:53:37 2026'));
    for (const line of [
      '  777     1   777   501  2048 Ss   lun. 24 nov. 00:53:37 2026     node x', // French
      '  777     1   777   501  2048 Ss   Mo 24 Nov 00:53:37 2026     node x', // German
      '  777     1   777   501  2048 Ss   月 11/24 00:53:37 2026     node x', // Japanese
    ])
      assert.equal(parsePsLine(line), undefined, line);
    const table = new PsProcessTable(async () => ({
      code: 0,
      stdout: '  777     1   777   501  2048 Ss   lun. 24 nov. 00:53:37 2026     node x\n',
    }));
    const m = await table.inspect([777, 778]);
    assert.equal(m.get(777)!.state, 'unknown');
    assert.match(m.get(777)!.error!, /unverifiable/);
    assert.equal(m.get(778)!.state, 'gone', 'a pid with no line at all is gone');
    const garbled = new PsProcessTable(async () => ({ code: 0, stdout: 'ps: something odd\n' }));
    assert.equal((await garbled.inspect([5]))!.get(5)!.state, 'unknown', 'a line with no pid: nothing is gone');
  });

  test('ps -E: the environment after the command line', () => {
    const argv = [
      '/usr/local/bin/node',
      '/Users/u/.claude/plugins/cache/openai-codex/codex/1.0.5/scripts/app-server-broker.mjs',
      'serve',
    ];
    const env = parsePsEnvironment(
      `${argv.join(' ')} TMPDIR=/var/folders/ab/xy/T/ CLAUDE_PLUGIN_DATA=/Users/u/Library/My Data/codex HOME=/Users/u`,
      argv,
    )!;
    assert.equal(env.TMPDIR, '/var/folders/ab/xy/T/');
    assert.equal(env.CLAUDE_PLUGIN_DATA, '/Users/u/Library/My Data/codex');
    assert.equal(env.HOME, '/Users/u');
    assert.equal(parsePsEnvironment('other command TMPDIR=/x', argv), undefined, 'another command line: nothing');
    assert.deepEqual(parseEnviron(Buffer.from('A=1\0TMPDIR=/t\0B=x=y\0')), { A: '1', TMPDIR: '/t', B: 'x=y' });
  });

  test('page size and clock ticks come from getconf (cached)', async () => {
    const k = await systemConstants();
    assert.ok(k.clkTck > 0 && k.pageSize >= 4096, JSON.stringify(k));
    assert.equal(await systemConstants(), k);
  });
});

describe('Windows CIM', () => {
  test('one process is an object, several an array; null command lines are eperm; 7-digit fractions parse', () => {
    const one = parseCimJson(
      '{"p":1234,"pp":5678,"c":"\\"C:\\\\Program Files\\\\nodejs\\\\node.exe\\" C:\\\\Users\\\\u\\\\.claude\\\\plugins\\\\cache\\\\openai-codex\\\\codex\\\\1.0.5\\\\scripts\\\\app-server-broker.mjs serve --endpoint pipe:\\\\\\\\.\\\\pipe\\\\cxc-AbC123-codex-app-server --cwd C:\\\\work\\\\repo --pid-file C:\\\\Users\\\\u\\\\AppData\\\\Local\\\\Temp\\\\cxc-AbC123\\\\broker.pid","e":"C:\\\\Program Files\\\\nodejs\\\\node.exe","t":"2026-11-24T00:53:37.1234567Z","w":52428800}\r\n',
    )!;
    assert.equal(one.length, 1);
    assert.equal(one[0].argv![0], 'C:\\Program Files\\nodejs\\node.exe');
    assert.equal(one[0].startTimeMs, Date.parse('2026-11-24T00:53:37.123Z'));
    const cmd = parseBrokerCommand(one[0].argv)!;
    assert.equal(cmd.dir, 'C:\\Users\\u\\AppData\\Local\\Temp\\cxc-AbC123');
    const many = parseCimJson(
      '[{"p":0,"pp":0,"c":null,"e":null,"t":null,"w":8192},{"p":4,"pp":0,"c":null,"e":null,"t":"2026-11-23T08:00:01.0000000Z","w":155648},{"p":9000,"pp":4,"c":"node C:\\\\p\\\\scripts\\\\codex-companion.mjs review --json","e":"C:\\\\nodejs\\\\node.exe","t":"2026-11-24T01:00:00.5000000Z","w":1}]',
    )!;
    assert.deepEqual(
      many.map((p) => [p.pid, p.state, p.startTimeMs === undefined]),
      [
        [0, 'eperm', true],
        [4, 'eperm', false],
        [9000, 'alive', false],
      ],
    );
    assert.deepEqual(parseCimJson(''), []);
    assert.equal(parseCimJson('Get-CimInstance : Access denied'), undefined);
  });
});

describe('identity that proves it', () => {
  const dir = '/tmp/cxc-Ab12';
  const good = [
    '/usr/bin/node',
    '/p/scripts/app-server-broker.mjs',
    'serve',
    '--endpoint',
    `unix:${dir}/broker.sock`,
    '--cwd',
    '/w',
    '--pid-file',
    `${dir}/broker.pid`,
  ];
  test('the broker command: argv[1] the script, argv[2] serve, one session dir, nothing else', () => {
    assert.equal(parseBrokerCommand(good)?.dir, dir);
    const bad: string[][] = [
      ['python3', '-c', 'x', ...good.slice(1)],
      ['node', '-e', 'x', ...good.slice(1)],
      [good[0], '/p/bin/app-server-broker.mjs', ...good.slice(2)],
      [good[0], 'scripts/app-server-broker.mjs', ...good.slice(2)],
      [good[0], good[1], 'status', ...good.slice(3)],
      [...good, '--endpoint', 'unix:/run/x.sock'],
      [...good, '--extra'],
      [good[0], good[1], 'serve', '--pid-file', `${dir}/broker.pid`],
      [good[0], good[1], 'serve', '--endpoint', 'unix:/tmp/cxc-Other/broker.sock', '--pid-file', `${dir}/broker.pid`],
      [good[0], good[1], 'serve', '--endpoint', 'unix:/tmp/x/broker.sock', '--pid-file', '/tmp/x/broker.pid'],
      [
        good[0],
        good[1],
        'serve',
        '--endpoint',
        `unix:${dir}/../broker.sock`,
        '--pid-file',
        `${dir}/../cxc-Ab12/broker.pid`,
      ],
    ];
    for (const a of bad) assert.equal(parseBrokerCommand(a), undefined, a.join(' '));
  });

  test('the companion: argv[1] the script, argv[2] the subcommand, one --job-id', () => {
    const s = '/c/scripts/codex-companion.mjs';
    assert.equal(matchCompanionCommand(['node', s, 'task-worker', '--job-id', 'j-1'], { id: 'j-1' }).ok, true);
    assert.equal(
      matchCompanionCommand(['python3', '-c', 'x', s, 'task-worker', '--job-id', 'j-1'], { id: 'j-1' }).ok,
      false,
    );
    assert.equal(
      matchCompanionCommand(['node', s, 'task-worker', '--job-id', 'j-1', '--job-id', 'j-2'], { id: 'j-1' }).ok,
      false,
    );
    assert.equal(
      matchCompanionCommand(['node', '/c/codex-companion.mjs', 'review'], { id: 'review-x', kind: 'review' }).ok,
      false,
    );
  });

  test('no start time, no identity', () => {
    const a = { pid: 5, state: 'alive' as const, argv: ['x'] };
    assert.equal(sameProcess(a, a), false);
    assert.equal(sameProcess({ ...a, startTimeMs: 1 }, { ...a, startTimeMs: 1 }), true);
  });

  test("a process's temp dir and state root, as Node and the companion compute them", () => {
    assert.deepEqual(tmpdirOf({ TMPDIR: '/var/t/' }, 'linux'), { dir: '/var/t', via: 'TMPDIR' });
    assert.deepEqual(tmpdirOf({}, 'linux'), { dir: '/tmp', via: 'default tmp' });
    assert.equal(stateRootOf({ CLAUDE_PLUGIN_DATA: '/pd', TMPDIR: '/t' }, 'linux').root, '/pd/state');
    assert.equal(stateRootOf({ TMP: '/t2' }, 'linux').root, '/t2/codex-companion');
  });
});

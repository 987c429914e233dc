// The hostile suite's sandbox: one small state per case, a decoy "outside" tree that nothing may
// read, write or delete, and every CLI command and core repair run against it in its own pid and
// mount namespace, each with a timeout.
//
// Environment: CODEX_JOBS_HOSTILE_CLI (the cli.js to run; default dist/cli.js),
// CODEX_JOBS_HOSTILE_CORE (the compiled core the driver loads; default out/src/core),
// CODEX_JOBS_HOSTILE_SLOW=1 (the slow cases too), CODEX_JOBS_HOSTILE_REPORT (write counts as JSON).
import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { promises as fs, realpathSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const CLI = process.env.CODEX_JOBS_HOSTILE_CLI ?? path.join(REPO, 'dist', 'cli.js');
export const CORE = process.env.CODEX_JOBS_HOSTILE_CORE ?? path.join(REPO, 'out', 'src', 'core');
export const SLOW = process.env.CODEX_JOBS_HOSTILE_SLOW === '1';
export const DRIVER = path.join(__dirname, 'driver.js');

/** Printed by nothing legitimate: seen in any output, something outside was read. */
export const SECRET = 'OUTSIDE-SECRET-7f3a';
export const GOOD_A = 'task-good0a-aaaaaa';
export const GOOD_B = 'task-good0b-bbbbbb';
export const BAD = 'task-bad000-cccccc';
/** A pid no process has in a fresh pid namespace. */
export const DEAD_PID = 31_000;

export interface Ctx {
  dir: string;
  ws: string;
  rootA: string;
  rootB: string;
  stateA: string;
  stateB: string;
  jobsA: string;
  outside: string;
  tmp: string;
  home: string;
  archive: string;
  /** Lines of shell run inside the namespace before each command (mounts). */
  prelude: string[];
  /** Run every command without the capabilities that let root ignore file modes. */
  dropDac: boolean;
}

export const iso = (ms: number) => new Date(ms).toISOString();
const T0 = Date.parse('2026-11-30T10:00:00.000Z');

export function record(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    kind: 'task',
    kindLabel: 'rescue',
    jobClass: 'task',
    title: `title of ${id}`,
    summary: `summary of ${id}`,
    status: 'completed',
    phase: 'done',
    pid: null,
    createdAt: iso(T0),
    startedAt: iso(T0 + 1000),
    updatedAt: iso(T0 + 60_000),
    completedAt: iso(T0 + 60_000),
    ...extra,
  };
}

export const BAD_RECORD = () =>
  record(BAD, {
    status: 'running',
    phase: 'investigating',
    pid: DEAD_PID,
    completedAt: undefined,
    updatedAt: iso(T0 + 120_000),
  });

export const logText = (id: string) => `[${iso(T0 + 2000)}] starting\n[${iso(T0 + 3000)}] progress of ${id}\n`;

export async function writeJson(file: string, v: unknown): Promise<void> {
  await fs.writeFile(file, `${JSON.stringify(v, null, 2)}\n`);
}

export async function writeStateDir(
  stateDir: string,
  jobs: Record<string, unknown>[],
  logs: Record<string, string> = {},
): Promise<void> {
  await fs.mkdir(path.join(stateDir, 'jobs'), { recursive: true });
  await writeJson(path.join(stateDir, 'state.json'), { version: 1, config: { stopReviewGate: false }, jobs });
  for (const j of jobs) await writeJson(path.join(stateDir, 'jobs', `${j.id}.json`), j);
  for (const [id, text] of Object.entries(logs)) await fs.writeFile(path.join(stateDir, 'jobs', `${id}.log`), text);
}

/** Same algorithm as the companion (and discovery.ts): slug of the base name, sha256 of the real path. */
function dirNameOf(ws: string): string {
  const slug =
    path
      .basename(ws)
      .replace(/[^a-zA-Z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'workspace';
  return `${slug}-${createHash('sha256').update(ws).digest('hex').slice(0, 16)}`;
}

export async function makeCtx(base: string, name: string): Promise<Ctx> {
  const dir = path.join(base, name.replace(/[^a-zA-Z0-9._-]+/g, '-').slice(0, 60));
  await fs.mkdir(dir, { recursive: true });
  const ws = path.join(dir, 'ws');
  const rootA = path.join(dir, 'rootA');
  const rootB = path.join(dir, 'rootB');
  for (const d of [ws, rootA, rootB, path.join(dir, 'tmp'), path.join(dir, 'home'), path.join(dir, 'archive')])
    await fs.mkdir(d, { recursive: true });
  const dn = dirNameOf(ws);
  const c: Ctx = {
    dir,
    ws,
    rootA,
    rootB,
    stateA: path.join(rootA, dn),
    stateB: path.join(rootB, dn),
    jobsA: path.join(rootA, dn, 'jobs'),
    outside: path.join(dir, 'outside'),
    tmp: path.join(dir, 'tmp'),
    home: path.join(dir, 'home'),
    archive: path.join(dir, 'archive'),
    prelude: [],
    dropDac: false,
  };
  await writeStateDir(c.stateA, [record(GOOD_A), BAD_RECORD()], { [GOOD_A]: logText(GOOD_A), [BAD]: logText(BAD) });
  await writeStateDir(c.stateB, [record(GOOD_B)], { [GOOD_B]: logText(GOOD_B) });
  // The decoy: files, a dir and a whole state dir that links may point at.
  await fs.mkdir(path.join(c.outside, 'dir'), { recursive: true });
  await fs.writeFile(path.join(c.outside, 'secret.txt'), `${SECRET}\n`);
  await fs.writeFile(path.join(c.outside, 'secret.log'), `[${iso(T0)}] ${SECRET}\n`);
  await writeJson(path.join(c.outside, 'secret.json'), record(BAD, { title: SECRET }));
  await fs.writeFile(path.join(c.outside, 'dir', 'inner.txt'), `${SECRET}\n`);
  const evil = 'task-evil00-eeeeee';
  await writeStateDir(
    path.join(c.outside, 'fakestate'),
    [record(evil, { title: SECRET }), record(BAD, { title: SECRET })],
    { [evil]: `[${iso(T0)}] ${SECRET}\n`, [BAD]: `[${iso(T0)}] ${SECRET}\n` },
  );
  return c;
}

/**
 * Sets every atime in the decoy before its mtime: with relatime (or strictatime) the next read of a
 * file or listing of a dir moves it, so a read shows even where content and mtime stay the same.
 */
export async function armOutside(outside: string): Promise<void> {
  for (const f of await walk(outside)) {
    const st = await fs.lstat(f);
    if (st.isSymbolicLink()) continue;
    await fs.utimes(f, new Date(st.mtimeMs - 3_600_000), st.mtime);
  }
}

async function walk(dir: string): Promise<string[]> {
  const out = [dir];
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

/**
 * Path, type, size, mtime, content hash and whether it was read since it was last armed, of every
 * entry: each is looked at (lstat) before it is read or listed here, and armed again afterwards.
 * Times are whole seconds (armOutside set them so): utimes cannot restore sub-millisecond times.
 */
export async function fingerprint(outside: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  const visit = async (f: string): Promise<void> => {
    const st = await fs.lstat(f).catch(() => undefined);
    if (!st) return;
    const read = !st.isSymbolicLink() && st.atimeMs >= st.mtimeMs ? 'READ' : '';
    let h = '';
    if (st.isFile())
      h = createHash('sha1')
        .update(await fs.readFile(f))
        .digest('hex');
    if (st.isDirectory()) for (const name of (await fs.readdir(f)).sort()) await visit(path.join(f, name));
    const sec = Math.floor(st.mtimeMs / 1000);
    if (!st.isSymbolicLink()) await fs.utimes(f, sec - 3600, sec);
    m.set(f, `${st.mode}:${st.size}:${sec}:${h}:${read}`);
  };
  await visit(outside);
  return m;
}

/** What changed in the decoy since `before`, and the new fingerprint to compare the next run with. */
export async function outsideDiff(
  outside: string,
  before: Map<string, string>,
): Promise<{ diff: string[]; now: Map<string, string> }> {
  const after = await fingerprint(outside);
  const diff: string[] = [];
  for (const [f, v] of before) {
    const w = after.get(f);
    if (w === undefined) diff.push(`deleted ${f}`);
    else if (w !== v) {
      const [a, b] = [v.split(':'), w.split(':')];
      if (a.slice(0, 4).join(':') !== b.slice(0, 4).join(':')) diff.push(`written ${f}`);
      else if (b[4] === 'READ') diff.push(`read ${f}`);
    }
  }
  for (const f of after.keys()) if (!before.has(f)) diff.push(`created ${f}`);
  return { diff, now: after };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
  maxRssKb?: number;
}

/**
 * Runs `argv` in its own pid and mount namespace (so nothing it signals or mounts is outside it),
 * killed with its whole process group at the timeout.
 */
export function runIsolated(
  c: Ctx,
  argv: string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv = {},
  traceFile?: string,
): Promise<RunResult> {
  const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const quoted = argv.map(q).join(' ');
  const drop = c.dropDac ? 'setpriv --bounding-set -dac_override,-dac_read_search ' : '';
  // -y: every descriptor returned is printed with the path it is really open on (links resolved).
  const trace = traceFile ? `strace -f -y -qq -e trace=open,openat,openat2,creat -o ${q(traceFile)} ` : '';
  const script = [...c.prelude, `exec ${drop}/usr/bin/time -f 'HOSTILE-MAXRSS %M' ${trace}${quoted}`].join('\n');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', 'sh', '-c', script], {
      detached: true,
      env: {
        PATH: process.env.PATH,
        HOME: c.home,
        TMPDIR: c.tmp,
        CODEX_JOBS_ARCHIVE_DIR: c.archive,
        XDG_DATA_HOME: path.join(c.home, 'data'),
        LANG: 'C.UTF-8',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    // Bounded: a case that makes a command print without end must not fill our memory.
    const cap = 64 * 1024 * 1024;
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < cap) stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < cap) stderr += d.toString('utf8');
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const m = /HOSTILE-MAXRSS (\d+)\s*$/.exec(stderr);
      if (m) stderr = stderr.slice(0, m.index);
      // /usr/bin/time reports a signal death as "Command terminated by signal N".
      const sig = /Command terminated by signal (\d+)\s*$/.exec(stderr);
      if (sig) stderr = stderr.slice(0, sig.index);
      const exited = /Command exited with non-zero status (\d+)\s*$/.exec(stderr);
      if (exited) stderr = stderr.slice(0, exited.index);
      resolve({
        code: sig ? null : code,
        signal: sig ? (('SIG' + sig[1]) as NodeJS.Signals) : signal,
        stdout,
        stderr,
        timedOut,
        ms: Date.now() - started,
        maxRssKb: m ? Number(m[1]) : undefined,
      });
    });
  });
}

/** A stack trace, an uncaught error's name, or Node's unhandled-rejection banner. */
export function crashText(s: string): string | undefined {
  const m =
    /^\s+at .+:\d+:\d+\)?$/m.exec(s) ??
    /\b(RangeError|TypeError|ReferenceError|SyntaxError|Unhandled|UnhandledPromiseRejection|Maximum call stack)\b.*/.exec(
      s,
    ) ??
    /node:internal/.exec(s);
  return m?.[0];
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

export const STRACE = (() => {
  try {
    return spawnSync('strace', ['-V']).status === 0;
  } catch {
    return false;
  }
})();

/**
 * Files a traced command really opened (the kernel's path, after every link) that lie outside what
 * it may touch: the case's own dirs (but not its decoy), the code being run, and the system's
 * libraries, locales, /proc, /sys and /dev/null.
 */
export async function opensOutside(c: Ctx, traceFile: string): Promise<string[]> {
  const text = await fs.readFile(traceFile, 'utf8').catch(() => '');
  const allowed = [
    `${c.dir}/`,
    '/usr/',
    '/lib/',
    '/lib64/',
    '/proc/',
    '/sys/',
    '/etc/ld.so.cache',
    // Read by Node's OpenSSL and by `git rev-parse` (which discovery runs) at start.
    '/etc/ssl/',
    '/etc/locale.alias',
    '/etc/gitconfig',
    '/etc/localtime',
    '/dev/null',
    `${REPO}/`,
    `${realOr(path.join(REPO, 'node_modules'))}/`,
    `${path.dirname(path.dirname(CLI))}/`,
    `${path.dirname(process.execPath)}/`,
  ];
  const bad = new Set<string>();
  for (const m of text.matchAll(/= \d+<([^>\n]*)>\s*$/gm)) {
    const p = m[1].replace(/ \(deleted\)$/, '');
    if (!p.startsWith('/')) continue; // pipes, sockets, anon inodes
    if (
      p.startsWith(`${c.outside}/`) ||
      p === c.outside ||
      !allowed.some((a) => p.startsWith(a) || p === a.slice(0, -1))
    )
      bad.add(p);
  }
  return [...bad];
}

export async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

export const tmpBase = () => fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-hostile-'));

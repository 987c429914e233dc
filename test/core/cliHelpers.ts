// Running the built `codex-jobs` bin in tests: once to the end, or in the background with what it
// printed so far. CODEX_JOBS_TEST_BIN runs another build instead (an older one, to see a test fail).
import { execFile, execFileSync, spawn } from 'child_process';
import * as path from 'path';
import { promises as fs } from 'fs';
import * as assert from 'node:assert/strict';

const repo = path.resolve(__dirname, '..', '..', '..');
export const BIN = process.env.CODEX_JOBS_TEST_BIN ?? path.join(repo, 'dist', 'cli.js');
export const GOLDEN = path.join(repo, 'test', 'golden');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...opts.env }, cwd: opts.cwd, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });
}

/** The bin in the background: what it printed so far, and its exit. */
export function spawnCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
  });
  const io = { out: '', err: '' };
  child.stdout!.on('data', (d: Buffer) => (io.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (io.err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, io, exited };
}

/** Resolves when `ok` holds (checked every 50 ms), failing after `ms`. */
export async function until(ok: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  for (let waited = 0; !(await ok()); waited += 50) {
    if (waited > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Compares with test/golden/<name>.json; UPDATE_GOLDEN=1 rewrites it (review the diff). */
export async function golden(name: string, actual: unknown): Promise<void> {
  const file = path.join(GOLDEN, `${name}.json`);
  if (process.env.UPDATE_GOLDEN === '1') {
    await fs.mkdir(GOLDEN, { recursive: true });
    await fs.writeFile(file, JSON.stringify(actual, null, 2) + '\n');
  }
  assert.deepEqual(actual, JSON.parse(await fs.readFile(file, 'utf8')), `${name} differs from ${file}`);
}

/** The shape of a JSON value: every leaf replaced by its type, arrays by their first element's shape. */
export function shapeOf(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shapeOf(v[0])] : [];
  if (v === null) return 'null';
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shapeOf(x)]));
  return typeof v;
}

/** Output paths that must be refused, in `dir`: a symbolic link to `victim` (holding "keep"), a FIFO, a directory. */
export async function hostileOutputs(dir: string, ext: string) {
  const victim = path.join(dir, 'target.txt');
  await fs.writeFile(victim, 'keep');
  const link = path.join(dir, `link${ext}`);
  await fs.symlink(victim, link);
  const fifo = path.join(dir, 'out.fifo');
  execFileSync('mkfifo', [fifo]);
  const adir = path.join(dir, `adir${ext}`);
  await fs.mkdir(adir);
  return { victim, link, fifo, dir: adir };
}

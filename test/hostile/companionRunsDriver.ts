// Runs one core operation that starts a child (the gate toggle, a launch, a cancel, the resume
// candidate, the workspace root's `git rev-parse`) inside a case's pid namespace, then says which of
// the pids the case's children wrote to PID_FILE still run. Prints `RESULT <json>`. The core is
// loaded from CODEX_JOBS_HOSTILE_CORE, so the same cases run against an older build.

import { promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import { coreModule } from './coreModule';

const core = process.env.CODEX_JOBS_HOSTILE_CORE ?? path.join(__dirname, '..', '..', 'src', 'core');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const load = <T = any>(name: string): T => coreModule<T>(core, name);

export interface DriverSpec {
  op: 'toggle' | 'launch' | 'cancel' | 'resume' | 'resolve';
  companion?: string;
  cwd: string;
  pluginData?: string;
  env?: Record<string, string>;
  enable?: boolean;
  timeoutMs?: number;
  verifyMs?: number;
  prompt?: string;
  kind?: 'task' | 'review';
  registerTimeoutMs?: number;
  stateDir?: string;
  jobId?: string;
  pidFile?: string;
}

/** Alive and not a zombie (orphans re-parented to a pid 1 that does not reap stay zombies). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function op(spec: DriverSpec): Promise<unknown> {
  const env = { ...process.env, ...spec.env };
  const cmd = {
    companion: spec.companion!,
    node: process.execPath,
    cwd: spec.cwd,
    pluginData: spec.pluginData,
    env,
    timeoutMs: spec.timeoutMs,
  };
  switch (spec.op) {
    case 'toggle':
      return load('reviewGate').toggleReviewGate({
        ...cmd,
        enable: spec.enable ?? true,
        verifyMs: spec.verifyMs ?? 300,
        lock: { timeoutMs: 3000 },
      });
    case 'resume':
      return load('resume').readResumeCandidate(cmd);
    case 'resolve':
      return { root: await load('discovery').resolveWorkspaceRoot(spec.cwd, spec.timeoutMs) };
    case 'launch':
      return load('launcher').launchJob({
        companion: spec.companion,
        node: process.execPath,
        workspaceFolder: spec.cwd,
        kind: spec.kind ?? 'task',
        prompt: spec.prompt ?? 'look',
        pluginData: spec.pluginData,
        env,
        registerTimeoutMs: spec.registerTimeoutMs ?? 3000,
        lock: { timeoutMs: 3000 },
      });
    case 'cancel': {
      const { DEFAULT_SETTINGS } = load('types');
      const table = load('processes').createProcessTable();
      const snap = await load('snapshot').loadStateDir(
        { path: path.dirname(spec.stateDir!), source: 'cli' },
        spec.stateDir,
        DEFAULT_SETTINGS,
      );
      const job = (snap.jobs as { id: string }[]).find((j) => j.id === spec.jobId);
      if (!job) return { noJob: true, jobs: snap.jobs.map((j: { id: string }) => j.id) };
      return load('cancel').cancelJob(job, {
        table,
        companion: spec.companion,
        node: process.execPath,
        env,
        companionTimeoutMs: spec.timeoutMs ?? 3000,
        termTimeoutMs: 300,
        killTimeoutMs: 300,
        lock: { timeoutMs: 3000 },
      });
    }
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as DriverSpec;
  const started = Date.now();
  let result: unknown;
  try {
    result = await op(spec);
  } catch (err) {
    result = { threw: String((err as Error)?.stack ?? err) };
  }
  const ms = Date.now() - started;
  const pids = spec.pidFile
    ? (await fs.readFile(spec.pidFile, 'utf8').catch(() => '')).split(/\s+/).filter(Boolean).map(Number)
    : [];
  process.stdout.write(`RESULT ${JSON.stringify({ result, ms, pids, alive: pids.filter(running) })}\n`);
  // Whatever a case left running must not keep the namespace (and the test) waiting.
  process.exit(0);
}

void main();

// Realistic state dirs for the benchmark, in the companion's formats: an index of the newest jobs,
// more records than the index lists (pruned or dropped by races), and logs that are really large
// on disk, so that reading them whole would show.
import { createHash } from 'crypto';
import { createWriteStream, promises as fs } from 'fs';
import * as path from 'path';

export interface GeneratedWorkspace {
  workspace: string;
  /** What CLAUDE_PLUGIN_DATA would be for the companion. */
  pluginData: string;
  stateRoot: string;
  stateDir: string;
  ids: string[];
}

export interface GenerateOptions {
  base: string;
  name: string;
  indexed: number;
  records: number;
  logBytesTotal: number;
  /** pids to record for jobs claiming to run (live ones make verification real). */
  runningPids?: number[];
  /** The plugin data dir (default `<base>/plugin-data`, shared by every workspace of the base). */
  pluginData?: string;
}

const KINDS = [
  { kind: 'task', kindLabel: 'rescue', title: 'Codex Task', jobClass: 'task', prefix: 'task' },
  { kind: 'review', kindLabel: 'review', title: 'Codex Review', jobClass: 'review', prefix: 'review' },
  {
    kind: 'adversarial-review',
    kindLabel: 'adversarial-review',
    title: 'Codex Adversarial Review',
    jobClass: 'review',
    prefix: 'review',
  },
] as const;

export function slugHash(realRoot: string): string {
  const slug =
    path
      .basename(realRoot)
      .replace(/[^a-zA-Z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'workspace';
  return `${slug}-${createHash('sha256').update(realRoot).digest('hex').slice(0, 16)}`;
}

export async function generateWorkspace(o: GenerateOptions): Promise<GeneratedWorkspace> {
  const workspace = path.join(o.base, `ws-${o.name}`);
  const pluginData = o.pluginData ?? path.join(o.base, 'plugin-data');
  const stateRoot = path.join(pluginData, 'state');
  await fs.mkdir(workspace, { recursive: true });
  const stateDir = path.join(stateRoot, slugHash(await fs.realpath(workspace)));
  const jobsDir = path.join(stateDir, 'jobs');
  const marker = path.join(stateDir, '.bench-params');
  const params = JSON.stringify({
    format: 2,
    indexed: o.indexed,
    records: o.records,
    logBytesTotal: o.logBytesTotal,
    pids: o.runningPids ?? [],
  });
  const ids = Array.from({ length: o.records }, (_, i) => {
    const k = KINDS[i % KINDS.length];
    return `${k.prefix}-${(1_760_000_000_000 + i * 1000).toString(36)}-${(i * 7919).toString(36).padStart(6, '0').slice(-6)}`;
  });
  try {
    if ((await fs.readFile(marker, 'utf8')) === params) return { workspace, pluginData, stateRoot, stateDir, ids };
  } catch {
    // not generated yet
  }
  await fs.rm(stateDir, { recursive: true, force: true });
  await fs.mkdir(jobsDir, { recursive: true });
  const base = Date.now() - o.records * 60_000;
  const entries: Record<string, unknown>[] = [];
  const pids = o.runningPids ?? [];
  const logBytes = Math.floor(o.logBytesTotal / o.records);
  for (let i = 0; i < o.records; i++) {
    const k = KINDS[i % KINDS.length];
    const id = ids[i];
    const created = base + i * 60_000;
    const running = i >= o.records - pids.length;
    const status = running ? 'running' : i % 11 === 0 ? 'failed' : i % 13 === 0 ? 'cancelled' : 'completed';
    const logFile = path.join(jobsDir, `${id}.log`);
    const rec: Record<string, unknown> = {
      id,
      kind: k.kind,
      kindLabel: k.kindLabel,
      title: k.title,
      workspaceRoot: workspace,
      jobClass: k.jobClass,
      summary: `bench job ${i}`,
      write: false,
      createdAt: new Date(created).toISOString(),
      sessionId: 'ae66e01d-afa4-452e-9b61-b0d0412ac382',
      status,
      phase: running ? 'investigating' : status === 'completed' ? 'done' : status,
      pid: running ? pids[i - (o.records - pids.length)] : null,
      logFile,
      startedAt: new Date(created + 300).toISOString(),
      threadId: `thr_${i}`,
      turnId: `turn_${i}`,
      ...(running ? {} : { completedAt: new Date(created + 45_000).toISOString() }),
      ...(status === 'completed'
        ? { rendered: `Result of bench job ${i}.\n`.repeat(20), result: { status: 0, rawOutput: `bench ${i}` } }
        : {}),
      ...(status === 'failed' ? { errorMessage: 'turn failed' } : {}),
    };
    await fs.writeFile(path.join(jobsDir, `${id}.json`), JSON.stringify(rec, null, 2));
    await writeLog(logFile, created, logBytes);
    if (i >= o.records - o.indexed) {
      const { rendered: _r, result: _s, ...entry } = rec;
      entries.unshift({ ...entry, updatedAt: new Date(created + 46_000).toISOString() });
    }
  }
  await fs.writeFile(
    path.join(stateDir, 'state.json'),
    JSON.stringify({ version: 1, config: { stopReviewGate: false }, jobs: entries }, null, 2) + '\n',
  );
  await fs.writeFile(marker, params);
  return { workspace, pluginData, stateRoot, stateDir, ids };
}

async function writeLog(file: string, start: number, bytes: number): Promise<void> {
  const line = (t: number, n: number) =>
    `[${new Date(t).toISOString()}] Running command: step ${n} of the investigation, reading files and running tests\n`;
  let chunk = '';
  for (let n = 0; chunk.length < 1 << 20; n++) chunk += line(start + n * 10, n);
  const buf = Buffer.from(chunk);
  const out = createWriteStream(file);
  let written = 0;
  while (written < bytes) {
    let slice = buf.subarray(0, Math.min(buf.length, bytes - written));
    // Whole lines only, as the companion writes them.
    if (slice.length < buf.length) slice = slice.subarray(0, slice.lastIndexOf(10) + 1);
    if (slice.length === 0) break;
    if (!out.write(slice)) await new Promise<void>((r) => out.once('drain', () => r()));
    written += slice.length;
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

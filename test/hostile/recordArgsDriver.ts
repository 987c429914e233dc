// Re-run and Resume as the editor's commands do them, without the editor: reads a job from a state
// dir, builds its request from the record, and launches it through the stand-in companion. Runs in a
// case's pid namespace (recordArgs.test.ts starts it there). Prints `RESULT <json>`: `refused` with
// the sentence the user would see, or `launch` with the launch's outcome. The core is loaded from
// CODEX_JOBS_HOSTILE_CORE, so the same driver runs against an older build.

import * as path from 'path';
import { coreModule } from './coreModule';
import type * as Snapshot from '../../src/core/state/snapshot';
import type * as Resume from '../../src/core/actions/resume';
import type * as Launcher from '../../src/core/actions/launcher';
import type * as Types from '../../src/core/vocab/types';
import type { Job } from '../../src/core/vocab/types';

const core = process.env.CODEX_JOBS_HOSTILE_CORE ?? path.join(__dirname, '..', '..', 'src', 'core');
const load = <T>(name: string): T => coreModule<T>(core, name);

export interface DriverParams {
  mode: 'rerun' | 'resume' | 'launch';
  /** The companion's plugin data dir: its state dir holds the record. */
  pluginData: string;
  stateDir: string;
  jobId?: string;
  workspace: string;
  companion: string;
  /** What the user would type when the record lacks a prompt or focus. */
  given?: { prompt?: string; focus?: string };
  /** launch: the request as a caller would pass it (bypassing the record). */
  request?: Record<string, unknown>;
}

type Out = { refused: string } | { launch: { ok: boolean; message: string; jobId?: string } } | { error: string };

async function main(p: DriverParams): Promise<Out> {
  const { loadStateDir } = load<typeof Snapshot>('snapshot');
  // Partial: an older core may lack resumeRequest; then the editor's command of that time is followed.
  const resume = load<Partial<typeof Resume> & typeof Resume>('resume');
  const { launchJob } = load<typeof Launcher>('launcher');
  const { DEFAULT_SETTINGS } = load<typeof Types>('types');
  const launch = async (req: Record<string, unknown>): Promise<Out> => {
    const r = await launchJob({
      ...(req as Pick<Launcher.LaunchRequest, 'kind'>),
      companion: p.companion,
      node: process.execPath,
      workspaceFolder: p.workspace,
      pluginData: p.pluginData,
      registerTimeoutMs: 8000,
    });
    return { launch: { ok: r.ok, message: r.message, jobId: r.jobId } };
  };
  if (p.mode === 'launch') return launch(p.request ?? {});
  const snap = await loadStateDir(
    { path: path.join(p.pluginData, 'state'), source: 'cli' },
    p.stateDir,
    DEFAULT_SETTINGS,
  );
  const job: Job | undefined = snap.jobs.find((j) => j.id === p.jobId);
  if (!job) return { error: `no job ${p.jobId} in ${p.stateDir}` };
  if (p.mode === 'rerun') {
    // As rerunJob.ts: refuse when the plan has no fields, fill in what is missing from `given`.
    const plan = resume.rerunRequest(job);
    if (!plan.fields) return { refused: `cannot re-run ${job.id}: ${plan.why ?? ''}` };
    const req: Record<string, unknown> = { ...plan.fields };
    if (plan.missing.includes('prompt')) req.prompt = p.given?.prompt;
    if (plan.missing.includes('focus')) req.focus = p.given?.focus;
    return launch(req);
  }
  // As resumeRescueTask.ts: the record's fields, then the companion's candidate, then the launch.
  let fields: Record<string, unknown>;
  if (resume.resumeRequest) {
    const plan = resume.resumeRequest(job);
    if (!plan.fields) return { refused: `cannot resume ${job.id}: ${plan.why ?? ''}` };
    fields = { ...plan.fields };
  } else {
    const { model, effort } = resume.modelEffortOf(job);
    const write = job.display.request?.write === true || job.display.write === true;
    fields = { kind: 'task', resumeLast: true, write, model, effort };
  }
  const c = await resume.readResumeCandidate({
    companion: p.companion,
    node: process.execPath,
    cwd: p.workspace,
    pluginData: p.pluginData,
  });
  if (!c.ok) return { refused: `could not ask the companion: ${c.message}` };
  if (!c.candidate.available) return { refused: resume.describeResume(job, c.candidate) };
  return launch({ ...fields, prompt: p.given?.prompt });
}

main(JSON.parse(process.argv[2] ?? '{}') as DriverParams).then(
  (out) => process.stdout.write(`RESULT ${JSON.stringify(out)}\n`),
  (err) => {
    process.stdout.write(`RESULT ${JSON.stringify({ error: `threw: ${String((err as Error)?.stack ?? err)}` })}\n`);
    process.exitCode = 1;
  },
);

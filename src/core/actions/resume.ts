// Resume, re-run and the `codex resume` command: what the companion will resume
// (`task-resume-candidate --json`), and a finished job's request rebuilt from its record.
import { describeProblems, isThreadId, launchArgProblems, showValue, type ArgProblem } from '../vocab/argCheck';
import { runCompanionCommand, type CompanionCommand } from './companionCommand';
import type { LaunchKind, LaunchRequest } from './launcher';
import type { Job } from '../vocab/types';
import { isFinishedStatus } from '../vocab/status';
import { isObject, nonBlank } from '../vocab/values';

export interface ResumeCandidate {
  available: boolean;
  sessionId?: string;
  id?: string;
  status?: string;
  title?: string;
  summary?: string;
  threadId?: string;
  completedAt?: string;
  /** Why the candidate is not resumed though the companion offers it (a thread id of no known shape). */
  problem?: string;
}

/** Parses `task-resume-candidate --json`: `{ available, sessionId, candidate: { id, status, threadId, ... } | null }`. */
export function parseResumeCandidate(json: unknown): ResumeCandidate | undefined {
  if (!isObject(json) || typeof json.available !== 'boolean') return undefined;
  const c = isObject(json.candidate) ? json.candidate : undefined;
  const threadId = nonBlank(c?.threadId);
  // The companion reads the thread from its own state file: one of no thread id's shape is not resumed.
  const problem =
    json.available && threadId !== undefined && !isThreadId(threadId)
      ? `The companion offers to resume a thread whose id ${showValue(threadId)} is not of a thread id's shape (letters, digits and _ . : -); not resumed.`
      : undefined;
  return {
    available: json.available && !!c && !problem,
    sessionId: nonBlank(json.sessionId),
    id: nonBlank(c?.id),
    status: nonBlank(c?.status),
    title: nonBlank(c?.title),
    summary: nonBlank(c?.summary),
    threadId,
    completedAt: nonBlank(c?.completedAt),
    ...(problem ? { problem } : {}),
  };
}

export async function readResumeCandidate(
  cmd: CompanionCommand,
): Promise<{ ok: true; candidate: ResumeCandidate } | { ok: false; message: string }> {
  const out = await runCompanionCommand(cmd, ['task-resume-candidate', '--json']);
  if (!out.ok) return { ok: false, message: out.message };
  const candidate = parseResumeCandidate(out.json);
  if (!candidate) return { ok: false, message: 'task-resume-candidate printed no JSON payload it could be read from.' };
  return { ok: true, candidate };
}

/** The job's thread, only when it has a thread id's shape (`thr_...`, uuids): it is put in a shell command. */
export function threadIdOf(job: Job): string | undefined {
  const t = job.display.threadId ?? nonBlank((job.display.result as Record<string, unknown> | undefined)?.threadId);
  return isThreadId(t) ? t : undefined;
}

/** `codex resume <threadId>`, or undefined when the job names no (safe) thread. */
export function resumeCommand(job: Job): string | undefined {
  const t = threadIdOf(job);
  return t ? `codex resume ${t}` : undefined;
}

/** The model and reasoning effort a job ran with, when its record says. */
export function modelEffortOf(job: Job): { model?: string; effort?: string } {
  const r = job.display.request ?? {};
  const raw = job.display.raw;
  return { model: nonBlank(r.model) ?? nonBlank(raw.model), effort: nonBlank(r.effort) ?? nonBlank(raw.effort) };
}

export function kindOf(job: Job): LaunchKind | undefined {
  const k = job.display.kind;
  if (k === 'task' || k === 'review' || k === 'adversarial-review') return k;
  if (job.display.jobClass === 'task' || job.id.startsWith('task-')) return 'task';
  return undefined;
}

export type RerunFields = Pick<
  LaunchRequest,
  'kind' | 'prompt' | 'write' | 'model' | 'effort' | 'focus' | 'base' | 'scope' | 'resumeLast'
>;

/**
 * The same kind with the same request, from the record: a task's `request` (prompt, write, model,
 * effort, resumeLast); a review's target (`--base`/`--scope`) and focus when recorded. `missing`
 * names what the record does not say (the caller asks for it or refuses).
 */
export function rerunRequest(job: Job): RerunPlan {
  const kind = kindOf(job);
  if (!kind)
    return {
      missing: [],
      why: `${job.id} is of no kind Codex Jobs can start (${job.display.kind ?? 'none recorded'}).`,
    };
  const req = job.display.request ?? {};
  const raw = job.display.raw;
  const { model, effort } = modelEffortOf(job);
  if (kind === 'task') {
    const prompt = nonBlank(req.prompt);
    const resumeLast = req.resumeLast === true;
    const write = typeof req.write === 'boolean' ? req.write : job.display.write === true;
    const fields: RerunFields = { kind, prompt, write, model, effort, resumeLast: resumeLast || undefined };
    // The index's summary is replaced by the output's first line: only the record's request is the prompt.
    return checked(job, fields, prompt || resumeLast ? [] : ['prompt']);
  }
  const result = isObject(job.display.result) ? job.display.result : {};
  const target = isObject(result.target) ? result.target : {};
  const base = nonBlank(target.baseRef);
  const scope = target.mode === 'branch' || target.mode === 'working-tree' ? target.mode : undefined;
  const focus = nonBlank(req.focus) ?? nonBlank(raw.focus) ?? nonBlank(raw.focusText);
  const fields: RerunFields = { kind, model, base, scope: base ? undefined : scope, focus };
  return checked(job, fields, kind === 'adversarial-review' && !focus ? ['focus'] : []);
}

export interface RerunPlan {
  fields?: RerunFields;
  /** What the record does not say (the caller asks for it or refuses). */
  missing: string[];
  /** Why nothing can be started: the sentence to show. */
  why?: string;
  /** Record fields refused as arguments (each named with its value and why): nothing is started. */
  rejected?: ArgProblem[];
}

/**
 * The fields checked as the companion will get them (argCheck, the rules companionArgs applies):
 * a refused one names its field, the record file it came from and why, and nothing is started.
 */
function checked(job: Job, fields: RerunFields, missing: string[]): RerunPlan {
  const rejected = launchArgProblems(fields);
  if (!rejected.length) return { fields, missing };
  return {
    missing: [],
    rejected,
    why: `its record ${job.recordPath} gives ${describeProblems(rejected)}. Nothing was started.`,
  };
}

/** Resume: `task --resume-last` with the write, model and effort of the job's record, checked like a re-run. */
export function resumeRequest(job: Job): RerunPlan {
  if (!canResume(job))
    return { missing: [], why: `${job.id} is not a finished rescue task with a thread Codex can resume.` };
  const { model, effort } = modelEffortOf(job);
  const write = job.display.request?.write === true || job.display.write === true;
  return checked(job, { kind: 'task', resumeLast: true, write, model, effort }, []);
}

/** A finished task whose thread the companion can resume. */
export function canResume(job: Job): boolean {
  return kindOf(job) === 'task' && isFinishedStatus(job.status) && !!threadIdOf(job);
}

/** What will happen, in one sentence, given the candidate and the job the user picked. */
export function describeResume(job: Job, c: ResumeCandidate): string {
  if (c.problem) return c.problem;
  if (!c.available || !c.threadId)
    return 'The companion found no task thread to resume in this workspace: `task --resume-last` would fail.';
  const mine = threadIdOf(job);
  const which = `thread ${c.threadId} of ${c.id ?? 'a task'}${c.status ? ` (${c.status})` : ''}${c.summary ? `: "${c.summary}"` : ''}`;
  return mine && mine !== c.threadId
    ? `The companion resumes the latest task thread, ${which}, not this job's thread ${mine}.`
    : `The companion will resume ${which}.`;
}

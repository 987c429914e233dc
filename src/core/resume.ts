// Resume, re-run and the `codex resume` command: what the companion will resume
// (`task-resume-candidate --json`), and a finished job's request rebuilt from its record.
import { runCompanionCommand, type CompanionCommand } from './companionCommand';
import type { LaunchKind, LaunchRequest } from './launcher';
import type { Job } from './types';
import { isFinishedStatus } from './status';

export interface ResumeCandidate {
  available: boolean;
  sessionId?: string;
  id?: string;
  status?: string;
  title?: string;
  summary?: string;
  threadId?: string;
  completedAt?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses `task-resume-candidate --json`: `{ available, sessionId, candidate: { id, status, threadId, ... } | null }`. */
export function parseResumeCandidate(json: unknown): ResumeCandidate | undefined {
  if (!isObj(json) || typeof json.available !== 'boolean') return undefined;
  const c = isObj(json.candidate) ? json.candidate : undefined;
  return {
    available: json.available && !!c,
    sessionId: str(json.sessionId),
    id: str(c?.id),
    status: str(c?.status),
    title: str(c?.title),
    summary: str(c?.summary),
    threadId: str(c?.threadId),
    completedAt: str(c?.completedAt),
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

/** Only ids the companion makes (`thr_...`, uuids) are put in a shell command. */
const THREAD_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function threadIdOf(job: Job): string | undefined {
  const t = job.display.threadId ?? str((job.display.result as Record<string, unknown> | undefined)?.threadId);
  return t && THREAD_ID.test(t) ? t : undefined;
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
  return { model: str(r.model) ?? str(raw.model), effort: str(r.effort) ?? str(raw.effort) };
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
export function rerunRequest(job: Job): { fields?: RerunFields; missing: string[]; why?: string } {
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
    const prompt = str(req.prompt);
    const resumeLast = req.resumeLast === true;
    const write = typeof req.write === 'boolean' ? req.write : job.display.write === true;
    const fields: RerunFields = { kind, prompt, write, model, effort, resumeLast: resumeLast || undefined };
    // The index's summary is replaced by the output's first line: only the record's request is the prompt.
    return { fields, missing: prompt || resumeLast ? [] : ['prompt'] };
  }
  const result = isObj(job.display.result) ? job.display.result : {};
  const target = isObj(result.target) ? result.target : {};
  const base = str(target.baseRef);
  const scope = target.mode === 'branch' || target.mode === 'working-tree' ? target.mode : undefined;
  const focus = str(req.focus) ?? str(raw.focus) ?? str(raw.focusText);
  const fields: RerunFields = { kind, model, base, scope: base ? undefined : scope, focus };
  return { fields, missing: kind === 'adversarial-review' && !focus ? ['focus'] : [] };
}

/** A finished task whose thread the companion can resume. */
export function canResume(job: Job): boolean {
  return kindOf(job) === 'task' && isFinishedStatus(job.status) && !!threadIdOf(job);
}

/** What will happen, in one sentence, given the candidate and the job the user picked. */
export function describeResume(job: Job, c: ResumeCandidate): string {
  if (!c.available || !c.threadId)
    return 'The companion found no task thread to resume in this workspace: `task --resume-last` would fail.';
  const mine = threadIdOf(job);
  const which = `thread ${c.threadId} of ${c.id ?? 'a task'}${c.status ? ` (${c.status})` : ''}${c.summary ? `: "${c.summary}"` : ''}`;
  return mine && mine !== c.threadId
    ? `The companion resumes the latest task thread, ${which}, not this job's thread ${mine}.`
    : `The companion will resume ${which}.`;
}

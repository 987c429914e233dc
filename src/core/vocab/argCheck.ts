// Arguments built from record fields, checked before they become another program's command line.
// A record is written by the companion from what Codex and the user gave it, so a field can hold
// anything: a review base `--output=<path>` went to `git merge-base` as an option. Each kind of value
// has one rule here, and companionArgs refuses any value that breaks it, so no caller can bypass it.
//
// What the companion does with each value (plugin 1.0.5): `--base` goes to `git merge-base HEAD
// <base>` (and a native review hands it to Codex as the base branch), so it must be a ref git reads
// as a ref; `--scope` must be one of auto, working-tree, branch; `--effort` one of none..xhigh
// (lowercased); `--model` goes to Codex as is (only "spark" is an alias); free text (a prompt, a
// focus) goes after `--`, which the companion's parser (lib/args.mjs) takes as the end of options
// for every subcommand.
import { jsonEscape } from './terminalText';

/** Reasoning efforts the companion accepts (VALID_REASONING_EFFORTS in codex-companion.mjs). */
export const EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
/** Review scopes the companion accepts (resolveReviewTarget in lib/git.mjs). */
export const SCOPES = ['auto', 'working-tree', 'branch'] as const;
export type Scope = (typeof SCOPES)[number];

/** Longest free text put on a command line: Linux refuses one argument over 128 KiB (E2BIG). */
export const MAX_TEXT_BYTES = 100 * 1024;
const MAX_REF = 1024;

export type ArgField = 'kind' | 'base' | 'scope' | 'model' | 'effort' | 'focus' | 'prompt' | 'threadId';

export interface ArgProblem {
  field: ArgField;
  /** The value as it was, quoted for a message (JSON escapes make control characters visible). */
  shown: string;
  why: string;
}

/** Thrown by companionArgs for a value that must not reach the companion. */
export class InvalidArgumentError extends Error {
  constructor(readonly problems: ArgProblem[]) {
    super(describeProblems(problems));
    this.name = 'InvalidArgumentError';
  }
}

export function isInvalidArgumentError(err: unknown): err is InvalidArgumentError {
  return err instanceof InvalidArgumentError;
}

/** A value as a message shows it: quoted, control characters escaped, long ones cut. */
export function showValue(v: unknown): string {
  const s = typeof v === 'string' ? v : String(v);
  const cut = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  // JSON escapes C0 controls; the rest of the invisible ones (C1, bidi, separators) are escaped here.
  return JSON.stringify(cut).replace(
    /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g,
    jsonEscape,
  );
}

export function describeProblems(problems: readonly ArgProblem[]): string {
  return problems.map((p) => `${p.field} ${p.shown}: ${p.why}`).join('; ');
}

// Control characters, format characters (bidi overrides, zero-width) and separators (spaces, line
// and paragraph separators): none has a place in a ref, a model name or a thread id.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Z}]/u;

/**
 * Why `v` is not a ref git takes as a ref (git check-ref-format's rules, one-level names allowed,
 * plus: no leading "-", nothing invisible), or undefined when it is. A commit hash passes these rules.
 */
export function gitRefProblem(v: string): string | undefined {
  if (v.length === 0) return 'it is empty';
  if (v.length > MAX_REF) return `it is longer than ${MAX_REF} characters`;
  if (v.startsWith('-')) return 'it starts with "-", so git would read it as an option';
  if (INVISIBLE.test(v)) return 'it holds a space, a control character or another invisible character';
  if (/[~^:?*[\\]/.test(v)) return 'it holds one of ~ ^ : ? * [ \\, which git does not allow in a ref';
  if (v.includes('..')) return 'it holds "..", which git reads as a range';
  if (v.includes('@{')) return 'it holds "@{", which git reads as a reflog or previous-branch expression';
  if (v === '@') return 'a lone "@" is not a ref';
  if (v.startsWith('/') || v.endsWith('/') || v.includes('//'))
    return 'it starts or ends with "/" or holds "//", which git does not allow in a ref';
  if (v.endsWith('.')) return 'it ends with "."';
  for (const part of v.split('/')) {
    if (part.startsWith('.')) return 'a part of it starts with "."';
    if (part.endsWith('.lock')) return 'a part of it ends with ".lock"';
  }
  return undefined;
}

/** The companion subcommands a launch may name. */
export const LAUNCH_KINDS = ['review', 'adversarial-review', 'task'] as const;

export function kindProblem(v: string): string | undefined {
  return (LAUNCH_KINDS as readonly string[]).includes(v) ? undefined : `a launch is one of ${LAUNCH_KINDS.join(', ')}`;
}

export function scopeProblem(v: string): string | undefined {
  return (SCOPES as readonly string[]).includes(v) ? undefined : `the companion takes only ${SCOPES.join(', ')}`;
}

/** The companion lowercases the effort; anything else it refuses. */
export function normalEffort(v: string): (typeof EFFORTS)[number] | undefined {
  const e = v.trim().toLowerCase();
  return (EFFORTS as readonly string[]).includes(e) ? (e as (typeof EFFORTS)[number]) : undefined;
}

export function effortProblem(v: string): string | undefined {
  return normalEffort(v) ? undefined : `the companion takes only ${EFFORTS.join(', ')}`;
}

/** Model names Codex uses (gpt-5.4, gpt-5.3-codex-spark, spark, gpt-oss:20b): a conservative set. */
const MODEL = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function modelProblem(v: string): string | undefined {
  if (v.startsWith('-')) return 'it starts with "-", so it would be read as an option';
  return MODEL.test(v)
    ? undefined
    : 'a model name is letters, digits and . _ : - (at most 128, starting with a letter or digit)';
}

/** Thread ids the companion and Codex make (`thr_...`, uuids). */
const THREAD_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function threadIdProblem(v: string): string | undefined {
  return THREAD_ID.test(v) && !v.includes('..')
    ? undefined
    : 'a thread id is letters, digits and _ . : - (at most 128, starting with a letter or digit)';
}

export function isThreadId(v: unknown): v is string {
  return typeof v === 'string' && threadIdProblem(v) === undefined;
}

/** Free text goes after `--`, so it may start with "-"; a NUL byte or an oversized one cannot be passed at all. */
export function freeTextProblem(v: string): string | undefined {
  if (v.includes('\u0000')) return 'it holds a NUL byte, which no command line can carry';
  const bytes = Buffer.byteLength(v, 'utf8');
  if (bytes > MAX_TEXT_BYTES)
    return `it is ${bytes} bytes long; a command line takes at most ${MAX_TEXT_BYTES} bytes of it`;
  return undefined;
}

/** The launch fields that become companion arguments. */
export interface ArgFields {
  kind?: unknown;
  base?: unknown;
  scope?: unknown;
  model?: unknown;
  effort?: unknown;
  focus?: unknown;
  prompt?: unknown;
}

const RULES: Record<Exclude<ArgField, 'threadId'>, (v: string) => string | undefined> = {
  kind: kindProblem,
  base: gitRefProblem,
  scope: scopeProblem,
  model: modelProblem,
  effort: effortProblem,
  focus: freeTextProblem,
  prompt: freeTextProblem,
};

/**
 * Every field that breaks its rule. Empty and missing values are left to the caller (companionArgs
 * passes no option for them), except that a value that is not a string at all is a problem.
 */
export function argProblems(f: ArgFields): ArgProblem[] {
  const out: ArgProblem[] = [];
  for (const field of Object.keys(RULES) as (keyof typeof RULES)[]) {
    const v = f[field];
    if (v === undefined || v === null || v === '') continue;
    const why = typeof v === 'string' ? RULES[field](v) : `it is a ${typeof v}, not text`;
    if (why) out.push({ field, shown: showValue(v), why });
  }
  return out;
}

/**
 * The problems of a launch's fields, as companionArgs passes them: a task passes its model, effort
 * and prompt; a review its base, scope and model; an adversarial review its focus too.
 */
export function launchArgProblems(req: ArgFields): ArgProblem[] {
  const kind = String(req.kind);
  if (kind === 'task') return argProblems({ kind, model: req.model, effort: req.effort, prompt: req.prompt });
  return argProblems({
    kind,
    base: req.base,
    scope: req.scope,
    model: req.model,
    focus: kind === 'adversarial-review' ? req.focus : undefined,
  });
}

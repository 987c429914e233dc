// Session files as Codex writes them, in each shape its protocol has had (codex-rs/protocol,
// TokenCountEvent): made here from the documented shapes, never copied from a real session.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';

export type Shape =
  | 'flat' // payload is one turn's TokenUsage
  | 'info' // info only, no rate_limits
  | 'flat-limits' // rate_limits: primary_used_percent, primary_window_minutes, …
  | 'resets-in' // primary/secondary { used_percent, window_minutes, resets_in_seconds }
  | 'resets-at' // … resets_at (epoch seconds)
  | 'credits'; // resets_at + credits + plan_type + limit_id

export interface Turn {
  atMs: number;
  /** This response's tokens. */
  input: number;
  cached?: number;
  output: number;
  reasoning?: number;
  /** The 5-hour window's used share after it. */
  primary?: number;
  secondary?: number;
  /** When the 5-hour window resets, epoch ms. */
  resetsAtMs?: number;
}

const usage = (input: number, cached: number, output: number, reasoning: number) => ({
  input_tokens: input,
  cached_input_tokens: cached,
  output_tokens: output,
  reasoning_output_tokens: reasoning,
  total_tokens: input + output,
});

function limits(shape: Shape, t: Turn): Record<string, unknown> | undefined {
  if (t.primary === undefined || shape === 'flat' || shape === 'info') return undefined;
  const reset = t.resetsAtMs ?? t.atMs + 3_600_000;
  const weekReset = t.atMs + 3 * 86_400_000;
  if (shape === 'flat-limits')
    return {
      primary_used_percent: t.primary,
      secondary_used_percent: t.secondary ?? 10,
      primary_to_secondary_ratio_percent: 3,
      primary_window_minutes: 300,
      secondary_window_minutes: 10080,
    };
  const win = (used: number, minutes: number, at: number) =>
    shape === 'resets-in'
      ? { used_percent: used, window_minutes: minutes, resets_in_seconds: Math.round((at - t.atMs) / 1000) }
      : { used_percent: used, window_minutes: minutes, resets_at: Math.round(at / 1000) };
  const r: Record<string, unknown> = {
    primary: win(t.primary, 300, reset),
    secondary: win(t.secondary ?? 10, 10080, weekReset),
  };
  if (shape === 'credits') {
    r.credits = { has_credits: false, unlimited: false, balance: null };
    r.plan_type = 'plus';
    r.limit_id = 'codex';
  }
  return r;
}

/** The lines of one thread's session file: its meta, and per turn a message and a token_count. */
export function sessionLines(threadId: string, shape: Shape, turns: Turn[], extra: string[] = []): string[] {
  const lines: string[] = [];
  const first = turns[0]?.atMs ?? Date.now();
  lines.push(
    JSON.stringify({
      timestamp: new Date(first).toISOString(),
      type: 'session_meta',
      payload: { id: threadId, timestamp: new Date(first).toISOString(), cwd: '/work', originator: 'codex_cli_rs' },
    }),
  );
  const total = { input: 0, cached: 0, output: 0, reasoning: 0 };
  for (const t of turns) {
    const ts = new Date(t.atMs).toISOString();
    lines.push(
      JSON.stringify({ timestamp: ts, type: 'event_msg', payload: { type: 'agent_message', message: 'working…' } }),
    );
    total.input += t.input;
    total.cached += t.cached ?? 0;
    total.output += t.output;
    total.reasoning += t.reasoning ?? 0;
    const last = usage(t.input, t.cached ?? 0, t.output, t.reasoning ?? 0);
    const payload: Record<string, unknown> =
      shape === 'flat'
        ? { type: 'token_count', ...last }
        : {
            type: 'token_count',
            info: {
              total_token_usage: usage(total.input, total.cached, total.output, total.reasoning),
              last_token_usage: last,
              model_context_window: 272000,
            },
          };
    const rl = limits(shape, t);
    if (rl) payload.rate_limits = rl;
    lines.push(JSON.stringify({ timestamp: ts, type: 'event_msg', payload }));
  }
  return [...lines, ...extra];
}

/** `rollout-<local time>-<id>.jsonl` under sessions/YYYY/MM/DD of `startMs` (local), as Codex names it. */
export function rolloutPath(home: string, threadId: string, startMs: number): string {
  const d = new Date(startMs);
  const p = (n: number) => String(n).padStart(2, '0');
  const day = path.join(home, 'sessions', String(d.getFullYear()), p(d.getMonth() + 1), p(d.getDate()));
  const stamp = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
  return path.join(day, `rollout-${stamp}-${threadId}.jsonl`);
}

export async function writeSession(
  home: string,
  threadId: string,
  shape: Shape,
  turns: Turn[],
  extra: string[] = [],
): Promise<string> {
  const file = rolloutPath(home, threadId, turns[0]?.atMs ?? Date.now());
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, sessionLines(threadId, shape, turns, extra).join('\n') + '\n');
  const last = turns[turns.length - 1]?.atMs;
  if (last) await fs.utimes(file, new Date(last), new Date(last));
  return file;
}

/** A thread id shaped as Codex's (a UUID v7-like text). */
export const threadIdOf = (n: number) =>
  `0199${n.toString(16).padStart(4, '0')}-aaaa-7bbb-8ccc-${n.toString(16).padStart(12, '0')}`;

/** Runs `fn` with a fresh CODEX_HOME (its sessions/ made), removed after. */
export async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-jobs-usage-')));
  const home = path.join(tmp, 'home');
  await fs.mkdir(path.join(home, 'sessions'), { recursive: true });
  try {
    await fn(home);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

// When a record's final write was lost (it still says running, its process is gone), the log may still
// say how the job ended. The companion ends a log with its completion: a `Final output` block after
// `Turn completed.` / `Turn failed.`, or `Cancelled by user.` (shapes in the examples' logs/*.log).
// Only a complete ending counts: a log cut mid-line or mid-block says nothing, and the job stays stale.
import type { InferredEnd } from '../vocab/types';
import { parseJsonBounded } from './safeFs';

const LINE = /^\[(\d{4}-\d\d-\d\dT[^\]]+)\] (.*)$/;

interface Block {
  title: string;
  /** Index of the title line. */
  at: number;
  body: string[];
}

/** How a job ended, from the tail of its log (whole lines, ending with a newline); undefined when it cannot be told. */
export function inferEnd(tail: string): InferredEnd | undefined {
  if (!tail.endsWith('\n')) return undefined; // cut mid-line
  const lines = tail.slice(0, -1).split('\n');
  // Progress lines are `[ISO] message`; a block is a blank line, `[ISO] title`, then unprefixed body lines.
  const progress: { at: number; text: string }[] = [];
  const blocks: Block[] = [];
  let block: Block | undefined;
  for (let i = 0; i < lines.length; i++) {
    const m = LINE.exec(lines[i]);
    if (m && i > 0 && lines[i - 1] === '') blocks.push((block = { title: m[2], at: i, body: [] }));
    else if (m) {
      block = undefined;
      progress.push({ at: i, text: m[2] });
    } else block?.body.push(lines[i]);
  }
  const last = progress[progress.length - 1];
  const final = [...blocks].reverse().find((b) => b.title === 'Final output');
  // A cancel is how it ended when nothing but a final block follows it.
  if (last?.text === 'Cancelled by user.')
    return {
      status: 'cancelled',
      evidence: last.text,
      rendered: final && final.at > last.at ? text(final) : undefined,
    };
  if (!final || (last && last.at > final.at)) return undefined;
  const turnEnd = [...progress].reverse().find((p) => p.at < final.at && /^Turn (completed|failed)\.$/.test(p.text));
  if (!turnEnd || !complete(final, blocks)) return undefined;
  return {
    status: turnEnd.text === 'Turn failed.' ? 'failed' : 'completed',
    evidence: `${turnEnd.text} Final output`,
    rendered: text(final),
  };
}

function text(b: Block): string {
  return `${b.body.join('\n')}\n`;
}

/**
 * Whether the final block was written whole: it renders the message captured before it, so it must
 * end with that message (a task's `Assistant message`, a review's `Review output`, an adversarial
 * review's next steps or summary).
 */
function complete(final: Block, blocks: Block[]): boolean {
  const body = final.body.join('\n').trimEnd();
  if (!body) return false;
  const before = blocks.filter((b) => b.at < final.at);
  const review = [...before].reverse().find((b) => b.title === 'Review output');
  if (review) return body.endsWith(review.body.join('\n').trimEnd());
  const message = [...before].reverse().find((b) => b.title === 'Assistant message');
  if (!message) return true; // nothing to check it against: a whole last line is all we know
  const said = message.body.join('\n').trim();
  if (body.startsWith('# Codex Adversarial Review')) {
    try {
      const j = parseJsonBounded(said).value as { next_steps?: unknown[]; summary?: unknown };
      const steps = Array.isArray(j.next_steps) ? j.next_steps.filter((s) => typeof s === 'string') : [];
      if (steps.length) return body.endsWith(`- ${steps[steps.length - 1]}`);
      return typeof j.summary === 'string' ? body.includes(j.summary) : true;
    } catch {
      return true;
    }
  }
  return body.endsWith(said);
}

/** Lines the companion writes only after a log's first line (the shapes in the examples' logs). */
const LATER =
  /^(Queued for background execution\.|Starting Codex \w+ thread\.|Thread ready\b|Turn (started|completed|failed|interrupted)\b|Reviewer (started|finished)\b|Running command\b|Assistant message\b|Review output\b|Final output$|Cancelled by user\.|Requested Codex turn interrupt\b|Codex error\b)/;

/**
 * Whether a log's first bytes show that its beginning is gone: the companion starts every log with
 * `[ISO] Starting <title>.`, and a deleted log is re-created by the worker's next append without it.
 * So a log that starts with one of the lines that only follow it (or with the blank line before a
 * block) was deleted and re-created before it was read. Anything else says nothing.
 */
export function beginningLost(head: string): boolean {
  const lines = head.split('\n');
  if (lines.length < 2) return false; // not even one whole line
  const first = lines[0] === '' && lines.length > 2 ? lines[1] : lines[0];
  const m = LINE.exec(first);
  return !!m && LATER.test(m[2]);
}

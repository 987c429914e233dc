// Phases inside a job's bar, from its log: the companion stamps each progress line `[ISO] message`
// (companion-format.md), so the log says when the thread was ready, when each turn started and
// ended, and when the final block was written. Pure: text in, times out. Lines without a stamp, torn
// lines and control characters are skipped; a log is read as a bounded head and tail (logPhaseRead.ts),
// so the middle of a huge log may be missing and the turns counted are the ones seen.
import { parseIsoTime } from '../vocab/dates';

export interface LogTurn {
  startMs: number;
  endMs?: number;
  /** How the turn ended, when the log says. */
  outcome?: 'completed' | 'failed' | 'interrupted';
}

export interface LogPhases {
  /** The first stamped line: the companion began the job. */
  startedMs?: number;
  /** `Thread ready (...)`: the Codex thread was made. */
  threadReadyMs?: number;
  turns: LogTurn[];
  /** The final block: the last turn's first `Assistant message` / `Review output` / `Final output`. */
  finalMs?: number;
  /** Lines that say something failed. */
  errorsMs: number[];
  /** The last stamped line. */
  lastMs?: number;
  /** Part of the log was not read (the middle of a huge one): the turns counted may be fewer. */
  partial?: boolean;
}

const LINE = /^\[(\d{4}-\d\d-\d\dT[0-9:.]{5,18}(?:Z|[+-]\d\d:\d\d))\] ([^\r\n]*)$/;
const TURN_END: Record<string, LogTurn['outcome']> = {
  'Turn completed.': 'completed',
  'Turn failed.': 'failed',
  'Turn interrupted.': 'interrupted',
};
const FINAL = /^(Final output|Assistant message|Review output)$/;
// The companion's own words for a failure (lib/codex.mjs); what a model said is not one.
const ERROR = /^(Turn failed\.|Codex error:)/;

/** The phases a log's text tells; `nowMs` bounds what a clock ahead of ours may claim. */
export function parseLogPhases(text: string, nowMs = Date.now(), partial = false): LogPhases {
  const out: LogPhases = { turns: [], errorsMs: [] };
  if (partial) out.partial = true;
  let prevBlank = false;
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    // A last line without its newline may be torn mid-write: not read.
    if (end < 0) break;
    const line = text.slice(start, end);
    start = end + 1;
    const m = line.length < 4096 ? LINE.exec(line) : null;
    const blankBefore = prevBlank;
    prevBlank = line === '' || line === '\r';
    const at = m ? parseIsoTime(m[1], nowMs) : undefined;
    if (at === undefined) continue;
    lineSays(out, at, m![2], blankBefore);
  }
  return out;
}

function lineSays(out: LogPhases, at: number, msg: string, block: boolean): void {
  out.startedMs ??= at;
  out.lastMs = at;
  const open = out.turns[out.turns.length - 1];
  if (msg.startsWith('Thread ready')) out.threadReadyMs ??= at;
  else if (msg.startsWith('Turn started')) {
    if (open && open.endMs === undefined) open.endMs = at;
    out.turns.push({ startMs: at });
    out.finalMs = undefined; // a later turn: the final block is still to come
  } else if (TURN_END[msg] && open && open.endMs === undefined) {
    open.endMs = at;
    open.outcome = TURN_END[msg];
  }
  // The final block: the last turn's first message or review block (the `Final output` follows it).
  if (block && FINAL.test(msg)) out.finalMs ??= at;
  if (ERROR.test(msg)) out.errorsMs.push(at);
}

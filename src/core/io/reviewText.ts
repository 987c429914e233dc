// The native `/codex:review`'s findings, read back from its text. The companion runs Codex's built-in
// reviewer through the app-server and keeps only the text of its `exitedReviewMode` item (the record's
// `result.codex.stdout`, the log's `Review output` block, and inside `rendered` after the companion's
// `# Codex Review` / `Target:` heading). Codex renders that text from its structured review output as:
//
//   <overall explanation>
//
//   Full review comments:            ("Review comment:" when there is exactly one)
//
//   - [P1] <title> — <absolute path>:<start>-<end>
//     <body line>                    (every body line indented by two spaces)
//     <body line>
//
//   - [P2] <title> — <path>:<start>-<end>
//     ...
//
// The `[P0]`..`[P3]` tag is not a field Codex renders: its review prompt asks the model to begin every
// title with it, so it is there when the model obeyed. The interactive views put a checkbox before the
// title (`- [x] ` / `- [ ] `); some builds join title and location with ` -- ` instead of ` — `. All of
// these are read. Text with no findings block (a clean review, a failure message, an older Codex that
// rendered only the explanation) is no error: it has no findings, says so with `structured: false`, and
// adds no warning.
//
// One linear pass over the lines, no regular expression over more than a short prefix: a 50 MB text
// or a block of 100,000 entries costs time in proportion to its length and keeps at most `limit`
// findings, each with bounded texts.
import { MAX_FINDING_PATH, MAX_FINDINGS, isReviewJob, parseReviewResult, reviewResultOf } from './findings';
import type { Finding, ReviewResult, Severity } from './findings';
import type { Job, JobFields } from '../vocab/types';

/** A finding read from the native review's text: its priority tag as a number, when it had one. */
export interface NativeFinding extends Finding {
  priority?: 0 | 1 | 2 | 3;
}

export interface NativeReview extends ReviewResult {
  findings: NativeFinding[];
  /** True when the text holds Codex's findings block; false when it is plain text (no findings in it). */
  structured: boolean;
}

/**
 * Codex's priorities as the four severities of the adversarial review's schema. The review prompt
 * defines them: P0 "drop everything to fix, blocking release, operations or major usage" (critical),
 * P1 "urgent, should be addressed in the next cycle" (high), P2 "normal, to be fixed eventually"
 * (medium), P3 "low, nice to have" (low). A title with no tag is `unknown`, never guessed.
 */
export const PRIORITY_SEVERITY: Readonly<Record<0 | 1 | 2 | 3, Severity>> = {
  0: 'critical',
  1: 'high',
  2: 'medium',
  3: 'low',
};

/** As in findings.ts: a title, body or explanation longer than this is cut and marked with an ellipsis. */
const MAX_TEXT = 4000;
const MAX_LINE = 10_000_000;
const HEADERS = ['Review comment:', 'Full review comments:'];
/** Between a finding's title and its location: Codex's em dash, the ASCII form of some builds, an en dash. */
const SEPARATORS = [' \u2014 ', ' -- ', ' \u2013 '];

const cut = (s: string, max = MAX_TEXT): string => (s.length > max ? `${s.slice(0, max)}…` : s);

/** Is the line blank (spaces, tabs, a stray CR)? */
function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** Where the line starting at `start` ends (its LF, or the end of the text). */
function lineEnd(text: string, start: number): number {
  const end = text.indexOf('\n', start);
  return end < 0 ? text.length : end;
}

/** The line from `start` to the next LF (a CR before it dropped), and where the next one starts. */
function lineAt(text: string, start: number): { line: string; next: number } {
  const end = lineEnd(text, start);
  const stop = end > start && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
  return { line: text.slice(start, stop), next: end + 1 };
}

const isHeader = (line: string): boolean => line.length < 64 && HEADERS.includes(line.trim());
const isEntry = (line: string): boolean => line.startsWith('- ');

/**
 * From `pos` (the start of a line), passes over blank lines in one tight loop: where the first line
 * that is not blank starts, and how many blank lines were passed.
 */
function skipBlank(text: string, pos: number): { next: number; count: number } {
  let lineStart = pos;
  let count = 0;
  for (let i = pos; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      count++;
      lineStart = i + 1;
    } else if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return { next: lineStart, count };
  }
  return { next: text.length, count };
}

/**
 * Where the findings block starts: the offset of its header line and of the line after it. A header
 * counts only when an entry follows it (after blank lines), not a sentence that happens to end so.
 * Only short lines are looked at as headers; no line is copied or passed over twice.
 */
function findBlock(text: string): { header: number; first: number } | undefined {
  for (let pos = skipBlank(text, 0).next; pos < text.length; pos = skipBlank(text, pos).next) {
    const end = lineEnd(text, pos);
    if (end - pos < 64 && isHeader(text.slice(pos, end))) {
      const p = skipBlank(text, end + 1).next;
      if (text.startsWith('- ', p)) return { header: pos, first: end + 1 };
      pos = p;
    } else pos = end + 1;
  }
  return undefined;
}

/**
 * The review's own words before the findings: the companion's `# Codex Review` and `Target:` lines
 * (when `rendered` is given) skipped, bounded.
 */
function explanationOf(text: string, end: number): string | undefined {
  let start = 0;
  const first = lineAt(text, 0);
  if (first.line.startsWith('# Codex ')) {
    start = first.next;
    while (start < end) {
      const l = lineAt(text, start);
      if (!isBlank(l.line) && !l.line.startsWith('Target: ')) break;
      start = l.next;
    }
  }
  const s = text.slice(start, Math.min(end, start + MAX_TEXT + 1)).trim();
  return s ? cut(s) : undefined;
}

/** Digits read from `s[from..to)`, clamped; undefined when empty or not all digits. */
function digitsAt(s: string, from: number, to: number): number | undefined {
  if (from >= to) return undefined;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    if (n <= MAX_LINE) n = n * 10 + c;
  }
  return Math.min(n, MAX_LINE + 1);
}

/** Does a location with no line numbers still look like a file (a separator or an extension)? */
function looksLikePath(s: string): boolean {
  if (s.includes('/') || s.includes('\\')) return true;
  const dot = s.lastIndexOf('.');
  return dot > 0 && dot < s.length - 1 && !s.includes(' ');
}

export interface TextLocation {
  file: string;
  lineStart?: number;
  lineEnd?: number;
}

/**
 * A location as Codex writes it: `path:start-end` (always both in Codex's renderer), `path:line`, or a
 * bare path. Read from the end, so a path may hold spaces, colons or a drive letter (`C:\x\y.ts:3`).
 * Line 0 or a range that runs backwards is read as well as it can be (start kept, end >= start); a
 * path over PATH_MAX is kept one character over it, never cut to another name.
 */
export function parseTextLocation(text: string): TextLocation | undefined {
  const s = text.trim();
  if (!s) return undefined;
  let file = s;
  let lineStart: number | undefined;
  let lineEnd: number | undefined;
  // The last run of digits, then an optional `-` and another run, then `:`.
  let i = s.length;
  while (i > 0 && s.charCodeAt(i - 1) >= 48 && s.charCodeAt(i - 1) <= 57) i--;
  const last = digitsAt(s, i, s.length);
  if (last !== undefined && i > 0) {
    let j = i - 1;
    let first: number | undefined;
    if (s[j] === '-') {
      let k = j;
      while (k > 0 && s.charCodeAt(k - 1) >= 48 && s.charCodeAt(k - 1) <= 57) k--;
      first = digitsAt(s, k, j);
      j = first !== undefined ? k - 1 : -1;
    }
    if (j > 0 && s[j] === ':') {
      file = s.slice(0, j);
      const start = first ?? last;
      if (start >= 1) {
        lineStart = Math.min(start, MAX_LINE);
        lineEnd = Math.max(lineStart, Math.min(last, MAX_LINE));
      }
    } else if (!looksLikePath(s)) return undefined;
  } else if (!looksLikePath(s)) return undefined;
  file = file.trim();
  if (!file) return undefined;
  if (file.length > MAX_FINDING_PATH) file = file.slice(0, MAX_FINDING_PATH + 1);
  return { file, lineStart, lineEnd };
}

/** A title's priority tag (`[P0]`..`[P3]`, any case) and the title without it. */
export function splitPriority(title: string): { priority?: 0 | 1 | 2 | 3; title: string } {
  const m = /^\[\s*[Pp]([0-3])\s*\]\s*/.exec(title.slice(0, 16));
  if (!m) return { title };
  return { priority: Number(m[1]) as 0 | 1 | 2 | 3, title: title.slice(m[0].length) };
}

/** An entry line (after `- `): checkbox, title and location. */
function parseEntryLine(rest: string): { title: string; location?: TextLocation } {
  if (rest.startsWith('[x] ') || rest.startsWith('[X] ') || rest.startsWith('[ ] ')) rest = rest.slice(4);
  // The last separator: a title may hold a dash of its own, a path almost never does.
  let at = -1;
  let sepLength = 0;
  for (const sep of SEPARATORS) {
    const k = rest.lastIndexOf(sep);
    if (k > at) {
      at = k;
      sepLength = sep.length;
    }
  }
  if (at >= 0) {
    const location = parseTextLocation(rest.slice(at + sepLength));
    if (location) return { title: rest.slice(0, Math.min(at, MAX_TEXT + 1)), location };
  }
  return { title: rest.slice(0, MAX_TEXT + 1) };
}

/** One entry being read: its head line parsed, its body lines gathered up to MAX_TEXT. */
interface Draft {
  title: string;
  location?: TextLocation;
  body: string[];
  bodyLength: number;
  bodyCut: boolean;
  /** Blank lines seen since the last body line: kept only when more body follows. */
  blanks: number;
  /** Its place among the block's entries (0-based). */
  ordinal: number;
}

const emptyBody = () => ({ body: [] as string[], bodyLength: 0, bodyCut: false, blanks: 0 });

function addBodyLine(d: Draft, line: string): void {
  if (d.bodyCut) return;
  // Blank lines count a character each, so a million of them cannot grow the body either.
  for (; d.blanks > 0 && d.bodyLength < MAX_TEXT; d.blanks--) {
    d.body.push('');
    d.bodyLength++;
  }
  d.blanks = 0;
  const room = MAX_TEXT - d.bodyLength;
  if (line.length > room) {
    d.body.push(line.slice(0, Math.max(0, room)));
    d.bodyCut = true;
  } else d.body.push(line);
  d.bodyLength += Math.min(line.length, room) + 1;
}

function finish(d: Draft): NativeFinding | undefined {
  const { priority, title: bare } = splitPriority(d.title.trim());
  const bodyText = d.body.join('\n').trim();
  const body = bodyText ? (d.bodyCut ? `${bodyText}…` : bodyText) : undefined;
  let title = cut(bare.trim());
  if (!title && body) title = cut(body.split('\n', 1)[0].trim(), 120);
  if (!title) return undefined;
  return {
    index: d.ordinal,
    severity: priority !== undefined ? PRIORITY_SEVERITY[priority] : 'unknown',
    title,
    body,
    file: d.location?.file,
    lineStart: d.location?.lineStart,
    lineEnd: d.location?.lineEnd,
    priority,
  };
}

/**
 * Reads the native review's text into findings of the same shape as the adversarial review's JSON.
 * Never throws. `summary` is the review's explanation; `verdict` and `nextSteps` are not part of the
 * native text and stay empty. At most `limit` findings are kept; `total` counts every entry of the
 * block. Only the first findings block is read (a log holds the same block twice: `Review output`
 * and `Final output`).
 */
export function parseNativeReviewText(text: unknown, limit = MAX_FINDINGS): NativeReview {
  const out: NativeReview = { findings: [], total: 0, dropped: 0, nextSteps: [], warnings: [], structured: false };
  if (typeof text !== 'string' || !text) return out;
  const block = findBlock(text);
  out.summary = explanationOf(text, block ? block.header : text.length);
  if (!block) return out;
  out.structured = true;
  let draft: Draft | undefined;
  const done = () => {
    if (!draft) return;
    const f = finish(draft);
    if (f) out.findings.push(f);
    else out.dropped++;
    draft = undefined;
  };
  for (let pos = block.first; pos < text.length;) {
    const blank = skipBlank(text, pos);
    if (blank.next > pos) {
      if (draft) draft.blanks += blank.count;
      pos = blank.next;
      continue;
    }
    const start = pos;
    const end = lineEnd(text, start);
    pos = end + 1;
    const line = text.slice(start, text.charCodeAt(end - 1) === 0x0d ? end - 1 : end);
    if (isEntry(line)) {
      done();
      out.total++;
      if (out.total <= limit) draft = { ...parseEntryLine(line.slice(2)), ...emptyBody(), ordinal: out.total - 1 };
    } else if (line.startsWith('  ')) {
      if (draft) addBodyLine(draft, line.slice(2, 2 + MAX_TEXT + 1));
    } else if (line.startsWith('\t')) {
      if (draft) addBodyLine(draft, line.slice(1, 1 + MAX_TEXT + 1));
    } else break; // the end of the block (the companion's `stderr:` or `Reasoning:`, a log line)
  }
  done();
  const kept = out.findings.length + out.dropped;
  if (out.total > kept) out.warnings.push(`${out.total - kept} more finding(s) are not shown (at most ${limit}).`);
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The native review's text in a record: `result.codex.stdout` (exactly what Codex returned), else
 * `rendered` (the same text under the companion's heading, with its stderr and reasoning after it).
 */
export function nativeReviewTextOf(fields: Pick<JobFields, 'result' | 'rendered'>): string | undefined {
  const r = fields.result;
  if (isObj(r) && isObj(r.codex) && typeof r.codex.stdout === 'string' && r.codex.stdout.trim()) return r.codex.stdout;
  return typeof fields.rendered === 'string' && fields.rendered.trim() ? fields.rendered : undefined;
}

/**
 * A native review job's findings from its text; undefined for any other job, for an adversarial
 * review (its JSON is read by findings.ts), and for a record with no text yet.
 */
export function nativeReviewOf(job: Job, limit = MAX_FINDINGS): NativeReview | undefined {
  if (!isReviewJob(job) || job.display.kind === 'adversarial-review') return undefined;
  if (parseReviewResult(job.display.result, 0) !== undefined) return undefined;
  const text = nativeReviewTextOf(job.display);
  return text === undefined ? undefined : parseNativeReviewText(text, limit);
}

/**
 * A review job's findings, whichever reviewer ran it: the adversarial review's JSON (findings.ts),
 * else the native review's text. Undefined for any other job and for a review with nothing to read.
 */
export function anyReviewResultOf(job: Job, limit = MAX_FINDINGS): ReviewResult | NativeReview | undefined {
  return reviewResultOf(job, limit) ?? nativeReviewOf(job, limit);
}

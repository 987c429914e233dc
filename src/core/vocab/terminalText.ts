// Text from files (prompts, summaries, error messages, file names, log bodies) made safe for a
// terminal: every control character and every character that reorders text is shown as a visible
// escape instead of being obeyed, so a record cannot set the window title, write the clipboard (OSC
// 52), clear the screen, move the cursor or overwrite a line. Colour comes only from our own styles.
//
// Two kinds of text:
// - a one-line field (a summary in a table row, a file name in a warning): every control is shown,
//   tab and line feed included, so it stays on its line and cannot forge another;
// - a body (a log): line feeds and tabs stay, a CR before a LF is dropped (CRLF ends a line like LF),
//   every other control is shown.
// Shown as: `\t` `\n` `\r`, other C0 controls and DEL as `\xNN`, C1 controls and the bidi controls
// (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069) and the line/paragraph separators as `\u{NNNN}`;
// a byte that is not UTF-8 (in a log) as `\xNN`, so an 8-bit ESC or CSI never reaches the terminal.
// A backslash itself is left as it is: the aim is a screen that cannot be taken over, not a
// reversible encoding (`--json` and `log --raw` give the exact data).

import { isUtf8 } from 'buffer';

/* eslint-disable no-control-regex -- finding control characters is what these patterns are for */
/** What is never written as is: C0 controls, DEL, C1 controls, bidi controls, line/paragraph separators. */
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same for a body: line feed and tab stay, CRLF is a line end. */
const UNSAFE_BODY = /\r\n|[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');

/** One UTF-16 unit as JSON escapes it ("\\u2028"): for characters that JSON.stringify leaves as they are. */
export const jsonEscape = (c: string): string => `\\u${hex(c.charCodeAt(0), 4)}`;

/** The visible form of one unsafe character (a few dozen of them: each made once). */
const SHOWN = new Map<string, string>();
function shown(ch: string): string {
  let v = SHOWN.get(ch);
  if (v === undefined) {
    const cp = ch.codePointAt(0)!;
    v = NAMED[ch] ?? (cp <= 0x7f ? `\\x${hex(cp, 2)}` : `\\u{${hex(cp, 4)}}`);
    SHOWN.set(ch, v);
  }
  return v;
}

/** A one-line field: every control character and escape sequence shown visibly. Non-strings become "". */
export function safeLine(text: unknown): string {
  if (typeof text !== 'string') return text === undefined || text === null ? '' : safeLine(String(text));
  return text.replace(UNSAFE, shown);
}

/** A multi-line body: line feeds and tabs kept (CRLF as LF), every other control shown visibly. */
export function safeBody(text: string): string {
  return text.replace(UNSAFE_BODY, (m) => (m === '\r\n' ? '\n' : shown(m)));
}

/**
 * A byte stream (a log) made safe piece by piece: a UTF-8 character or a CRLF split between two
 * chunks is held until the next one, a byte that is not UTF-8 is shown as `\xNN`.
 */
export class SafeBodyStream {
  private held = Buffer.alloc(0);

  /** The safe text of `chunk` (and of what was held from the last one), minus an unfinished tail. */
  push(chunk: Uint8Array): string {
    const buf = this.held.length ? Buffer.concat([this.held, chunk]) : Buffer.from(chunk);
    const end = completeEnd(buf);
    this.held = Buffer.from(buf.subarray(end));
    return decodeSafe(buf.subarray(0, end));
  }

  /** What is still held, at the end of the stream. */
  end(): string {
    const rest = this.held;
    this.held = Buffer.alloc(0);
    return decodeSafe(rest);
  }
}

/** Where the whole characters of `buf` end: a trailing CR or unfinished UTF-8 sequence waits. */
function completeEnd(buf: Buffer): number {
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0d) return end - 1;
  // At most 3 bytes of an unfinished sequence: find its lead byte and whether it is complete.
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const b = buf[end - back];
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 1;
    if (need > back) end -= back;
    break;
  }
  return end;
}

/** Decodes UTF-8 strictly: each invalid byte becomes `\xNN`; the text then goes through safeBody. */
function decodeSafe(buf: Buffer): string {
  // The usual case, checked natively: no byte to look at one by one.
  if (isUtf8(buf)) return safeBody(buf.toString('utf8'));
  // Invalid bytes are replaced by their ASCII escape in the bytes, so the text is decoded once.
  const parts: Buffer[] = [];
  let from = 0;
  let i = 0;
  while (i < buf.length) {
    if (buf[i] < 0x80) {
      i++;
      continue;
    }
    const n = validSequence(buf, i);
    if (n > 0) {
      i += n;
      continue;
    }
    parts.push(buf.subarray(from, i), BYTE_ESCAPES[buf[i]]);
    i += 1;
    from = i;
  }
  parts.push(buf.subarray(from));
  return safeBody(Buffer.concat(parts).toString('utf8'));
}

/** `\xNN` for each byte value, made once. */
const BYTE_ESCAPES = Array.from({ length: 256 }, (_, b) => Buffer.from(`\\x${hex(b, 2)}`));

/** The length of the valid UTF-8 sequence at `i`, or 0 (overlong forms and surrogates are invalid). */
function validSequence(b: Buffer, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k] >= lo && b[i + k] <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/**
 * JSON for output: the exact data (JSON.parse gives back the same strings), with DEL, C1 and bidi
 * controls written as \u escapes as JSON.stringify already does for C0, so none reaches a terminal.
 */
export function safeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(
    /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${hex(c.charCodeAt(0), 4)}`,
  );
}

/**
 * The units a safe text is cut at: an escape we show (`\x1b`, `\u{202e}`, `\n`...) is one unit, so
 * cutting never splits one; a character keeps its combining marks.
 */
const UNIT = /\\(?:x[0-9a-f]{2}|u\{[0-9a-f]{4,6}\}|[tnr])|\P{M}\p{M}*|\p{M}+/gsu;

/** Columns one character takes: 2 for wide East Asian and emoji, 0 for zero-width, else 1. */
function charWidth(cp: number): number {
  if (cp === 0x200b || cp === 0x200c || cp === 0x200d || cp === 0xfeff) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

function unitWidth(unit: string): number {
  if (unit.length > 1 && unit[0] === '\\') return unit.length;
  const cp = unit.codePointAt(0)!;
  return /\p{M}/u.test(String.fromCodePoint(cp)) ? 0 : charWidth(cp);
}

/** Columns a safe text takes on a terminal. */
export function displayWidth(safe: string): number {
  let w = 0;
  for (const u of safe.match(UNIT) ?? []) w += unitWidth(u);
  return w;
}

/** A safe text cut to `n` columns with "…" at the end, never inside a shown escape or a wide character. */
export function ellipsize(safe: string, n: number): string {
  if (displayWidth(safe) <= n) return safe;
  if (n <= 0) return '';
  let out = '';
  let w = 0;
  for (const u of safe.match(UNIT) ?? []) {
    const uw = unitWidth(u);
    if (w + uw > n - 1) break;
    out += u;
    w += uw;
  }
  return `${out}…`;
}

/** A safe text padded with spaces to `n` columns. */
export function padEnd(safe: string, n: number): string {
  return safe + ' '.repeat(Math.max(0, n - displayWidth(safe)));
}

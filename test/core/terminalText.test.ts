/* eslint-disable no-control-regex -- finding control characters is what these patterns are for */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  displayWidth,
  ellipsize,
  padEnd,
  SafeBodyStream,
  safeBody,
  safeJson,
  safeLine,
} from '../../src/core/vocab/terminalText';

describe('terminalText', () => {
  test('a one-line field shows every control, tab and line feed included', () => {
    assert.equal(safeLine('a\x1b]0;t\x07b'), 'a\\x1b]0;t\\x07b');
    assert.equal(safeLine('x\ry\bz\x7f\t\n'), 'x\\ry\\x08z\\x7f\\t\\n');
    assert.equal(safeLine('\u009b2J \u0085'), '\\u{009b}2J \\u{0085}');
    assert.equal(safeLine('a\u202eb\u2066c\u200fd\u2028'), 'a\\u{202e}b\\u{2066}c\\u{200f}d\\u{2028}');
    assert.equal(safeLine('plain ünïcödé ✓ 漢字 👍'), 'plain ünïcödé ✓ 漢字 👍');
    assert.equal(safeLine(undefined), '');
    assert.equal(safeLine(42), '42');
  });

  test('a body keeps line feeds and tabs, CRLF ends a line, a lone CR is shown', () => {
    assert.equal(safeBody('a\tb\r\nc\rd\n\x1b[2J'), 'a\tb\nc\\rd\n\\x1b[2J');
  });

  test('a byte stream: invalid UTF-8 bytes shown, characters and CRLF split between chunks kept whole', () => {
    const bytes = Buffer.concat([
      Buffer.from('é\r\n✓'),
      Buffer.from([0x9b, 0x1b]),
      Buffer.from('x\r'),
      Buffer.from([0xc3]),
    ]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const s = new SafeBodyStream();
      const text = s.push(bytes.subarray(0, cut)) + s.push(bytes.subarray(cut)) + s.end();
      assert.equal(text, 'é\n✓\\x9b\\x1bx\\r\\xc3', `cut at ${cut}`);
    }
    // Overlong forms and surrogates are not UTF-8.
    const s = new SafeBodyStream();
    assert.equal(s.push(Buffer.from([0xc0, 0x9b, 0xed, 0xa0, 0x80, 0x41])) + s.end(), '\\xc0\\x9b\\xed\\xa0\\x80A');
  });

  test('JSON: the exact strings, with DEL, C1 and bidi controls as \\u escapes', () => {
    const v = { s: 'a\x1b\x7f\u009b\u202e\u2028b' };
    const text = safeJson(v);
    assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e\u2028]/);
    assert.deepEqual(JSON.parse(text), v);
  });

  test('widths count what is shown; a cut never splits a shown escape or a wide character', () => {
    const safe = safeLine('ab\x1b]0;x');
    assert.equal(displayWidth(safe), safe.length);
    assert.equal(displayWidth('漢字a'), 5);
    assert.equal(displayWidth('e\u0301'), 1);
    for (let n = 1; n <= safe.length; n++) {
      const cut = ellipsize(safe, n);
      assert.ok(displayWidth(cut) <= n, `${n}: ${cut}`);
      assert.doesNotMatch(cut, /\\x?[0-9a-f]?…$/, `${n}: ${cut}`);
    }
    assert.equal(ellipsize('漢字漢字', 4), '漢…');
    assert.equal(padEnd('漢', 4), '漢  ');
  });
});

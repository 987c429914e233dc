// The small shared words of the core, each written once: the recorded statuses and the lists taken
// from them, and the value helpers the readers share.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  ACTIVE_STATUSES,
  isActiveRecorded,
  isRecordedStatus,
  isTerminalStatus,
  RECORDED_STATUSES,
  STATUS,
  TERMINAL_STATUSES,
} from '../../src/core/vocab/status';
import { isObject, nonBlank, stripUndefined } from '../../src/core/vocab/values';
import { pad2 } from '../../src/core/vocab/dates';
import { jsonEscape } from '../../src/core/vocab/terminalText';

test('the recorded statuses are the companion’s five; active and terminal split them as the status table does', () => {
  // queued → running → completed | failed | cancelled (/work/shared/companion-format.md)
  assert.deepEqual([...RECORDED_STATUSES], ['queued', 'running', 'completed', 'failed', 'cancelled']);
  assert.deepEqual([...ACTIVE_STATUSES, ...TERMINAL_STATUSES], [...RECORDED_STATUSES]);
  for (const s of RECORDED_STATUSES) {
    assert.equal(isRecordedStatus(s), true, s);
    assert.notEqual(isActiveRecorded(s), isTerminalStatus(s), `${s} is active or terminal, not both`);
    assert.equal(isTerminalStatus(s), STATUS[s].finished, `${s}: terminal is what the table calls finished`);
    assert.equal(isActiveRecorded(s), STATUS[s].verifiedLive, `${s}: active is what a cancel can end`);
  }
});

test('a status read from a file counts only when it is one of them, spelled as the companion spells it', () => {
  for (const v of [
    'stale',
    'unknown',
    'RUNNING',
    'running ',
    '',
    undefined,
    null,
    0,
    ['running'],
    { status: 'queued' },
  ]) {
    assert.equal(isRecordedStatus(v), false, JSON.stringify(v));
    assert.equal(isActiveRecorded(v), false, JSON.stringify(v));
    assert.equal(isTerminalStatus(v), false, JSON.stringify(v));
  }
});

test('value helpers: a JSON object, a non-blank string, fields without the undefined ones', () => {
  assert.equal(isObject({}), true);
  for (const v of [null, undefined, [], 'x', 1, true]) assert.equal(isObject(v), false, String(v));
  assert.equal(nonBlank(' a '), ' a ');
  for (const v of ['', '  \n', 3, null]) assert.equal(nonBlank(v), undefined, String(v));

  const stripped = stripUndefined({ a: 1, b: undefined, c: null });
  assert.deepEqual(stripped, { a: 1, c: null });
  assert.equal('b' in stripped, false);
  assert.deepEqual({ ...{ a: 1, b: 2 }, ...stripUndefined({ a: undefined, b: 3 }) }, { a: 1, b: 3 });
  // A `__proto__` key read from a file stays a plain field: it never becomes the copy's prototype.
  const odd = stripUndefined(JSON.parse('{"__proto__":{"polluted":true},"x":1}') as Record<string, unknown>);
  assert.equal(Object.getPrototypeOf(odd), Object.prototype);
  assert.deepEqual(Object.keys(odd).sort(), ['__proto__', 'x']);
});

test('two digits and a JSON escape, written once', () => {
  assert.deepEqual([0, 5, 12, 123].map(pad2), ['00', '05', '12', '123']);
  assert.equal(jsonEscape('\u2028'), '\\u2028');
  assert.equal(jsonEscape('\u0085'), '\\u0085');
});

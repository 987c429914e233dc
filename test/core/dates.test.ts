// Times read from files are checked where they are read, and showing any time never throws.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  formatLocal,
  isoOf,
  localTime,
  parseIsoTime,
  plausibleMs,
  UNKNOWN_TIME,
  yearText,
} from '../../src/core/vocab/dates';

const NOW = new Date(2026, 10, 24, 15, 0, 0).getTime();

test('a record time is ISO text of a plausible moment; anything else is unknown', () => {
  assert.equal(parseIsoTime('2026-11-24T10:00:00.000Z', NOW), Date.parse('2026-11-24T10:00:00.000Z'));
  assert.equal(parseIsoTime('2026-11-24', NOW), Date.parse('2026-11-24'));
  assert.equal(parseIsoTime('1970-01-01T00:00:00.000Z', NOW), 0);
  for (const bad of [
    '0000-01-01T00:00:00.000Z',
    '1900-06-01T12:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    '2099-01-01T00:00:00.000Z', // further ahead than ten years
    '-1', // Date.parse reads it as 2001
    '99', // and this as 1999
    'NaN',
    '',
    '2026-13-45T00:00:00Z',
    `2026-11-24T10:00:00.${'0'.repeat(400)}Z`,
    42 as unknown as string,
  ])
    assert.equal(parseIsoTime(bad, NOW), undefined, String(bad));
});

test('resets have their own range: after 2000, at most ten years ahead', () => {
  assert.equal(plausibleMs(Date.UTC(1999, 0, 1), 'reset', NOW), undefined);
  assert.equal(plausibleMs(Date.UTC(1999, 0, 1), 'record', NOW), Date.UTC(1999, 0, 1));
  assert.equal(plausibleMs(NOW + 86_400_000, 'reset', NOW), NOW + 86_400_000);
  for (const v of [NaN, Infinity, -Infinity, 8.64e15, 1e300, '1' as unknown as number])
    assert.equal(plausibleMs(v, 'reset', NOW), undefined, String(v));
});

test('no time is shown by throwing or as "Invalid Date"; other years say their year', () => {
  assert.equal(isoOf(9e15), undefined);
  assert.equal(isoOf(NaN), undefined);
  assert.equal(isoOf(undefined), undefined);
  assert.equal(isoOf(0), '1970-01-01T00:00:00.000Z');
  for (const ms of [NaN, Infinity, 9e15, -9e15]) {
    assert.equal(localTime(ms), UNKNOWN_TIME);
    assert.equal(formatLocal(ms, NOW), UNKNOWN_TIME);
  }
  const year0 = new Date(0, 0, 1, 12, 0);
  year0.setFullYear(0);
  const y1900 = new Date(1900, 5, 1, 12, 0).getTime();
  const max = 8.64e15;
  assert.match(localTime(year0.getTime()), /^0000-01-01 12:00:00$/);
  assert.match(localTime(y1900), /^1900-06-01 12:00:00$/);
  assert.match(localTime(max), /^27576\d-/);
  assert.match(formatLocal(year0.getTime(), NOW), / 0000 /);
  assert.match(formatLocal(y1900, NOW), / 1900 /);
  assert.match(formatLocal(max, NOW), / 27576\d /);
  assert.equal(yearText(-1), '-0001');
  // This year's times need no year; the time alone when it is within hours of now on the same day.
  const thisYear = new Date(new Date().getFullYear(), 5, 1, 12, 0).getTime();
  assert.doesNotMatch(formatLocal(thisYear, NOW), new RegExp(` ${new Date().getFullYear()} `));
  const soon = Date.now() + 60_000;
  if (new Date(soon).getDate() === new Date().getDate())
    assert.equal(
      formatLocal(soon),
      // One 24-hour clock everywhere, as the rows' "today 14:05".
      new Date(soon).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
    );
});

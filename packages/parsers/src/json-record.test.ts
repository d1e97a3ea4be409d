import { describe, expect, it } from 'vitest';
import type { ParseIssue } from './contract.js';
import { isoTimestamp, parseJsonRecord, tokenCount } from './json-record.js';

describe('parseJsonRecord', () => {
  it('reads a line that opens with a byte order mark (a file saved with a BOM) like the same line without it', () => {
    const issues: ParseIssue[] = [];
    const record = parseJsonRecord(
      '\uFEFF{"type":"session","cwd":"/w"}',
      { byteOffset: 0 },
      {
        report: (issue) => issues.push(issue),
      },
    );
    expect(record).toEqual({ type: 'session', cwd: '/w' });
    expect(issues).toEqual([]);
  });
});

describe('parseJsonRecord after a crash', () => {
  it('reads a record appended after the NUL bytes a crash left at the end of the file', () => {
    const issues: ParseIssue[] = [];
    const record = parseJsonRecord(
      '\u0000\u0000\u0000{"type":"assistant"}',
      { byteOffset: 0 },
      {
        report: (issue) => issues.push(issue),
      },
    );
    expect(record).toEqual({ type: 'assistant' });
    expect(issues).toEqual([]);
  });
});

describe('isoTimestamp', () => {
  it('keeps canonical ISO and normalises other ISO forms with an offset to UTC', () => {
    expect(isoTimestamp('2026-01-05T10:00:00.000Z')).toBe('2026-01-05T10:00:00.000Z');
    expect(isoTimestamp('2026-01-05T10:00:00Z')).toBe('2026-01-05T10:00:00.000Z');
    expect(isoTimestamp('2026-01-06T02:00:00+05:00')).toBe('2026-01-05T21:00:00.000Z');
    expect(isoTimestamp('2026-01-05T23:59:59.999999Z')).toBe('2026-01-05T23:59:59.999Z');
    expect(isoTimestamp('2026-01-05T10:00:00+0100')).toBe('2026-01-05T09:00:00.000Z');
  });

  it('reads an ISO time without a zone as UTC, whatever the machine time zone (Python isoformat of utcnow)', () => {
    const zone = process.env.TZ;
    // Date.parse reads a zoneless date-time in the machine's zone; Node honours TZ changed at run time.
    process.env.TZ = 'America/New_York';
    try {
      expect(new Date(Date.parse('2026-01-05T23:30:00')).toISOString()).toBe('2026-01-06T04:30:00.000Z');
      expect(isoTimestamp('2026-01-05T23:30:00')).toBe('2026-01-05T23:30:00.000Z');
      expect(isoTimestamp('2026-01-05T23:30:00.123456')).toBe('2026-01-05T23:30:00.123Z');
      expect(isoTimestamp('2026-01-05 23:30:00')).toBe('2026-01-05T23:30:00.000Z');
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('reads an offset written as hours only (+01) and surrounding spaces', () => {
    expect(isoTimestamp('2026-01-05T10:00:00+01')).toBe('2026-01-05T09:00:00.000Z');
    expect(isoTimestamp(' 2026-01-05T10:00:00Z ')).toBe('2026-01-05T10:00:00.000Z');
  });

  it('reads epoch numbers as milliseconds, or as seconds when too small to be milliseconds of this era', () => {
    expect(isoTimestamp(1767744000000)).toBe('2026-01-07T00:00:00.000Z');
    expect(isoTimestamp(1767744000)).toBe('2026-01-07T00:00:00.000Z');
    expect(isoTimestamp(1767744000.5)).toBe('2026-01-07T00:00:00.500Z');
    expect(isoTimestamp('1767744000000')).toBe('2026-01-07T00:00:00.000Z');
    expect(isoTimestamp('1767744000')).toBe('2026-01-07T00:00:00.000Z');
  });

  it('gives undefined for what is not a time', () => {
    for (const value of ['', 'soon', null, undefined, Number.NaN, {}, [], true, 0, -5])
      expect(isoTimestamp(value), JSON.stringify(value)).toBeUndefined();
  });
});

describe('tokenCount', () => {
  it('counts non-negative integers, integral floats and numeric strings; anything else is 0', () => {
    expect(tokenCount(12)).toBe(12);
    expect(tokenCount(1.5e3)).toBe(1500);
    expect(tokenCount(12.9)).toBe(12);
    expect(tokenCount('4096')).toBe(4096);
    expect(tokenCount(' 7 ')).toBe(7);
    for (const value of [-3, null, undefined, 'many', '', '1e3x', Number.POSITIVE_INFINITY, {}, true])
      expect(tokenCount(value), String(value)).toBe(0);
  });
});

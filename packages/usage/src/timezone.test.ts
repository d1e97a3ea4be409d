import { describe, expect, it } from 'vitest';
import { parseCalendarDate, startOfZonedDay, zoneOffsetMs } from './timezone.js';

describe('time zones', () => {
  it('finds local midnight in fixed and DST zones', () => {
    expect(new Date(startOfZonedDay(2026, 3, 8, 'UTC')).toISOString()).toBe('2026-03-08T00:00:00.000Z');
    expect(new Date(startOfZonedDay(2026, 3, 8, 'America/New_York')).toISOString()).toBe(
      '2026-03-08T05:00:00.000Z',
    );
    expect(new Date(startOfZonedDay(2026, 3, 9, 'America/New_York')).toISOString()).toBe(
      '2026-03-09T04:00:00.000Z',
    );
    expect(new Date(startOfZonedDay(2026, 1, 1, 'Asia/Kathmandu')).toISOString()).toBe(
      '2025-12-31T18:15:00.000Z',
    );
    expect(zoneOffsetMs(Date.parse('2026-07-01T00:00:00Z'), 'Europe/Paris')).toBe(2 * 3_600_000);
  });

  it('starts a day whose midnight is skipped at its first instant', () => {
    // Chile springs forward at 24:00 on 2026-09-05: 2026-09-06 starts at 01:00 -03.
    expect(new Date(startOfZonedDay(2026, 9, 6, 'America/Santiago')).toISOString()).toBe(
      '2026-09-06T04:00:00.000Z',
    );
  });

  it('parses both date spellings and rejects impossible dates', () => {
    expect(parseCalendarDate('2026-09-01', 'since')).toEqual({ year: 2026, month: 9, day: 1 });
    expect(parseCalendarDate('20260901', 'since')).toEqual({ year: 2026, month: 9, day: 1 });
    expect(() => parseCalendarDate('2026-13-01', 'since')).toThrow(/since must be a date/);
  });
});

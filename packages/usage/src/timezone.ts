import { NexusUsageError } from './errors.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch (cause) {
      throw new NexusUsageError('NEXUS_USAGE_BAD_OPTION', `unknown time zone: ${timeZone}`, { cause });
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** The system's IANA time zone (the default of every report). */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * Validate an IANA time zone name; returns it unchanged.
 * @throws NexusUsageError `NEXUS_USAGE_BAD_OPTION`.
 */
export function assertTimeZone(timeZone: string): string {
  if (!isUtc(timeZone)) formatter(timeZone);
  return timeZone;
}

/** UTC needs no ICU formatter: creating the first one costs ~30 ms, a third of a caught-up report. */
function isUtc(timeZone: string): boolean {
  return timeZone === 'UTC' || timeZone === 'Etc/UTC';
}

/** Wall-clock fields of an instant in a zone. */
export interface ZonedParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/** Wall-clock fields of `ms` (epoch milliseconds) in `timeZone`. */
export function zonedParts(ms: number, timeZone: string): ZonedParts {
  if (isUtc(timeZone)) {
    const d = new Date(ms);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
    };
  }
  const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter(timeZone).formatToParts(ms)) {
    if (part.type in out) out[part.type as keyof typeof out] = Number(part.value);
  }
  return out;
}

/** UTC offset of `timeZone` at instant `ms`, in milliseconds (east positive). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const p = zonedParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The instant local midnight starts on a calendar date in a zone. Where a DST jump skips midnight,
 * the first instant of that date.
 */
export function startOfZonedDay(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  // Two passes settle the offset on both sides of a transition.
  let guess = wall - zoneOffsetMs(wall, timeZone);
  guess = wall - zoneOffsetMs(guess, timeZone);
  const p = zonedParts(guess, timeZone);
  const landed = Date.UTC(p.year, p.month - 1, p.day);
  if (landed < wall) {
    // Midnight does not exist that day (e.g. a spring-forward at 00:00): step to the first hour that does.
    for (let h = 1; h <= 3; h++) {
      const t = guess + h * 3_600_000;
      const q = zonedParts(t, timeZone);
      if (Date.UTC(q.year, q.month - 1, q.day) === wall) return t - (q.minute * 60 + q.second) * 1000;
    }
  }
  return guess;
}

/** `YYYY-MM-DD` of a calendar date. */
export function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** A calendar date parsed from `YYYY-MM-DD` or `YYYYMMDD`. */
export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/**
 * Parse `YYYY-MM-DD` (or ccusage's `YYYYMMDD`).
 * @throws NexusUsageError `NEXUS_USAGE_BAD_OPTION` naming the option.
 */
export function parseCalendarDate(value: string, option: string): CalendarDate {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value.trim());
  if (m) {
    const year = Number(m[1]);
    const month = Number(m[2]);
    const day = Number(m[3]);
    const d = new Date(Date.UTC(year, month - 1, day));
    if (d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day) {
      return { year, month, day };
    }
  }
  throw new NexusUsageError(
    'NEXUS_USAGE_BAD_OPTION',
    `${option} must be a date as YYYY-MM-DD, got "${value}"`,
  );
}

/**
 * The instants `[from, to)` covered by the calendar days `since`..`until` (either may be absent) in
 * `timeZone`.
 * @throws NexusUsageError `NEXUS_USAGE_BAD_OPTION` for a bad date or `since` after `until`.
 */
export function calendarRange(
  since: string | undefined,
  until: string | undefined,
  timeZone: string,
): { from?: number; to?: number } {
  const out: { from?: number; to?: number } = {};
  if (since) {
    const d = parseCalendarDate(since, 'since');
    out.from = startOfZonedDay(d.year, d.month, d.day, timeZone);
  }
  if (until) {
    const d = parseCalendarDate(until, 'until');
    out.to = startOfZonedDay(d.year, d.month, d.day + 1, timeZone);
  }
  if (out.from !== undefined && out.to !== undefined && out.to <= out.from) {
    throw new NexusUsageError('NEXUS_USAGE_BAD_OPTION', `since (${since}) is after until (${until})`);
  }
  return out;
}

import type { LinePosition, ParseContext } from './contract.js';

/** A JSON object read from one log line. */
export type JsonRecord = Record<string, unknown>;

/**
 * Parse one log line into a JSON object. Bad lines (truncated, glued, garbage, or JSON that is not an
 * object) are reported through the context and give `undefined`; nothing is thrown.
 */
export function parseJsonRecord(
  line: string,
  position: LinePosition,
  context: ParseContext,
): JsonRecord | undefined {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(withoutLeadingJunk(line));
  } catch (error) {
    context.report({
      code: 'NEXUS_PARSE_INVALID_JSON',
      message: `Line is not valid JSON (${(error as Error).message}): ${line.slice(0, 80)}`,
      byteOffset: position.byteOffset,
      ...(position.lineNumber === undefined ? {} : { lineNumber: position.lineNumber }),
    });
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    context.report({
      code: 'NEXUS_PARSE_NOT_OBJECT',
      message: `Line is JSON but not an object: ${line.slice(0, 80)}`,
      byteOffset: position.byteOffset,
      ...(position.lineNumber === undefined ? {} : { lineNumber: position.lineNumber }),
    });
    return undefined;
  }
  return value as JsonRecord;
}

/**
 * A byte order mark (a file saved with one) or NUL bytes (what a crash leaves where a write was lost)
 * before the record: JSON.parse counts neither as white space.
 */
function withoutLeadingJunk(line: string): string {
  const first = line.charCodeAt(0);
  if (first === 0xfeff) return line.slice(1);
  if (first === 0) return line.replace(/^\u0000+/, '');
  return line;
}

export function asRecord(value: unknown): JsonRecord | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonRecord)
    : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A non-negative integer token count (a number, or a string of digits); anything else counts as 0. */
export function tokenCount(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.trunc(value) : 0;
  if (typeof value === 'string' && DIGITS.test(value)) return Number(value.trim());
  return 0;
}

const DIGITS = /^\s*\d+\s*$/;

/** Already what `toISOString()` prints: the agents write this on almost every line. */
const CANONICAL_ISO = /^\d{4}-(0\d|1[0-2])-([0-2]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
/** An ISO date and time without a zone designator. */
const ZONELESS_ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i;
/** An offset written as hours only (`+01`), which Date.parse refuses. */
const HOURS_OFFSET = /T[\d:.]+[+-]\d{2}$/i;
/**
 * Epoch values up to this are seconds, above it milliseconds (ccusage's cut): 1e10 seconds is the year
 * 2286, 1e10 milliseconds is April 1970.
 */
const EPOCH_SECONDS_MAX = 10_000_000_000;

/**
 * ISO-8601 UTC for an ISO string or an epoch number (milliseconds, or seconds when small enough to be
 * seconds; digits in a string too); `undefined` when unreadable. A date and time without a zone is UTC,
 * not the machine's zone: the agents log UTC, and a report must not depend on where it runs.
 */
export function isoTimestamp(value: unknown): string | undefined {
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string' || value === '') return undefined;
  if (CANONICAL_ISO.test(value) && !Number.isNaN(Date.parse(value))) return value;
  const text = value.trim();
  if (DIGITS.test(text)) return fromEpoch(Number(text));
  const zoned = ZONELESS_ISO.test(text)
    ? `${text.replace(' ', 'T')}Z`
    : HOURS_OFFSET.test(text)
      ? `${text}:00`
      : text;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function fromEpoch(value: number): string | undefined {
  if (!Number.isFinite(value) || value <= 0) return undefined;
  const date = new Date(value <= EPOCH_SECONDS_MAX ? value * 1000 : value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

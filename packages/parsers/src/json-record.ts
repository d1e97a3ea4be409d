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
    value = JSON.parse(line);
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

export function asRecord(value: unknown): JsonRecord | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonRecord)
    : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A non-negative integer token count; anything else counts as 0. */
export function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.trunc(value) : 0;
}

/** Already what `toISOString()` prints: the agents write this on almost every line. */
const CANONICAL_ISO = /^\d{4}-(0\d|1[0-2])-([0-2]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/** ISO-8601 UTC for an ISO string or epoch milliseconds; `undefined` when unreadable. */
export function isoTimestamp(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  if (typeof value === 'string' && value !== '') {
    if (CANONICAL_ISO.test(value) && !Number.isNaN(Date.parse(value))) return value;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
  }
  return undefined;
}

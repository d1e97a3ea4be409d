/**
 * Catalogue of parse issue codes. Codes are stable: a retired code is never reused.
 * Each issue is reported as data through `ParseContext.report`, never thrown.
 */
export const PARSE_ISSUE_CODES = {
  /** The line is not valid JSON (truncated, glued to another record, garbage). */
  NEXUS_PARSE_INVALID_JSON: 'Line is not valid JSON',
  /** The line is JSON but not an object (a bare string, number or array). */
  NEXUS_PARSE_NOT_OBJECT: 'Line is JSON but not an object',
  /** A record the adapter recognises lacks a field it needs (e.g. usage without a model). */
  NEXUS_PARSE_MISSING_FIELD: 'Record lacks a required field',
  /** A line longer than the host's limit was skipped unread. */
  NEXUS_PARSE_LINE_TOO_LONG: 'Line exceeds the maximum length and was skipped',
  /** The file shrank or was replaced; it is re-read from the start. */
  NEXUS_READ_FILE_RESET: 'File was truncated or replaced; reading again from the start',
  /** The file disappeared while being read. */
  NEXUS_READ_FILE_VANISHED: 'File vanished',
} as const;

export type ParseIssueCode = keyof typeof PARSE_ISSUE_CODES;

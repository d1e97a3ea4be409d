/**
 * Catalogue of `@nexus/usage` error codes. Codes are stable: a retired code is never reused.
 */
export const USAGE_ERROR_CODES = {
  NEXUS_USAGE_LEDGER_OPEN: 'The usage ledger could not be opened',
  NEXUS_USAGE_LEDGER_SCHEMA: 'The usage ledger was written by a newer Nexus',
  NEXUS_USAGE_PRICING_FETCH: 'The pricing table could not be fetched',
  NEXUS_USAGE_PRICING_INVALID: 'The pricing table is not a LiteLLM price list',
  NEXUS_USAGE_PRICING_CACHE: 'The cached pricing table could not be read or written',
  NEXUS_USAGE_BAD_OPTION: 'Invalid report option',
  NEXUS_USAGE_BACKFILL_FILE: 'A log file could not be read during backfill',
  NEXUS_USAGE_CHECKPOINTER:
    'The background WAL checkpointer stopped; checkpoints are back on the writing thread',
} as const;

/** A stable `NEXUS_USAGE_*` code. */
export type UsageErrorCode = keyof typeof USAGE_ERROR_CODES;

/** An error with a stable code; its message starts with `[nexus] [usage]` so a log line says where it came from. */
export class NexusUsageError extends Error {
  readonly code: UsageErrorCode;

  constructor(code: UsageErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(`[nexus] [usage] ${detail ?? USAGE_ERROR_CODES[code]}`, options);
    this.name = 'NexusUsageError';
    this.code = code;
  }
}

/** Minimal pino-compatible logger; every method is optional in spirit, so a no-op object is valid. */
export interface UsageLogger {
  warn(details: Record<string, unknown>, message: string): void;
  info?(details: Record<string, unknown>, message: string): void;
  debug?(details: Record<string, unknown>, message: string): void;
}

/** Logger that drops everything: the default when the host passes none. */
export const silentLogger: UsageLogger = { warn() {} };

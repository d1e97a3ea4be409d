/**
 * Catalogue of the server's error codes. Codes are stable: a retired code is never reused.
 * Messages start with their origin so a log line says where it came from.
 */
export const SERVER_ERRORS = {
  NEXUS_ERR_HOST_NOT_ALLOWED: {
    status: 421,
    message: 'Host header is not an allowed name (DNS rebinding protection)',
  },
  NEXUS_ERR_ORIGIN_NOT_ALLOWED: { status: 403, message: 'Origin is not allowed' },
  NEXUS_ERR_UNAUTHORIZED: { status: 401, message: 'Missing or wrong token' },
  NEXUS_ERR_TOKEN_REQUIRED: {
    status: 500,
    message: 'Binding a non-loopback address requires a token (--token or NEXUS_TOKEN)',
  },
  NEXUS_ERR_NOT_FOUND: { status: 404, message: 'Not found' },
  NEXUS_ERR_BAD_REQUEST: { status: 400, message: 'Bad request' },
  NEXUS_ERR_PORT_IN_USE: { status: 500, message: 'Port is already in use' },
  NEXUS_ERR_WEB_BUILD_MISSING: { status: 503, message: 'The dashboard is not built' },
  // Plan limits: logged by the Claude usage poller and shown in `claudeUsage.lastErrorCode`.
  NEXUS_LIMITS_NO_CREDENTIALS: {
    status: 404,
    message: 'No Claude Code OAuth token in .credentials.json (log in with Claude Code)',
  },
  NEXUS_LIMITS_TOKEN_EXPIRED: {
    status: 401,
    message: "Claude Code's OAuth token has expired; it is refreshed when Claude Code runs",
  },
  NEXUS_LIMITS_UNAUTHORIZED: { status: 401, message: 'The usage endpoint refused the token (401/403)' },
  NEXUS_LIMITS_RATE_LIMITED: { status: 429, message: 'The usage endpoint answered 429; backing off' },
  NEXUS_LIMITS_HTTP_ERROR: { status: 502, message: 'The usage endpoint answered with an error status' },
  NEXUS_LIMITS_BAD_RESPONSE: {
    status: 502,
    message: 'The usage endpoint answered something that is not a usage report',
  },
  NEXUS_LIMITS_TIMEOUT: { status: 504, message: 'The usage endpoint did not answer in time' },
  NEXUS_LIMITS_NETWORK: { status: 502, message: 'The usage endpoint could not be reached' },
  NEXUS_LIMITS_BAD_URL: {
    status: 500,
    message: 'The usage base URL must be https (or http on a loopback address)',
  },
  NEXUS_STATUSLINE_BAD_INPUT: { status: 400, message: 'The statusline input is not a JSON object' },
} as const;

export type ServerErrorCode = keyof typeof SERVER_ERRORS;

/** An error with a stable code, an HTTP status and the origin prefix in its message. */
export class NexusServerError extends Error {
  readonly code: ServerErrorCode;
  readonly statusCode: number;

  constructor(code: ServerErrorCode, detail?: string, options?: { cause?: unknown }) {
    const base = SERVER_ERRORS[code];
    super(`[nexus] [server] ${detail ?? base.message}`, options);
    this.name = 'NexusServerError';
    this.code = code;
    this.statusCode = base.status;
  }
}

import type { ErrorResponse } from '@nexus/protocol';
import {
  COST_HISTORY_LIMITS,
  COST_MODES,
  type CostMode,
  costHistory,
  dailyReport,
  monthlyReport,
  NexusUsageError,
  type ReportOptions,
  sessionReport,
  type UsageLedger,
} from '@nexus/usage';
import type { FastifyError, FastifyPluginAsync } from 'fastify';

/** Options of {@link usageRoutes}. */
export interface UsageRoutesOptions {
  /** The open ledger (or a getter, when the host opens it after registering routes). */
  readonly ledger: UsageLedger | (() => UsageLedger);
  /** Zone used when a request names none; default the server's own zone. */
  readonly defaultTimezone?: string;
}

const DATE = '^\\d{4}-?\\d{2}-?\\d{2}$';

const reportQuery = {
  type: 'object',
  properties: {
    since: { type: 'string', pattern: DATE },
    until: { type: 'string', pattern: DATE },
    timezone: { type: 'string', minLength: 1, maxLength: 64 },
    tool: { type: 'string', minLength: 1, maxLength: 64 },
    mode: { type: 'string', enum: [...COST_MODES] },
  },
  additionalProperties: false,
} as const;

const costHistoryQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: COST_HISTORY_LIMITS.max },
    sessionId: { type: 'string', minLength: 1, maxLength: 512 },
    tool: { type: 'string', minLength: 1, maxLength: 64 },
  },
  additionalProperties: false,
} as const;

interface ReportQuery {
  since?: string;
  until?: string;
  timezone?: string;
  tool?: string;
  mode?: CostMode;
}

/** Error code of a rejected query (also used for bad dates, zones and modes). */
export const USAGE_BAD_REQUEST_CODE = 'NEXUS_USAGE_BAD_OPTION';

function badRequest(message: string): ErrorResponse {
  return {
    statusCode: 400,
    code: USAGE_BAD_REQUEST_CODE,
    error: 'Bad Request',
    message: message.startsWith('[nexus]') ? message : `[nexus] [usage] ${message}`,
  };
}

/**
 * Fastify plugin: `GET /api/usage/daily`, `/api/usage/monthly`, `/api/usage/sessions` (the report
 * contract of `@nexus/protocol`'s `UsagePeriodReport`/`UsageSessionReport`) and
 * `/api/usage/cost-history?limit&sessionId&tool`. A bad query answers 400 with code
 * `NEXUS_USAGE_BAD_OPTION`. Register with `app.register(usageRoutes, { ledger })`.
 */
export const usageRoutes: FastifyPluginAsync<UsageRoutesOptions> = async (app, options) => {
  const ledger = typeof options.ledger === 'function' ? options.ledger : () => options.ledger as UsageLedger;
  const reportOptions = (q: ReportQuery): ReportOptions => ({
    ...q,
    ...(q.timezone === undefined && options.defaultTimezone ? { timezone: options.defaultTimezone } : {}),
  });

  // Encapsulated: applies to these routes only, whatever the host's own handler does.
  app.setErrorHandler((error: FastifyError | NexusUsageError, request, reply) => {
    if (error instanceof NexusUsageError && error.code === 'NEXUS_USAGE_BAD_OPTION') {
      return reply.code(400).send(badRequest(error.message));
    }
    if ('validation' in error && error.validation) {
      return reply.code(400).send(badRequest(`invalid query: ${error.message}`));
    }
    request.log.error({ err: error }, '[nexus] [usage] usage request failed');
    const body: ErrorResponse = {
      statusCode: 500,
      code: error.code ?? 'NEXUS_USAGE_INTERNAL',
      error: 'Internal Server Error',
      message: error.message.startsWith('[nexus]') ? error.message : `[nexus] [usage] ${error.message}`,
    };
    return reply.code(500).send(body);
  });

  app.get<{ Querystring: ReportQuery }>(
    '/api/usage/daily',
    { schema: { querystring: reportQuery } },
    async (request) => dailyReport(ledger(), reportOptions(request.query)),
  );
  app.get<{ Querystring: ReportQuery }>(
    '/api/usage/monthly',
    { schema: { querystring: reportQuery } },
    async (request) => monthlyReport(ledger(), reportOptions(request.query)),
  );
  app.get<{ Querystring: ReportQuery }>(
    '/api/usage/sessions',
    { schema: { querystring: reportQuery } },
    async (request) => sessionReport(ledger(), reportOptions(request.query)),
  );
  app.get<{ Querystring: { limit?: number; sessionId?: string; tool?: string } }>(
    '/api/usage/cost-history',
    { schema: { querystring: costHistoryQuery } },
    async (request) => costHistory(ledger(), request.query),
  );
};

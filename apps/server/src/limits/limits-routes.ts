import type { ErrorResponse, LimitsSnapshot, UsageBlocksReport } from '@nexus/protocol';
import {
  BLOCK_DURATION_HOURS,
  blocksReport,
  COST_MODES,
  type CostMode,
  type LedgerReader,
  NexusUsageError,
} from '@nexus/usage';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import { statuslineLine } from './statusline.js';

export interface LimitsRoutesOptions {
  readonly ledger: LedgerReader;
  /** The current plan limits. */
  readonly limits: () => LimitsSnapshot;
  /** Zone for `since`/`until` when the request names none; default the server's own. */
  readonly defaultTimezone?: string;
  /** State directory of the ledger and limit files, for `POST /api/statusline`. */
  readonly stateDir?: string;
}

const DATE = '^\\d{4}-?\\d{2}-?\\d{2}$';

const blocksQuery = {
  type: 'object',
  properties: {
    tool: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 64 },
    since: { type: 'string', pattern: DATE },
    until: { type: 'string', pattern: DATE },
    timezone: { type: 'string', minLength: 1, maxLength: 64 },
    mode: { type: 'string', enum: [...COST_MODES] },
    active: { type: 'boolean' },
    sessionLength: { type: 'number', exclusiveMinimum: 0, maximum: 168 },
  },
  additionalProperties: false,
} as const;

interface BlocksQuery {
  tool?: string;
  since?: string;
  until?: string;
  timezone?: string;
  mode?: CostMode;
  active?: boolean;
  sessionLength?: number;
}

function badRequest(message: string): ErrorResponse {
  return {
    statusCode: 400,
    code: 'NEXUS_USAGE_BAD_OPTION',
    error: 'Bad Request',
    message: message.startsWith('[nexus]') ? message : `[nexus] [usage] ${message}`,
  };
}

/**
 * Fastify plugin: `GET /api/limits` (the `LimitsSnapshot` of the `limits` frame) and
 * `GET /api/usage/blocks?tool&since&until&timezone&mode&active&sessionLength` (`UsageBlocksReport`).
 * A bad query answers 400 `NEXUS_USAGE_BAD_OPTION`.
 */
export const limitsRoutes: FastifyPluginAsync<LimitsRoutesOptions> = async (app, options) => {
  app.setErrorHandler((error: FastifyError | NexusUsageError, request, reply) => {
    if (error instanceof NexusUsageError && error.code === 'NEXUS_USAGE_BAD_OPTION') {
      return reply.code(400).send(badRequest(error.message));
    }
    if ('validation' in error && error.validation) {
      return reply.code(400).send(badRequest(`invalid query: ${error.message}`));
    }
    request.log.error({ err: error }, '[nexus] [limits] request failed');
    const body: ErrorResponse = {
      statusCode: 500,
      code: 'NEXUS_ERR_INTERNAL',
      error: 'Internal Server Error',
      message: '[nexus] [limits] request failed; see the server log',
    };
    return reply.code(500).send(body);
  });

  app.get('/api/limits', async (): Promise<LimitsSnapshot> => options.limits());

  // The statusline through the running server: `bin/nexus-statusline` posts Claude Code's JSON with curl,
  // which starts in a few milliseconds where a Node process needs about 100 ms.
  const { stateDir } = options;
  if (stateDir !== undefined) {
    app.post<{ Body: string; Querystring: { color?: string } }>(
      '/api/statusline',
      { bodyLimit: 256 * 1024 },
      async (request, reply) => {
        const text = typeof request.body === 'string' ? request.body : JSON.stringify(request.body ?? null);
        const line = statuslineLine(text, { stateDir, now: Date.now(), color: request.query.color !== '0' });
        return reply.type('text/plain; charset=utf-8').send(`${line}\n`);
      },
    );
  }

  app.get<{ Querystring: BlocksQuery }>(
    '/api/usage/blocks',
    { schema: { querystring: blocksQuery } },
    async (request): Promise<UsageBlocksReport> => {
      const q = request.query;
      const timezone = q.timezone ?? options.defaultTimezone;
      return blocksReport(options.ledger, {
        tool: q.tool === undefined ? 'claude-code' : q.tool === 'all' ? null : q.tool,
        ...(q.since ? { since: q.since } : {}),
        ...(q.until ? { until: q.until } : {}),
        ...(timezone ? { timezone } : {}),
        ...(q.mode ? { mode: q.mode } : {}),
        activeOnly: q.active === true,
        sessionDurationHours: q.sessionLength ?? BLOCK_DURATION_HOURS,
      });
    },
  );
};

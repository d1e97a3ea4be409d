import fastifyWebsocket from '@fastify/websocket';
import type { HealthResponse } from '@nexus/protocol';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import type { ServerOptions } from './config.js';
import type { NexusServerError } from './errors.js';
import { registerSessionRoutes } from './http/session-routes.js';
import { registerDashboard } from './http/static-dashboard.js';
import type { ServerRuntime } from './runtime.js';
import { installSecurity } from './security/install-security.js';
import { SERVER_VERSION } from './version.js';
import { WebSocketHub } from './ws/hub.js';

export interface CreateAppOptions {
  readonly options: ServerOptions;
  readonly runtime: ServerRuntime;
  readonly logger: Logger;
  /** Extra routes (usage API, plan limits…) registered after the core ones. */
  readonly plugins?: ReadonlyArray<(app: FastifyInstance) => Promise<void> | void>;
  readonly now?: () => number;
}

export interface NexusApp {
  readonly app: FastifyInstance;
  readonly hub: WebSocketHub;
}

/** Build the HTTP + WebSocket server around a runtime. Listening is the caller's business. */
export async function createApp({
  options,
  runtime,
  logger,
  plugins = [],
  now = Date.now,
}: CreateAppOptions): Promise<NexusApp> {
  const startedAt = now();
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance's default generics.
    loggerInstance: logger as unknown as FastifyBaseLogger,
    // Per-request logs would flood the log on a busy wall; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    bodyLimit: 1024 * 1024,
  });
  const hub = new WebSocketHub({ serverVersion: SERVER_VERSION, state: runtime, log: logger });
  const unsubscribe = runtime.subscribe((frame) => hub.broadcast(frame));
  app.addHook('onClose', async () => {
    unsubscribe();
    hub.closeAll();
  });

  installSecurity(app, options);

  app.setErrorHandler((error: FastifyError | NexusServerError, request, reply) => {
    const statusCode = error.statusCode ?? 500;
    if (statusCode >= 500) request.log.error({ err: error }, '[nexus] [http] request failed');
    const code = error.code ?? 'NEXUS_ERR_INTERNAL';
    const message = error.message.startsWith('[nexus]') ? error.message : `[nexus] [http] ${error.message}`;
    return reply.code(statusCode).send({
      statusCode,
      code,
      error: statusCode >= 500 ? 'Internal Server Error' : 'Bad Request',
      message,
    });
  });

  await app.register(fastifyWebsocket, {
    options: { maxPayload: 64 * 1024, perMessageDeflate: false },
  });

  app.get(
    '/api/health',
    async (): Promise<HealthResponse> => ({
      status: 'ok',
      version: SERVER_VERSION,
      uptimeMs: Math.max(0, Math.round(now() - startedAt)),
      backfill: runtime.backfill(),
    }),
  );
  registerSessionRoutes(app, runtime);
  for (const plugin of plugins) await plugin(app);

  const dashboard = await registerDashboard(app, options.webDir);

  const wsHandler = (socket: import('ws').WebSocket, request: import('fastify').FastifyRequest) => {
    const query = request.query as { lastSeq?: string; bootId?: string };
    const lastSeq = query.lastSeq === undefined ? undefined : Number(query.lastSeq);
    hub.accept(socket, {
      bootId: query.bootId,
      lastSeq: lastSeq !== undefined && Number.isInteger(lastSeq) && lastSeq >= 0 ? lastSeq : undefined,
    });
  };
  app.route({
    method: 'GET',
    url: '/ws',
    handler: async (_request, reply) =>
      reply.code(426).send({
        statusCode: 426,
        code: 'NEXUS_ERR_UPGRADE_REQUIRED',
        error: 'Upgrade Required',
        message: '[nexus] [ws] connect with a WebSocket client',
      }),
    wsHandler,
  });
  // `/` is the original Nexus's WebSocket address; a plain GET there is the dashboard.
  app.route({
    method: 'GET',
    url: '/',
    handler: async (_request, reply) => dashboard.sendIndex(reply),
    wsHandler,
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (request.method === 'GET' && !path.startsWith('/api/') && !path.startsWith('/_app/')) {
      return dashboard.sendIndex(reply);
    }
    return reply.code(404).send({
      statusCode: 404,
      code: 'NEXUS_ERR_NOT_FOUND',
      error: 'Not Found',
      message: `[nexus] [http] no route for ${request.method} ${path}`,
    });
  });

  return { app, hub };
}

import type { FastifyInstance } from 'fastify';
import { NexusServerError } from '../errors.js';
import type { ServerRuntime } from '../runtime.js';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

function parseLimit(raw: unknown): number {
  if (raw === undefined) return DEFAULT_PAGE;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new NexusServerError('NEXUS_ERR_BAD_REQUEST', `limit must be an integer between 1 and ${MAX_PAGE}`);
  }
  return limit;
}

export function registerSessionRoutes(app: FastifyInstance, runtime: ServerRuntime): void {
  app.get('/api/sessions', async () => ({
    sessions: runtime.sessions(),
    watchedRoots: runtime.watchedRoots(),
  }));

  app.get<{ Params: { id: string } }>('/api/sessions/:id', async (request) => {
    const detail = runtime.session(request.params.id);
    if (!detail)
      throw new NexusServerError('NEXUS_ERR_NOT_FOUND', `No session ${JSON.stringify(request.params.id)}`);
    return detail;
  });

  app.get<{ Params: { id: string }; Querystring: { before?: string; limit?: string } }>(
    '/api/sessions/:id/messages',
    async (request) => {
      const limit = parseLimit(request.query.limit);
      const page = await runtime.messages(request.params.id, { before: request.query.before, limit });
      if (!page)
        throw new NexusServerError('NEXUS_ERR_NOT_FOUND', `No session ${JSON.stringify(request.params.id)}`);
      return page;
    },
  );
}

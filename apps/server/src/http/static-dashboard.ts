import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { buildContentSecurityPolicy, inlineScriptHashes } from '../security/content-security-policy.js';

export interface DashboardAssets {
  /** Serve the SPA entry page with its CSP. */
  sendIndex(reply: FastifyReply): FastifyReply;
}

const MISSING_BUILD_PAGE = `<!doctype html><meta charset="utf-8"><title>Nexus</title>
<h1>Nexus is running, but the dashboard is not built</h1>
<p>Run <code>./nexus start</code> from the repository (it builds what is missing), or <code>pnpm build</code>.</p>`;

/**
 * Serves the built dashboard (apps/web/build) with hashed-script CSP. Unknown paths that are not
 * API calls get the SPA's index.html, so deep links such as /sessions/<id> work after a reload.
 */
export async function registerDashboard(
  app: FastifyInstance,
  webDir: string | undefined,
): Promise<DashboardAssets> {
  const indexPath = webDir ? join(webDir, 'index.html') : undefined;
  if (!webDir || !indexPath || !existsSync(indexPath)) {
    app.log.warn({ webDir }, '[nexus] [web] dashboard build not found; serving the API only');
    const csp = buildContentSecurityPolicy([]);
    return {
      sendIndex: (reply) =>
        reply
          .code(503)
          .header('content-security-policy', csp)
          .type('text/html; charset=utf-8')
          .send(MISSING_BUILD_PAGE),
    };
  }

  const indexHtml = readFileSync(indexPath, 'utf8');
  const csp = buildContentSecurityPolicy(inlineScriptHashes(indexHtml));
  await app.register(fastifyStatic, {
    root: webDir,
    index: false,
    wildcard: true,
    // Hashed assets under _app/immutable never change; everything else is revalidated.
    setHeaders: (response, path) => {
      response.header('content-security-policy', csp);
      if (path.includes('/_app/immutable/'))
        response.header('cache-control', 'public, max-age=31536000, immutable');
      else response.header('cache-control', 'no-cache');
    },
  });
  return {
    sendIndex: (reply) =>
      reply
        .header('content-security-policy', csp)
        .header('cache-control', 'no-cache')
        .type('text/html; charset=utf-8')
        .send(indexHtml),
  };
}

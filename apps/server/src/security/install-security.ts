import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerOptions } from '../config.js';
import { NexusServerError, type ServerErrorCode } from '../errors.js';
import { buildAllowedHostNames, isHostAllowed } from './host-check.js';
import { isOriginAllowed } from './origin-check.js';
import { bearerToken, cookieValue, TOKEN_COOKIE, tokenCookie, tokensMatch } from './token-auth.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function refuse(reply: FastifyReply, code: ServerErrorCode, detail?: string): FastifyReply {
  const error = new NexusServerError(code, detail);
  // A refused upgrade leaves no HTTP exchange to keep alive: close the socket with the answer.
  if (reply.request.headers.upgrade) reply.header('connection', 'close');
  return reply
    .code(error.statusCode)
    .type('application/json; charset=utf-8')
    .send({ statusCode: error.statusCode, code, error: 'Refused', message: error.message });
}

/**
 * Host allowlist (DNS rebinding), Origin allowlist for WebSocket upgrades and state-changing requests
 * (cross-site WebSocket hijacking, CSRF), and the bearer token required on non-loopback binds.
 * Runs before routing, so it covers every route, static files and upgrades alike.
 */
export function installSecurity(
  app: FastifyInstance,
  options: Pick<ServerOptions, 'host' | 'token' | 'allowedHosts' | 'allowedOrigins'>,
): void {
  const allowedHosts = buildAllowedHostNames(options.host, options.allowedHosts);

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const host = request.headers.host;
    if (!isHostAllowed(host, allowedHosts)) {
      request.log.warn({ host }, '[nexus] [security] refused a request for a foreign Host');
      return refuse(
        reply,
        'NEXUS_ERR_HOST_NOT_ALLOWED',
        `Host ${JSON.stringify(host ?? '')} is not allowed. Add it with --allowed-host if you trust it.`,
      );
    }

    const isUpgrade = request.headers.upgrade?.toLowerCase() === 'websocket';
    if (isUpgrade || !SAFE_METHODS.has(request.method)) {
      const origin = request.headers.origin;
      if (!isOriginAllowed(origin, host, options.allowedOrigins)) {
        request.log.warn({ origin }, '[nexus] [security] refused a foreign Origin');
        return refuse(
          reply,
          'NEXUS_ERR_ORIGIN_NOT_ALLOWED',
          `Origin ${JSON.stringify(origin)} is not allowed`,
        );
      }
    }

    const token = options.token;
    if (!token) return;
    const presented =
      bearerToken(request.headers.authorization) ?? cookieValue(request.headers.cookie, TOKEN_COOKIE);
    if (tokensMatch(presented, token)) return;

    // The URL the CLI prints once carries ?token=: trade it for a cookie and drop it from the address bar.
    const url = new URL(request.url, 'http://placeholder');
    const queryToken = url.searchParams.get('token') ?? undefined;
    if (request.method === 'GET' && !isUpgrade && tokensMatch(queryToken, token)) {
      url.searchParams.delete('token');
      const secure = request.protocol === 'https';
      return reply
        .header('set-cookie', tokenCookie(token, secure))
        .redirect(`${url.pathname}${url.search}`, 303);
    }
    return refuse(
      reply,
      'NEXUS_ERR_UNAUTHORIZED',
      'This server requires a token: send Authorization: Bearer <token>, or open the URL the CLI printed.',
    );
  });

  // A refused upgrade is answered over the raw socket, which nobody else will close.
  app.addHook('onResponse', async (request, reply) => {
    if (request.headers.upgrade && reply.statusCode >= 400) request.raw.socket.destroySoon();
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    return payload;
  });
}

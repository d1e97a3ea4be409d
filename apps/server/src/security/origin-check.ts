import { DEV_WEB_PORT } from '../config.js';

/**
 * Origins allowed to open the WebSocket or send state-changing requests: the page's own origin
 * (same Host), the Vite dev server, and any configured extras. Browsers always send `Origin` on
 * WebSocket upgrades, so a cross-site page cannot hijack the socket.
 */
export function isOriginAllowed(
  origin: string | undefined,
  hostHeader: string | undefined,
  extraOrigins: readonly string[],
): boolean {
  // Non-browser clients (curl, the CLI, scripts) send no Origin; they are not a cross-site threat.
  if (origin === undefined) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  if (hostHeader && parsed.host === hostHeader.toLowerCase()) return true;
  const devOrigins = [
    `http://localhost:${DEV_WEB_PORT}`,
    `http://127.0.0.1:${DEV_WEB_PORT}`,
    `http://[::1]:${DEV_WEB_PORT}`,
  ];
  return devOrigins.includes(parsed.origin) || extraOrigins.includes(parsed.origin);
}

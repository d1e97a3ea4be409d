import { NexusServerError } from './errors.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 3000;
export const DEV_WEB_PORT = 5173;

/** Everything the server needs to start; the CLI fills it from flags and the environment. */
export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  /** Required when `host` is not a loopback address. */
  readonly token?: string | undefined;
  /** Extra names accepted in the Host header, besides localhost, 127.0.0.1 and [::1]. */
  readonly allowedHosts: readonly string[];
  /** Extra origins accepted for WebSocket upgrades and state-changing requests. */
  readonly allowedOrigins: readonly string[];
  readonly stateDir: string;
  /** Folder of the built dashboard; `undefined` serves the API only. */
  readonly webDir?: string | undefined;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127(?:\.\d{1,3}){3}$/.test(host);
}

export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new NexusServerError(
      'NEXUS_ERR_BAD_REQUEST',
      `Invalid port ${JSON.stringify(value)}: expected 0–65535`,
    );
  }
  return port;
}

/** Refuse a non-loopback bind without a token (DESIGN §6). */
export function assertBindIsSafe(options: Pick<ServerOptions, 'host' | 'token'>): void {
  if (!isLoopbackHost(options.host) && !options.token) {
    throw new NexusServerError(
      'NEXUS_ERR_TOKEN_REQUIRED',
      `Refusing to listen on ${options.host} without a token: anyone on the network could read your transcripts. Pass --token <secret> (or NEXUS_TOKEN), or bind 127.0.0.1.`,
    );
  }
}

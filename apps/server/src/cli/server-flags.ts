import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_HOST, DEFAULT_PORT, parsePort } from '../config.js';

export interface ServerFlags {
  readonly host: string;
  readonly port: number;
  readonly token: string | undefined;
  readonly allowedHosts: string[];
  readonly allowedOrigins: string[];
  readonly offline: boolean;
  /** Plugin config file (`--config`, `$NEXUS_CONFIG`); else nexus.config.{js,mjs,json} in the state directory. */
  readonly config: string | undefined;
  readonly help: boolean;
}

export const SERVER_FLAG_HELP = `  --host <addr>           Address to bind (default ${DEFAULT_HOST}; any other needs a token)
  --port <n>              Port (default ${DEFAULT_PORT}, or $NEXUS_PORT)
  --token <secret>        Require this token (also $NEXUS_TOKEN); mandatory off loopback
  --allowed-host <name>   Also accept this Host header name (repeatable)
  --allowed-origin <url>  Also accept this Origin for WebSocket upgrades (repeatable)
  --offline               Never use the network (pricing refresh, plan limits)
  --config <file>         Plugin config (default nexus.config.{js,mjs,json} in the state directory)`;

/** Flags shared by `serve`, `start`, `restart` and `dev-start`, with their environment fallbacks. */
export function parseServerFlags(argv: string[], env: NodeJS.ProcessEnv): ServerFlags {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string', short: 'p' },
      token: { type: 'string' },
      'allowed-host': { type: 'string', multiple: true },
      'allowed-origin': { type: 'string', multiple: true },
      offline: { type: 'boolean' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    host: values.host ?? env.NEXUS_HOST ?? DEFAULT_HOST,
    port: parsePort(values.port ?? env.NEXUS_PORT, DEFAULT_PORT),
    token: values.token ?? (env.NEXUS_TOKEN || undefined),
    allowedHosts: [...(values['allowed-host'] ?? []), ...splitList(env.NEXUS_ALLOWED_HOSTS)],
    allowedOrigins: [...(values['allowed-origin'] ?? []), ...splitList(env.NEXUS_ALLOWED_ORIGINS)],
    offline: values.offline ?? env.NEXUS_OFFLINE === '1',
    config: values.config ? resolve(values.config) : env.NEXUS_CONFIG || undefined,
    help: values.help ?? false,
  };
}

function splitList(value: string | undefined): string[] {
  return value
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : [];
}

/** Flags to hand to the daemon child so it starts exactly as asked. */
export function serverFlagsToArgv(flags: ServerFlags): string[] {
  const argv = ['--host', flags.host, '--port', String(flags.port)];
  for (const host of flags.allowedHosts) argv.push('--allowed-host', host);
  for (const origin of flags.allowedOrigins) argv.push('--allowed-origin', origin);
  if (flags.offline) argv.push('--offline');
  if (flags.config) argv.push('--config', flags.config);
  return argv;
}

/** The address a browser should open. */
export function displayUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

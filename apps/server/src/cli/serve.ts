import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { createApp } from '../app.js';
import { assertBindIsSafe, type ServerOptions } from '../config.js';
import { createEngineRuntime } from '../engine.js';
import { resolveStatePaths } from '../state-dir.js';
import { displayUrl, type ServerFlags } from './server-flags.js';

/** The dashboard build: `$NEXUS_WEB_DIR`, else @nexus/web's build folder next to this package. */
export function resolveWebDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.NEXUS_WEB_DIR) return env.NEXUS_WEB_DIR;
  try {
    const manifest = createRequire(import.meta.url).resolve('@nexus/web/package.json');
    const build = join(dirname(manifest), 'build');
    return existsSync(build) ? build : undefined;
  } catch {
    return undefined;
  }
}

export function portInUseMessage(port: number): string {
  return `[nexus] port ${port} is already in use (EADDRINUSE). Find what holds it with \`lsof -i :${port}\` or \`ss -ltnp 'sport = :${port}'\`; if it is an old Nexus, run \`./nexus stop\`; or start on another port with \`--port <n>\` (or NEXUS_PORT).`;
}

/** Run the server in the foreground until SIGINT/SIGTERM. Resolves with the process exit code. */
export async function serve(flags: ServerFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const paths = resolveStatePaths(env);
  const logger = pino({
    level: env.LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'token'], censor: '[redacted]' },
  });
  const options: ServerOptions = {
    host: flags.host,
    port: flags.port,
    token: flags.token,
    allowedHosts: flags.allowedHosts,
    allowedOrigins: flags.allowedOrigins,
    stateDir: paths.dir,
    webDir: resolveWebDir(env),
  };
  try {
    assertBindIsSafe(options);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }

  const { loadHostAdapters } = await import('../plugins/host.js');
  const { adapters } = await loadHostAdapters({ stateDir: paths.dir, configPath: flags.config, logger });
  const engine = await createEngineRuntime({
    env,
    stateDir: paths.dir,
    logger,
    offline: flags.offline,
    adapters,
  });
  const nexus = await createApp({ options, runtime: engine.runtime, logger, plugins: engine.plugins });
  try {
    await nexus.app.listen({ host: options.host, port: options.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'EADDRINUSE'
        ? portInUseMessage(options.port)
        : `[nexus] could not listen: ${(error as Error).message}`;
    logger.error({ code }, message);
    process.stderr.write(`${message}\n`);
    await nexus.app.close();
    await engine.runtime.close();
    return code === 'EADDRINUSE' ? 3 : 1;
  }
  const address = nexus.app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  logger.info({ url: displayUrl(options.host, port), stateDir: paths.dir }, '[nexus] listening');

  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  logger.info('[nexus] shutting down');
  await nexus.app.close();
  await engine.runtime.close();
  return 0;
}

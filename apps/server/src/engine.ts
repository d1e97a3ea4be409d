import { existsSync } from 'node:fs';
import { builtinAdapters, type NexusAdapter, processEnvironment } from '@nexus/parsers';
import type { BackfillProgress, UnsequencedFrame, WatchedRoot } from '@nexus/protocol';
import { LiveTotals, loadPricing, runBackfill, UsageLedger, type UsageLogger } from '@nexus/usage';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ServerRuntime } from './runtime.js';
import { usageRoutes } from './usage/usage-routes.js';

export interface EngineOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly stateDir: string;
  readonly logger: Logger;
  readonly offline: boolean;
  /** Adapters to run; default the built-in ones. */
  readonly adapters?: readonly NexusAdapter[];
}

export interface Engine {
  readonly runtime: ServerRuntime;
  /** Routes the engine adds to the server (usage reports…). */
  readonly plugins: ReadonlyArray<(app: FastifyInstance) => Promise<void> | void>;
}

/** The folders the wall's empty state lists: every live root of every adapter. */
export function watchedRootsOf(adapters: readonly NexusAdapter[], env: NodeJS.ProcessEnv): WatchedRoot[] {
  const environment = processEnvironment(env);
  return adapters.flatMap((adapter) =>
    adapter
      .resolveRoots(environment)
      .filter((root) => root.role === 'live')
      .map((root) => ({
        tool: adapter.id,
        displayName: adapter.displayName,
        path: root.path,
        exists: existsSync(root.path),
      })),
  );
}

function usageLogger(logger: Logger): UsageLogger {
  return {
    warn: (details, message) => logger.warn(details, message),
    info: (details, message) => logger.info(details, message),
    debug: (details, message) => logger.debug(details, message),
  };
}

/**
 * Compose the Nexus packages behind the server's runtime interface: the usage ledger (backfilled in the
 * background at start, live totals coalesced to one frame per 250 ms) and the live session pipeline.
 */
export async function createEngineRuntime(options: EngineOptions): Promise<Engine> {
  const { env, stateDir, logger, offline } = options;
  const adapters = options.adapters ?? builtinAdapters();
  const environment = processEnvironment(env);
  const listeners = new Set<(frame: UnsequencedFrame) => void>();
  const emit = (frame: UnsequencedFrame) => {
    for (const listener of listeners) listener(frame);
  };

  const pricing = await loadPricing({ stateDir, offline, env, logger: usageLogger(logger), timeoutMs: 5000 });
  const ledger = UsageLedger.open({ stateDir, pricing });
  const totals = new LiveTotals({
    ledger,
    tools: adapters.map((adapter) => adapter.id),
    onUpdate: (usage) => emit({ type: 'usage_totals', ...usage }),
  });
  let backfill: BackfillProgress = {
    status: 'idle',
    scannedFiles: 0,
    totalFiles: 0,
    scannedBytes: 0,
    totalBytes: 0,
  };
  const stop = new AbortController();

  // History is read in the background: the server answers (and the wall goes live) at once.
  const backfillDone = runBackfill({
    ledger,
    adapters,
    environment,
    signal: stop.signal,
    logger: usageLogger(logger),
    onProgress: (progress) => {
      backfill = progress;
      totals.setBackfill(progress);
    },
  }).then(
    (result) =>
      logger.info(
        { files: result.scannedFiles, bytes: result.scannedBytes, failed: result.failedFiles },
        '[nexus] [usage] backfill done',
      ),
    (error: unknown) =>
      logger.error({ err: error }, '[nexus] [usage] backfill failed; totals cover what was read'),
  );

  const runtime: ServerRuntime = {
    snapshot: () => ({
      sessions: [],
      usageTotals: totals.snapshot(),
      watchedRoots: watchedRootsOf(adapters, env),
    }),
    backfill: () => backfill,
    sessions: () => [],
    watchedRoots: () => watchedRootsOf(adapters, env),
    session: () => undefined,
    messages: async () => undefined,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      stop.abort();
      await backfillDone;
      totals.close();
      ledger.close();
    },
  };
  return {
    runtime,
    plugins: [
      async (app) => {
        await app.register(usageRoutes, { ledger });
      },
    ],
  };
}

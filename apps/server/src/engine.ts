import { createMonitor, type ProcessLister } from '@nexus/monitors';
import {
  builtinAdapters,
  type LogFileRef,
  type NexusAdapter,
  processEnvironment,
  type UsageEvent,
} from '@nexus/parsers';
import type { BackfillProgress, SessionDetailResponse, UnsequencedFrame } from '@nexus/protocol';
import { SessionRegistry } from '@nexus/sessions';
import {
  backfillWorkerCount,
  LiveTotals,
  loadPricing,
  runBackfill,
  startWalCheckpointer,
  UsageLedger,
  type UsageLogger,
} from '@nexus/usage';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { limitsRoutes } from './limits/limits-routes.js';
import { startLimits } from './limits/start-limits.js';
import { createStoreHost } from './plugins/store-host.js';
import type { ServerRuntime } from './runtime.js';
import { pageMessages, TranscriptCache, toWireMessage } from './session-history.js';
import { usageRoutes } from './usage/usage-routes.js';

const USAGE_FLUSH_MS = 50;

export interface EngineOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly stateDir: string;
  readonly logger: Logger;
  readonly offline: boolean;
  /** Adapters to run; default the built-in ones. */
  readonly adapters?: readonly NexusAdapter[];
  /** Process scanner for live discovery (tests pass a fake one). */
  readonly processLister?: ProcessLister;
  /** Discovery period (DESIGN §4: 15 s). */
  readonly scanIntervalMs?: number;
  /** State machine period; the registry checks idle and cooling on each tick. Default 1 s. */
  readonly tickMs?: number;
  /** Skip the startup backfill (tests of the live path). */
  readonly backfill?: boolean;
}

export interface Engine {
  readonly runtime: ServerRuntime;
  /** Routes the engine adds to the server (usage reports…). */
  readonly plugins: ReadonlyArray<(app: FastifyInstance) => Promise<void> | void>;
  /**
   * The first discovery of live sessions is done and their files read once. The engine is usable before:
   * sessions found later reach clients as `session_init` frames.
   */
  readonly discovered: Promise<void>;
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
  const checkpointer = startWalCheckpointer(ledger, {
    onError: (err) =>
      logger.warn({ code: 'NEXUS_USAGE_CHECKPOINTER', err }, '[nexus] [usage] WAL checkpointer stopped'),
  });
  // Plan limits: Codex windows from its logs, Claude's from the OAuth endpoint and the statusline.
  const limits = startLimits({
    env,
    stateDir,
    offline,
    ledger,
    adapters,
    environment,
    logger,
    onUpdate: (snapshot) => emit({ type: 'limits', ...snapshot }),
  });
  const totals = new LiveTotals({
    ledger,
    tools: adapters.map((adapter) => adapter.id),
    onUpdate: (usage) => {
      emit({ type: 'usage_totals', ...usage });
      limits.usageChanged();
    },
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
  const backfillDone = (
    options.backfill === false
      ? Promise.resolve({ scannedFiles: 0, scannedBytes: 0, failedFiles: 0 })
      : runBackfill({
          ledger,
          adapters,
          environment,
          signal: stop.signal,
          // Parsing history in a worker keeps the live path's latency low while the backfill runs.
          workers: Math.max(1, backfillWorkerCount()),
          logger: usageLogger(logger),
          onProgress: (progress) => {
            backfill = progress;
            totals.setBackfill(progress);
          },
        })
  ).then(
    (result) =>
      logger.info(
        { files: result.scannedFiles, bytes: result.scannedBytes, failed: result.failedFiles },
        '[nexus] [usage] backfill done',
      ),
    (error: unknown) =>
      logger.error({ err: error }, '[nexus] [usage] backfill failed; totals cover what was read'),
  );

  // Live usage goes to the ledger in one transaction per 50 ms, not one per file read: at thousands of
  // lines a second that is the difference between keeping up and falling behind. The ledger keeps the
  // maximum per call, so usage the backfill also reads is never counted twice.
  let pendingUsage: UsageEvent[] = [];
  let usageFlush: ReturnType<typeof setTimeout> | undefined;
  const flushUsage = () => {
    usageFlush = undefined;
    const batch = pendingUsage;
    pendingUsage = [];
    if (batch.length > 0) totals.ingest(batch);
  };
  const registry = new SessionRegistry();
  registry.subscribe(emit);
  let runningKey = '';
  // Running agents change rarely; tell the totals only when they do, so idle ticks send no frame.
  const updateRunning = () => {
    const running = registry.runningByTool();
    const key = JSON.stringify(running);
    if (key === runningKey) return;
    runningKey = key;
    totals.setRunningAgents(running);
  };
  const filesBySession = new Map<string, Map<string, LogFileRef>>();
  // Full transcripts of the sessions whose pages are open, brought up to date by reading appended bytes.
  const transcripts = new TranscriptCache();
  const adaptersById = new Map(adapters.map((adapter) => [adapter.id, adapter]));
  const monitor = createMonitor({
    adapters,
    environment,
    ...(options.processLister ? { processLister: options.processLister } : {}),
    ...(options.scanIntervalMs === undefined ? {} : { scanIntervalMs: options.scanIntervalMs }),
    onBatch: ({ file, events }) => {
      const files = filesBySession.get(file.sessionId) ?? new Map<string, LogFileRef>();
      files.set(file.path, file);
      filesBySession.set(file.sessionId, files);
      registry.ingest(file, events);
      for (const event of events) {
        if (event.type === 'usage') pendingUsage.push(event);
        else if (event.type === 'rate_limit') limits.rateLimit(event);
      }
      if (pendingUsage.length > 0) usageFlush ??= setTimeout(flushUsage, USAGE_FLUSH_MS);
      updateRunning();
    },
    onLiveChange: (file, live) => registry.setLive(file.sessionId, live),
    onIssue: (issue) =>
      logger.debug(
        { code: issue.code, file: issue.file, offset: issue.byteOffset },
        `[nexus] [monitors] ${issue.message}`,
      ),
    onWarning: (message) => logger.warn(message),
  });
  // Not awaited: the first discovery stats every log under the roots, and while a cold backfill holds this
  // thread it took seconds (5.2 s for 4,000 files), in which the server did not listen and the dashboard
  // could not show the backfill's progress.
  const discovered = monitor
    .start()
    .catch((error: unknown) =>
      logger.error({ err: error }, '[nexus] [monitors] discovering live sessions failed'),
    );
  // Transcripts kept in databases (OpenClaw's SQLite store) are read by their adapters, not tailed: usage
  // with the store's cursor into the ledger, live sessions (as the database reports them) to the registry.
  const stores = createStoreHost({
    adapters,
    environment,
    ledger,
    ingestUsage: (events, checkpoint) => totals.ingest(events, checkpoint),
    onSessionEvents: (file, events) => {
      registry.ingest(file, events);
      updateRunning();
    },
    onLiveChange: (file, live) => registry.setLive(file.sessionId, live),
    onIssue: (issue) =>
      logger.debug(
        { code: issue.code, file: issue.file, row: issue.byteOffset },
        `[nexus] [stores] ${issue.message}`,
      ),
    logger,
  });
  const storesStarted = stores
    .start()
    .catch((error: unknown) =>
      logger.error({ err: error }, '[nexus] [stores] reading session databases failed'),
    );
  const ticker = setInterval(() => {
    registry.tick();
    updateRunning();
  }, options.tickMs ?? 1000);
  ticker.unref();

  const runtime: ServerRuntime = {
    snapshot: () => ({
      sessions: registry.snapshot(),
      usageTotals: totals.snapshot(),
      limits: limits.snapshot(),
      watchedRoots: monitor.watchedRoots(),
    }),
    backfill: () => backfill,
    sessions: () => registry.list(),
    watchedRoots: () => monitor.watchedRoots(),
    session(sessionId): SessionDetailResponse | undefined {
      const session = registry.get(sessionId);
      if (!session) return undefined;
      return {
        session,
        subagents: registry.subagents(sessionId),
        files: [...(filesBySession.get(sessionId)?.keys() ?? [])],
      };
    },
    async messages(sessionId, { before, limit }) {
      if (!registry.get(sessionId)) return undefined;
      const files = [...(filesBySession.get(sessionId)?.values() ?? [])];
      const messages =
        files.length > 0
          ? await transcripts.messages(adaptersById, files, sessionId, pricing)
          : (stores.messages(sessionId)?.map(toWireMessage) ?? registry.messages(sessionId));
      return pageMessages(sessionId, messages, before, limit);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      stop.abort();
      clearInterval(ticker);
      if (usageFlush) clearTimeout(usageFlush);
      flushUsage();
      await monitor.close();
      await discovered;
      // Closing first stops a catch-up still running at its next batch, rather than waiting for it to end.
      await stores.close();
      await storesStarted;
      await backfillDone;
      totals.close();
      await limits.close();
      await checkpointer.close();
      ledger.close();
    },
  };
  return {
    runtime,
    discovered,
    plugins: [
      async (app) => {
        await app.register(usageRoutes, { ledger });
        await app.register(limitsRoutes, { ledger, limits: () => limits.snapshot(), stateDir });
      },
    ],
  };
}

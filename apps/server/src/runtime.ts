import type {
  BackfillProgress,
  InitFrame,
  MessagesPage,
  SessionDetailResponse,
  SessionSummary,
  UnsequencedFrame,
  WatchedRoot,
} from '@nexus/protocol';

/**
 * What the HTTP and WebSocket layers need from the engine behind them (monitors, sessions, usage).
 * Keeping it an interface lets the transport be tested without touching the file system.
 */
export interface ServerRuntime {
  /** State for an `init` frame. */
  snapshot(): Omit<InitFrame, 'type' | 'seq'>;
  backfill(): BackfillProgress;
  sessions(): SessionSummary[];
  watchedRoots(): WatchedRoot[];
  session(sessionId: string): SessionDetailResponse | undefined;
  /** A page of a session's full history, read from its logs. `undefined` for an unknown session. */
  messages(
    sessionId: string,
    options: { before?: string | undefined; limit: number },
  ): Promise<MessagesPage | undefined>;
  /** Frames to broadcast, in order. Returns the unsubscribe function. */
  subscribe(listener: (frame: UnsequencedFrame) => void): () => void;
  close(): Promise<void>;
}

const IDLE_BACKFILL: BackfillProgress = {
  status: 'idle',
  scannedFiles: 0,
  totalFiles: 0,
  scannedBytes: 0,
  totalBytes: 0,
};

/** A runtime with nothing to watch: what the transport serves before (or without) an engine. */
export function createStaticRuntime(watched: WatchedRoot[] = []): ServerRuntime {
  return {
    snapshot: () => ({
      sessions: [],
      usageTotals: {
        scope: 'all_history',
        totals: { totalTokens: 0, totalCostUsd: 0, runningAgents: 0 },
        byTool: {},
        backfill: IDLE_BACKFILL,
        updatedAt: new Date().toISOString(),
      },
      watchedRoots: watched,
    }),
    backfill: () => IDLE_BACKFILL,
    sessions: () => [],
    watchedRoots: () => watched,
    session: () => undefined,
    messages: async () => undefined,
    subscribe: () => () => {},
    close: async () => {},
  };
}

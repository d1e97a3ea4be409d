import { existsSync, type FSWatcher, statSync, watch } from 'node:fs';
import { dirname } from 'node:path';
import {
  type LogFileInfo,
  type LogFileRef,
  type MessageEvent,
  type NexusAdapter,
  type NormalizedEvent,
  type ParseIssue,
  type RootEnvironment,
  type ScanRootOptions,
  type StoreReader,
  scanRoot,
  type UsageEvent,
} from '@nexus/parsers';
import type { FileCheckpoint } from '@nexus/usage';
import type { PluginErrorCode } from './codes.js';

/** The ledger calls the host needs: the saved cursor of a store, and usage committed with its cursor. */
export interface StoreLedger {
  checkpoint(path: string): FileCheckpoint | undefined;
}

export interface StoreHostLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface StoreHostOptions {
  readonly adapters: readonly NexusAdapter[];
  readonly environment: RootEnvironment;
  readonly ledger: StoreLedger;
  /** Write usage together with the cursor after it (the ledger keeps one row per call). */
  readonly ingestUsage: (events: UsageEvent[], checkpoint: FileCheckpoint) => void;
  /** Events of a live session (messages, metadata, activity). Usage goes to `ingestUsage` only. */
  readonly onSessionEvents?: (file: LogFileRef, events: NormalizedEvent[]) => void;
  readonly onLiveChange?: (file: LogFileRef, live: boolean) => void;
  readonly onIssue?: (issue: ParseIssue) => void;
  readonly logger?: StoreHostLogger;
  /** How often stores are read and liveness checked; changes to the database folder also trigger a read. Default 1 s. */
  readonly pollMs?: number;
  /** Rows per read; the host yields between reads. Default 2000. */
  readonly recordsPerRead?: number;
  /** Watch store folders for changes. Default true. */
  readonly watch?: boolean;
  /** Ask stores which sessions are live. Default true (`nexus usage` only needs the usage). */
  readonly liveness?: boolean;
  /** Look for stores with blocking folder listings (a command-line tool's own thread). Default false. */
  readonly blockingReads?: boolean;
  readonly now?: () => number;
}

interface OpenStore {
  readonly adapter: NexusAdapter;
  readonly path: string;
  readonly root: string;
  readonly key: string;
  reader?: StoreReader;
  cursor?: unknown;
  live: Map<string, LogFileRef>;
  failing?: string;
}

export interface StoreHost {
  /** Find the stores and read them up to now (usage into the ledger, live sessions to the registry). */
  start(): Promise<void>;
  /** Read every store once more now. */
  tick(): Promise<void>;
  /** Is this a session read from a store? */
  owns(sessionId: string): boolean;
  /** Every message of a store session, oldest first. */
  messages(sessionId: string): MessageEvent[] | undefined;
  /** Store files found. */
  paths(): string[];
  close(): Promise<void>;
}

/** Ledger key of a store's cursor: not a file path any line adapter produces. */
export const storeCheckpointKey = (path: string) => `${path}#store`;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function identity(path: string): { dev: string; ino: string } {
  const stats = statSync(path, { bigint: true });
  return { dev: String(stats.dev), ino: String(stats.ino) };
}

/** Store files (e.g. OpenClaw's `openclaw-agent.sqlite`) under the adapters' live roots. */
export async function findStores(
  adapters: readonly NexusAdapter[],
  environment: RootEnvironment,
  scan: ScanRootOptions = {},
): Promise<Array<{ adapter: NexusAdapter; path: string; root: string }>> {
  const found: Array<{ adapter: NexusAdapter; path: string; root: string }> = [];
  for (const adapter of adapters) {
    const store = adapter.store;
    if (!store) continue;
    let roots: ReturnType<NexusAdapter['resolveRoots']> = [];
    try {
      roots = adapter.resolveRoots(environment);
    } catch {
      continue;
    }
    // `scanRoot` walks a root the host's way; the store's classifier stands in for the line one.
    const finder: NexusAdapter = {
      ...adapter,
      classifyFile: (relativePath, root) => {
        const hit = store.classifyStore(relativePath, root);
        return hit ? ({ sessionId: '', kind: 'archive', group: hit.group } satisfies LogFileInfo) : null;
      },
    };
    for (const root of roots) {
      if (root.role !== 'live' || !environment.exists(root.path)) continue;
      for await (const file of scanRoot(finder, root, scan))
        found.push({ adapter, path: file.path, root: root.path });
    }
  }
  return found;
}

/**
 * Reads the adapters' stores (databases holding many sessions) the way the monitor reads log files: usage
 * of every row into the ledger with the store's cursor, the events of live sessions to the registry, and
 * liveness from what each store says. A store that cannot be opened or read is logged and retried on the
 * next tick; it never stops the others.
 */
export function createStoreHost(options: StoreHostOptions): StoreHost {
  const now = options.now ?? Date.now;
  const perRead = options.recordsPerRead ?? 2000;
  const stores = new Map<string, OpenStore>();
  const watchers = new Map<string, FSWatcher>();
  const owners = new Map<string, OpenStore>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const report = (issue: ParseIssue) => options.onIssue?.(issue);
  const warnOnce = (store: OpenStore, code: PluginErrorCode, error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (store.failing === message) return;
    store.failing = message;
    options.logger?.warn(
      { code, path: store.path, adapter: store.adapter.id },
      `[nexus] [stores] ${store.path}: ${message} (will retry)`,
    );
  };
  const refOf = (store: OpenStore, info: LogFileInfo): LogFileRef => ({
    ...info,
    tool: store.adapter.id,
    path: store.path,
    root: store.root,
  });
  const withoutUsage = (events: NormalizedEvent[]) => events.filter((event) => event.type !== 'usage');

  const open = (store: OpenStore): StoreReader | undefined => {
    if (store.reader) return store.reader;
    try {
      store.reader = store.adapter.store!.open(store.path, { report });
      const saved = options.ledger.checkpoint(store.key);
      const current = identity(store.path);
      // A replaced database (other inode) is read from the start; the ledger dedups what it had.
      store.cursor =
        saved && saved.dev === current.dev && saved.ino === current.ino ? saved.state : undefined;
      store.failing = undefined;
      return store.reader;
    } catch (error) {
      warnOnce(store, 'NEXUS_STORE_OPEN_FAILED', error);
      return undefined;
    }
  };

  const readStore = async (store: OpenStore) => {
    const reader = open(store);
    if (!reader) return;
    try {
      // Liveness first: a session that just became live gets its whole transcript; rows read below that
      // repeat part of it are dropped by the registry (message ids).
      const live = new Map(
        (options.liveness === false ? [] : reader.liveSessions(now())).map((info) => [
          info.sessionId,
          refOf(store, info),
        ]),
      );
      for (const [id, file] of live) {
        owners.set(id, store);
        if (store.live.has(id)) continue;
        options.onSessionEvents?.(file, withoutUsage(reader.sessionEvents(id)));
        options.onLiveChange?.(file, true);
      }
      for (const [id, file] of store.live) if (!live.has(id)) options.onLiveChange?.(file, false);
      store.live = live;
      for (;;) {
        const batch = reader.read(store.cursor, { maxRecords: perRead });
        const usage: UsageEvent[] = [];
        for (const session of batch.sessions) {
          owners.set(session.file.sessionId, store);
          for (const event of session.events) if (event.type === 'usage') usage.push(event);
          const file = live.get(session.file.sessionId);
          if (file) {
            const rest = withoutUsage(session.events);
            if (rest.length > 0) options.onSessionEvents?.(file, rest);
          }
        }
        const { dev, ino } = identity(store.path);
        options.ingestUsage(usage, {
          path: store.key,
          tool: store.adapter.id,
          dev,
          ino,
          size: 0,
          mtimeMs: 0,
          offset: (batch.cursor as { rowid?: number } | undefined)?.rowid ?? 0,
          headHash: 'store',
          state: batch.cursor,
        });
        store.cursor = batch.cursor;
        if (!batch.more || closed) break;
        await yieldToEventLoop();
      }
      store.failing = undefined;
    } catch (error) {
      warnOnce(store, 'NEXUS_STORE_READ_FAILED', error);
      // Reopen next time: the file may have been replaced or repaired.
      try {
        store.reader?.close();
      } catch {}
      store.reader = undefined;
    }
  };

  const watchFolder = (path: string) => {
    const folder = dirname(path);
    if (options.watch === false || watchers.has(folder)) return;
    try {
      const watcher = watch(folder, { persistent: false }, () => {
        void tick();
      });
      watcher.on('error', () => watchers.delete(folder));
      watchers.set(folder, watcher);
    } catch {}
  };

  const discover = async () => {
    for (const found of await findStores(options.adapters, options.environment, {
      blockingReads: options.blockingReads === true,
    })) {
      if (stores.has(found.path)) continue;
      stores.set(found.path, { ...found, key: storeCheckpointKey(found.path), live: new Map() });
      watchFolder(found.path);
    }
  };

  /** One pass over every store; passes never overlap (a request during one runs one more after it). */
  const tick = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        for (const store of stores.values()) {
          if (closed) return;
          if (!existsSync(store.path)) continue;
          await readStore(store);
        }
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  let discoveries = 0;
  return {
    async start() {
      await discover();
      await tick();
      // Closed while the first pass ran (a large catch-up): no timer to leave behind.
      if (closed) return;
      timer = setInterval(() => {
        // New agents (new databases) appear rarely: look for them every 15th pass.
        if (++discoveries % 15 === 0) void discover().then(tick);
        else void tick();
      }, options.pollMs ?? 1000);
      timer.unref();
    },
    tick,
    owns: (sessionId) => owners.has(sessionId),
    messages(sessionId) {
      const store = owners.get(sessionId);
      const reader = store && open(store);
      if (!reader) return undefined;
      return reader
        .sessionEvents(sessionId)
        .filter((event): event is MessageEvent => event.type === 'message');
    },
    paths: () => [...stores.keys()],
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      for (const watcher of watchers.values()) watcher.close();
      await running;
      for (const store of stores.values()) store.reader?.close();
    },
  };
}

/** Catch the ledger up with every store once (for `nexus usage`): usage only, no liveness. */
export async function catchUpStores(
  options: Pick<
    StoreHostOptions,
    'adapters' | 'environment' | 'ledger' | 'ingestUsage' | 'logger' | 'onIssue' | 'blockingReads'
  >,
): Promise<number> {
  const host = createStoreHost({ ...options, watch: false, liveness: false });
  await host.start();
  const count = host.paths().length;
  await host.close();
  return count;
}

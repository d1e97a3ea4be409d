import { existsSync, type FSWatcher, statSync, watch as watchFile } from 'node:fs';
import { stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import {
  type AdapterRoot,
  type LogFileRef,
  listRoot,
  logFileAt,
  type NexusAdapter,
  type ParseIssue,
  type RootEnvironment,
} from '@nexus/parsers';
import { decideLiveFiles, isLockHeld, type LiveCandidate } from './live-discovery.js';
import { createProcessScanner, type ProcessLister } from './process-scanner.js';
import { type FileEvent, type RootWatcher, watchRoots } from './root-watcher.js';
import { type TailBatch, type TailCheckpoint, TailReader } from './tail-reader.js';

/** Stats in flight at once during discovery. */
const STATS_AT_ONCE = 64;

/**
 * Modification times of `files` (undefined for one gone), side by side: one at a time, each stat waited
 * behind the root watcher's own in the thread pool.
 */
async function mtimesInBatches(files: readonly LogFileRef[]): Promise<Array<number | undefined>> {
  const mtimes: Array<number | undefined> = [];
  for (let start = 0; start < files.length; start += STATS_AT_ONCE) {
    const batch = files.slice(start, start + STATS_AT_ONCE);
    for (const stats of await Promise.all(batch.map((file) => stat(file.path).catch(() => undefined))))
      mtimes.push(stats?.mtimeMs);
  }
  return mtimes;
}

/** Logs among a root's listed files, with their modification times (undefined for one gone). */
interface ListedLogs {
  readonly files: LogFileRef[];
  readonly mtimes: Array<number | undefined>;
}

/** Later walks: classified at once, stat'ed through the thread pool (see {@link mtimesInBatches}). */
async function logsOf(
  adapter: NexusAdapter,
  root: AdapterRoot,
  listed: readonly string[],
): Promise<ListedLogs> {
  const files = listed.flatMap((path) => logFileAt(adapter, root, path) ?? []);
  return { files, mtimes: await mtimesInBatches(files) };
}

/**
 * Paths the first walk classifies and stats per turn of the event loop (~6 ms of work here). The first walk
 * blocks (see `walk`), but over a history of tens of thousands of logs one piece would hold the server's
 * thread for seconds, the dashboard's first requests waiting behind it.
 */
const FIRST_WALK_PATHS_PER_TURN = 512;

/** The first walk: blocking stats, a slice of paths per event-loop turn. */
async function logsOfInTurns(
  adapter: NexusAdapter,
  root: AdapterRoot,
  listed: readonly string[],
): Promise<ListedLogs> {
  const files: LogFileRef[] = [];
  const mtimes: Array<number | undefined> = [];
  for (let start = 0; start < listed.length; start += FIRST_WALK_PATHS_PER_TURN) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const path of listed.slice(start, start + FIRST_WALK_PATHS_PER_TURN)) {
      const file = logFileAt(adapter, root, path);
      if (!file) continue;
      files.push(file);
      try {
        mtimes.push(statSync(path, { throwIfNoEntry: false })?.mtimeMs);
      } catch {
        // Unreadable (permissions, a path component replaced by a file): not a log to follow.
        mtimes.push(undefined);
      }
    }
  }
  return { files, mtimes };
}

export interface MonitorClock {
  now(): number;
}

export interface MonitorOptions {
  readonly adapters: readonly NexusAdapter[];
  readonly environment: RootEnvironment;
  /** New events of a live file, in file order. */
  readonly onBatch: (batch: TailBatch) => void;
  /** A file became live, or stopped being live. */
  readonly onLiveChange?: (file: LogFileRef, live: boolean) => void;
  readonly onIssue?: (issue: ParseIssue) => void;
  readonly onWarning?: (message: string) => void;
  readonly clock?: MonitorClock;
  readonly processLister?: ProcessLister;
  /** Discovery period. Default 15 s (DESIGN §4). */
  readonly scanIntervalMs?: number;
  /**
   * Every how many periodic discoveries walk the roots and stat every log. The others reuse the last
   * walk's logs, with the modification times the watcher reported since (lock files are read every
   * time). Default 4: a walk a minute. Without a watcher every discovery walks.
   */
  readonly walkEvery?: number;
  /**
   * Live files are also checked this often, in case a file-system event was coalesced away (rapid
   * appends can raise one event for several writes). Default 1 s; 0 turns it off.
   */
  readonly pollLiveMs?: number;
  /** Where to resume a file (e.g. from the usage ledger); default read from 0. */
  readonly checkpoint?: (path: string) => TailCheckpoint | undefined;
  /** Watch for changes with chokidar. Default true (tests of discovery alone turn it off). */
  readonly watch?: boolean;
  readonly usePolling?: boolean;
  readonly maxLineBytes?: number;
}

export interface WatchedRootInfo {
  readonly tool: string;
  readonly displayName: string;
  readonly path: string;
  readonly exists: boolean;
}

export interface Monitor {
  /** First discovery and reads; resolves when the live files have been read once. */
  start(): Promise<void>;
  /** Run discovery now (the timer does it every `scanIntervalMs`). */
  scan(): Promise<void>;
  close(): Promise<void>;
  liveFiles(): LogFileRef[];
  watchedRoots(): WatchedRootInfo[];
}

interface RootEntry {
  readonly adapter: NexusAdapter;
  readonly root: AdapterRoot;
}

/**
 * Watches every adapter's roots, decides which logs are live sessions, tails them and hands their events
 * to the host in file order. The host (the server) connects the batches to the session registry and the
 * usage ledger.
 */
export function createMonitor(options: MonitorOptions): Monitor {
  const clock = options.clock ?? { now: Date.now };
  const lister =
    options.processLister ?? createProcessScanner(options.onWarning ? { onWarning: options.onWarning } : {});
  const roots: RootEntry[] = options.adapters.flatMap((adapter) =>
    adapter
      .resolveRoots(options.environment)
      .filter((root) => root.role === 'live')
      .map((root) => ({ adapter, root })),
  );
  const readers = new Map<string, TailReader>();
  const live = new Map<string, LogFileRef>();
  let closed = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let poller: ReturnType<typeof setInterval> | undefined;
  const sizes = new Map<string, number>();
  const inodes = new Map<string, number>();
  // chokidar throttles change events to one per 50 ms per file and drops the rest; a live file gets
  // its own unthrottled watcher so every append is read within milliseconds.
  const fileWatchers = new Map<string, FSWatcher>();

  const watchLiveFile = (path: string): void => {
    if (options.watch === false || fileWatchers.has(path)) return;
    try {
      const watcher = watchFile(path, { persistent: false }, (event) => {
        void read(path, event === 'rename');
        // A rename replaced the file: the watcher follows the old inode, so watch the path anew.
        if (event === 'rename') {
          unwatchLiveFile(path);
          if (live.has(path) && existsSync(path)) watchLiveFile(path);
        }
      });
      watcher.on('error', () => unwatchLiveFile(path));
      fileWatchers.set(path, watcher);
      // chokidar would stat the file on every append too; its directory watch still reports new files.
      rootWatcher?.ignoreFile(path);
    } catch {
      // The file vanished between discovery and now; discovery will notice.
    }
  };
  const unwatchLiveFile = (path: string): void => {
    const own = fileWatchers.get(path);
    if (!own) return;
    own.close();
    fileWatchers.delete(path);
    if (!closed) rootWatcher?.restoreFile(path);
  };
  let rootWatcher: RootWatcher | undefined;
  let scanning: Promise<void> | undefined;
  /** What the last walk found per adapter: its logs (kept current by watcher events and reads) and lock files. */
  const walked = new Map<string, { logs: Map<string, LiveCandidate>; locks: string[] }>();

  const classify = (path: string): { entry: RootEntry; file: LogFileRef } | undefined => {
    for (const entry of roots) {
      if (!path.startsWith(entry.root.path + sep)) continue;
      const relativePath = relative(entry.root.path, path).split(sep).join('/');
      const info = entry.adapter.classifyFile(relativePath, entry.root);
      if (info) return { entry, file: { ...info, tool: entry.adapter.id, path, root: entry.root.path } };
    }
    return undefined;
  };

  const read = async (path: string, verify = false): Promise<void> => {
    const reader = readers.get(path);
    if (!reader || closed) return;
    try {
      const batch = await reader.read({ verify });
      if (batch) {
        const before = sizes.get(path);
        // Grown: written just now, for discoveries that reuse the last walk (the watcher leaves a followed
        // file to its own watch, so no event says so).
        if (before !== undefined && before !== batch.checkpoint.size) {
          walked.get(reader.file.tool)?.logs.set(path, { file: reader.file, mtimeMs: clock.now() });
        }
        sizes.set(path, batch.checkpoint.size);
        inodes.set(path, batch.checkpoint.ino);
      }
      if (batch && batch.events.length > 0 && !closed) options.onBatch(batch);
      if (reader.vanished) setLive(reader.file, false);
    } catch (error) {
      options.onWarning?.(`[nexus] [monitors] could not read ${path}: ${(error as Error).message}`);
    }
  };

  const setLive = (file: LogFileRef, isLive: boolean): void => {
    if (isLive === live.has(file.path)) return;
    if (isLive) {
      live.set(file.path, file);
      watchLiveFile(file.path);
    } else {
      live.delete(file.path);
      void readers.get(file.path)?.close();
      readers.delete(file.path);
      sizes.delete(file.path);
      inodes.delete(file.path);
      unwatchLiveFile(file.path);
    }
    options.onLiveChange?.(file, isLive);
  };

  const follow = (entry: RootEntry, file: LogFileRef): void => {
    // A discovery still running when the monitor closes finds files it must not open any more.
    if (closed) return;
    if (!readers.has(file.path)) {
      readers.set(
        file.path,
        new TailReader({
          adapter: entry.adapter,
          file,
          checkpoint: options.checkpoint?.(file.path),
          ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
          ...(options.onIssue ? { onIssue: options.onIssue } : {}),
        }),
      );
    }
    setLive(file, true);
  };

  const walk = async (
    adapter: NexusAdapter,
  ): Promise<{ logs: Map<string, LiveCandidate>; locks: string[] }> => {
    const logs = new Map<string, LiveCandidate>();
    const locks: string[] = [];
    // The first walk blocks this thread (~150 ms over 4,453 logs here, in the server's first second, in
    // pieces of at most one root's listing or 512 paths): at start the watcher's own initial scan fills the
    // thread pool, and the same listing and stats through it took 1.1–1.2 s, sessions reaching the wall
    // that much later. Later walks share the pool.
    const first = !walked.has(adapter.id);
    for (const entry of roots.filter((item) => item.adapter === adapter)) {
      const listed = await listRoot(entry.root, { blockingReads: first });
      const { files, mtimes } = first
        ? await logsOfInTurns(adapter, entry.root, listed)
        : await logsOf(adapter, entry.root, listed);
      files.forEach((file, index) => {
        const mtimeMs = mtimes[index];
        if (mtimeMs !== undefined) logs.set(file.path, { file, mtimeMs });
      });
      // A lock the listing does not hold is not opened: most logs have none.
      const present = new Set(listed);
      for (const file of files) {
        const lock = adapter.liveness.lockFileFor?.(file.path);
        if (lock && present.has(lock)) locks.push(lock);
      }
    }
    return { logs, locks };
  };

  const runScan = async (walkRoots: boolean): Promise<void> => {
    const names = [...new Set(options.adapters.flatMap((adapter) => adapter.liveness.processNames))];
    const openFiles = await lister.openLogFiles(names).catch(() => new Set<string>());
    const now = clock.now();
    const stillLive = new Set<string>();
    for (const adapter of options.adapters) {
      let found = walkRoots ? undefined : walked.get(adapter.id);
      if (!found) {
        found = await walk(adapter);
        walked.set(adapter.id, found);
      }
      const heldLocks = new Set<string>();
      for (const lock of found.locks) {
        if (await isLockHeld(lock, now, adapter.liveness.lockStaleMs ?? 30 * 60_000)) heldLocks.add(lock);
      }
      const candidates = [...found.logs.values()];
      const decided = decideLiveFiles(adapter, candidates, { now, openFiles, heldLocks });
      for (const candidate of candidates) {
        if (!decided.has(candidate.file.path)) continue;
        stillLive.add(candidate.file.path);
        const entry = roots.find(
          (item) => item.adapter === adapter && item.root.path === candidate.file.root,
        );
        if (entry) follow(entry, candidate.file);
      }
    }
    for (const file of [...live.values()]) if (!stillLive.has(file.path)) setLive(file, false);
    await Promise.all([...readers.keys()].map((path) => read(path)));
  };

  let scanningWalks = false;
  let walkAfter: Promise<void> | undefined;
  const scan = (walkRoots = true): Promise<void> => {
    if (closed) return Promise.resolve();
    // One discovery at a time; a call during one waits for it, or for a walk right after it when it asks
    // for a walk and the running one does not make one.
    if (!scanning) {
      scanningWalks = walkRoots;
      scanning = runScan(walkRoots).finally(() => {
        scanning = undefined;
      });
      return scanning;
    }
    if (!walkRoots || scanningWalks) return scanning;
    walkAfter ??= scanning
      .catch(() => {})
      .then(() => {
        walkAfter = undefined;
        return scan(true);
      });
    return walkAfter;
  };

  const onFile = (event: FileEvent, path: string): void => {
    if (closed) return;
    const logPath = path.endsWith('.lock') ? path.slice(0, -'.lock'.length) : path;
    const found = classify(logPath);
    if (!found || found.file.kind === 'archive') return;
    const known = walked.get(found.entry.adapter.id);
    if (event === 'unlink' && logPath === path) {
      known?.logs.delete(path);
      void read(path);
      return;
    }
    if (path !== logPath) {
      // A lock came or went: liveness is for discovery to decide.
      void scan();
      return;
    }
    // A log just written to is recently modified, hence live (and so it stays for discoveries that reuse
    // the last walk).
    known?.logs.set(path, { file: found.file, mtimeMs: clock.now() });
    follow(found.entry, found.file);
    void read(path);
  };

  return {
    async start() {
      if (options.watch !== false) {
        rootWatcher = watchRoots({
          roots: roots.map((entry) => entry.root.path),
          onFile,
          onRootAppeared: () => void scan(),
          onError: (error) => options.onWarning?.(`[nexus] [monitors] watcher error: ${error.message}`),
          ...(options.usePolling === undefined ? {} : { usePolling: options.usePolling }),
        });
      }
      await scan();
      // Closed during the first discovery (a server stopped while starting): no timers to leak.
      if (closed) return;
      // Without a watcher no event keeps the last walk current: every discovery walks.
      const walkEvery = options.watch === false ? 1 : Math.max(1, Math.trunc(options.walkEvery ?? 4));
      let discoveries = 0;
      timer = setInterval(() => void scan(++discoveries % walkEvery === 0), options.scanIntervalMs ?? 15_000);
      timer.unref();
      const pollMs = options.pollLiveMs ?? 1000;
      if (pollMs > 0) {
        poller = setInterval(() => {
          for (const path of readers.keys()) {
            void stat(path).then(
              (stats) => {
                if (stats.size !== sizes.get(path) || stats.ino !== inodes.get(path)) void read(path, true);
              },
              () => void read(path, true),
            );
          }
        }, pollMs);
        poller.unref();
      }
    },
    scan,
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      if (poller) clearInterval(poller);
      await Promise.all([...readers.values()].map((reader) => reader.close()));
      for (const path of [...fileWatchers.keys()]) unwatchLiveFile(path);
      await rootWatcher?.close();
      await scanning?.catch(() => {});
    },
    liveFiles: () => [...live.values()],
    watchedRoots: () =>
      roots.map(({ adapter, root }) => ({
        tool: adapter.id,
        displayName: adapter.displayName,
        path: root.path,
        exists: existsSyncSafe(root.path),
      })),
  };
}

function existsSyncSafe(path: string): boolean {
  try {
    return existsSync(path);
  } catch {
    return false;
  }
}

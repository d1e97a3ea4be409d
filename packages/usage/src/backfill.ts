import { type Stats, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import {
  type AdapterRoot,
  type LogFileRef,
  listRoot,
  logFileAt,
  type NexusAdapter,
  type NormalizedEvent,
  type ParseIssue,
  type RootEnvironment,
  readLogFile,
  scanRoot,
} from '@nexus/parsers';
import type { BackfillProgress } from '@nexus/protocol';
import type { WorkerReply, WorkerTask } from './backfill-worker.js';
import { appendCalls, type CallRow } from './call-row.js';
import { silentLogger, type UsageLogger } from './errors.js';
import { HEAD_BYTES, headHash, headMatches } from './file-head.js';
import { checkpointStamp, type FileCheckpoint, type UsageLedger } from './ledger.js';
import { type PackedCalls, unpackCalls } from './packed-calls.js';

/** One batch from the reader: events of complete lines, and where to resume after them. */
export interface LogBatch {
  readonly events: readonly NormalizedEvent[];
  readonly resumeOffset: number;
  readonly state: unknown;
}

/** Options the reader takes for one file. */
export interface ReadLogFileOptions {
  readonly startOffset: number;
  readonly state?: unknown;
  readonly usageOnly: boolean;
  readonly onIssue?: (issue: ParseIssue) => void;
}

/**
 * The file reader of `@nexus/parsers` (`scanRoot`, `readLogFile`). Injectable so tests and hosts
 * with their own I/O can drive the engine; the default is the parsers' own.
 */
export interface BackfillReader {
  scanRoot(
    adapter: NexusAdapter,
    root: AdapterRoot,
    options?: { readonly blockingReads?: boolean },
  ): AsyncIterable<LogFileRef>;
  readLogFile(adapter: NexusAdapter, file: LogFileRef, options: ReadLogFileOptions): AsyncIterable<LogBatch>;
}

/** Options of {@link runBackfill}. */
export interface BackfillOptions {
  readonly ledger: UsageLedger;
  readonly adapters: readonly NexusAdapter[];
  readonly environment: RootEnvironment;
  readonly signal?: AbortSignal;
  /** Called when work starts, at most every `progressIntervalMs` while it runs, and at the end. */
  readonly onProgress?: (progress: BackfillProgress) => void;
  readonly progressIntervalMs?: number;
  /** Default: `scanRoot`/`readLogFile` from `@nexus/parsers`. */
  readonly reader?: BackfillReader;
  readonly logger?: UsageLogger;
  /** Parse issues of the logs (bad lines), for diagnostics. */
  readonly onIssue?: (issue: ParseIssue) => void;
  /** Commit once this many calls are queued (default 10,000; a key's repeats in one read count once)… */
  readonly eventsPerCommit?: number;
  /** …or this long after the previous commit (default 1 s), whichever comes first. */
  readonly commitIntervalMs?: number;
  /**
   * List folders with blocking calls (default false): several times faster over hundreds of folders, for a
   * command-line catch-up; a server keeps its main thread free for live sessions.
   */
  readonly blockingIo?: boolean;
  /**
   * Parse the built-in adapters' files in this many worker threads (default 0: in this thread).
   * Other adapters, and any custom `reader`, always run in this thread.
   */
  readonly workers?: number;
}

/** Result of {@link runBackfill}. */
export interface BackfillResult extends BackfillProgress {
  /** True when `signal` stopped the run; everything committed so far is kept and resumes next time. */
  readonly aborted: boolean;
  /** Files that could not be read (logged); they are retried on the next run. */
  readonly failedFiles: number;
  /** Files re-read from zero because they shrank or were replaced. */
  readonly restartedFiles: number;
}

/**
 * Device and inode as exact decimal strings. A plain stat gives them as doubles, exact below 2^53 (every
 * local file system seen); only beyond that is the file asked again for BigInts, which cost a third of
 * the stat time of a catch-up when asked for every file.
 */
function exactIds(path: string, st: Stats): { dev: string; ino: string } {
  if (Number.isSafeInteger(st.dev) && Number.isSafeInteger(st.ino)) {
    return { dev: String(st.dev), ino: String(st.ino) };
  }
  const big = statSync(path, { bigint: true });
  return { dev: String(big.dev), ino: String(big.ino) };
}

/**
 * The stamp a checkpoint has when `tool` read the file as `stat` sees it now to its end: a file whose
 * checkpoint has this stamp (same inode, size and mtime, fully read) is skipped without opening it.
 */
function readToEndStamp(tool: string, dev: string, ino: string, size: number, mtimeMs: number): string {
  return checkpointStamp({ tool, dev, ino, size, mtimeMs, offset: size });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * Worker threads for a backfill on a machine with `cores` logical cores: one beside the thread that
 * commits, and a second once a core is free for it. In a cold backfill of mostly Claude Code logs the
 * committing thread waits 0.85 of 2.0 s, which a second worker fills (1.92 → 1.69 s on two cores); with
 * all three tools on two cores it only added CPU (+0.8 s user, the same wall time), so it waits for a
 * third core. One core: none (parse in the committing thread).
 */
export function backfillWorkerCount(cores: number = availableParallelism()): number {
  if (cores >= 3) return 2;
  return cores === 2 ? 1 : 0;
}

/** The parsers' own reader: the default of {@link BackfillOptions.reader}. */
export const parsersReader: BackfillReader = { scanRoot, readLogFile };

interface Prepared {
  readonly startOffset: number;
  readonly state: unknown;
  /**
   * Bytes of the file's head the worker hashes for its checkpoint (a file read from zero in the pool),
   * else 0: the head is known here. Until the worker's hash arrives the file has no checkpoint queued.
   */
  readonly headBytes: number;
  /** The checkpoint after `offset`, once the head hash is known; queued with the events before it. */
  readonly checkpointAt: (offset: number, state: unknown) => FileCheckpoint;
  /** The worker's head hash; true when it was not known before. */
  receiveHead(head: string): boolean;
}

/** Where a file resumes, with the parser state there. */
interface FilePosition {
  readonly resumeOffset: number;
  readonly state: unknown;
}

/** A worker started before the pool needed it, with what went wrong before the pool took it. */
interface SpareWorker {
  readonly worker: Worker;
  error?: unknown;
}

function spawnSpare(): SpareWorker {
  const spare: SpareWorker = { worker: spawnWorker() };
  spare.worker.once('error', (err) => {
    spare.error ??= err;
  });
  return spare;
}

interface PoolHooks {
  prepare(item: PlannedFile): Promise<Prepared | null>;
  begin(item: PlannedFile, startOffset: number): void;
  /** Calls a worker read, queued before the file positions reported with them. */
  onCalls(calls: PackedCalls): void;
  onBatch(item: PlannedFile, prepared: Prepared, batch: FilePosition, head?: string): void;
  /** A file the worker finished; `head` when it hashed the head (the file may have yielded no batch). */
  onDone(item: PlannedFile, prepared: Prepared, head?: string): void;
  onEnd(item: PlannedFile, err?: unknown): void;
  afterMessage(): void;
  skip(item: PlannedFile): void;
  readonly signal?: AbortSignal;
}

function spawnWorker(): Worker {
  // Loaded on first use: a caught-up ledger starts no thread, and `nexus usage` pays for every module.
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  if (import.meta.url.endsWith('.ts')) {
    // Running from TypeScript sources (tests): register tsx in the worker, then load the source.
    const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
    const tsx = new URL('dist/esm/api/index.mjs', pathToFileURL(tsxPackage)).href;
    const source = new URL('./backfill-worker.ts', import.meta.url).href;
    return new Worker(
      `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`,
      {
        eval: true,
        execArgv: ['--conditions=@nexus/source'],
      },
    );
  }
  return new Worker(new URL('./backfill-worker.js', import.meta.url));
}

/**
 * Parse files in worker threads (built-in adapters only) while this thread commits their rows.
 * Resolves true when aborted.
 */
async function runPool(
  items: readonly PlannedFile[],
  count: number,
  hooks: PoolHooks,
  spare: SpareWorker[],
): Promise<boolean> {
  // Started on the first file that needs reading (unless started early, `spare`): a caught-up ledger
  // reads none, and a thread costs tens of milliseconds to start.
  const workers: Worker[] = [];
  const tasks = new Map<number, { item: PlannedFile; prepared: Prepared; worker: Worker }>();
  const load = new Map<Worker, number>();
  let next = 0;
  let taskIds = 0;
  let settled = false;
  try {
    return await new Promise<boolean>((resolve, reject) => {
      let pumping = false;
      let again = false;
      const finishIfIdle = () => {
        if (!settled && !pumping && next >= items.length && tasks.size === 0) {
          settled = true;
          resolve(false);
        }
      };
      // One pump at a time: a file is counted as in flight from the moment it is taken, so the run
      // cannot look finished while a file is still being prepared.
      const pump = async (): Promise<void> => {
        if (pumping) {
          again = true;
          return;
        }
        pumping = true;
        try {
          do {
            again = false;
            while (!settled && next < items.length) {
              // A deep queue keeps workers parsing while this thread is inside a commit.
              if (workers.length > 0 && workers.every((w) => (load.get(w) ?? 0) >= QUEUE_PER_WORKER)) break;
              const item = items[next++]!;
              let prepared: Prepared | null = null;
              try {
                prepared = await hooks.prepare(item);
                if (!prepared) hooks.skip(item);
              } catch (err) {
                hooks.onEnd(item, err);
              }
              if (!prepared || settled) continue;
              if (workers.length === 0) {
                for (let i = 0; i < count; i++) startWorker();
              }
              const worker = workers.reduce((a, b) => ((load.get(a) ?? 0) <= (load.get(b) ?? 0) ? a : b));
              load.set(worker, (load.get(worker) ?? 0) + 1);
              hooks.begin(item, prepared.startOffset);
              const taskId = ++taskIds;
              tasks.set(taskId, { item, prepared, worker });
              const task: WorkerTask = {
                taskId,
                adapterId: item.adapter.id,
                file: item.file,
                startOffset: prepared.startOffset,
                state: prepared.state,
                headBytes: prepared.headBytes,
              };
              worker.postMessage(task);
            }
          } while (again && !settled);
        } finally {
          pumping = false;
        }
        finishIfIdle();
      };
      const onAbort = () => {
        if (settled) return;
        settled = true;
        resolve(true);
      };
      hooks.signal?.addEventListener('abort', onAbort, { once: true });
      if (hooks.signal?.aborted) return onAbort();
      function startWorker(): void {
        const early = spare.shift();
        const worker = early?.worker ?? spawnWorker();
        workers.push(worker);
        load.set(worker, 0);
        if (early?.error !== undefined) {
          settled = true;
          reject(early.error);
        }
        worker.on('message', (reply: WorkerReply) => {
          if (settled) return;
          try {
            // The calls first: every file position in the report is after calls it already covers.
            hooks.onCalls(reply.calls);
            let ended = false;
            for (const file of reply.files) {
              const task = tasks.get(file.taskId);
              if (!task) continue;
              if (file.resumeOffset !== undefined) {
                hooks.onBatch(
                  task.item,
                  task.prepared,
                  { resumeOffset: file.resumeOffset, state: file.state },
                  file.head,
                );
              }
              if (!file.done) continue;
              if (file.error === undefined) hooks.onDone(task.item, task.prepared, file.head);
              tasks.delete(file.taskId);
              load.set(worker, (load.get(worker) ?? 1) - 1);
              hooks.onEnd(task.item, file.error === undefined ? undefined : new Error(file.error));
              ended = true;
            }
            if (ended) void pump().catch(reject);
            hooks.afterMessage();
          } catch (err) {
            settled = true;
            reject(err);
          }
        });
        worker.on('error', (err) => {
          if (!settled) {
            settled = true;
            reject(err);
          }
        });
      }
      void pump().catch(reject);
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

// Files queued per worker. A commit holds this thread for up to a few hundred milliseconds, in which a
// worker parses tens of megabytes: with 16 files queued it sat idle (cold 500 MB: 5.1-5.4 s), with 256
// it does not (3.5-3.7 s, same peak RSS).
const QUEUE_PER_WORKER = 256;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

interface PlannedFile {
  readonly adapter: NexusAdapter;
  readonly file: LogFileRef;
  readonly size: number;
  readonly dev: string;
  readonly ino: string;
  readonly mtimeMs: number;
}

/**
 * Catch the ledger up with every log under every adapter's roots. Each file resumes from its
 * checkpoint when it is the same file (device, inode, head bytes) and has not shrunk; otherwise it is
 * re-read from zero, and the ledger's max-upsert keeps that from counting twice — for calls whose keys
 * the logs name (Claude Code's message and request ids, OpenClaw's entry ids). Codex calls, and OpenClaw
 * lines without ids, are keyed by their byte offset, so a rewrite that moves lines (a file replaced by
 * its own tail, say) counts them again; append-only logs never do that. Rows and checkpoints
 * commit together in batches, and the loop yields to the event loop between batches so live work
 * is never starved.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const { ledger, signal } = options;
  const logger = options.logger ?? silentLogger;
  const reader = options.reader ?? parsersReader;
  const perCommit = options.eventsPerCommit ?? 10_000;
  const commitMs = options.commitIntervalMs ?? 1000;
  const interval = options.progressIntervalMs ?? 100;
  const progress = {
    status: 'running' as BackfillProgress['status'],
    scannedFiles: 0,
    totalFiles: 0,
    scannedBytes: 0,
    totalBytes: 0,
  };
  let lastEmit = 0;
  const emit = (force = false) => {
    const now = Date.now();
    if (!options.onProgress || (!force && now - lastEmit < interval)) return;
    lastEmit = now;
    options.onProgress({ ...progress });
  };
  let failedFiles = 0;
  let restartedFiles = 0;
  const finish = (aborted: boolean): BackfillResult => {
    progress.status = aborted ? 'idle' : 'done';
    emit(true);
    return { ...progress, aborted, failedFiles, restartedFiles };
  };
  emit(true);

  const workerCount = options.reader ? 0 : Math.max(0, options.workers ?? 0);
  const stamps = ledger.checkpointStamps();
  // A ledger that has read no file yet reads them all: its workers load their modules while this thread
  // lists the folders, instead of after.
  const spare = workerCount > 0 && stamps.size === 0 ? Array.from({ length: workerCount }, spawnSpare) : [];
  try {
    return await backfillPlanned();
  } finally {
    // Those the pool took are terminated already; terminating again is harmless.
    await Promise.all(spare.map(({ worker }) => worker.terminate()));
  }

  async function backfillPlanned(): Promise<BackfillResult> {
    // Plan first, so progress has totals from the start.
    const blocking = options.blockingIo === true;
    const planned: PlannedFile[] = [];
    const seen = new Set<string>();
    for (const adapter of options.adapters) {
      let roots: readonly AdapterRoot[];
      try {
        roots = adapter.resolveRoots(options.environment);
      } catch (err) {
        logger.warn(
          { code: 'NEXUS_USAGE_BACKFILL_FILE', adapter: adapter.id, err },
          '[nexus] [usage] resolveRoots failed',
        );
        continue;
      }
      const toolPrefix = `${adapter.id}\n`;
      for (const root of roots) {
        if (!options.environment.exists(root.path)) continue;
        try {
          // The parsers' reader lists a root's files without classifying them: a file this adapter has a
          // checkpoint of is one of its logs already, and one unchanged since then needs only its stat.
          const entries: readonly (string | LogFileRef)[] = options.reader
            ? await collect(reader.scanRoot(adapter, root, { blockingReads: blocking }))
            : await listRoot(root, { blockingReads: blocking });
          for (const entry of entries) {
            if (signal?.aborted) return finish(true);
            const path = typeof entry === 'string' ? entry : entry.path;
            if (seen.has(path)) continue;
            const stamp = stamps.get(path);
            // A checkpoint this adapter wrote: the file is one of its logs already.
            const mine = stamp?.startsWith(toolPrefix) === true;
            let file = typeof entry === 'string' ? undefined : entry;
            if (!mine) {
              file ??= logFileAt(adapter, root, path);
              // Not this adapter's log: another adapter whose roots hold it too may still take it.
              if (!file) continue;
            }
            let st: Stats;
            try {
              // Synchronous: a cached inode lookup, far cheaper than a thread-pool round trip per file.
              st = statSync(path);
            } catch {
              // Deleted between the listing and the stat: its history (if any) stays in the ledger.
              continue;
            }
            const { dev, ino } = exactIds(path, st);
            // Whole milliseconds, as checkpoints have always recorded them (from BigInt stats).
            const mtimeMs = Math.trunc(st.mtimeMs);
            if (mine && stamp === readToEndStamp(adapter.id, dev, ino, st.size, mtimeMs)) {
              seen.add(path);
              progress.totalFiles++;
              progress.totalBytes += st.size;
              progress.scannedFiles++;
              progress.scannedBytes += st.size;
              continue;
            }
            file ??= logFileAt(adapter, root, path);
            if (!file) continue;
            seen.add(path);
            progress.totalFiles++;
            progress.totalBytes += st.size;
            planned.push({ adapter, file, size: st.size, dev, ino, mtimeMs });
          }
        } catch (err) {
          logger.warn(
            { code: 'NEXUS_USAGE_BACKFILL_FILE', adapter: adapter.id, root: root.path, err },
            '[nexus] [usage] scanning a root failed',
          );
        }
        emit();
      }
    }
    emit(true);

    // Rows and checkpoints of several files share a transaction: one commit per file would make
    // SQLite rewrite the same index pages (and checkpoint the WAL) hundreds of times.
    let pendingCalls: CallRow[] = [];
    const pendingCheckpoints = new Map<string, FileCheckpoint>();
    let lastCommit = Date.now();
    const flush = () => {
      if (pendingCalls.length === 0 && pendingCheckpoints.size === 0) return;
      ledger.ingestCalls(pendingCalls, [...pendingCheckpoints.values()]);
      pendingCalls = [];
      pendingCheckpoints.clear();
      lastCommit = Date.now();
    };
    const due = () =>
      pendingCalls.length >= perCommit ||
      pendingCheckpoints.size >= 256 ||
      Date.now() - lastCommit >= commitMs;

    /** Where to start a file, or null when it is unchanged since its checkpoint. */
    // In the pool a file read from zero has its head hashed by the worker, beside its first read: three
    // thread-pool round trips per file on this thread were a tenth of a cold backfill's time here.
    const prepare = async (item: PlannedFile, headInWorker = false): Promise<Prepared | null> => {
      const { file, size } = item;
      const cp = stamps.has(file.path) ? ledger.checkpoint(file.path) : undefined;
      const sameFile = cp !== undefined && cp.dev === item.dev && cp.ino === item.ino;
      if (cp && checkpointStamp(cp) === readToEndStamp(cp.tool, item.dev, item.ino, size, item.mtimeMs))
        return null;
      let startOffset = 0;
      let state: unknown;
      let head: string | undefined;
      let headBytes = 0;
      if (cp && sameFile && size >= cp.offset && (await headMatches(file.path, cp.headHash))) {
        startOffset = cp.offset;
        state = cp.state;
        head =
          size >= HEAD_BYTES && cp.headHash.startsWith(`${HEAD_BYTES}:`)
            ? cp.headHash
            : await headHash(file.path, size);
      } else {
        if (cp) restartedFiles++;
        if (headInWorker && size > 0) headBytes = Math.min(size, HEAD_BYTES);
        else head = await headHash(file.path, size);
      }
      const checkpointAt = (offset: number, parserState: unknown): FileCheckpoint => {
        if (head === undefined) throw new Error(`[nexus] [usage] no head hash yet for ${file.path}`);
        return {
          path: file.path,
          tool: item.adapter.id,
          dev: item.dev,
          ino: item.ino,
          size,
          mtimeMs: item.mtimeMs,
          offset,
          headHash: head,
          state: parserState,
        };
      };
      // Written even when the file has no usage, so a warm restart skips it.
      if (head !== undefined) pendingCheckpoints.set(file.path, checkpointAt(startOffset, state));
      const receiveHead = (value: string): boolean => {
        if (head !== undefined) return false;
        head = value;
        return true;
      };
      return { startOffset, state, headBytes, checkpointAt, receiveHead };
    };
    const fileBase = new Map<string, number>();
    /** A batch's calls are queued: its checkpoint trails them, so any commit is consistent. */
    const queued = (item: PlannedFile, prepared: Prepared, batch: FilePosition) => {
      pendingCheckpoints.set(item.file.path, prepared.checkpointAt(batch.resumeOffset, batch.state));
      progress.scannedBytes += Math.min(batch.resumeOffset, item.size) - (fileBase.get(item.file.path) ?? 0);
      fileBase.set(item.file.path, Math.min(batch.resumeOffset, item.size));
    };
    const onBatch = (item: PlannedFile, prepared: Prepared, batch: FilePosition, head?: string) => {
      if (head !== undefined) prepared.receiveHead(head);
      queued(item, prepared, batch);
    };
    const onEnd = (item: PlannedFile, err?: unknown) => {
      if (err !== undefined) {
        failedFiles++;
        logger.warn(
          { code: 'NEXUS_USAGE_BACKFILL_FILE', path: item.file.path, err },
          '[nexus] [usage] a log file could not be read during backfill; it will be retried next time',
        );
      }
      progress.scannedFiles++;
      progress.scannedBytes += item.size - (fileBase.get(item.file.path) ?? 0);
      fileBase.delete(item.file.path);
    };
    const onDone = (item: PlannedFile, prepared: Prepared, head?: string) => {
      // A file that gave no batch (emptied since it was listed) still gets its checkpoint.
      if (head !== undefined && prepared.receiveHead(head)) {
        pendingCheckpoints.set(item.file.path, prepared.checkpointAt(prepared.startOffset, prepared.state));
      }
    };
    const begin = (item: PlannedFile, startOffset: number) => {
      progress.scannedBytes += startOffset;
      fileBase.set(item.file.path, startOffset);
    };

    const builtin = new Set(['claude-code', 'codex', 'openclaw']);
    const inPool = workerCount > 0 ? planned.filter((p) => builtin.has(p.adapter.id)) : [];
    const inThread = workerCount > 0 ? planned.filter((p) => !builtin.has(p.adapter.id)) : planned;

    if (inPool.length > 0) {
      const aborted = await runPool(
        inPool,
        workerCount,
        {
          prepare: (item) => prepare(item, true),
          begin,
          onCalls: (calls) => unpackCalls(calls, pendingCalls),
          onBatch,
          onDone,
          onEnd,
          afterMessage: () => {
            if (due()) flush();
            emit();
          },
          skip: (item) => {
            progress.scannedFiles++;
            progress.scannedBytes += item.size;
            emit();
          },
          ...(signal ? { signal } : {}),
        },
        [...spare],
      );
      if (aborted) {
        flush();
        return finish(true);
      }
    }

    for (const item of inThread) {
      if (signal?.aborted) {
        flush();
        return finish(true);
      }
      try {
        const prepared = await prepare(item);
        if (!prepared) {
          progress.scannedFiles++;
          progress.scannedBytes += item.size;
          emit();
          continue;
        }
        begin(item, prepared.startOffset);
        const readOptions: ReadLogFileOptions = {
          startOffset: prepared.startOffset,
          usageOnly: true,
          ...(prepared.state === undefined ? {} : { state: prepared.state }),
          ...(options.onIssue ? { onIssue: options.onIssue } : {}),
        };
        for await (const batch of reader.readLogFile(item.adapter, item.file, readOptions)) {
          appendCalls(batch.events, pendingCalls);
          queued(item, prepared, batch);
          if (due()) {
            flush();
            emit();
            await yieldToEventLoop();
          }
          if (signal?.aborted) {
            flush();
            return finish(true);
          }
        }
        onEnd(item);
      } catch (err) {
        onEnd(item, err);
      }
      if (due()) {
        flush();
        await yieldToEventLoop();
      }
      emit();
    }
    flush();
    return finish(false);
  }
}

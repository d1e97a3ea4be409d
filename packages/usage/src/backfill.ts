import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import {
  type AdapterRoot,
  type LogFileRef,
  type NexusAdapter,
  type NormalizedEvent,
  type ParseIssue,
  type RootEnvironment,
  readLogFile,
  scanRoot,
  type UsageEvent,
} from '@nexus/parsers';
import type { BackfillProgress } from '@nexus/protocol';
import { silentLogger, type UsageLogger } from './errors.js';
import type { FileCheckpoint, UsageLedger } from './ledger.js';

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
  scanRoot(adapter: NexusAdapter, root: AdapterRoot): AsyncIterable<LogFileRef>;
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
  /** Commit after this many usage events within one file (default 4000). */
  readonly eventsPerCommit?: number;
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

// Enough of the head to tell a rewritten file from one that only grew; small enough to be free.
const HEAD_BYTES = 1024;

async function headHash(path: string, size: number): Promise<string> {
  const length = Math.min(size, HEAD_BYTES);
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return `${bytesRead}:${createHash('sha1').update(buffer.subarray(0, bytesRead)).digest('hex')}`;
  } finally {
    await handle.close();
  }
}

/** Hash of the same head length a checkpoint recorded, so a grown file still matches. */
async function headMatches(path: string, recorded: string): Promise<boolean> {
  const length = Number(recorded.split(':', 1)[0]);
  if (!Number.isInteger(length) || length < 0) return false;
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    if (bytesRead !== length) return false;
    return `${length}:${createHash('sha1').update(buffer).digest('hex')}` === recorded;
  } finally {
    await handle.close();
  }
}

/** The parsers' own reader: the default of {@link BackfillOptions.reader}. */
export const parsersReader: BackfillReader = { scanRoot, readLogFile };

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
 * re-read from zero, and the ledger's max-upsert keeps that from counting twice. Rows and checkpoints
 * commit together in batches, and the loop yields to the event loop between batches so live work
 * is never starved.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const { ledger, signal } = options;
  const logger = options.logger ?? silentLogger;
  const reader = options.reader ?? parsersReader;
  const perCommit = options.eventsPerCommit ?? 4000;
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

  // Plan first, so progress has totals from the start.
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
    for (const root of roots) {
      if (!options.environment.exists(root.path)) continue;
      try {
        for await (const file of reader.scanRoot(adapter, root)) {
          if (seen.has(file.path)) continue;
          seen.add(file.path);
          try {
            const st = await stat(file.path, { bigint: true });
            planned.push({
              adapter,
              file,
              size: Number(st.size),
              dev: String(st.dev),
              ino: String(st.ino),
              mtimeMs: Number(st.mtimeMs),
            });
            progress.totalFiles++;
            progress.totalBytes += Number(st.size);
          } catch {
            // Deleted between the scan and the stat: its history (if any) stays in the ledger.
          }
          if (signal?.aborted) return finish(true);
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

  for (const item of planned) {
    if (signal?.aborted) return finish(true);
    const { adapter, file, size } = item;
    const base = progress.scannedBytes;
    try {
      const cp = ledger.checkpoint(file.path);
      let startOffset = 0;
      let state: unknown;
      let head: string;
      const sameFile = cp !== undefined && cp.dev === item.dev && cp.ino === item.ino;
      // Unchanged since the checkpoint (same inode, size and mtime, fully read): skip without opening it.
      if (cp && sameFile && size === cp.size && size === cp.offset && item.mtimeMs === cp.mtimeMs) {
        progress.scannedFiles++;
        progress.scannedBytes = base + size;
        emit();
        continue;
      }
      if (cp && sameFile && size >= cp.offset && (await headMatches(file.path, cp.headHash))) {
        startOffset = cp.offset;
        state = cp.state;
        head =
          size >= HEAD_BYTES && cp.headHash.startsWith(`${HEAD_BYTES}:`)
            ? cp.headHash
            : await headHash(file.path, size);
      } else {
        if (cp) restartedFiles++;
        head = await headHash(file.path, size);
      }
      const checkpointAt = (offset: number, parserState: unknown): FileCheckpoint => ({
        path: file.path,
        tool: adapter.id,
        dev: item.dev,
        ino: item.ino,
        size,
        mtimeMs: item.mtimeMs,
        offset,
        headHash: head,
        state: parserState,
      });
      progress.scannedBytes = base + startOffset;
      let pending: UsageEvent[] = [];
      let last: LogBatch | undefined;
      const readOptions: ReadLogFileOptions = {
        startOffset,
        usageOnly: true,
        ...(state === undefined ? {} : { state }),
        ...(options.onIssue ? { onIssue: options.onIssue } : {}),
      };
      for await (const batch of reader.readLogFile(adapter, file, readOptions)) {
        for (const event of batch.events) if (event.type === 'usage') pending.push(event);
        last = batch;
        progress.scannedBytes = base + Math.min(batch.resumeOffset, size);
        if (pending.length >= perCommit) {
          ledger.ingest(pending, checkpointAt(batch.resumeOffset, batch.state));
          pending = [];
          emit();
          await yieldToEventLoop();
          if (signal?.aborted) return finish(true);
        }
      }
      // The final checkpoint is written even without events, so a warm restart skips the file.
      ledger.ingest(pending, checkpointAt(last?.resumeOffset ?? startOffset, last ? last.state : state));
      progress.scannedFiles++;
      progress.scannedBytes = base + size;
    } catch (err) {
      failedFiles++;
      progress.scannedFiles++;
      progress.scannedBytes = base + size;
      logger.warn(
        { code: 'NEXUS_USAGE_BACKFILL_FILE', path: file.path, err },
        '[nexus] [usage] a log file could not be read during backfill; it will be retried next time',
      );
    }
    emit();
    await yieldToEventLoop();
  }
  return finish(false);
}

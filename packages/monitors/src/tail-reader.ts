import { readSync, type Stats } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import {
  DEFAULT_MAX_LINE_BYTES,
  LineFramer,
  type LineParser,
  type LogFileRef,
  type NexusAdapter,
  type NormalizedEvent,
  type ParseIssue,
} from '@nexus/parsers';

/** Where a file was read up to: enough to resume after a restart and to notice a replaced file. */
export interface TailCheckpoint {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  /** Offset just after the last complete line read. */
  readonly offset: number;
  /** The parser's `snapshot()` at `offset`. */
  readonly parserState: unknown;
}

/** The events of the complete lines one read found. */
export interface TailBatch {
  readonly file: LogFileRef;
  readonly events: NormalizedEvent[];
  readonly checkpoint: TailCheckpoint;
  /** The file was truncated or replaced and read again from the start. */
  readonly reset: boolean;
}

export interface TailReaderOptions {
  readonly adapter: NexusAdapter;
  readonly file: LogFileRef;
  /** Resume from here (same inode and a size at least the offset), else read from 0. */
  readonly checkpoint?: TailCheckpoint | undefined;
  readonly maxLineBytes?: number;
  /** Bytes per read; memory stays bounded by this plus the longest line held. Default 1 MiB. */
  readonly chunkBytes?: number;
  readonly onIssue?: (issue: ParseIssue) => void;
}

const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/** Reads of a followed file's appends: most appends are a few lines. */
const APPEND_READ_BYTES = 64 * 1024;
let appendBuffer: Buffer | undefined;

/**
 * Reads one log file incrementally: only the bytes after its offset, complete lines only (a partial last
 * line waits for its newline however many reads that takes), decoded whole, so a multi-byte character cut
 * by a read boundary is never mangled. A shrunk or replaced file is read again from 0 and reported.
 * Reads never overlap: a read requested during one is folded into a single follow-up read.
 */
export class TailReader {
  readonly file: LogFileRef;
  readonly #adapter: NexusAdapter;
  readonly #options: TailReaderOptions;
  #parser: LineParser;
  #framer: LineFramer;
  #offset = 0;
  /** Next byte to read: past the held partial line (or the skipped part of an oversized one). */
  #position = 0;
  #dev = -1;
  #ino = -1;
  #running: Promise<TailBatch | undefined> | undefined;
  #handle: FileHandle | undefined;
  /** Check the path (replaced? truncated? gone?) on the next read instead of only reading the handle. */
  #verify = true;
  #mtimeMs = 0;
  #again = false;
  #vanished = false;

  constructor(options: TailReaderOptions) {
    this.file = options.file;
    this.#adapter = options.adapter;
    this.#options = options;
    this.#parser = this.#newParser();
    this.#framer = this.#newFramer(0);
    const checkpoint = options.checkpoint;
    if (checkpoint) {
      this.#offset = checkpoint.offset;
      this.#position = checkpoint.offset;
      this.#dev = checkpoint.dev;
      this.#ino = checkpoint.ino;
      this.#parser.restore(checkpoint.parserState);
      this.#framer = this.#newFramer(checkpoint.offset);
    }
  }

  /** True once the file disappeared (its liveness signal ends). */
  get vanished(): boolean {
    return this.#vanished;
  }

  /**
   * Read what was appended since the last read. The caller that started the read gets every new event,
   * including those of one follow-up read folded in for the calls made meanwhile; those calls resolve
   * with `undefined` once it is done, so no batch is ever delivered twice. `undefined` also when the
   * file is gone.
   */
  read(options: { verify?: boolean } = {}): Promise<TailBatch | undefined> {
    if (options.verify) this.#verify = true;
    if (this.#running) {
      this.#again = true;
      return this.#running.then(() => undefined);
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #drain(): Promise<TailBatch | undefined> {
    let merged: TailBatch | undefined;
    do {
      this.#again = false;
      const batch = await this.#readOnce();
      if (!batch) return merged;
      merged = merged
        ? { ...batch, events: [...merged.events, ...batch.events], reset: merged.reset || batch.reset }
        : batch;
    } while (this.#again);
    return merged;
  }

  async #readOnce(): Promise<TailBatch | undefined> {
    // An append raises an event: read the open handle to its end, one read call, no stat. The path itself
    // (replacement, truncation, deletion) is checked when asked to verify: the host does so every second
    // and on renames.
    if (this.#handle && !this.#verify) return this.#readAppended(this.#handle);
    this.#verify = false;
    const path = this.file.path;
    let stats: Stats;
    try {
      // The path, not the open handle: a file replaced by rename shows a new inode here.
      stats = await stat(path);
    } catch (error) {
      await this.#closeHandle();
      return this.#gone(error);
    }
    let reset = false;
    const replaced = this.#ino !== -1 && (stats.ino !== this.#ino || stats.dev !== this.#dev);
    if (replaced || stats.size < this.#offset) {
      reset = true;
      this.#options.onIssue?.({
        code: 'NEXUS_READ_FILE_RESET',
        message: replaced
          ? 'File was replaced; reading it again from the start'
          : `File shrank from ${this.#offset} to ${stats.size} bytes; reading it again from the start`,
        file: path,
      });
      await this.#closeHandle();
      this.#offset = 0;
      this.#position = 0;
      this.#parser = this.#newParser();
      this.#framer = this.#newFramer(0);
    }
    this.#dev = stats.dev;
    this.#ino = stats.ino;
    this.#mtimeMs = stats.mtimeMs;
    this.#vanished = false;
    const events: NormalizedEvent[] = [];
    if (this.#position < stats.size) {
      // One handle per followed file: an append costs a stat and a read, not an open and a close too.
      try {
        this.#handle ??= await open(path, 'r');
      } catch (error) {
        return this.#gone(error);
      }
      // Sized to what is there: a live file grows by a few hundred bytes per read, not a mebibyte.
      const buffer = Buffer.allocUnsafe(
        Math.min(this.#options.chunkBytes ?? DEFAULT_CHUNK_BYTES, stats.size - this.#position),
      );
      while (this.#position < stats.size) {
        const { bytesRead } = await this.#handle.read(
          buffer,
          0,
          Math.min(buffer.length, stats.size - this.#position),
          this.#position,
        );
        if (bytesRead === 0) break;
        this.#position += bytesRead;
        for (const line of this.#framer.push(buffer.subarray(0, bytesRead))) {
          const text = line.bytes.toString('utf8');
          if (text.trim() === '') continue;
          for (const event of this.#parser.parseLine(text, { byteOffset: line.byteOffset }))
            events.push(event);
        }
      }
    }
    this.#offset = this.#framer.resumeOffset;
    return {
      file: this.file,
      events,
      reset,
      checkpoint: {
        path,
        dev: stats.dev,
        ino: stats.ino,
        size: stats.size,
        mtimeMs: stats.mtimeMs,
        offset: this.#offset,
        parserState: this.#parser.snapshot(),
      },
    };
  }

  async #readAppended(handle: FileHandle): Promise<TailBatch> {
    const events: NormalizedEvent[] = [];
    const chunk = Math.min(this.#options.chunkBytes ?? DEFAULT_CHUNK_BYTES, APPEND_READ_BYTES);
    // One buffer for every reader's appends: reads here are synchronous and their lines are decoded (and a
    // held partial line copied) before the next one. A fresh 64 KiB buffer per append was 320 MB/s of
    // short-lived memory outside the heap at 5,000 lines/s, and the process's RSS grew with it.
    appendBuffer ??= Buffer.allocUnsafeSlow(APPEND_READ_BYTES);
    const buffer = appendBuffer.subarray(0, chunk);
    for (;;) {
      // A blocking read: an append is a few hundred bytes already in the page cache, a microsecond or two
      // to copy, where the thread-pool round trip of an asynchronous read cost the event loop ~35 µs a call
      // (at 5,000 lines/s, a third of the server's busy time).
      const bytesRead = readSync(handle.fd, buffer, 0, buffer.length, this.#position);
      if (bytesRead === 0) break;
      this.#position += bytesRead;
      this.#parseChunk(buffer.subarray(0, bytesRead), events);
      if (bytesRead < buffer.length) break;
    }
    this.#offset = this.#framer.resumeOffset;
    return {
      file: this.file,
      events,
      reset: false,
      checkpoint: {
        path: this.file.path,
        dev: this.#dev,
        ino: this.#ino,
        size: this.#position,
        mtimeMs: this.#mtimeMs,
        offset: this.#offset,
        parserState: this.#parser.snapshot(),
      },
    };
  }

  #parseChunk(bytes: Buffer, events: NormalizedEvent[]): void {
    for (const line of this.#framer.push(bytes)) {
      const text = line.bytes.toString('utf8');
      if (text.trim() === '') continue;
      for (const event of this.#parser.parseLine(text, { byteOffset: line.byteOffset })) events.push(event);
    }
  }

  /** Release the open file handle (the monitor calls this when the file stops being live). */
  async close(): Promise<void> {
    await this.#running?.catch(() => undefined);
    await this.#closeHandle();
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  #gone(error: unknown): undefined {
    if (!this.#vanished) {
      this.#options.onIssue?.({
        code: 'NEXUS_READ_FILE_VANISHED',
        message: `File vanished (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        file: this.file.path,
      });
    }
    this.#vanished = true;
    return undefined;
  }

  #newParser(): LineParser {
    return this.#adapter.createParser(this.file, {
      report: (issue) => this.#options.onIssue?.({ ...issue, file: this.file.path }),
    });
  }

  #newFramer(startOffset: number): LineFramer {
    return new LineFramer({
      startOffset,
      maxLineBytes: this.#options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
      onOversizedLine: ({ byteOffset, length }) =>
        this.#options.onIssue?.({
          code: 'NEXUS_PARSE_LINE_TOO_LONG',
          message: `Skipped a line of ${length} bytes`,
          file: this.file.path,
          byteOffset,
        }),
    });
  }
}

/** Size and mtime of a file, or `undefined` when it does not exist. */
export async function statFile(path: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const stats = await stat(path);
    return { size: stats.size, mtimeMs: stats.mtimeMs };
  } catch {
    return undefined;
  }
}

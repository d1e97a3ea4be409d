import { closeSync, type Dirent, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { arrayMarkers, decodeWithoutArray } from './array-elision.js';
import type {
  AdapterRoot,
  LogFileRef,
  NexusAdapter,
  NormalizedEvent,
  ParseIssue,
  RootEnvironment,
} from './contract.js';
import { DEFAULT_MAX_LINE_BYTES, LineFramer } from './line-framer.js';

/** Options of {@link readLogFile}. */
export interface ReadLogFileOptions {
  /** Byte offset to start at (a line start, e.g. a saved `resumeOffset`). Default 0. */
  readonly startOffset?: number;
  /** Parser state saved with that offset (`snapshot()`), restored before reading. */
  readonly state?: unknown;
  /** Skip, undecoded, the lines that contain none of the adapter's `usageLineFilter` markers. */
  readonly usageOnly?: boolean;
  /** Lines longer than this are skipped and reported. Default 64 MiB. */
  readonly maxLineBytes?: number;
  /** Bytes per read. Default 1 MiB. */
  readonly chunkBytes?: number;
  readonly onIssue?: (issue: ParseIssue) => void;
  readonly signal?: AbortSignal;
  /**
   * Read with blocking calls: much faster over many small files, but each read holds the thread (for
   * worker threads and command-line tools, not a server's main thread). Default false.
   */
  readonly blockingReads?: boolean;
  /**
   * Sees each chunk as read, at its file `position`, before it is cut into lines (a checksum of the
   * file's head, say, without opening it again). The chunk's memory is reused after the call.
   */
  readonly onRead?: (chunk: Buffer, position: number) => void;
}

/** Events of the complete lines of one read, and where to resume after them. */
export interface LogBatch {
  readonly events: NormalizedEvent[];
  /** Offset just after the last complete line: resume here with `state`. */
  readonly resumeOffset: number;
  /** The parser's `snapshot()` at `resumeOffset`. */
  readonly state: unknown;
}

const DEFAULT_CHUNK_BYTES = 1024 * 1024;

/**
 * The user's home folder: `$HOME` when set and not empty, else the account's own. `os.homedir()` alone
 * returns `''` when `HOME` is set but empty, and every path built on it would then be relative to the
 * working folder.
 */
export function homeDirectory(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.HOME) return env.HOME;
  const fromOs = homedir();
  if (fromOs) return fromOs;
  try {
    return userInfo().homedir;
  } catch {
    return fromOs;
  }
}

/** The environment of this process, for `adapter.resolveRoots`. */
export function processEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  homeDir: string = homeDirectory(env),
): RootEnvironment {
  return { env, homeDir, exists: existsSync };
}

/** Folders listed at once while scanning a root. */
const SCAN_BATCH = 64;

/** Options of {@link scanRoot}. */
export interface ScanRootOptions {
  /**
   * List folders with blocking calls: several times faster over hundreds of folders, but each listing
   * holds the thread (for command-line tools and worker threads, not a server's main thread).
   */
  readonly blockingReads?: boolean;
}

/**
 * Every session log under one root, as the adapter classifies it, in sorted path order. A root that does
 * not exist yields nothing; folders that vanish during the walk are skipped.
 */
export async function* scanRoot(
  adapter: NexusAdapter,
  root: AdapterRoot,
  options: ScanRootOptions = {},
): AsyncGenerator<LogFileRef> {
  for (const path of await listRoot(root, options)) {
    const file = logFileAt(adapter, root, path);
    if (file) yield file;
  }
}

/**
 * Every file under one root, logs or not, in sorted path order: what {@link scanRoot} classifies. A host
 * that already knows a file (a checkpoint of it, say) can skip classifying it. A root that does not
 * exist gives none; folders that vanish during the walk are skipped.
 */
export async function listRoot(root: AdapterRoot, options: ScanRootOptions = {}): Promise<string[]> {
  const files = options.blockingReads ? listFilesBlocking(root.path) : await listFiles(root.path);
  return files.sort();
}

/** The session log a file under `root` is, as the adapter classifies it; undefined for any other file. */
export function logFileAt(adapter: NexusAdapter, root: AdapterRoot, path: string): LogFileRef | undefined {
  // Plain slicing: path.relative() per file cost more than the whole folder walk.
  const prefix = root.path.endsWith(sep) ? root.path : root.path + sep;
  const inside = path.startsWith(prefix) ? path.slice(prefix.length) : relative(root.path, path);
  const relativePath = sep === '/' ? inside : inside.split(sep).join('/');
  const info = adapter.classifyFile(relativePath, root);
  return info ? { ...info, tool: adapter.id, path, root: root.path } : undefined;
}

/** Whether the walk goes into a folder: not dependencies, not hidden folders. */
function walksInto(entry: Dirent): boolean {
  return entry.name !== 'node_modules' && !entry.name.startsWith('.');
}

// A child's path by concatenation: the folder paths come from `join` or from here, and a listed name holds no
// separator, so `join`'s normalisation per entry (a tenth of a catch-up's walk) has nothing to do.
const childPath = (dir: string, name: string): string => (dir.endsWith(sep) ? dir + name : dir + sep + name);

function listFilesBlocking(rootPath: string): string[] {
  const pending = [join(rootPath)];
  const files: string[] = [];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) {
        if (walksInto(entry)) pending.push(childPath(dir, entry.name));
      } else if (entry.isFile()) files.push(childPath(dir, entry.name));
    }
  }
  return files;
}

async function listFiles(rootPath: string): Promise<string[]> {
  let pending = [join(rootPath)];
  const files: string[] = [];
  while (pending.length > 0) {
    // A level at a time, its folders read side by side: one thread-pool round trip per folder, in
    // sequence, was most of the time of a catch-up over thousands of sessions.
    const level = pending;
    pending = [];
    for (let start = 0; start < level.length; start += SCAN_BATCH) {
      const listed = await Promise.all(
        level.slice(start, start + SCAN_BATCH).map((dir) =>
          readdir(dir, { withFileTypes: true }).then(
            (entries) => ({ dir, entries }),
            () => ({ dir, entries: [] as Dirent[] }),
          ),
        ),
      );
      for (const { dir, entries } of listed) {
        for (const entry of entries) {
          const path = childPath(dir, entry.name);
          if (entry.isDirectory()) {
            if (walksInto(entry)) pending.push(path);
          } else if (entry.isFile()) files.push(path);
        }
      }
    }
  }
  return files;
}

/**
 * Read one log file from an offset, in batches of complete lines. The host's part of the contract: byte
 * framing (a partial last line is left for the next read), UTF-8 decoding of whole lines, the cheap
 * pre-filter, and parse issues routed to `onIssue`. A last line without its newline is parsed when it is
 * a whole JSON object, in a final batch whose `resumeOffset` and `state` are from before it.
 */
export async function* readLogFile(
  adapter: NexusAdapter,
  file: LogFileRef,
  options: ReadLogFileOptions = {},
): AsyncGenerator<LogBatch> {
  const report = (issue: ParseIssue) => options.onIssue?.({ ...issue, file: file.path });
  const parser = adapter.createParser(file, { report });
  if (options.state !== undefined) parser.restore(options.state);
  const startOffset = options.startOffset ?? 0;
  const framer = new LineFramer({
    startOffset,
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    onOversizedLine: ({ byteOffset, length }) =>
      report({ code: 'NEXUS_PARSE_LINE_TOO_LONG', message: `Skipped a line of ${length} bytes`, byteOffset }),
  });
  const markers =
    options.usageOnly && adapter.usageLineFilter?.length
      ? adapter.usageLineFilter.map((marker) => Buffer.from(marker))
      : undefined;
  const skippableArrays =
    options.usageOnly && adapter.usageLineSkippableArrays?.length
      ? arrayMarkers(adapter.usageLineSkippableArrays)
      : [];

  const source = options.blockingReads ? blockingSource(file.path) : await asyncSource(file.path);
  try {
    const size = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    const buffer = options.blockingReads ? blockingBuffer(size) : Buffer.allocUnsafe(size);
    let position = startOffset;
    for (;;) {
      if (options.signal?.aborted) return;
      // A blocking read is not awaited: between it and the parse of its lines no other reader may run,
      // or it could read into the shared buffer first.
      const read = source.read(buffer, position);
      const bytesRead = typeof read === 'number' ? read : await read;
      if (bytesRead > 0) {
        const chunk = buffer.subarray(0, bytesRead);
        options.onRead?.(chunk, position);
        position += bytesRead;
        const events: NormalizedEvent[] = [];
        for (const line of markers ? framer.pushMatching(chunk, markers) : framer.push(chunk)) {
          const text = decodeForUsage(line.bytes, skippableArrays);
          if (text.trim() === '') continue;
          for (const event of parser.parseLine(text, { byteOffset: line.byteOffset })) events.push(event);
        }
        yield { events, resumeOffset: framer.resumeOffset, state: parser.snapshot() };
      }
      // A short read of a regular file is its end, as of now: no need to ask again.
      if (bytesRead < buffer.length) break;
    }
    const last = lastLineWithoutNewline(framer, markers, skippableArrays);
    if (last) {
      // Resume before it, with the state from before it: a writer still busy with the line finishes it
      // with a newline, and the line is read again then (usage keys make that count once).
      const state = parser.snapshot();
      const events = parser.parseLine(last.text, { byteOffset: last.byteOffset });
      yield { events, resumeOffset: framer.resumeOffset, state };
    }
  } finally {
    await source.close();
  }
}

let scratch: Buffer | undefined;

/**
 * A read buffer shared by blocking reads: a fresh one per file was hundreds of megabytes of new pages
 * to fault in over a backfill. Safe to share, even between readers consumed at the same time, because a
 * blocking read and the parsing of its lines run without a pause (nothing awaited between them), and
 * nothing keeps a view into the buffer past its batch (a held partial line is a copy).
 */
function blockingBuffer(size: number): Buffer {
  if (!scratch || scratch.length < size)
    scratch = Buffer.allocUnsafeSlow(Math.max(size, DEFAULT_CHUNK_BYTES));
  return scratch.subarray(0, size);
}

interface ByteSource {
  read(buffer: Buffer, position: number): number | Promise<number>;
  close(): void | Promise<void>;
}

async function asyncSource(path: string): Promise<ByteSource> {
  const handle = await open(path, 'r');
  return {
    read: async (buffer, position) => (await handle.read(buffer, 0, buffer.length, position)).bytesRead,
    close: () => handle.close(),
  };
}

function blockingSource(path: string): ByteSource {
  const fd = openSync(path, 'r');
  // No fstat to size the buffer: the shared one is reused whatever the file's size, and a short read
  // ends the file all the same.
  return {
    read: (buffer, position) => readSync(fd, buffer, 0, buffer.length, position),
    close: () => closeSync(fd),
  };
}

/**
 * The file's last line when it has no newline but is a whole JSON object: a finished log whose writer
 * left the newline out (some tools and generators do) would otherwise lose its last record. A line still
 * being written is not a whole object, so it stays held as before, and is not reported as bad. (Shared
 * with the conformance kit, not part of the package's entry.)
 */
export function lastLineWithoutNewline(
  framer: LineFramer,
  markers: readonly Buffer[] | undefined,
  skippableArrays: readonly Buffer[],
): { text: string; byteOffset: number } | undefined {
  const held = framer.heldLine();
  if (!held || (markers && !markers.some((marker) => held.bytes.includes(marker)))) return undefined;
  const text = decodeForUsage(held.bytes, skippableArrays);
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  } catch {
    return undefined;
  }
  return { text, byteOffset: held.byteOffset };
}

function decodeForUsage(bytes: Buffer, skippableArrays: readonly Buffer[]): string {
  for (const marker of skippableArrays) {
    const text = decodeWithoutArray(bytes, marker);
    if (text !== undefined) return text;
  }
  return bytes.toString('utf8');
}

/** A `LogFileRef` for a file named directly, found by trying its trailing path segments against the adapter. */
export function describeFile(adapter: NexusAdapter, path: string): LogFileRef {
  const parts = path.split(sep);
  for (let depth = Math.min(parts.length - 1, 6); depth >= 1; depth--) {
    const root = parts.slice(0, parts.length - depth).join(sep);
    const relativePath = parts.slice(parts.length - depth).join('/');
    const info = adapter.classifyFile(relativePath, { path: root, role: 'live' });
    if (info) return { ...info, tool: adapter.id, path, root };
  }
  return {
    sessionId: `${adapter.id}:${basename(path)}`,
    kind: 'session',
    group: '',
    tool: adapter.id,
    path,
    root: dirname(path),
  };
}

/**
 * Every normalized event of a log file, or of every log under a folder — for tool authors who want the
 * parsed logs without watching anything.
 *
 * ```ts
 * for await (const event of readEvents(claudeCode(), '/home/me/.claude/projects')) {
 *   if (event.type === 'usage') console.log(event.model, event.outputTokens);
 * }
 * ```
 */
export async function* readEvents(
  adapter: NexusAdapter,
  path: string,
  options: Pick<ReadLogFileOptions, 'usageOnly' | 'onIssue' | 'signal'> = {},
): AsyncGenerator<NormalizedEvent> {
  const stats = await stat(path);
  const files = stats.isDirectory()
    ? scanRoot(adapter, { path, role: 'live' })
    : single(describeFile(adapter, path));
  for await (const file of files) {
    for await (const batch of readLogFile(adapter, file, options)) yield* batch.events;
  }
}

async function* single(file: LogFileRef): AsyncGenerator<LogFileRef> {
  yield file;
}

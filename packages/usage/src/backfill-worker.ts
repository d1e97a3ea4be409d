import { parentPort } from 'node:worker_threads';
import { builtinAdapters, type LogFileRef, type NexusAdapter, readLogFile } from '@nexus/parsers';
import { addMerged, appendCalls, type CallRow } from './call-row.js';
import { headDigest, headHashBlocking } from './file-head.js';
import { type PackedCalls, packCalls } from './packed-calls.js';

/** A file for the worker to read, from `startOffset` with the saved parser `state`. */
export interface WorkerTask {
  readonly taskId: number;
  readonly adapterId: string;
  readonly file: LogFileRef;
  readonly startOffset: number;
  readonly state: unknown;
  /** Hash this many bytes of the file's head for its checkpoint (0: the host knows the head). */
  readonly headBytes: number;
}

/** Where one file stands, as of a report. */
export interface FileReport {
  readonly taskId: number;
  /** Read up to here, with the parser state there (absent: no batch since the last report). */
  readonly resumeOffset?: number;
  readonly state?: unknown;
  /** The head hash the task asked for, once known. */
  readonly head?: string;
  /** The file is finished; `error` when it could not be read. */
  readonly done?: boolean;
  readonly error?: string;
}

/**
 * What the worker sends back: the calls read since the last report (a key's repeats merged), then
 * where each file stands after them, files in the order they were read. Reports are batched, one per
 * {@link REPORT_CALLS} calls or {@link REPORT_MS}, and one when the queue runs dry: a message per read
 * cost this thread and the host's more than the messages' contents.
 */
export interface WorkerReply {
  readonly calls: PackedCalls;
  readonly files: readonly FileReport[];
}

const REPORT_CALLS = 2000;
const REPORT_MS = 20;

// Built-in adapters parse the same whatever their root options, so the worker builds its own.
const adapters = new Map<string, NexusAdapter>(builtinAdapters().map((a) => [a.id, a]));
const port = parentPort;

let calls = new Map<string, CallRow>();
let files = new Map<number, FileReport>();
let lastReport = Date.now();
let queued = 0;

function report(force: boolean): void {
  if (!force && calls.size < REPORT_CALLS && Date.now() - lastReport < REPORT_MS) return;
  if (files.size === 0 && calls.size === 0) return;
  const packed = packCalls([...calls.values()]);
  const reply: WorkerReply = { calls: packed, files: [...files.values()] };
  port?.postMessage(reply, [packed.refs.buffer, packed.numbers.buffer]);
  calls = new Map();
  files = new Map();
  lastReport = Date.now();
}

/** Updates the file's entry, keeping its place in the report's order. */
function note(taskId: number, update: Omit<FileReport, 'taskId'>): void {
  files.set(taskId, { ...files.get(taskId), ...update, taskId });
}

/** Reads one file; returns its head hash when the task asked for it. */
async function run(task: WorkerTask): Promise<string | undefined> {
  const adapter = adapters.get(task.adapterId);
  if (!adapter) throw new Error(`no built-in adapter ${task.adapterId}`);
  let head: string | undefined;
  for await (const batch of readLogFile(adapter, task.file, {
    startOffset: task.startOffset,
    usageOnly: true,
    // This thread only parses: blocking reads cost it nothing and spare a round trip per read.
    blockingReads: true,
    ...(task.state === undefined ? {} : { state: task.state }),
    // The head hashed from the first read: opening every file a second time for it cost this thread
    // a tenth of its time.
    ...(task.headBytes > 0
      ? {
          onRead: (chunk: Buffer, position: number) => {
            if (position === 0 && head === undefined) head = headDigest(chunk.subarray(0, task.headBytes));
          },
        }
      : {}),
  })) {
    // Streamed responses repeat a call's key on consecutive lines: merged here, each crosses once.
    const read: CallRow[] = [];
    appendCalls(batch.events, read);
    for (const call of read) addMerged(calls, call);
    note(task.taskId, {
      resumeOffset: batch.resumeOffset,
      state: batch.state,
      ...(head === undefined ? {} : { head }),
    });
    report(false);
  }
  // Nothing was read (the file emptied since it was listed): hash what is there now.
  if (task.headBytes > 0 && head === undefined) head = headHashBlocking(task.file.path, task.headBytes);
  return head;
}

// Tasks run one after another, in arrival order, so reports of one file never interleave out of order.
let chain = Promise.resolve();
port?.on('message', (task: WorkerTask) => {
  queued++;
  chain = chain.then(async () => {
    try {
      const head = await run(task);
      note(task.taskId, { done: true, ...(head === undefined ? {} : { head }) });
    } catch (err) {
      note(task.taskId, { done: true, error: String((err as Error)?.message ?? err) });
    }
    // The queue ran dry: the host hears at once, to send more or to finish. Not before this turn's
    // messages are handled, though: each runs to its end as soon as it arrives (reads are blocking), so
    // the queue looks dry after every file.
    if (--queued === 0) setImmediate(() => queued === 0 && report(true));
    else report(false);
  });
});

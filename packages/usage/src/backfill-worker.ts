import { parentPort } from 'node:worker_threads';
import {
  builtinAdapters,
  type LogFileRef,
  type NexusAdapter,
  readLogFile,
  type UsageEvent,
} from '@nexus/parsers';
import { headHashBlocking } from './file-head.js';

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

/** What the worker sends back, in file order per task. */
export type WorkerReply =
  | {
      readonly type: 'batch';
      readonly taskId: number;
      readonly events: UsageEvent[];
      readonly resumeOffset: number;
      readonly state: unknown;
      readonly head?: string;
    }
  | { readonly type: 'done'; readonly taskId: number; readonly head?: string }
  | { readonly type: 'error'; readonly taskId: number; readonly message: string };

// Built-in adapters parse the same whatever their root options, so the worker builds its own.
const adapters = new Map<string, NexusAdapter>(builtinAdapters().map((a) => [a.id, a]));
const port = parentPort;

/** Reads one file; its head hash when the task asked for it. */
async function run(task: WorkerTask): Promise<string | undefined> {
  const adapter = adapters.get(task.adapterId);
  if (!adapter || !port) throw new Error(`no built-in adapter ${task.adapterId}`);
  const head = task.headBytes > 0 ? headHashBlocking(task.file.path, task.headBytes) : undefined;
  for await (const batch of readLogFile(adapter, task.file, {
    startOffset: task.startOffset,
    usageOnly: true,
    // This thread only parses: blocking reads cost it nothing and spare a round trip per read.
    blockingReads: true,
    ...(task.state === undefined ? {} : { state: task.state }),
  })) {
    const events: UsageEvent[] = [];
    for (const event of batch.events) if (event.type === 'usage') events.push(event);
    const reply: WorkerReply = {
      type: 'batch',
      taskId: task.taskId,
      events,
      resumeOffset: batch.resumeOffset,
      state: batch.state,
      ...(head === undefined ? {} : { head }),
    };
    port.postMessage(reply);
  }
  return head;
}

// Tasks run one after another, in arrival order, so replies of one file never interleave out of order.
let chain = Promise.resolve();
port?.on('message', (task: WorkerTask) => {
  chain = chain.then(async () => {
    try {
      const head = await run(task);
      port.postMessage({
        type: 'done',
        taskId: task.taskId,
        ...(head === undefined ? {} : { head }),
      } satisfies WorkerReply);
    } catch (err) {
      port.postMessage({
        type: 'error',
        taskId: task.taskId,
        message: String((err as Error)?.message ?? err),
      } satisfies WorkerReply);
    }
  });
});

import { createRequire } from 'node:module';
import type { UsageLedger } from './ledger.js';

/** Options of {@link startWalCheckpointer}. */
export interface WalCheckpointerOptions {
  /** How often the worker copies the write-ahead log into the database. Default 500 ms. */
  readonly intervalMs?: number;
  /** The worker failed: checkpoints are back on the ledger's own thread. */
  readonly onError?: (err: Error) => void;
}

/** A running {@link startWalCheckpointer}. */
export interface WalCheckpointer {
  /** Stop the worker (after one last checkpoint) and give checkpoints back to the ledger's thread. */
  close(): Promise<void>;
}

// SQLite's own default: the writer checkpoints once the log passes this many pages.
const AUTOCHECKPOINT_PAGES = 1000;

// CommonJS on purpose: an evaluated worker needs no file of its own, so it runs the same from the
// TypeScript sources (tests) and from dist.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  try {
    checkpoint();
  } catch (err) {
    clearInterval(timer);
    throw err;
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  try { checkpoint(); } finally { db.close(); parentPort.close(); }
});
`;

/**
 * Move the ledger's WAL checkpoints to a worker thread with its own connection. SQLite otherwise
 * checkpoints inside whichever commit grows the log past 1,000 pages: at thousands of live lines a
 * second that is a 10–13 ms stall of the server's thread (copy and fsync) every few hundred
 * milliseconds. A passive checkpoint never blocks the writer, so the live path keeps only its commits.
 * An in-memory ledger has no log and gets a handle that does nothing.
 */
export function startWalCheckpointer(
  ledger: UsageLedger,
  options: WalCheckpointerOptions = {},
): WalCheckpointer {
  if (ledger.path === ':memory:' || ledger.path === '') return { close: async () => {} };
  // Loaded here, not at the top: only a server starts this thread, and every `nexus usage` loads this module.
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path: ledger.path,
      intervalMs: options.intervalMs ?? 500,
    },
  });
  ledger.db.pragma('wal_autocheckpoint = 0');
  let closing = false;
  const restore = () => {
    if (ledger.db.open) ledger.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  };
  const exited = new Promise<void>((resolve) => {
    worker.once('error', (err) => {
      restore();
      if (!closing) options.onError?.(err);
    });
    worker.once('exit', () => {
      restore();
      resolve();
    });
  });
  // The checkpointer must not keep a process alive that has nothing else to do.
  worker.unref();
  return {
    async close() {
      if (closing) return exited;
      closing = true;
      // Held open until the last checkpoint is done, even in a process with nothing else to wait for.
      worker.ref();
      worker.postMessage('close');
      await exited;
    },
  };
}

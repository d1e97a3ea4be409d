// Child process of the crash-safety test: a slow backfill the parent kills with SIGKILL.
import { existsSync } from 'node:fs';
import { runBackfill } from '../src/backfill.js';
import { UsageLedger } from '../src/ledger.js';
import { fakeAdapter, fakeReader } from './fake-adapter.js';

const [logs, stateDir] = process.argv.slice(2) as [string, string];
const ledger = UsageLedger.open({ stateDir });
await runBackfill({
  ledger,
  adapters: [fakeAdapter(logs)],
  environment: { env: {}, homeDir: '/nowhere', exists: existsSync },
  reader: fakeReader(undefined, 5, 2),
  eventsPerCommit: 5,
  progressIntervalMs: 0,
  onProgress: (p) => process.stdout.write(`${JSON.stringify(p)}\n`),
});
process.stdout.write('finished\n');

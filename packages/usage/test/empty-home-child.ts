// Child process of the backfill tests: a backfill with worker threads of an empty ledger over a home
// with no logs. It must end by itself: a worker left running would keep this process alive.
import { existsSync } from 'node:fs';
import { builtinAdapters } from '@nexus/parsers';
import { runBackfill } from '../src/backfill.js';
import { UsageLedger } from '../src/ledger.js';

const home = process.argv[2] ?? '/nowhere';
const ledger = UsageLedger.open({ path: ':memory:' });
const result = await runBackfill({
  ledger,
  adapters: builtinAdapters(),
  environment: { env: { HOME: home }, homeDir: home, exists: existsSync },
  workers: 2,
});
ledger.close();
process.stdout.write(`${JSON.stringify(result)}\n`);

// Diagnostic: the parsers' reader alone over the corpus (no ledger), to split backfill time.
import { builtinAdapters, processEnvironment, readLogFile, scanRoot } from '@nexus/parsers';

const home = process.argv[2];
const environment = processEnvironment({ HOME: home }, home);
let events = 0;
const t = performance.now();
for (const adapter of builtinAdapters()) {
  for (const root of adapter.resolveRoots(environment)) {
    if (!environment.exists(root.path)) continue;
    for await (const file of scanRoot(adapter, root)) {
      for await (const batch of readLogFile(adapter, file, { usageOnly: true })) {
        for (const e of batch.events) if (e.type === 'usage') events++;
      }
    }
  }
}
console.log(JSON.stringify({ usageEvents: events, ms: Math.round(performance.now() - t) }));

// Diagnostic: the parsers' reader alone over the corpus (no ledger), per tool, on one thread with
// blocking reads as the backfill worker reads, to split backfill time.
//   node bench/parse-only.mjs <home>
import { builtinAdapters, processEnvironment, readLogFile, scanRoot } from '@nexus/parsers';

const home = process.argv[2];
const environment = processEnvironment({ HOME: home }, home);
const byTool = {};
const started = performance.now();
for (const adapter of builtinAdapters()) {
  const t = performance.now();
  let usageEvents = 0;
  let files = 0;
  for (const root of adapter.resolveRoots(environment)) {
    if (!environment.exists(root.path)) continue;
    for await (const file of scanRoot(adapter, root, { blockingReads: true })) {
      files++;
      for await (const batch of readLogFile(adapter, file, { usageOnly: true, blockingReads: true })) {
        for (const e of batch.events) if (e.type === 'usage') usageEvents++;
      }
    }
  }
  byTool[adapter.id] = { files, usageEvents, ms: Math.round(performance.now() - t) };
}
console.log(JSON.stringify({ byTool, ms: Math.round(performance.now() - started) }));

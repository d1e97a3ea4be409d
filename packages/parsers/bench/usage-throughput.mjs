// Throughput of the usage path on Claude Code logs, on one core: read every file of a generated corpus with
// the cheap pre-filter (`usageOnly`) and the Claude Code parser, merge the usage events, and report MB/s.
// Reads block, as in the ledger's backfill worker (asynchronous reads add a thread-pool round trip per read).
//   node bench/usage-throughput.mjs [--mb 300] [--seed 7] [--runs 3]
// The corpus is generated once into bench-results/parsers/ (git-ignored) and reused.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { claudeCode, mergeUsageEvents, readLogFile, scanRoot } from '@nexus/parsers';
import { generateCorpus } from '@nexus/parsers/corpus';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '300' },
    seed: { type: 'string', default: '7' },
    runs: { type: 'string', default: '3' },
  },
});
const megabytes = Number(values.mb);
const seed = Number(values.seed);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const corpusDir = join(repoRoot, 'bench-results', 'parsers', `claude-${seed}-${megabytes}mb`);
const home = join(corpusDir, 'home');

if (!existsSync(join(corpusDir, 'home.truth.json'))) {
  rmSync(corpusDir, { recursive: true, force: true });
  mkdirSync(corpusDir, { recursive: true });
  const started = performance.now();
  generateCorpus(home, {
    seed,
    targetBytes: megabytes * 1_000_000,
    shares: { 'claude-code': 1, codex: 0, openclaw: 0 },
  });
  console.log(`generated ${megabytes} MB corpus in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const adapter = claudeCode();
const files = [];
for (const root of [join(home, '.claude', 'projects'), join(home, '.config', 'claude', 'projects')]) {
  if (!existsSync(root)) continue;
  for await (const file of scanRoot(adapter, { path: root, role: 'live' })) files.push(file);
}

async function pass(usageOnly) {
  const events = [];
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  for (const file of files) {
    // Blocking reads, as the ledger's backfill worker reads: the usage path is measured as Nexus runs it.
    for await (const batch of readLogFile(adapter, file, { usageOnly, blockingReads: true })) {
      for (const event of batch.events) if (event.type === 'usage') events.push(event);
    }
  }
  const merged = mergeUsageEvents(events);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  // CPU time of this thread's process (user + system): what the pass costs a core, without waits on disk.
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, calls: merged.length };
}

const totalBytes = files.reduce((sum, file) => sum + statSync(file.path).size, 0);
// The speed of this machine's core right now (it varies by half on a shared VM): a fixed integer loop.
function calibrate() {
  const started = performance.now();
  let sum = 0;
  for (let i = 0; i < 300_000_000; i++) sum += i % 7;
  return { ms: Math.round(performance.now() - started), sum };
}
const calibration = calibrate();
const results = [];
for (let run = 0; run < Number(values.runs); run++) results.push(await pass(true));
const best = results.reduce((a, b) => (a.seconds <= b.seconds ? a : b));
const leastCpu = results.reduce((a, b) => (a.cpuSeconds <= b.cpuSeconds ? a : b));
// For comparison: every line decoded and parsed, as the live path does.
const full = await pass(false);
const mbps = (seconds) => (totalBytes / 1e6 / seconds).toFixed(0);
console.log(
  JSON.stringify({
    corpus: { files: files.length, megabytes: +(totalBytes / 1e6).toFixed(1), seed },
    usagePath: {
      bestSeconds: +best.seconds.toFixed(3),
      megabytesPerSecond: Number(mbps(best.seconds)),
      megabytesPerCpuSecond: Number(mbps(leastCpu.cpuSeconds)),
      billedCalls: best.calls,
      runs: results.map((r) => +r.seconds.toFixed(3)),
    },
    fullParse: { seconds: +full.seconds.toFixed(3), megabytesPerSecond: Number(mbps(full.seconds)) },
    node: process.version,
    calibrationLoopMs: calibration.ms,
  }),
);

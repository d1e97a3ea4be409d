// Benchmark of @nexus/usage against ccusage on a generated corpus (issue 4 targets).
//   pnpm --filter @nexus/usage bench [-- --mb 500 --seed 7 --keep]
// Needs the packages built (turbo's bench task builds them first).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const repo = resolve(pkg, '../..');
const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '500' },
    seed: { type: 'string', default: '7' },
    keep: { type: 'boolean' },
  },
});
const targetBytes = Number(values.mb) * 1024 * 1024;
const seed = Number(values.seed);
const out = join(repo, 'bench-results', 'usage');
const corpus = join(out, `corpus-${seed}-${values.mb}mb`);
mkdirSync(out, { recursive: true });

function findCcusage() {
  if (process.env.CCUSAGE_BIN) return process.env.CCUSAGE_BIN;
  for (const dir of [
    join(repo, 'packages/parsers/node_modules/.bin'),
    join(repo, 'node_modules/.bin'),
    join(pkg, 'node_modules/.bin'),
  ]) {
    const bin = join(dir, 'ccusage');
    if (existsSync(bin)) return bin;
  }
  return undefined;
}

const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Run a command; wall seconds and peak RSS (MB, from GNU time) when available. */
function measure(cmd, args, env) {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = gnuTime
      ? spawn(gnuTime, ['-f', '__RSS_KB=%M', cmd, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallS = Number(process.hrtime.bigint() - started) / 1e9;
      const m = /__RSS_KB=(\d+)/.exec(stderr);
      if (code !== 0)
        return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      resolvePromise({ wallS, rssMb: m ? Number(m[1]) / 1024 : null, stdout });
    });
  });
}

/** The fastest of `runs` runs of a command (the machine is shared). */
async function bestOf(runs, args, env) {
  let best;
  for (let i = 0; i < runs; i++) {
    const run = await measure(process.execPath, args, env);
    if (!best || run.wallS < best.wallS) best = run;
  }
  return best;
}

const home = join(corpus, 'home');
const truthFile = `${home}.truth.json`;
if (!existsSync(truthFile)) {
  const { generateCorpus } = await import('@nexus/parsers/corpus');
  rmSync(corpus, { recursive: true, force: true });
  mkdirSync(corpus, { recursive: true });
  const t = Date.now();
  generateCorpus(home, { seed, targetBytes });
  console.error(`corpus generated in ${((Date.now() - t) / 1000).toFixed(1)} s: ${home}`);
}

const env = { ...process.env, HOME: home, NEXUS_OFFLINE: '1', NO_COLOR: '1' };
delete env.CLAUDE_CONFIG_DIR;
delete env.CODEX_HOME;
delete env.OPENCLAW_STATE_DIR;
const node = process.execPath;
const child = join(here, 'child.mjs');
const results = {
  corpus: home,
  generator: '@nexus/parsers/corpus',
  targetMb: Number(values.mb),
  seed,
  node: process.version,
};

// What this machine charges every Node process before its first line, to read the figures below by:
// Node 20 parses the bundle NODE_EXTRA_CA_CERTS names (and its own roots) at start, TLS or not.
const extraCa = Boolean(env.NODE_EXTRA_CA_CERTS);
const envWithoutExtraCa = { ...env };
delete envWithoutExtraCa.NODE_EXTRA_CA_CERTS;
results.machine = {
  cpus: availableParallelism(),
  extraCaCerts: extraCa,
  nodeStartS: (await bestOf(5, ['-e', '0'], env)).wallS,
  ...(extraCa ? { nodeStartWithoutExtraCaS: (await bestOf(5, ['-e', '0'], envWithoutExtraCa)).wallS } : {}),
};

const ccusage = findCcusage();
if (ccusage) {
  let r;
  for (let i = 0; i < 2; i++) {
    const run = await measure(ccusage, ['daily', '--json', '--offline'], env);
    if (!r || run.wallS < r.wallS) r = run;
  }
  const version = (await measure(ccusage, ['--version'], env)).stdout.trim();
  const daily = JSON.parse(r.stdout);
  results.ccusage = {
    command: `HOME=${home} ccusage daily --json --offline`,
    version,
    wallS: r.wallS,
    rssMb: r.rssMb,
    totalTokens: daily.totals?.totalTokens,
    totalCostUsd: daily.totals?.totalCost,
  };
} else {
  console.error('ccusage not found under node_modules/.bin: skipping the side-by-side run');
}

const state = join(out, `state-${seed}-${values.mb}mb`);
rmSync(state, { recursive: true, force: true });
// Best of two cold runs (a fresh ledger each time): the machine is shared.
let cold;
for (let i = 0; i < 2; i++) {
  rmSync(state, { recursive: true, force: true });
  const run = await measure(node, [child, 'cold', home, state], env);
  if (!cold || run.wallS < cold.wallS) cold = run;
}
const { byDayModel, ...coldSummary } = JSON.parse(cold.stdout);
results.cold = { wallS: cold.wallS, rssMb: cold.rssMb, ...coldSummary };
{
  // The corpus's ground truth: every day × tool × model token field must match exactly.
  const truth = JSON.parse(readFileSync(truthFile, 'utf8'));
  const expected = Object.fromEntries(truth.rows.map((row) => [`${row.date}|${row.tool}|${row.model}`, row]));
  const fields = ['inputTokens', 'outputTokens', 'cacheCreationTokens', 'cacheReadTokens'];
  const keys = new Set([...Object.keys(expected), ...Object.keys(byDayModel)]);
  const mismatches = [...keys].filter((k) => fields.some((f) => expected[k]?.[f] !== byDayModel[k]?.[f]));
  results.cold.exactAgainstTruth = mismatches.length === 0;
  if (mismatches.length) results.cold.mismatches = mismatches.slice(0, 5);
}
const warm = await measure(node, [child, 'warm', home, state], env);
results.warm = { wallS: warm.wallS, rssMb: warm.rssMb, ...JSON.parse(warm.stdout) };

const cli = join(repo, 'apps/server/dist/cli/main.js');
const reportEnv = { ...env, NEXUS_STATE_DIR: state };
if (existsSync(cli)) {
  const best = await bestOf(
    3,
    [cli, 'usage', 'daily', '--json', '--offline', '--timezone', 'UTC'],
    reportEnv,
  );
  results.report = {
    command: `HOME=${home} NEXUS_STATE_DIR=${state} nexus usage daily --json --offline --timezone UTC`,
    wallS: best.wallS,
    rssMb: best.rssMb,
  };
  Object.defineProperty(results.report, 'stdout', { value: best.stdout, enumerable: false });
  if (extraCa) {
    // The same command without the certificate bundle: the target is judged on the figure above.
    const plain = await bestOf(3, [cli, 'usage', 'daily', '--json', '--offline', '--timezone', 'UTC'], {
      ...envWithoutExtraCa,
      NEXUS_STATE_DIR: state,
    });
    results.report.withoutExtraCaS = plain.wallS;
  }
} else {
  const r = await measure(node, [child, 'report', home, state], env);
  results.report = {
    command: 'bench/child.mjs report (apps/server not built)',
    wallS: r.wallS,
    rssMb: r.rssMb,
  };
}

// The same report while `nexus start` runs the server for this state directory: the server answers
// (it keeps the ledger current), so the command catches nothing up.
if (existsSync(cli)) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  await measure(node, [cli, 'start', '--port', String(port)], reportEnv);
  try {
    for (let waited = 0; waited < 60_000; waited += 200) {
      const health = await fetch(`http://127.0.0.1:${port}/api/health`).then(
        (res) => res.json(),
        () => undefined,
      );
      if (health?.backfill?.status === 'done') break;
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
    const best = await bestOf(
      3,
      [cli, 'usage', 'daily', '--json', '--offline', '--timezone', 'UTC'],
      reportEnv,
    );
    results.reportWithServer = {
      command: `${results.report.command} (with \`nexus start\` running)`,
      wallS: best.wallS,
      rssMb: best.rssMb,
      sameAsWithout: best.stdout === results.report.stdout,
    };
  } finally {
    await measure(node, [cli, 'stop'], reportEnv);
  }
}

const commandOnly = join(here, 'usage-command.mjs');
if (existsSync(join(repo, 'apps/server/dist/usage/usage-command.js'))) {
  const best = await bestOf(3, [commandOnly, 'daily', '--json', '--offline', '--timezone', 'UTC'], reportEnv);
  results.reportCommandOnly = {
    command: 'node bench/usage-command.mjs daily --json --offline --timezone UTC',
    wallS: best.wallS,
    rssMb: best.rssMb,
  };
}

results.targets = {
  coldVsCcusage: results.ccusage ? results.cold.wallS / results.ccusage.wallS : null,
  coldOk: results.ccusage ? results.cold.wallS <= 1.5 * results.ccusage.wallS : null,
  rssOk: results.cold.rssMb === null ? null : results.cold.rssMb <= 250,
  warmOk: results.warm.msSinceStart <= 500,
  reportOk: results.report.wallS <= 0.3,
  reportWithServerOk: results.reportWithServer ? results.reportWithServer.wallS <= 0.3 : null,
};
writeFileSync(join(out, 'usage-bench.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
if (!values.keep) rmSync(state, { recursive: true, force: true });

// Benchmark of `nexus statusline` and the 5-hour block queries on a large ledger (issue 7).
//   node apps/server/bench/statusline.mjs [--calls 200000] [--runs 300] [--spawns 40]
// Needs the packages built (pnpm build). Results: bench-results/server/statusline.json.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { activeBlock, blocksReport, UsageLedger, windowSessions } from '@nexus/usage';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const CLI = resolve(here, '../dist/cli/main.js');
const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '200000' },
    runs: { type: 'string', default: '300' },
    spawns: { type: 'string', default: '40' },
  },
});
const CALLS = Number(values.calls);
const RUNS = Number(values.runs);
const SPAWNS = Number(values.spawns);
const NOW = Date.now();
const SESSION = '5f1c4a3e-1111-4222-8333-444455556666';

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const r = (n) => Math.round(n * 100) / 100;
  return {
    n: sorted.length,
    p50: r(percentile(sorted, 50)),
    p95: r(percentile(sorted, 95)),
    p99: r(percentile(sorted, 99)),
    max: r(sorted.at(-1)),
  };
}

/**
 * Deterministic calls over the last 30 days: 500 sessions, 18 hours of work a day and a 6-hour night
 * that ended 16 hours ago, so "now" is well inside a long run of 5-hour blocks.
 */
function* calls(count) {
  let seed = 7;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const span = 30 * 86_400_000;
  const day = 86_400_000;
  const step = (span * 18) / 24 / count;
  let ts = NOW - span;
  for (let i = 0; i < count; i++) {
    ts += step;
    const ago = (NOW - ts) % day;
    if (ago > 16 * 3_600_000 && ago <= 22 * 3_600_000) ts += ago - 16 * 3_600_000; // skip the night
    const codex = next() < 0.2;
    const session =
      i >= count - 400
        ? `claude-code:${SESSION}`
        : `${codex ? 'codex' : 'claude-code'}:s${Math.floor(next() * 500)}`;
    yield {
      type: 'usage',
      tool: codex ? 'codex' : 'claude-code',
      sessionId: session,
      projectPath: `/work/p${Math.floor(next() * 40)}`,
      timestamp: new Date(Math.min(ts, NOW - 1000)).toISOString(),
      model: codex ? 'gpt-5-codex' : 'claude-sonnet-4-5-20250929',
      inputTokens: Math.floor(next() * 2000),
      outputTokens: Math.floor(next() * 3000),
      cacheCreationTokens: Math.floor(next() * 5000),
      cacheCreation1hTokens: 0,
      cacheReadTokens: Math.floor(next() * 50_000),
      reasoningOutputTokens: 0,
      dedupKey: `k${i}`,
    };
  }
}

function fill(ledger) {
  const started = performance.now();
  let batch = [];
  for (const call of calls(CALLS)) {
    batch.push(call);
    if (batch.length === 10_000) {
      ledger.ingest(batch);
      batch = [];
    }
  }
  if (batch.length) ledger.ingest(batch);
  return performance.now() - started;
}

function run(cmd, args, input, env) {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`));
      resolvePromise({ ms, stdout });
    });
    child.stdin.end(input);
  });
}

const work = mkdtempSync(join(tmpdir(), 'nexus-statusline-bench-'));
try {
  // Ingestion of the calls into a fresh ledger, best of two (the machine is shared). Schemas 3–4 were
  // once compared here with and without their triggers; the ledger keeps those totals itself since.
  const ingestRuns = [];
  for (let i = 0; i < 2; i++) {
    const trial = UsageLedger.open({ path: join(work, `ingest-${i}.sqlite`) });
    ingestRuns.push(fill(trial));
    trial.close();
  }

  const stateDir = join(work, 'state');
  mkdirSync(stateDir, { recursive: true });
  const ledger = UsageLedger.open({ stateDir });
  fill(ledger);

  const timed = (fn) => {
    const samples = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      fn();
      samples.push(performance.now() - t);
    }
    return summary(samples);
  };
  const block = activeBlock(ledger, { now: NOW });
  const queries = {
    activeBlock: timed(() => activeBlock(ledger, { now: NOW })),
    windowSessions5h: timed(() => windowSessions(ledger, { tool: 'claude-code', from: NOW - 5 * 3_600_000 })),
    windowSessions7d: timed(() =>
      windowSessions(ledger, { tool: 'claude-code', from: NOW - 7 * 86_400_000 }),
    ),
    blocksReportAllHistory: timed(() => blocksReport(ledger, { now: NOW })),
  };
  ledger.close();

  // What the server would have written for the statusline.
  mkdirSync(join(stateDir, 'limits'), { recursive: true });
  writeFileSync(
    join(stateDir, 'limits', 'snapshot.json'),
    JSON.stringify({
      windows: [
        {
          tool: 'claude-code',
          window: 'five_hour',
          label: '5-hour',
          usedPercent: 61,
          windowMinutes: 300,
          resetsAt: new Date(NOW + 3_600_000).toISOString(),
          source: 'claude-oauth',
          asOf: new Date(NOW - 60_000).toISOString(),
          topSessions: [],
        },
      ],
      activeBlock: block,
      claudeUsage: {
        status: 'ok',
        asOf: new Date(NOW - 60_000).toISOString(),
        nextPollAt: null,
        failures: 0,
      },
      updatedAt: new Date(NOW).toISOString(),
    }),
  );
  const input = JSON.stringify({
    session_id: SESSION,
    model: { id: 'claude-opus-4-6', display_name: 'Opus 4.6' },
    cost: { total_cost_usd: 1.23 },
    rate_limits: {
      five_hour: { used_percentage: 42, resets_at: Math.floor((NOW + 3_600_000) / 1000) },
      seven_day: { used_percentage: 18, resets_at: Math.floor((NOW + 4 * 86_400_000) / 1000) },
    },
  });

  const { statuslineLine } = await import(resolve(here, '../dist/limits/statusline.js'));
  const line = statuslineLine(input, { stateDir, now: Date.now(), color: false });
  const inProcess = [];
  for (let i = 0; i < RUNS + 10; i++) {
    const t = performance.now();
    statuslineLine(input, { stateDir, now: Date.now(), color: false });
    if (i >= 10) inProcess.push(performance.now() - t);
  }

  const env = { ...process.env, NEXUS_STATE_DIR: stateDir, NO_COLOR: '1' };
  const spawned = { bareNode: [], cliVersion: [], statusline: [], viaServer: [] };
  for (let i = 0; i < SPAWNS + 3; i++) {
    const a = await run(process.execPath, ['-e', '0'], '', env);
    const b = await run(process.execPath, [CLI, '--version'], '', env);
    const c = await run(process.execPath, [CLI, 'statusline'], input, env);
    // The countdown moves while the benchmark runs; everything else must match the in-process line.
    const same = (text) => text.trim().replace(/↻\S+/, '↻');
    if (same(c.stdout) !== same(line))
      throw new Error(`statusline printed ${JSON.stringify(c.stdout)}, expected ${line}`);
    if (i < 3) continue;
    spawned.bareNode.push(a.ms);
    spawned.cliVersion.push(b.ms);
    spawned.statusline.push(c.ms);
  }

  // The same line through a running server: bin/nexus-statusline posts the input with curl.
  const port = await new Promise((resolvePort) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolvePort(free));
    });
  });
  const serverEnv = { ...env, HOME: join(work, 'home'), NEXUS_OFFLINE: '1', NEXUS_PORT: String(port) };
  const server = spawn(process.execPath, [CLI, 'serve', '--port', String(port)], {
    env: serverEnv,
    stdio: 'ignore',
  });
  try {
    for (let waited = 0; ; waited += 100) {
      const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (waited > 20_000) throw new Error('nexus serve did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const script = resolve(here, '../bin/nexus-statusline');
    for (let i = 0; i < SPAWNS + 3; i++) {
      const d = await run(script, [], input, serverEnv);
      const same = (text) => text.trim().replace(/↻\S+/, '↻');
      if (same(d.stdout) !== same(line))
        throw new Error(`bin/nexus-statusline printed ${JSON.stringify(d.stdout)}, expected ${line}`);
      if (i >= 3) spawned.viaServer.push(d.ms);
    }
  } finally {
    server.kill();
  }

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    calls: CALLS,
    line,
    ingestMs: Math.round(Math.min(...ingestRuns)),
    queriesMs: queries,
    statuslineInProcessMs: summary(inProcess),
    spawnedMs: {
      bareNode: summary(spawned.bareNode),
      cliVersion: summary(spawned.cliVersion),
      statusline: summary(spawned.statusline),
      statuslineViaServer: summary(spawned.viaServer),
    },
  };
  const out = join(repo, 'bench-results', 'server');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'statusline.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

#!/usr/bin/env node
// Live latency benchmark (issue 5): N Claude Code sessions each append R short lines per second for D
// seconds to real files in a temporary HOME; a loopback WebSocket client records, for every line, the
// time from its append to the first frame carrying it. The server runs as `nexus start` runs it
// (`nexus serve` from the built dist, with the same Node flags), with usage parsed into the ledger as well.
//
//   node apps/server/bench/live-latency.mjs [--sessions 50] [--rate 20] [--seconds 10]
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');
const { values } = parseArgs({
  options: { sessions: { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' } },
});
const SESSIONS = Number(values.sessions ?? 50);
const RATE = Number(values.rate ?? 20);
const SECONDS = Number(values.seconds ?? 10);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const { SERVER_NODE_FLAGS } = await import(new URL('../dist/cli/daemon.js', import.meta.url).href);

const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const uuid = (i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const line = (session, n, kind) => {
  const text = `bench ${session} ${n}`;
  const base = {
    uuid: `${session}-${n}`,
    sessionId: uuid(session),
    cwd: `/bench/p${session}`,
    timestamp: new Date().toISOString(),
  };
  return `${JSON.stringify(
    kind === 'assistant'
      ? {
          ...base,
          type: 'assistant',
          requestId: `req_${session}_${n}`,
          message: {
            id: `msg_${session}_${n}`,
            role: 'assistant',
            model: 'claude-sonnet-4-5-20250929',
            content: [{ type: 'text', text }],
            usage: {
              input_tokens: 3,
              output_tokens: 12,
              cache_read_input_tokens: 1000,
              cache_creation_input_tokens: 0,
            },
          },
        }
      : { ...base, type: 'user', message: { role: 'user', content: text } },
  )}\n`;
};

const home = mkdtempSync(join(tmpdir(), 'nexus-bench-live-'));
const files = [];
for (let s = 0; s < SESSIONS; s++) {
  const path = join(home, `.claude/projects/-bench-p${s}/${uuid(s)}.jsonl`);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, line(s, 0, 'user'));
  files.push(path);
}
const port = await freePort();
const server = spawn(
  process.execPath,
  [
    ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROF] : []),
    // The flags `nexus start` gives the server process (BENCH_SERVER_FLAGS replaces them).
    ...(process.env.BENCH_SERVER_FLAGS !== undefined
      ? process.env.BENCH_SERVER_FLAGS.split(' ').filter(Boolean)
      : SERVER_NODE_FLAGS),
    CLI,
    'serve',
    '--port',
    String(port),
    '--offline',
  ],
  {
    env: { ...process.env, HOME: home, NEXUS_STATE_DIR: join(home, '.nexus'), LOG_LEVEL: 'warn' },
    stdio: ['ignore', process.env.BENCH_SERVER_STDOUT ? 'inherit' : 'ignore', 'inherit'],
  },
);
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/api/health`)).ok) break;
  } catch {}
  await sleep(100);
}

const sentAt = new Map();
// BENCH_TIMELINE=<file>: every line's send time and latency, to find when the slow ones happened.
const timeline = process.env.BENCH_TIMELINE ? [] : undefined;
const latencies = [];
let duplicates = 0;
// The wall as a dashboard builds it: init, then sessions the server's discovery announces after it.
const wall = new Set();
const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
socket.on('message', (data) => {
  const frame = JSON.parse(data.toString());
  if (frame.type === 'init') for (const session of frame.sessions) wall.add(session.sessionId);
  if (frame.type === 'session_init') wall.add(frame.sessionId);
  if (frame.type === 'session_remove') wall.delete(frame.sessionId);
  if (frame.type !== 'message_add') return;
  const key = frame.message.content;
  const sent = sentAt.get(key);
  if (sent === undefined) return;
  if (sent < 0) {
    duplicates++;
    return;
  }
  latencies.push(performance.now() - sent);
  timeline?.push([sent, performance.now() - sent]);
  sentAt.set(key, -1);
});
await new Promise((resolve) => socket.once('open', resolve));
await sleep(1000);
const sessionsOnWall = wall.size;

// This process writes and reads at once: its own event-loop stalls (GC, the writer's ticks) add to the
// latencies it measures, so they are reported next to them.
const clientDelay = monitorEventLoopDelay({ resolution: 1 });
clientDelay.enable();
const total = SESSIONS * RATE * SECONDS;
const interval = 1000 / (SESSIONS * RATE);
const started = performance.now();
// Lines are written when due, in ticks of at most 2 ms; between ticks the event loop runs, so the
// client in this same process reads its frames on time (a writer that never yields would starve it).
for (let i = 0; i < total; ) {
  const now = performance.now();
  while (i < total && started + i * interval <= now) {
    const session = i % SESSIONS;
    const n = Math.floor(i / SESSIONS) + 1;
    sentAt.set(`bench ${session} ${n}`, performance.now());
    appendFileSync(files[session], line(session, n, n % 2 ? 'assistant' : 'user'));
    i++;
  }
  await new Promise((resolve) => setImmediate(resolve));
  const next = started + i * interval - performance.now();
  if (next > 2) await sleep(Math.min(next, 2));
}
clientDelay.disable();
await sleep(2500);
const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
const peakRssMb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
socket.close();
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
rmSync(home, { recursive: true, force: true });

if (timeline)
  writeFileSync(
    process.env.BENCH_TIMELINE,
    JSON.stringify(timeline.map(([t, l]) => [Math.round(t - started), Number(l.toFixed(2))])),
  );
latencies.sort((a, b) => a - b);
const pct = (p) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
const result = {
  sessions: SESSIONS,
  linesPerSecond: SESSIONS * RATE,
  seconds: SECONDS,
  sessionsOnWall,
  lines: total,
  received: latencies.length,
  lost: total - latencies.length,
  duplicates,
  p50Ms: Number(pct(50).toFixed(2)),
  p99Ms: Number(pct(99).toFixed(2)),
  maxMs: Number((latencies.at(-1) ?? Number.NaN).toFixed(2)),
  serverPeakRssMb: Number(peakRssMb.toFixed(1)),
  clientLoopDelayP99Ms: Number((clientDelay.percentile(99) / 1e6).toFixed(2)),
  clientLoopDelayMaxMs: Number((clientDelay.max / 1e6).toFixed(2)),
};
console.log(JSON.stringify(result));
process.exit(result.lost === 0 && result.duplicates === 0 ? 0 : 1);

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logRootsKey, writePidRecord } from '../cli/pid-file.js';
import { runBlocksCommand } from '../limits/blocks-command.js';
import { reportFromRunningServer } from './server-report.js';

const REPORT = {
  timezone: 'Asia/Tokyo',
  rows: [],
  totals: {
    inputTokens: 1,
    outputTokens: 2,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    totalTokens: 3,
    costUsd: 0.5,
  },
  unpricedModels: [],
};

let stateDir: string;
let server: Server;
let requests: string[];
let backfillStatus: string;
/** Health answers to give before falling back to `backfillStatus` (a backfill in progress, say). */
let healthScript: object[];
let reportStatus: number;

beforeEach(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'nexus-server-report-'));
  requests = [];
  backfillStatus = 'done';
  healthScript = [];
  reportStatus = 200;
  // Stands in for `nexus start`'s server: the two routes this path reads, on loopback.
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/health') {
      const backfill = healthScript.shift() ?? { status: backfillStatus };
      if ('unreachable' in backfill) return req.socket.destroy();
      res.end(JSON.stringify({ status: 'ok', backfill }));
    } else if (req.url?.startsWith('/api/usage/')) {
      res.statusCode = reportStatus;
      res.end(
        JSON.stringify(
          reportStatus === 400
            ? { statusCode: 400, code: 'NEXUS_USAGE_BAD_OPTION', message: '[nexus] [usage] bad --since' }
            : REPORT,
        ),
      );
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  writePidRecord(join(stateDir, 'server.pid'), {
    pid: process.pid,
    host: '127.0.0.1',
    port,
    url: `http://127.0.0.1:${port}`,
    startedAt: new Date().toISOString(),
    mode: 'prod',
    logRoots: logRootsKey({ HOME: '/home/ada' }),
  });
});

afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(stateDir, { recursive: true, force: true });
});

function io(env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk) => (err += chunk));
  return {
    io: { stdout, stderr, env: { NEXUS_STATE_DIR: stateDir, NO_COLOR: '1', HOME: '/home/ada', ...env } },
    out: () => out,
    err: () => err,
  };
}

describe('nexus usage answered by the running server', () => {
  it('prints the server report for --json, asking with every option and this process time zone', async () => {
    const run = io();
    const code = await reportFromRunningServer(
      [
        'session',
        '--json',
        '--since',
        '2026-09-01',
        '--until',
        '2026-09-30',
        '--tool',
        'codex',
        '--mode',
        'calculate',
        '--timezone',
        'Asia/Tokyo',
        '--offline',
      ],
      run.io,
    );
    expect(code).toBe(0);
    expect(run.out()).toBe(`${JSON.stringify(REPORT, null, 2)}\n`);
    expect(requests).toEqual([
      '/api/health',
      '/api/usage/sessions?timezone=Asia%2FTokyo&since=2026-09-01&until=2026-09-30&tool=codex&mode=calculate',
    ]);
    const zoneless = io();
    await reportFromRunningServer(['daily', '--json'], zoneless.io);
    expect(requests.at(-1)).toBe(
      `/api/usage/daily?timezone=${encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone)}`,
    );
  });

  it('prints the table without --json', async () => {
    const run = io();
    expect(await reportFromRunningServer(['daily'], run.io)).toBe(0);
    expect(run.out()).toContain('$0.50');
  });

  it("passes on the server's refusal of an option, with exit code 2", async () => {
    reportStatus = 400;
    const run = io();
    expect(await reportFromRunningServer(['daily', '--json', '--since', 'soon'], run.io)).toBe(2);
    expect(run.err()).toBe('[nexus] [usage] bad --since\n');
    expect(run.out()).toBe('');
  });

  const reading = (scannedFiles: number) => ({
    status: 'running',
    scannedFiles,
    totalFiles: 10,
    scannedBytes: scannedFiles * 1_048_576,
    totalBytes: 10 * 1_048_576,
  });

  it('waits while the server reads history, then prints its report', async () => {
    healthScript = [reading(2), reading(5), reading(9)];
    const run = io();
    expect(await reportFromRunningServer(['daily', '--json'], run.io, { pollMs: 5 })).toBe(0);
    expect(run.out()).toBe(`${JSON.stringify(REPORT, null, 2)}\n`);
    expect(requests.filter((url) => url === '/api/health')).toHaveLength(4);
    expect(run.err()).toBe('[nexus] [usage] waiting for the running server to finish reading history…\n');
  });

  it('shows the progress bar on a terminal while it waits, and clears it', async () => {
    healthScript = [reading(5)];
    const run = io();
    Object.assign(run.io.stderr, { isTTY: true });
    expect(await reportFromRunningServer(['daily', '--json'], run.io, { pollMs: 5 })).toBe(0);
    expect(run.err()).toContain('  50%  5/10 files  5.0/10.0 MB');
    expect(run.err().endsWith('\r\x1b[2K')).toBe(true);
  });

  it('catches up here when the waited-for server stops answering or its backfill stalls', async () => {
    healthScript = [reading(1), { unreachable: true }];
    expect(await reportFromRunningServer(['daily', '--json'], io().io, { pollMs: 5 })).toBeUndefined();
    backfillStatus = 'running';
    healthScript = [reading(3)];
    const stalled = io();
    expect(
      await reportFromRunningServer(['daily', '--json'], stalled.io, { pollMs: 5, stallMs: 40 }),
    ).toBeUndefined();
    expect(stalled.err()).toContain('made no progress for 0 s; catching up here');
    expect(requests.filter((url) => url.startsWith('/api/usage/'))).toHaveLength(0);
  });

  it('leaves the command to run locally when the server fails, and for --config or --help', async () => {
    backfillStatus = 'done';
    reportStatus = 500;
    expect(await reportFromRunningServer(['daily', '--json'], io().io)).toBeUndefined();
    reportStatus = 200;
    expect(await reportFromRunningServer(['daily', '--config', 'x.json'], io().io)).toBeUndefined();
    expect(await reportFromRunningServer(['daily', '--help'], io().io)).toBeUndefined();
    expect(await reportFromRunningServer(['daily', '--bogus'], io().io)).toBeUndefined();
    expect(await reportFromRunningServer(['weekly'], io().io)).toBeUndefined();
    expect(requests.filter((url) => url.startsWith('/api/usage/'))).toHaveLength(1);
  });

  it('leaves the command to run locally when the server reads other logs (another HOME or agent folder)', async () => {
    expect(await reportFromRunningServer(['daily', '--json'], io({ HOME: '/home/bob' }).io)).toBeUndefined();
    expect(
      await reportFromRunningServer(['daily', '--json'], io({ CODEX_HOME: '/srv/codex' }).io),
    ).toBeUndefined();
    expect(requests).toEqual([]);
    expect(await reportFromRunningServer(['daily', '--json'], io().io)).toBe(0);
  });

  it('answers `nexus usage blocks` too, with its options, and passes on a refusal', async () => {
    const run = io();
    const blocksIo = { ...run.io, cwd: stateDir };
    expect(
      await runBlocksCommand(
        ['--json', '--tool', 'all', '--active', '--session-length', '3', '--timezone', 'UTC'],
        blocksIo,
      ),
    ).toBe(0);
    expect(run.out()).toBe(`${JSON.stringify(REPORT, null, 2)}\n`);
    expect(requests.at(-1)).toBe('/api/usage/blocks?timezone=UTC&tool=all&active=true&sessionLength=3');
    reportStatus = 400;
    const refused = io();
    expect(
      await runBlocksCommand(['--json', '--since', '2026-01-01'], { ...refused.io, cwd: stateDir }),
    ).toBe(2);
    expect(refused.err()).toBe('[nexus] [usage] bad --since\n');
  });

  it('leaves the command to run locally when no server runs for this state directory', async () => {
    rmSync(join(stateDir, 'server.pid'));
    expect(await reportFromRunningServer(['daily', '--json'], io().io)).toBeUndefined();
    expect(requests).toEqual([]);
  });
});

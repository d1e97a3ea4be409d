import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LimitsSnapshot, UsageBlocksReport, validate, validateServerFrame } from '@nexus/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { createApp } from '../src/app.js';
import { createEngineRuntime } from '../src/engine.js';
import { statuslineLine } from '../src/limits/statusline.js';
import { collectFrames, openSocket, testOptions, waitFor } from './helpers.js';
import { capturedLogger, standIn } from './limits-helpers.js';

const TOKEN = 'sk-ant-oat01-ENGINE-secret-3b9d';
const CLAUDE_SESSION = 'ae4a77f8-aedd-4bc1-888f-c94edc91af04';
const CODEX_ID = '019aad50-a7e6-7422-b7a8-0b384290624f';
const CODEX =
  '.codex/sessions/2026/11/24/rollout-2026-11-24T10-00-00-019aad50-a7e6-7422-b7a8-0b384290624f.jsonl';

let home: string;
let close: (() => Promise<unknown>) | undefined;
let socket: WebSocket | undefined;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'nexus-limits-'));
});
afterEach(async () => {
  socket?.close();
  await close?.();
  close = undefined;
  rmSync(home, { recursive: true, force: true });
});

function write(relativePath: string, content: string): string {
  const path = join(home, relativePath);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

function claudeCall(id: string, msAgo: number, output: number): string {
  return `${JSON.stringify({
    type: 'assistant',
    uuid: id,
    sessionId: CLAUDE_SESSION,
    cwd: '/work/shop',
    timestamp: iso(msAgo),
    requestId: `req_${id}`,
    message: {
      id: `msg_${id}`,
      model: 'claude-sonnet-4-5-20250929',
      role: 'assistant',
      content: [{ type: 'text', text: 'ok' }],
      usage: {
        input_tokens: 100,
        output_tokens: output,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
    },
  })}\n`;
}

function codexLimits(msAgo: number, primary: number): string {
  return `${JSON.stringify({
    timestamp: iso(msAgo),
    type: 'event_msg',
    payload: {
      type: 'token_count',
      info: null,
      rate_limits: {
        primary: { used_percent: primary, window_minutes: 300, resets_in_seconds: 3600 },
        secondary: { used_percent: 12, window_minutes: 10_080, resets_in_seconds: 86_400 },
        plan_type: 'plus',
      },
    },
  })}\n`;
}

async function start(baseUrl: string) {
  write(
    '.claude/.credentials.json',
    JSON.stringify({ claudeAiOauth: { accessToken: TOKEN, expiresAt: Date.now() + 86_400_000 } }),
  );
  write(
    `.claude/projects/-work-shop/${CLAUDE_SESSION}.jsonl`,
    claudeCall('a', 40 * 60_000, 900) + claudeCall('b', 10 * 60_000, 400),
  );
  write(CODEX, codexLimits(30 * 60_000, 20) + codexLimits(20 * 60_000, 33));
  const { logger, lines } = capturedLogger();
  const engine = await createEngineRuntime({
    env: { HOME: home, NEXUS_CLAUDE_USAGE_URL: baseUrl },
    stateDir: join(home, '.nexus'),
    logger,
    offline: false,
    processLister: { openLogFiles: async () => new Set() },
  });
  const nexus = await createApp({
    options: testOptions(),
    runtime: engine.runtime,
    logger,
    plugins: engine.plugins,
  });
  await nexus.app.listen({ host: '127.0.0.1', port: 0 });
  close = async () => {
    await nexus.app.close();
    await engine.runtime.close();
  };
  const port = (nexus.app.server.address() as AddressInfo).port;
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { port, get, lines };
}

describe('plan limits in the server', () => {
  it('serves Claude windows from the endpoint and Codex windows from its logs, over HTTP and in init', async () => {
    const server = await standIn([
      { status: 200, body: JSON.stringify({ five_hour: { utilization: 42, resets_at: iso(-3_600_000) } }) },
    ]);
    const { port, get, lines } = await start(server.baseUrl);
    let limits: LimitsSnapshot | undefined;
    await waitFor(() => server.requests.length === 1);
    for (;;) {
      limits = (await get('/api/limits')).body as unknown as LimitsSnapshot;
      if (limits.windows.length === 3 && limits.activeBlock) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(validate(LimitsSnapshot, limits)).toMatchObject({ ok: true });
    expect(limits.windows.map((w) => [w.tool, w.window, w.usedPercent, w.source, w.sessionId])).toEqual([
      ['claude-code', 'five_hour', 42, 'claude-oauth', undefined],
      ['codex', 'primary', 33, 'codex-log', `codex:${CODEX_ID}`],
      ['codex', 'secondary', 12, 'codex-log', `codex:${CODEX_ID}`],
    ]);
    expect(limits.claudeUsage).toMatchObject({ status: 'ok', failures: 0 });
    expect(limits.activeBlock).toMatchObject({ entries: 2, outputTokens: 1300, isActive: true });
    expect(limits.windows[0]!.topSessions.map((s) => s.sessionId)).toEqual([`claude-code:${CLAUDE_SESSION}`]);

    socket = await openSocket(`ws://127.0.0.1:${port}/ws`);
    const frames = collectFrames(socket);
    await waitFor(() => frames.length >= 2);
    const init = frames[1] as { type: string; limits?: LimitsSnapshot };
    expect(init.type).toBe('init');
    expect(init.limits?.windows.map((w) => w.window)).toEqual(['five_hour', 'primary', 'secondary']);

    // Codex reports again while it runs: a limits frame with the new figure.
    appendFileSync(join(home, CODEX), codexLimits(0, 57.5));
    // Recomputes are coalesced to one per 5 s: allow for that.
    const reported = () =>
      frames.some(
        (f) =>
          f.type === 'limits' &&
          (f as unknown as LimitsSnapshot).windows.some(
            (w) => w.window === 'primary' && w.usedPercent === 57.5,
          ),
      );
    await waitFor(reported, 15_000);
    const frame = frames.find((f) => f.type === 'limits')!;
    expect(validateServerFrame(frame)).toMatchObject({ ok: true });

    await server.close();
    for (const line of lines) expect(line).not.toContain(TOKEN);
  });

  it('serves 5-hour blocks and rejects a bad query', async () => {
    const server = await standIn([{ status: 500 }]);
    const { get, lines } = await start(server.baseUrl);
    await waitFor(() => server.requests.length === 1);
    let blocks: UsageBlocksReport;
    for (;;) {
      blocks = (await get('/api/usage/blocks')).body as unknown as UsageBlocksReport;
      if (blocks.blocks.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(validate(UsageBlocksReport, blocks)).toMatchObject({ ok: true });
    expect(blocks.tool).toBe('claude-code');
    expect(blocks.blocks.map((b) => [b.entries, b.outputTokens, b.isActive])).toEqual([[2, 1300, true]]);
    const active = await get('/api/usage/blocks?active=true&tool=all&sessionLength=5');
    expect(active.status).toBe(200);
    expect((active.body as unknown as UsageBlocksReport).tool).toBeNull();
    const bad = await get('/api/usage/blocks?tool=Not%20A%20Tool');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'NEXUS_USAGE_BAD_OPTION' });
    expect((await get('/api/usage/blocks?since=2026-12-31&until=2026-01-01')).body).toMatchObject({
      statusCode: 400,
      code: 'NEXUS_USAGE_BAD_OPTION',
    });
    // The failed poll is logged with its code, never with the token.
    let limits = (await get('/api/limits')).body as unknown as LimitsSnapshot;
    for (let i = 0; i < 100 && limits.claudeUsage.status === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      limits = (await get('/api/limits')).body as unknown as LimitsSnapshot;
    }
    expect(limits.claudeUsage).toMatchObject({
      status: 'error',
      failures: 1,
      lastErrorCode: 'NEXUS_LIMITS_HTTP_ERROR',
    });
    expect(lines.some((l) => l.includes('NEXUS_LIMITS_HTTP_ERROR'))).toBe(true);
    for (const line of lines) expect(line).not.toContain(TOKEN);
    await server.close();
  });

  it('answers the statusline over HTTP, and bin/nexus-statusline prints it through curl or, with no server, through the CLI', async () => {
    const server = await standIn([{ status: 500 }]);
    const { port } = await start(server.baseUrl);
    const input = JSON.stringify({
      session_id: CLAUDE_SESSION,
      model: { id: 'claude-sonnet-4-5-20250929', display_name: 'Sonnet 4.5' },
      rate_limits: {
        five_hour: { used_percentage: 42, resets_at: Math.floor((Date.now() + 3_600_000) / 1000) },
      },
    });
    const line = () =>
      statuslineLine(input, { stateDir: join(home, '.nexus'), now: Date.now(), color: false });
    // Two Sonnet calls, 200 input and 1,300 output tokens at $3/$15 per million: $0.0201.
    await waitFor(() => line().includes('session $0.02'), 10_000);
    const expected = line();
    expect(expected).toMatch(/^Sonnet 4\.5 · session \$0\.02 · today \$\d+\.\d\d · 5h 42% ↻(59m|1h00m)$/);
    const response = await fetch(`http://127.0.0.1:${port}/api/statusline?color=0`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: input,
    });
    expect(response.status).toBe(200);
    const same = (line: string) => line.trim().replace(/↻\S+/, '↻');
    expect(same(await response.text())).toBe(same(expected));
    const bad = await fetch(`http://127.0.0.1:${port}/api/statusline`, { method: 'POST', body: 'not json' });
    expect(await bad.text()).toBe('Nexus: no statusline input (NEXUS_STATUSLINE_BAD_INPUT)\n');

    const script = fileURLToPath(new URL('../bin/nexus-statusline', import.meta.url));
    const env = { PATH: process.env.PATH, NO_COLOR: '1', NEXUS_STATE_DIR: join(home, '.nexus') };
    const run = (extra: Record<string, string>) =>
      new Promise<string>((resolve, reject) => {
        const child = execFile(script, { env: { ...env, ...extra }, timeout: 20_000 }, (error, stdout) =>
          error ? reject(error) : resolve(stdout),
        );
        child.stdin?.end(input);
      });
    expect(same(await run({ NEXUS_PORT: String(port) }))).toBe(same(expected));
    // Nothing listens on the port of a closed server: the CLI answers instead, with the same line.
    await close?.();
    close = undefined;
    expect(same(await run({ NEXUS_PORT: String(port) }))).toBe(same(expected));
    await server.close();
  }, 30_000);
});

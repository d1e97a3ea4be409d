import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NexusAdapter } from '@nexus/parsers';
import Database from 'better-sqlite3';
import { AGENT_SCHEMA } from 'nexus-adapter-openclaw-sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectFrames, openSocket, silentLogger, testOptions } from '../../test/helpers.js';
import { createApp } from '../app.js';
import { createEngineRuntime, type Engine } from '../engine.js';
import { runBlocksCommand } from '../limits/blocks-command.js';
import { runUsageCommand } from '../usage/usage-command.js';
import { loadHostAdapters } from './host.js';

let home: string;
let engine: Engine | undefined;
const silent = { info: () => {}, warn: () => {} };
const logger = {
  ...silent,
  debug: () => {},
  error: () => {},
  child: () => logger,
} as unknown as Parameters<typeof createEngineRuntime>[0]['logger'];

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'nexus-engine-plugins-'));
});
afterEach(async () => {
  await engine?.runtime.close();
  engine = undefined;
  rmSync(home, { recursive: true, force: true });
});

function write(relativePath: string, content: string): string {
  const path = join(home, relativePath);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

async function waitFor(predicate: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function usageJson(args: string[]): Promise<{ rows: Array<Record<string, unknown>> }> {
  let out = '';
  let err = '';
  const code = await runUsageCommand([...args, '--json', '--offline'], {
    stdout: { write: (chunk: string) => (out += chunk) } as unknown as NodeJS.WritableStream,
    stderr: { write: (chunk: string) => (err += chunk) } as unknown as NodeJS.WritableStream,
    env: { HOME: home, NEXUS_STATE_DIR: join(home, '.nexus'), TZ: 'UTC' },
    cwd: home,
  });
  expect(err).toBe('');
  expect(code).toBe(0);
  return JSON.parse(out);
}

async function startEngine(adapters: readonly NexusAdapter[]) {
  engine = await createEngineRuntime({
    env: { HOME: home },
    stateDir: join(home, '.nexus'),
    logger,
    offline: true,
    adapters,
    processLister: { openLogFiles: async () => new Set() },
    scanIntervalMs: 200,
  });
  return engine;
}

const now = () => new Date().toISOString();

describe('plugins in the running Nexus', () => {
  it('a plugin named in nexus.config.json: its sessions are on the wall and its usage in `nexus usage`', async () => {
    write('.nexus/nexus.config.json', JSON.stringify({ adapters: ['nexus-adapter-pi'], discover: false }));
    const session = '0195f0c2-7b1e-7c55-9d1a-3e8c5b2a4f10';
    write(
      `.pi/agent/sessions/--home-dev-shop--/2026-11-30T10-00-00-000Z_${session}.jsonl`,
      [
        { type: 'session', version: 3, id: session, timestamp: now(), cwd: '/home/dev/shop' },
        {
          type: 'message',
          id: 'aa000001',
          parentId: null,
          timestamp: now(),
          message: { role: 'user', content: 'rename the cart module', timestamp: Date.now() },
        },
        {
          type: 'message',
          id: 'aa000002',
          parentId: 'aa000001',
          timestamp: now(),
          message: {
            role: 'assistant',
            content: [{ type: 'text', text: 'Renamed cart/ to basket/.' }],
            provider: 'anthropic',
            model: 'claude-sonnet-4-5',
            usage: {
              input: 1200,
              output: 300,
              cacheRead: 0,
              cacheWrite: 0,
              totalTokens: 1500,
              cost: { total: 0.0081 },
            },
            stopReason: 'stop',
            timestamp: Date.now(),
          },
        },
      ]
        .map((entry) => JSON.stringify(entry))
        .join('\n')
        .concat('\n'),
    );
    const { adapters, reports } = await loadHostAdapters({ stateDir: join(home, '.nexus'), logger: silent });
    expect(
      reports.filter((r) => r.source !== 'built-in').map((r) => [r.name, r.status, r.adapterId]),
    ).toEqual([['nexus-adapter-pi', 'loaded', 'pi']]);
    const running = await startEngine(adapters);
    await waitFor(() => running.runtime.sessions().some((s) => s.sessionId === `pi:${session}`));
    // What the wall gets: the init frame of a WebSocket client.
    const nexus = await createApp({
      options: testOptions(),
      runtime: running.runtime,
      logger: silentLogger,
      plugins: running.plugins,
    });
    await nexus.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = nexus.app.server.address() as { port: number };
    const socket = await openSocket(`ws://127.0.0.1:${port}/ws`);
    const frames = collectFrames(socket);
    await waitFor(() => frames.length >= 2);
    const init = frames[1] as {
      type: string;
      sessions: Array<{
        sessionId: string;
        tool: string;
        messages: Array<{ role: string; content: string }>;
      }>;
    };
    expect(init.type).toBe('init');
    const card = init.sessions.find((s) => s.sessionId === `pi:${session}`)!;
    expect(card.tool).toBe('pi');
    expect(card.messages.map((m) => `${m.role}: ${m.content}`)).toEqual([
      'user: rename the cart module',
      'assistant: Renamed cart/ to basket/.',
    ]);
    socket.close();
    await nexus.app.close();
    await waitFor(() => running.runtime.backfill().status === 'done');
    await waitFor(() => (running.runtime.snapshot().usageTotals.byTool.pi?.totalTokens ?? 0) === 1500);
    await running.runtime.close();
    engine = undefined;

    const report = await usageJson(['session', '--tool', 'pi']);
    expect(report.rows.map((row) => [row.sessionId, row.totalTokens, row.costUsd])).toEqual([
      [`pi:${session}`, 1500, 0.0081],
    ]);

    // `nexus usage blocks` catches a fresh ledger up with the same adapters (it read the built-in ones only).
    let out = '';
    const code = await runBlocksCommand(['--tool', 'pi', '--json', '--offline'], {
      stdout: { write: (chunk: string) => (out += chunk) } as unknown as NodeJS.WritableStream,
      stderr: { write: () => true } as unknown as NodeJS.WritableStream,
      env: {
        HOME: home,
        NEXUS_STATE_DIR: join(home, '.nexus-blocks'),
        NEXUS_CONFIG: join(home, '.nexus/nexus.config.json'),
      },
      cwd: home,
    });
    expect(code).toBe(0);
    const blocks = (JSON.parse(out) as { blocks: Array<{ isGap: boolean; totalTokens: number }> }).blocks;
    expect(blocks.filter((block) => !block.isGap).map((block) => block.totalTokens)).toEqual([1500]);
  });

  it("OpenClaw's SQLite store: a live session from the database is on the wall, rows appended by OpenClaw arrive, usage is counted once", async () => {
    const dbPath = join(home, '.openclaw/agents/main/agent/openclaw-agent.sqlite');
    mkdirSync(join(dbPath, '..'), { recursive: true });
    const db = new Database(dbPath);
    db.pragma('journal_mode = WAL');
    db.exec(AGENT_SCHEMA);
    const id = 'c0ffee00-1111-4222-8333-944445555666';
    const at = Date.now();
    db.prepare(
      'INSERT INTO session_nodes (session_key, current_session_id, entry_json, updated_at) VALUES (?, ?, ?, ?)',
    ).run('agent:main:main', id, '{}', at);
    db.prepare(
      "INSERT INTO session_windows (session_id, session_key, reason, created_at, updated_at) VALUES (?, 'agent:main:main', 'initial', ?, ?)",
    ).run(id, at, at);
    const insert = db.prepare(
      'INSERT INTO transcript_events (session_id, seq, event_json, created_at, event_utf8_bytes) VALUES (?, ?, ?, ?, ?)',
    );
    const add = (seq: number, entry: unknown) => {
      const json = JSON.stringify(entry);
      insert.run(id, seq, json, Date.now(), Buffer.byteLength(json));
    };
    add(0, { type: 'session', version: 3, id, timestamp: now(), cwd: '/home/claw/inbox' });
    add(1, {
      type: 'message',
      id: 'm1',
      parentId: null,
      timestamp: now(),
      message: { role: 'user', content: [{ type: 'text', text: 'triage the inbox' }], timestamp: Date.now() },
    });
    const reply = (entryId: string, text: string, input: number) => ({
      type: 'message',
      id: entryId,
      parentId: 'm1',
      timestamp: now(),
      message: {
        role: 'assistant',
        content: [{ type: 'text', text }],
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        usage: {
          input,
          output: 50,
          cacheRead: 0,
          cacheWrite: 0,
          totalTokens: input + 50,
          cost: { total: 0.01 },
        },
        stopReason: 'stop',
        timestamp: Date.now(),
      },
    });
    add(2, reply('m2', 'Three need an answer today.', 950));

    const { adapters } = await loadHostAdapters({
      stateDir: join(home, '.nexus'),
      logger: silent,
      discoveryDirs: [],
    });
    const running = await startEngine(adapters);
    const sessionId = `openclaw:${id}`;
    await waitFor(() => running.runtime.sessions().some((s) => s.sessionId === sessionId));
    const messages = () =>
      running.runtime
        .snapshot()
        .sessions.find((s) => s.sessionId === sessionId)
        ?.messages.map((m) => m.content) ?? [];
    expect(messages()).toEqual(['triage the inbox', 'Three need an answer today.']);

    // OpenClaw appends while Nexus reads.
    add(3, reply('m3', 'Drafted the first answer.', 1450));
    await waitFor(() => messages().length === 3);
    expect(messages()[2]).toBe('Drafted the first answer.');
    await waitFor(() => (running.runtime.snapshot().usageTotals.byTool.openclaw?.totalTokens ?? 0) === 2500);
    const page = await running.runtime.messages(sessionId, { limit: 10 });
    expect(page?.messages.map((m) => m.content)).toEqual([
      'triage the inbox',
      'Three need an answer today.',
      'Drafted the first answer.',
    ]);
    await running.runtime.close();
    engine = undefined;
    db.close();

    // `nexus usage` resumes from the cursor the server saved: the same two calls, once.
    const report = await usageJson(['session', '--tool', 'openclaw']);
    expect(report.rows.map((row) => [row.sessionId, row.totalTokens, row.projectPath])).toEqual([
      [sessionId, 2500, '/home/claw/inbox'],
    ]);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processEnvironment, type UsageEvent } from '@nexus/parsers';
import type { FileCheckpoint } from '@nexus/usage';
import Database from 'better-sqlite3';
import openclawSqlite, { AGENT_SCHEMA } from 'nexus-adapter-openclaw-sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catchUpStores, createStoreHost, storeCheckpointKey } from './store-host.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'nexus-store-host-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function database(agent: string, rows: Array<[string, number, object]>): string {
  const path = join(home, '.openclaw/agents', agent, 'agent/openclaw-agent.sqlite');
  mkdirSync(join(path, '..'), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(AGENT_SCHEMA);
  for (const session of new Set(rows.map(([id]) => id))) {
    db.prepare(
      'INSERT INTO session_nodes (session_key, current_session_id, entry_json, updated_at) VALUES (?, ?, ?, 0)',
    ).run(`agent:${agent}:${session}`, session, '{}');
    db.prepare(
      'INSERT INTO session_windows (session_id, session_key, created_at, updated_at) VALUES (?, ?, 0, 0)',
    ).run(session, `agent:${agent}:${session}`);
  }
  const insert = db.prepare(
    'INSERT INTO transcript_events (session_id, seq, event_json, created_at) VALUES (?, ?, ?, 0)',
  );
  for (const [session, seq, entry] of rows) insert.run(session, seq, JSON.stringify(entry));
  db.close();
  return path;
}

const reply = (id: string, input: number) => ({
  type: 'message',
  id,
  timestamp: '2026-11-30T10:00:00.000Z',
  message: {
    role: 'assistant',
    content: [{ type: 'text', text: 'ok' }],
    model: 'claude-sonnet-4-5',
    usage: { input, output: 1, cacheRead: 0, cacheWrite: 0 },
    stopReason: 'stop',
  },
});

describe('store host', () => {
  it('catchUpStores with blocking folder listings (as `nexus usage` runs it) reads the same usage', async () => {
    database('main', [['s1', 0, reply('a', 10)]]);
    database('second', [['s2', 0, reply('b', 7)]]);
    const read = async (blockingReads: boolean) => {
      const usage: Array<[string, number]> = [];
      const count = await catchUpStores({
        adapters: [openclawSqlite()],
        environment: processEnvironment({ HOME: home }, home),
        ledger: { checkpoint: () => undefined },
        ingestUsage: (events) =>
          usage.push(...events.map((e): [string, number] => [e.dedupKey, e.inputTokens])),
        blockingReads,
      });
      return { count, usage: usage.sort() };
    };
    const expected = {
      count: 2,
      usage: [
        ['openclaw:s1:a', 10],
        ['openclaw:s2:b', 7],
      ],
    };
    expect(await read(true)).toEqual(expected);
    expect(await read(false)).toEqual(expected);
  });

  it('reads every store, saves cursors with the usage, and keeps going past a store it cannot open', async () => {
    const good = database('main', [
      ['s1', 0, reply('a', 10)],
      ['s1', 1, reply('b', 20)],
    ]);
    const bad = join(home, '.openclaw/agents/broken/agent/openclaw-agent.sqlite');
    mkdirSync(join(bad, '..'), { recursive: true });
    writeFileSync(bad, 'this is not a database');
    const checkpoints = new Map<string, FileCheckpoint>();
    const usage: UsageEvent[] = [];
    const warnings: Array<[unknown, string]> = [];
    const host = createStoreHost({
      adapters: [openclawSqlite()],
      environment: processEnvironment({ HOME: home }, home),
      ledger: { checkpoint: (path) => checkpoints.get(path) },
      ingestUsage: (events, checkpoint) => {
        usage.push(...events);
        checkpoints.set(checkpoint.path, checkpoint);
      },
      logger: { warn: (details, message) => warnings.push([details, message]) },
      watch: false,
      pollMs: 60_000,
    });
    await host.start();
    expect(host.paths().sort()).toEqual([bad, good].sort());
    expect(usage.map((event) => [event.dedupKey, event.inputTokens])).toEqual([
      ['openclaw:s1:a', 10],
      ['openclaw:s1:b', 20],
    ]);
    expect(checkpoints.get(storeCheckpointKey(good))?.state).toEqual({ rowid: 2, sessionId: 's1', seq: 1 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.[0]).toMatchObject({
      code: 'NEXUS_STORE_OPEN_FAILED',
      path: bad,
      adapter: 'openclaw',
    });
    // A second pass reads nothing again and does not repeat the warning.
    await host.tick();
    expect(usage).toHaveLength(2);
    expect(warnings).toHaveLength(1);
    await host.close();

    // A new host (a restart) resumes from the saved cursor.
    const db = new Database(good);
    db.prepare(
      'INSERT INTO transcript_events (session_id, seq, event_json, created_at) VALUES (?, ?, ?, 0)',
    ).run('s1', 2, JSON.stringify(reply('c', 30)));
    db.close();
    const resumed: UsageEvent[] = [];
    const again = createStoreHost({
      adapters: [openclawSqlite()],
      environment: processEnvironment({ HOME: home }, home),
      ledger: { checkpoint: (path) => checkpoints.get(path) },
      ingestUsage: (events) => resumed.push(...events),
      watch: false,
      pollMs: 60_000,
    });
    await again.start();
    expect(resumed.map((event) => event.dedupKey)).toEqual(['openclaw:s1:c']);
    await again.close();
  });
});

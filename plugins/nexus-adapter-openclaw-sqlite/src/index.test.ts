import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compress, init } from '@bokuweb/zstd-wasm';
import {
  mergeUsageEvents,
  type NormalizedEvent,
  type ParseIssue,
  readEvents,
  type StoreReader,
  type UsageEvent,
} from '@nexus/parsers';
import { testAdapter } from '@nexus/parsers/testing';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import openclawSqlite, { AGENT_SCHEMA, classifyOpenClawStore, type StoreCursor } from './index.js';

const REAL = fileURLToPath(new URL('../fixtures/real-transcript-excerpt-2026-04-17.jsonl', import.meta.url));
const NOW = Date.parse('2026-04-17T12:00:00.000Z');
const MINUTE = 60_000;

testAdapter({ adapter: () => openclawSqlite(), fixtures: [REAL] });

let dir: string;
let dbPath: string;
let writer: Database.Database;
let reader: StoreReader | undefined;
let compressedRows = 0;

beforeAll(async () => {
  await init();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nexus-openclaw-sqlite-'));
  dbPath = join(dir, 'state/agents/main/agent/openclaw-agent.sqlite');
  mkdirSync(join(dbPath, '..'), { recursive: true });
  writer = new Database(dbPath);
  writer.pragma('journal_mode = WAL');
  writer.exec(AGENT_SCHEMA);
  compressedRows = 0;
});
afterEach(() => {
  reader?.close();
  reader = undefined;
  writer.close();
  rmSync(dir, { recursive: true, force: true });
});

/** OpenClaw's storage rule (prepareTranscriptPayload): zstd level 1 from 1 KiB up, when it saves ≥ 64 bytes and 10 %. */
function payload(eventJson: string): {
  json: string | null;
  zstd: Buffer | null;
  bytes: number | null;
  nav: string | null;
} {
  const raw = Buffer.from(eventJson, 'utf8');
  if (raw.length >= 1024 && !eventJson.includes('\\u')) {
    const frame = Buffer.from(compress(raw, 1));
    if (frame.length <= raw.length - Math.max(64, Math.ceil(raw.length / 10))) {
      compressedRows++;
      const nav = JSON.stringify({
        version: 1,
        report: { kind: 'canonical' },
        navigation: { type: JSON.parse(eventJson).type },
        reset: {},
        model: {},
        modelBytes: raw.length,
        modelWithoutCheckpointBytes: raw.length,
        withoutCustomDataBytes: raw.length,
      });
      return { json: null, zstd: frame, bytes: raw.length, nav };
    }
  }
  return { json: eventJson, zstd: null, bytes: raw.length, nav: null };
}

function addSession(
  db: Database.Database,
  id: string,
  {
    status = null,
    activeAt,
    archived = false,
  }: { status?: string | null; activeAt: number; archived?: boolean },
) {
  db.prepare(
    'INSERT INTO session_nodes (session_key, current_session_id, entry_json, updated_at, archived_at, last_activity_at) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(
    `agent:main:${id}`,
    id,
    JSON.stringify({ sessionId: id }),
    activeAt,
    archived ? activeAt : null,
    activeAt,
  );
  db.prepare(
    "INSERT INTO session_windows (session_id, session_key, reason, created_at, updated_at, transcript_updated_at, status) VALUES (?, ?, 'initial', ?, ?, ?, ?)",
  ).run(id, `agent:main:${id}`, activeAt - 60 * MINUTE, activeAt, activeAt, status);
}

function addEvents(db: Database.Database, sessionId: string, lines: string[]) {
  const next =
    ((
      db.prepare('SELECT max(seq) AS seq FROM transcript_events WHERE session_id = ?').get(sessionId) as {
        seq: number | null;
      }
    ).seq ?? -1) + 1;
  const insert = db.prepare(
    'INSERT INTO transcript_events (session_id, seq, event_json, created_at, event_zstd, event_utf8_bytes, navigation_json) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  lines.forEach((line, index) => {
    const stored = payload(line);
    insert.run(
      sessionId,
      next + index,
      stored.json,
      NOW - 10 * MINUTE,
      stored.zstd,
      stored.bytes,
      stored.nav,
    );
  });
}

const SESSION = '7d3c5f0e-9b1a-4c2d-8e7f-6a5b4c3d2e1f';
const header = JSON.stringify({
  type: 'session',
  version: 3,
  id: SESSION,
  timestamp: '2026-04-17T10:58:00.000Z',
  cwd: '/home/xiao/projects/site',
});
const realLines = () => readFileSync(REAL, 'utf8').split('\n').filter(Boolean);
/** An assistant reply big enough to be stored compressed, with usage. */
const bigReply = (id: string, input: number, text: string) =>
  JSON.stringify({
    type: 'message',
    id,
    parentId: null,
    timestamp: '2026-04-17T11:05:00.000Z',
    message: {
      role: 'assistant',
      content: [{ type: 'text', text: `${text} ${'Detailed review notes. '.repeat(120)}` }],
      api: 'anthropic-messages',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      usage: {
        input,
        output: 1880,
        cacheRead: 20480,
        cacheWrite: 512,
        totalTokens: input + 1880 + 20480 + 512,
        cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0.0421 },
      },
      stopReason: 'stop',
      timestamp: Date.parse('2026-04-17T11:05:00.000Z'),
    },
  });
const bigToolResult = JSON.stringify({
  type: 'message',
  id: 'a1b2c3d4',
  parentId: null,
  timestamp: '2026-04-17T11:04:00.000Z',
  message: {
    role: 'toolResult',
    toolCallId: 'call_1',
    toolName: 'read',
    content: [{ type: 'text', text: 'export const routes = [\n'.repeat(200) }],
    isError: false,
    timestamp: Date.parse('2026-04-17T11:04:00.000Z'),
  },
});

function open(): StoreReader {
  const issues: ParseIssue[] = [];
  reader = openclawSqlite().store!.open(dbPath, { report: (issue) => issues.push(issue) });
  return reader;
}

function readAll(store: StoreReader, cursor?: unknown, maxRecords = 2000) {
  const events: NormalizedEvent[] = [];
  let at = cursor;
  for (;;) {
    const batch = store.read(at, { maxRecords });
    for (const session of batch.sessions) events.push(...session.events);
    at = batch.cursor;
    if (!batch.more) return { events, cursor: at as StoreCursor };
  }
}

const usageOf = (events: NormalizedEvent[]) => events.filter((e): e is UsageEvent => e.type === 'usage');

describe('OpenClaw SQLite store', () => {
  it('finds agent databases under the agents root; the JSONL era is still classified', () => {
    expect(classifyOpenClawStore('main/agent/openclaw-agent.sqlite')).toEqual({ group: 'main' });
    expect(classifyOpenClawStore('main/agent/openclaw-agent.sqlite-wal')).toBeNull();
    expect(classifyOpenClawStore('main/sessions/x.jsonl')).toBeNull();
    const adapter = openclawSqlite();
    expect(adapter.id).toBe('openclaw');
    expect(
      adapter.classifyFile('main/sessions/abc.jsonl.deleted.2026-04-17T12-00-00.000Z.zst', {
        path: '/s/agents',
        role: 'live',
      }),
    ).toBeNull();
    expect(
      adapter.classifyFile('main/sessions/abc.jsonl.deleted.2026-04-17T12-00-00.000Z', {
        path: '/s/agents',
        role: 'live',
      }),
    ).toEqual({
      sessionId: 'openclaw:abc',
      kind: 'archive',
      group: 'main',
    });
    expect(adapter.classifyFile('main/sessions/abc.jsonl', { path: '/s/agents', role: 'live' })).toEqual({
      sessionId: 'openclaw:abc',
      kind: 'session',
      group: 'main',
    });
  });

  it('gives exactly the usage of the same entries in JSONL, compressed rows included', async () => {
    const lines = [header, ...realLines(), bigToolResult, bigReply('f00dcafe', 1234, 'Review done.')];
    addSession(writer, SESSION, { activeAt: NOW - 5 * MINUTE });
    addEvents(writer, SESSION, lines);
    expect(compressedRows).toBe(2);
    const jsonl = join(dir, 'state/agents/main/sessions', `${SESSION}.jsonl`);
    mkdirSync(join(jsonl, '..'), { recursive: true });
    writeFileSync(jsonl, `${lines.join('\n')}\n`);
    const fromJsonl: NormalizedEvent[] = [];
    for await (const event of readEvents(openclawSqlite(), jsonl)) fromJsonl.push(event);

    const { events } = readAll(open());
    const expected = mergeUsageEvents(usageOf(fromJsonl));
    expect(mergeUsageEvents(usageOf(events))).toEqual(expected);
    expect(
      expected.map((call) => [call.dedupKey, call.model, call.inputTokens, call.outputTokens, call.costUsd]),
    ).toEqual([
      [`openclaw:${SESSION}:72fca9ba`, 'LLM_GLM5.1', 44608, 145, 4.4898e-5],
      [`openclaw:${SESSION}:03449709`, 'LLM_GLM5.1', 44771, 49, 4.4869e-5],
      [`openclaw:${SESSION}:f00dcafe`, 'claude-sonnet-4-5', 1234, 1880, 0.0421],
    ]);
    expect(expected.every((call) => call.projectPath === '/home/xiao/projects/site')).toBe(true);
    // The messages too: the same entries give the same transcript.
    const messages = (list: NormalizedEvent[]) =>
      list.filter((e) => e.type === 'message').map((e) => (e as { id: string }).id);
    expect(messages(events)).toEqual(messages(fromJsonl));
  });

  it('reads incrementally by row id while another connection writes, and resumes from a saved cursor', () => {
    addSession(writer, SESSION, { activeAt: NOW });
    addEvents(writer, SESSION, [header, ...realLines()]);
    const store = open();
    const first = readAll(store, undefined, 2);
    expect(usageOf(first.events).map((u) => u.dedupKey.split(':').at(-1))).toEqual(['72fca9ba', '03449709']);
    expect(first.cursor).toEqual({ rowid: 6, sessionId: SESSION, seq: 5 });

    // A write transaction in progress is invisible; nothing blocks the reader.
    writer.exec('BEGIN IMMEDIATE');
    addEvents(writer, SESSION, [bigReply('beefbeef', 900, 'First pass.')]);
    expect(readAll(store, first.cursor).events).toEqual([]);
    writer.exec('COMMIT');
    const second = readAll(store, first.cursor);
    expect(usageOf(second.events).map((u) => [u.dedupKey.split(':').at(-1), u.inputTokens])).toEqual([
      ['beefbeef', 900],
    ]);
    expect(second.cursor.rowid).toBe(7);

    // A new reader (a restart) resumes from the saved cursor; the session's state (its project path from
    // the header) is rebuilt from the rows before it.
    store.close();
    reader = undefined;
    addEvents(writer, SESSION, [bigReply('cafef00d', 700, 'Second pass.')]);
    const resumed = readAll(open(), JSON.parse(JSON.stringify(second.cursor)));
    expect(
      usageOf(resumed.events).map((u) => [u.dedupKey.split(':').at(-1), u.inputTokens, u.projectPath]),
    ).toEqual([['cafef00d', 700, '/home/xiao/projects/site']]);
    expect(readAll(reader!, resumed.cursor).events).toEqual([]);
  });

  it('starts over when the cursor no longer matches its row (the transcript was rewritten, rows renumbered)', () => {
    addSession(writer, SESSION, { activeAt: NOW });
    addEvents(writer, SESSION, [header, ...realLines()]);
    const store = open();
    const all = readAll(store);
    expect(all.cursor.rowid).toBe(6);
    // Rewritten in place (a restore, an exact rewrite): the same entries come back under new row ids.
    writer.exec('DELETE FROM transcript_events');
    addEvents(writer, SESSION, [header, ...realLines().slice(0, 2)]);
    const again = readAll(store, all.cursor);
    expect(again.cursor).toEqual({ rowid: 3, sessionId: SESSION, seq: 2 });
    expect(usageOf(again.events).map((u) => u.dedupKey)).toEqual([`openclaw:${SESSION}:72fca9ba`]);
  });

  it('decides live sessions from the database: current, not archived, not ended, recently written', () => {
    addSession(writer, 'running-now', { activeAt: NOW - 2 * MINUTE });
    addSession(writer, 'done-recently', { status: 'done', activeAt: NOW - 10 * MINUTE });
    addSession(writer, 'done-long-ago', { status: 'done', activeAt: NOW - 2 * 60 * MINUTE });
    addSession(writer, 'idle-today', { activeAt: NOW - 3 * 60 * MINUTE });
    addSession(writer, 'yesterday', { activeAt: NOW - 30 * 60 * MINUTE });
    addSession(writer, 'archived', { activeAt: NOW - MINUTE, archived: true });
    // A window replaced by a reset is no longer its node's current one.
    writer
      .prepare(
        "INSERT INTO session_windows (session_id, session_key, reason, created_at, updated_at) VALUES ('old-window', 'agent:main:running-now', 'initial', ?, ?)",
      )
      .run(NOW - 5 * MINUTE, NOW - MINUTE);
    const live = open().liveSessions(NOW);
    expect(live).toEqual([
      { sessionId: 'openclaw:running-now', kind: 'session', group: 'main' },
      { sessionId: 'openclaw:done-recently', kind: 'session', group: 'main' },
      { sessionId: 'openclaw:idle-today', kind: 'session', group: 'main' },
    ]);
  });

  it("reads one session's whole transcript, and reports an undecodable compressed row without throwing", () => {
    addSession(writer, SESSION, { activeAt: NOW });
    addEvents(writer, SESSION, [header, ...realLines(), bigReply('f00dcafe', 10, 'Ok.')]);
    writer
      .prepare('UPDATE transcript_events SET event_zstd = ? WHERE event_zstd IS NOT NULL')
      .run(Buffer.from('not a zstd frame'));
    const issues: ParseIssue[] = [];
    reader = openclawSqlite().store!.open(dbPath, { report: (issue) => issues.push(issue) });
    const events = reader.sessionEvents(`openclaw:${SESSION}`);
    expect(events.filter((e) => e.type === 'message').map((e) => (e as { role: string }).role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
    ]);
    expect(issues.map((issue) => issue.code)).toEqual(['NEXUS_PARSE_INVALID_JSON']);
    expect(issues[0]?.message).toMatch(
      /^Compressed transcript event 7d3c5f0e-9b1a-4c2d-8e7f-6a5b4c3d2e1f#6 could not be decoded/,
    );
  });

  it('refuses, with a clear error, a file that is not an OpenClaw agent database', () => {
    const other = join(dir, 'other.sqlite');
    new Database(other).exec('CREATE TABLE t (x)').close();
    expect(() => openclawSqlite().store!.open(other, { report: () => {} })).toThrow(
      /has no transcript_events table of OpenClaw's shape/,
    );
  });

  it('reads reset/deletion archives and cold archives once: history moved out of transcript_events', () => {
    // A session read live first, then deleted by OpenClaw: its rows become a compressed archive.
    addSession(writer, SESSION, { activeAt: NOW });
    const lines = [header, ...realLines()];
    addEvents(writer, SESSION, lines);
    const store = open();
    const live = readAll(store);
    writer.prepare('DELETE FROM transcript_events WHERE session_id = ?').run(SESSION);
    writer
      .prepare(
        "INSERT INTO session_transcript_archives (session_id, generation, session_key, reason, encoding, archive_blob, archive_sha256, archive_name, created_at) VALUES (?, 'g1', ?, 'deleted', 'zstd', ?, ?, ?, ?)",
      )
      .run(
        SESSION,
        `agent:main:${SESSION}`,
        Buffer.from(compress(Buffer.from(`${lines.join('\n')}\n`), 1)),
        'a'.repeat(64),
        `${SESSION}.jsonl.deleted.2026-04-17T12-00-00.000Z.zst`,
        NOW,
      );
    // A cold session never seen live: its transcript is only in sessions/cold/<sha256>.jsonl.zst.
    const coldId = 'c01dc01d-0000-4000-8000-000000000001';
    addSession(writer, coldId, { activeAt: NOW - 40 * 24 * 60 * MINUTE });
    const coldLines = [
      JSON.stringify({
        type: 'session',
        version: 3,
        id: coldId,
        timestamp: '2026-03-01T09:00:00.000Z',
        cwd: '/srv/cold',
      }),
      bigReply('c0000001', 4321, 'Archived long ago.'),
    ];
    const coldName = `${'b'.repeat(64)}.jsonl.zst`;
    const coldFile = join(dir, 'state/agents/main/sessions/cold', coldName);
    mkdirSync(join(coldFile, '..'), { recursive: true });
    writeFileSync(coldFile, compress(Buffer.from(`${coldLines.join('\n')}\n`), 1));
    writer
      .prepare(
        "INSERT INTO session_transcript_cold_archives (session_id, generation, archive_name, archive_sha256, event_count, raw_bytes, archive_bytes, last_seq, archived_at, storage) VALUES (?, 'g1', ?, ?, 2, 0, 0, 1, ?, 'file')",
      )
      .run(coldId, coldName, 'b'.repeat(64), NOW);

    const later = readAll(store, live.cursor);
    expect(later.cursor).toMatchObject({ archives: 1, cold: 1 });
    expect(
      mergeUsageEvents(usageOf([...live.events, ...later.events])).map((call) => [
        call.dedupKey,
        call.inputTokens,
        call.projectPath,
      ]),
    ).toEqual([
      [`openclaw:${SESSION}:72fca9ba`, 44608, '/home/xiao/projects/site'],
      [`openclaw:${SESSION}:03449709`, 44771, '/home/xiao/projects/site'],
      [`openclaw:${coldId}:c0000001`, 4321, '/srv/cold'],
    ]);
    // Read once: the next read has nothing new.
    expect(readAll(store, later.cursor).events).toEqual([]);
  });

  it('reads the layout before compression (schema 8–22) and minimal layouts without window timestamps', () => {
    const oldPath = join(dir, 'state/agents/legacy/agent/openclaw-agent.sqlite');
    mkdirSync(join(oldPath, '..'), { recursive: true });
    const old = new Database(oldPath);
    old.exec(`CREATE TABLE session_nodes (session_key TEXT NOT NULL PRIMARY KEY, current_session_id TEXT NOT NULL);
      CREATE TABLE session_windows (session_id TEXT NOT NULL PRIMARY KEY, session_key TEXT NOT NULL);
      CREATE TABLE transcript_events (session_id TEXT NOT NULL, seq INTEGER NOT NULL, event_json TEXT NOT NULL,
        created_at INTEGER NOT NULL, PRIMARY KEY (session_id, seq)) STRICT;`);
    old.prepare("INSERT INTO session_nodes VALUES ('agent:legacy:main', ?)").run(SESSION);
    old.prepare("INSERT INTO session_windows VALUES (?, 'agent:legacy:main')").run(SESSION);
    const insert = old.prepare('INSERT INTO transcript_events VALUES (?, ?, ?, ?)');
    for (const [seq, line] of [header, ...realLines()].entries())
      insert.run(SESSION, seq, line, NOW - 3 * MINUTE);
    old.close();
    reader = openclawSqlite().store!.open(oldPath, { report: () => {} });
    expect(mergeUsageEvents(usageOf(readAll(reader).events)).map((call) => call.dedupKey)).toEqual([
      `openclaw:${SESSION}:72fca9ba`,
      `openclaw:${SESSION}:03449709`,
    ]);
    // No window timestamps: the newest event says when the session was last written.
    expect(reader.liveSessions(NOW)).toEqual([
      { sessionId: `openclaw:${SESSION}`, kind: 'session', group: 'legacy' },
    ]);
    expect(reader.liveSessions(NOW + 7 * 60 * MINUTE)).toEqual([]);
  });

  it('decodes a checksummed level-1 frame as OpenClaw stores it', () => {
    const json = readFileSync(
      fileURLToPath(new URL('../fixtures/checksummed-event.json', import.meta.url)),
      'utf8',
    );
    const frame = readFileSync(
      fileURLToPath(new URL('../fixtures/checksummed-event.json.zst', import.meta.url)),
    );
    expect(frame[4]! & 0b100).toBe(0b100); // the frame header's checksum flag
    addSession(writer, SESSION, { activeAt: NOW });
    addEvents(writer, SESSION, [header]);
    writer
      .prepare(
        'INSERT INTO transcript_events (session_id, seq, event_json, created_at, event_zstd, event_utf8_bytes, navigation_json) VALUES (?, 1, NULL, ?, ?, ?, \'{"version":1,"report":{"kind":"canonical"},"navigation":{},"reset":{},"model":{},"modelBytes":0,"modelWithoutCheckpointBytes":0,"withoutCustomDataBytes":0}\')',
      )
      .run(SESSION, NOW, frame, Buffer.byteLength(json));
    const [call] = usageOf(readAll(open()).events);
    expect([call?.dedupKey, call?.inputTokens, call?.outputTokens, call?.costUsd]).toEqual([
      `openclaw:${SESSION}:c5c5c5c5`,
      321,
      654,
      0.011,
    ]);
  });

  it('refuses, before decoding, a frame whose header asks for a huge window', () => {
    addSession(writer, SESSION, { activeAt: NOW });
    addEvents(writer, SESSION, [header]);
    // Magic, flags (no single segment), window descriptor 0xf8: a 2 TiB window.
    const hostile = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0x01, 0x00, 0x00]);
    writer
      .prepare(
        'INSERT INTO transcript_events (session_id, seq, event_json, created_at, event_zstd, event_utf8_bytes, navigation_json) VALUES (?, 1, NULL, ?, ?, 2048, \'{"version":1,"report":{"kind":"canonical"},"navigation":{},"reset":{},"model":{},"modelBytes":0,"modelWithoutCheckpointBytes":0,"withoutCustomDataBytes":0}\')',
      )
      .run(SESSION, NOW, hostile);
    const issues: ParseIssue[] = [];
    reader = openclawSqlite().store!.open(dbPath, { report: (issue) => issues.push(issue) });
    expect(readAll(reader).events.filter((e) => e.type === 'usage')).toEqual([]);
    expect(issues.map((issue) => issue.message)).toEqual([
      `Compressed transcript event ${SESSION}#1 could not be decoded: frame asks for a 2199023255552-byte window`,
    ]);
  });
});

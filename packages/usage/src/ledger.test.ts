import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codex } from '@nexus/parsers';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { usage } from '../test/helpers.js';
import { LEDGER_SCHEMA_VERSION, UsageLedger } from './ledger.js';
import { bundledPricing, PricingTable } from './pricing.js';
import { dailyReport } from './reports.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'nexus-ledger-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function rows(ledger: UsageLedger) {
  return ledger.db.prepare('SELECT * FROM usage ORDER BY tool, dedup_key').all() as Record<string, unknown>[];
}

describe('UsageLedger', () => {
  it('creates a WAL database with the current schema version', () => {
    const dir = tmp();
    const ledger = UsageLedger.open({ stateDir: dir });
    expect(ledger.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(ledger.db.pragma('user_version', { simple: true })).toBe(LEDGER_SCHEMA_VERSION);
    ledger.close();
    // Reopening is a no-op migration.
    const again = UsageLedger.open({ stateDir: dir });
    expect(again.db.pragma('user_version', { simple: true })).toBe(LEDGER_SCHEMA_VERSION);
    again.close();
  });

  it('creates a new ledger with 16 KiB pages and leaves an existing file its own', () => {
    const fresh = UsageLedger.open({ stateDir: tmp() });
    expect(fresh.db.pragma('page_size', { simple: true })).toBe(16384);
    fresh.close();
    const dir = tmp();
    const older = new Database(join(dir, 'usage.sqlite'));
    older.pragma('page_size = 4096');
    older.exec('CREATE TABLE earlier (x)');
    older.close();
    const reopened = UsageLedger.open({ stateDir: dir });
    expect(reopened.db.pragma('page_size', { simple: true })).toBe(4096);
    expect(reopened.db.pragma('user_version', { simple: true })).toBe(LEDGER_SCHEMA_VERSION);
    reopened.close();
  });

  it('migration 7 re-keys Codex calls from their byte offset to the key the parser now writes', () => {
    const file = {
      sessionId: 'codex:019b8c00-0000-7000-8000-0000000000c1',
      kind: 'session' as const,
      group: '',
      tool: 'codex',
      path: '/h/.codex/sessions/2026/01/05/rollout-2026-01-05T10-00-00-019b8c00-0000-7000-8000-0000000000c1.jsonl',
      root: '/h/.codex/sessions',
    };
    const parser = codex().createParser(file, { report: () => {} });
    parser.parseLine(
      JSON.stringify({
        timestamp: '2026-01-05T10:00:01.000Z',
        type: 'turn_context',
        payload: { model: 'gpt-5.2' },
      }),
      { byteOffset: 0 },
    );
    const [event] = parser
      .parseLine(
        JSON.stringify({
          timestamp: '2026-01-05T10:00:02.345Z',
          type: 'event_msg',
          payload: {
            type: 'token_count',
            info: {
              total_token_usage: {
                input_tokens: 900,
                cached_input_tokens: 600,
                output_tokens: 70,
                reasoning_output_tokens: 20,
              },
              last_token_usage: {
                input_tokens: 900,
                cached_input_tokens: 600,
                output_tokens: 70,
                reasoning_output_tokens: 20,
              },
            },
          },
        }),
        { byteOffset: 261 },
      )
      .filter((e) => e.type === 'usage');
    expect(event?.type).toBe('usage');
    if (event?.type !== 'usage') return;
    const dir = tmp();
    const ledger = UsageLedger.open({ stateDir: dir });
    // What a ledger of schema 6 holds: the same call keyed by its offset, and a Claude Code call.
    ledger.ingest([
      { ...event, dedupKey: `${file.sessionId}:261` },
      usage({ dedupKey: 'msg_1:req_1', outputTokens: 5 }),
    ]);
    ledger.db.pragma('user_version = 6');
    ledger.close();
    const migrated = UsageLedger.open({ stateDir: dir });
    expect(rows(migrated).map((row) => row.dedup_key)).toEqual(['msg_1:req_1', event.dedupKey]);
    // Reading the rollout again adds nothing.
    migrated.ingest([event]);
    expect(migrated.toolTotals().codex?.totalTokens).toBe(300 + 70 + 600);
    migrated.close();
  });

  it('refuses a ledger from a newer schema', () => {
    const dir = tmp();
    const db = new Database(join(dir, 'usage.sqlite'));
    db.pragma('user_version = 99');
    db.close();
    expect(() => UsageLedger.open({ stateDir: dir })).toThrow(
      expect.objectContaining({ code: 'NEXUS_USAGE_LEDGER_SCHEMA' }),
    );
  });

  it('keeps the per-field maximum and the time of the largest line', () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    ledger.ingest([
      usage({ dedupKey: 'k', timestamp: '2026-09-01T23:59:59.000Z', inputTokens: 10, outputTokens: 5 }),
      usage({
        dedupKey: 'k',
        timestamp: '2026-09-02T00:00:01.000Z',
        inputTokens: 10,
        outputTokens: 500,
        cacheReadTokens: 7,
      }),
      // Smaller later line: changes nothing.
      usage({ dedupKey: 'k', timestamp: '2026-09-02T00:00:05.000Z', inputTokens: 3, outputTokens: 2 }),
    ]);
    const [row] = rows(ledger);
    expect(row).toMatchObject({
      input: 10,
      output: 500,
      cache_read: 7,
      ts: Date.parse('2026-09-02T00:00:01.000Z'),
    });
    expect(ledger.toolTotals()['claude-code']).toMatchObject({ totalTokens: 517, calls: 1 });
    // The same line again (a re-read) changes nothing.
    const r = ledger.ingest([
      usage({
        dedupKey: 'k',
        timestamp: '2026-09-02T00:00:01.000Z',
        inputTokens: 10,
        outputTokens: 500,
        cacheReadTokens: 7,
      }),
    ]);
    expect(r.changed).toBe(0);
    expect(ledger.toolTotals()['claude-code']?.totalTokens).toBe(517);
    ledger.close();
  });

  it('is independent of arrival order, ties keep the earlier line', () => {
    const a = usage({
      dedupKey: 'k',
      timestamp: '2026-09-01T10:00:00.000Z',
      outputTokens: 100,
      sessionId: 's-a',
    });
    const b = usage({
      dedupKey: 'k',
      timestamp: '2026-09-01T09:00:00.000Z',
      outputTokens: 100,
      sessionId: 's-b',
    });
    for (const order of [
      [a, b],
      [b, a],
    ]) {
      const ledger = UsageLedger.open({ path: ':memory:' });
      ledger.ingest(order);
      expect(rows(ledger)[0]).toMatchObject({ session_id: 's-b', ts: Date.parse(b.timestamp) });
      ledger.close();
    }
  });

  it('keys rows by tool and dedupKey', () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    ledger.ingest([
      usage({ dedupKey: 'same', outputTokens: 1 }),
      usage({ dedupKey: 'same', tool: 'codex', model: 'gpt-5-codex', outputTokens: 2 }),
    ]);
    expect(rows(ledger)).toHaveLength(2);
    expect(ledger.toolTotals()).toMatchObject({
      'claude-code': { totalTokens: 1 },
      codex: { totalTokens: 2 },
    });
    ledger.close();
  });

  it('computes cost at ingest and keeps the log cost', () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    ledger.ingest([
      usage({ dedupKey: 'a', inputTokens: 100_000 }), // $0.30
      usage({ dedupKey: 'b', tool: 'openclaw', model: 'whatever', outputTokens: 10, costUsd: 0.25 }),
      usage({ dedupKey: 'c', model: 'unknown-model', outputTokens: 10 }),
    ]);
    const [a, c, b] = rows(ledger);
    expect(a).toMatchObject({ priced: 1, cost_log: null });
    expect(a?.cost_calc).toBeCloseTo(0.3, 12);
    expect(b).toMatchObject({ priced: 0, cost_log: 0.25, cost_calc: 0 });
    expect(c).toMatchObject({ priced: 0, cost_calc: 0 });
    expect(ledger.toolTotals().openclaw?.totalCostUsd).toBeCloseTo(0.25, 12);
    ledger.close();
  });

  it('recomputes the merged cost when a streamed call grows', () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    ledger.ingest([usage({ dedupKey: 'k', inputTokens: 1_000_000 })]);
    ledger.ingest([usage({ dedupKey: 'k', inputTokens: 10, outputTokens: 100_000 })]);
    // max input 1M (200k×3e-6 + 800k×6e-6 = 0.6 + 4.8 = 5.4) + 100k output ($1.5)
    expect(rows(ledger)[0]?.cost_calc).toBeCloseTo(5.4 + 1.5, 12);
    expect(ledger.toolTotals()['claude-code']?.totalCostUsd).toBeCloseTo(6.9, 9);
    ledger.close();
  });

  it('reprices stored rows when the pricing table changes', () => {
    const dir = tmp();
    const ledger = UsageLedger.open({ stateDir: dir });
    ledger.ingest([usage({ dedupKey: 'k', model: 'brand-new', outputTokens: 1_000_000 })]);
    expect(rows(ledger)[0]).toMatchObject({ priced: 0, cost_calc: 0 });
    ledger.close();
    const table = PricingTable.fromLiteLlm(
      { 'brand-new': { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 } },
      { source: 'network' },
    );
    const reopened = UsageLedger.open({ stateDir: dir, pricing: table });
    expect(rows(reopened)[0]).toMatchObject({ priced: 1, cost_calc: 2 });
    expect(reopened.toolTotals()['claude-code']?.totalCostUsd).toBeCloseTo(2, 12);
    expect(reopened.setPricing(table)).toBe(0);
    expect(reopened.setPricing(bundledPricing())).toBe(1);
    reopened.close();
  });

  it('rejects events with a bad timestamp or no key, and clamps bad numbers', () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    const r = ledger.ingest([
      usage({ dedupKey: 'x', timestamp: 'yesterday' }),
      usage({ dedupKey: '' }),
      usage({ dedupKey: 'ok', inputTokens: -5, outputTokens: Number.NaN, cacheReadTokens: 2.7 }),
    ]);
    expect(r).toEqual({ changed: 1, rejected: 2 });
    expect(rows(ledger)[0]).toMatchObject({ input: 0, output: 0, cache_read: 2 });
    ledger.close();
  });

  it('stores a checkpoint in the same transaction as its rows', () => {
    const dir = tmp();
    const ledger = UsageLedger.open({ stateDir: dir });
    const cp = {
      path: '/logs/a.jsonl',
      tool: 'claude-code',
      dev: '1',
      ino: '18446744073709551615',
      size: 100,
      mtimeMs: 1.5,
      offset: 90,
      headHash: 'abc',
      state: { seen: ['x'] },
    };
    ledger.ingest([usage({ dedupKey: 'k', outputTokens: 1 })], cp);
    expect(ledger.checkpoint('/logs/a.jsonl')).toEqual(cp);
    expect(ledger.checkpoints()).toHaveLength(1);
    expect(ledger.checkpoint('/nope')).toBeUndefined();
    // A failing batch rolls the checkpoint back with the rows.
    const bad = { ...cp, offset: 100, state: { big: 1n } };
    expect(() => ledger.ingest([usage({ dedupKey: 'k2', outputTokens: 1 })], bad)).toThrow();
    expect(ledger.checkpoint('/logs/a.jsonl')?.offset).toBe(90);
    expect(rows(ledger)).toHaveLength(1);
    ledger.close();
  });
});

describe('repricing', () => {
  it('reprices only the models whose price changed', () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    ledger.ingest([
      usage({ dedupKey: 'a', model: 'claude-sonnet-4-5', outputTokens: 1000 }),
      usage({ dedupKey: 'b', model: 'gpt-5-codex', outputTokens: 1000 }),
    ]);
    const snapshot = bundledPricing().toJSON();
    const cheaper = PricingTable.fromCompact(
      { ...snapshot, 'claude-sonnet-4-5': { input: 1e-6, output: 1e-6 } },
      { source: 'network' },
    );
    expect(ledger.setPricing(cheaper)).toBe(1);
    const cost = ledger.db.prepare("SELECT cost_calc FROM usage WHERE dedup_key = 'a'").pluck().get();
    expect(cost).toBeCloseTo(0.001, 12);
    // Same prices under another fingerprint (more models): nothing to reprice.
    const wider = PricingTable.fromCompact(
      { ...snapshot, 'claude-sonnet-4-5': { input: 1e-6, output: 1e-6 }, extra: { input: 1, output: 1 } },
      { source: 'network' },
    );
    expect(ledger.setPricing(wider)).toBe(0);
    expect(ledger.toolTotals()['claude-code']?.totalCostUsd).toBeCloseTo(0.001 + 0.01, 12);
    ledger.close();
  });
});

describe('sidechain replays (Claude Code /btw)', () => {
  const parent = usage({
    dedupKey: 'msg_P:req_1',
    callId: 'msg_P',
    sessionId: 'claude-code:main',
    outputTokens: 700,
    inputTokens: 10,
  });
  // The side conversation replays the parent message under a new request id.
  const replay = usage({
    dedupKey: 'msg_P:req_9',
    callId: 'msg_P',
    sidechain: true,
    sessionId: 'claude-code:main',
    timestamp: '2026-09-01T12:40:00.000Z',
    outputTokens: 700,
    inputTokens: 10,
  });
  // A subagent's own call: a sidechain too, but no call outside a sidechain has its id.
  const subagent = usage({ dedupKey: 'msg_S:req_2', callId: 'msg_S', sidechain: true, outputTokens: 50 });
  const totals = (ledger: UsageLedger) => ({
    tools: ledger.toolTotals(),
    report: dailyReport(ledger, { timezone: 'UTC' }).totals.outputTokens,
    rows: ledger.db.prepare('SELECT dedup_key FROM usage ORDER BY dedup_key').pluck().all(),
  });

  it('counts the message once whichever file is read first, and keeps a subagent call', () => {
    const parentFirst = UsageLedger.open({ path: ':memory:' });
    parentFirst.ingest([parent, subagent]);
    parentFirst.ingest([replay]);
    const replayFirst = UsageLedger.open({ path: ':memory:' });
    replayFirst.ingest([replay, subagent]);
    expect(totals(replayFirst).report).toBe(750);
    replayFirst.ingest([parent]);
    const sameCommit = UsageLedger.open({ path: ':memory:' });
    sameCommit.ingest([replay, parent, subagent]);
    for (const ledger of [parentFirst, replayFirst, sameCommit]) {
      expect(totals(ledger)).toEqual({
        tools: { 'claude-code': { totalTokens: 760, totalCostUsd: expect.any(Number), calls: 2 } },
        report: 750,
        rows: ['msg_P:req_1', 'msg_S:req_2'],
      });
      expect(ledger.db.prepare('SELECT COUNT(*) FROM session_totals WHERE calls <= 0').pluck().get()).toBe(0);
      ledger.close();
    }
  });
});

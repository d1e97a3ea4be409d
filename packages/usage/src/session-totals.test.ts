import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { usage } from '../test/helpers.js';
import { LEDGER_SCHEMA_VERSION, UsageLedger } from './ledger.js';
import { bundledPricing, PricingTable } from './pricing.js';

type Totals = { tool: string; session_id: string; tokens: number; cost_auto: number; calls: number };

const kept = (ledger: UsageLedger) =>
  ledger.db
    .prepare(
      'SELECT tool, session_id, tokens, round(cost_auto, 9) AS cost_auto, calls FROM session_totals ORDER BY 1, 2',
    )
    .all() as Totals[];
const truth = (ledger: UsageLedger) =>
  ledger.db
    .prepare(
      `SELECT tool, session_id, SUM(input + output + cache_creation + cache_read) AS tokens,
         round(SUM(coalesce(cost_log, cost_calc)), 9) AS cost_auto, COUNT(*) AS calls
       FROM usage GROUP BY tool, session_id ORDER BY 1, 2`,
    )
    .all() as Totals[];

describe('session totals', () => {
  it('follow every insert, grown key, session change and repricing', () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    ledger.ingest([
      usage({ dedupKey: 'a', sessionId: 'claude-code:A', model: 'claude-sonnet-4-5', outputTokens: 100 }),
      usage({ dedupKey: 'b', sessionId: 'claude-code:B', outputTokens: 50, costUsd: 0.5 }),
      usage({ dedupKey: 'c', tool: 'codex', sessionId: 'codex:C', model: 'gpt-5-codex', inputTokens: 1000 }),
    ]);
    expect(kept(ledger)).toEqual(truth(ledger));
    // Streaming grows a call; another line of the same call, larger, names session B: it moves there.
    ledger.ingest([
      usage({ dedupKey: 'a', sessionId: 'claude-code:A', model: 'claude-sonnet-4-5', outputTokens: 400 }),
    ]);
    expect(kept(ledger)).toEqual(truth(ledger));
    ledger.ingest([
      usage({ dedupKey: 'a', sessionId: 'claude-code:B', model: 'claude-sonnet-4-5', outputTokens: 900 }),
    ]);
    expect(kept(ledger)).toEqual(truth(ledger));
    expect(kept(ledger).map((t) => [t.session_id, t.tokens, t.calls])).toEqual([
      ['claude-code:B', 950, 2],
      ['codex:C', 1000, 1],
    ]);
    const cheaper = PricingTable.fromCompact(
      { ...bundledPricing().toJSON(), 'claude-sonnet-4-5': { input: 1e-6, output: 1e-6 } },
      { source: 'network' },
    );
    expect(ledger.setPricing(cheaper)).toBe(1);
    expect(kept(ledger)).toEqual(truth(ledger));
    // B: call a at 900 output × $1e-6, call b at its own $0.50.
    expect(kept(ledger)[0]!.cost_auto).toBe(0.5009);
    ledger.close();
  });

  it('are filled from the calls already in a ledger written by schema 3', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-session-totals-'));
    try {
      const ledger = UsageLedger.open({ stateDir: dir });
      ledger.ingest([
        usage({ dedupKey: 'x', sessionId: 'claude-code:X', outputTokens: 10, costUsd: 0.25 }),
        usage({ dedupKey: 'y', sessionId: 'claude-code:X', inputTokens: 5, costUsd: 0.5 }),
      ]);
      // Turn it back into what schema 3 wrote: an index on session_id, no totals.
      ledger.db.exec(`
        DROP TABLE session_totals; CREATE INDEX usage_session ON usage (session_id);
        DROP INDEX usage_call; ALTER TABLE usage DROP COLUMN call_id; ALTER TABLE usage DROP COLUMN sidechain;
        PRAGMA user_version = 3;`);
      ledger.close();
      const upgraded = UsageLedger.open({ stateDir: dir });
      expect(upgraded.db.pragma('user_version', { simple: true })).toBe(LEDGER_SCHEMA_VERSION);
      expect(kept(upgraded)).toEqual([
        { tool: 'claude-code', session_id: 'claude-code:X', tokens: 15, cost_auto: 0.75, calls: 2 },
      ]);
      const indexes = (upgraded.db.pragma('index_list(usage)') as { name: string }[]).map((i) => i.name);
      expect(indexes).toContain('usage_ts');
      expect(indexes).not.toContain('usage_session');
      upgraded.ingest([
        usage({ dedupKey: 'z', sessionId: 'claude-code:X', outputTokens: 1, costUsd: 0.125 }),
      ]);
      expect(kept(upgraded)).toEqual(truth(upgraded));
      upgraded.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

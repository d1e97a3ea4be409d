import { describe, expect, it } from 'vitest';
import { usage } from '../test/helpers.js';
import { rebuildAggregates } from './aggregate-deltas.js';
import { UsageLedger } from './ledger.js';
import { bundledPricing, PricingTable } from './pricing.js';

/** The three aggregate tables, costs rounded (sums in a different order differ in the last bits). */
function aggregates(ledger: UsageLedger) {
  const round = (rows: Record<string, unknown>[]) =>
    rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([key, value]) => [
          key,
          typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1e9) / 1e9 + 0 : value,
        ]),
      ),
    );
  return {
    tools: round(
      ledger.db.prepare('SELECT * FROM tool_totals ORDER BY tool').all() as Record<string, unknown>[],
    ),
    sessions: round(
      ledger.db.prepare('SELECT * FROM session_totals ORDER BY tool, session_id').all() as Record<
        string,
        unknown
      >[],
    ),
    rollup: round(
      ledger.db.prepare('SELECT * FROM rollup ORDER BY bucket, tool, model').all() as Record<
        string,
        unknown
      >[],
    ),
  };
}

/** What the aggregates must be: recomputed from the calls, in a copy of the ledger. */
function recomputed(ledger: UsageLedger) {
  const kept = aggregates(ledger);
  ledger.db.exec('SAVEPOINT recompute');
  rebuildAggregates(ledger.db);
  const truth = aggregates(ledger);
  ledger.db.exec('ROLLBACK TO recompute; RELEASE recompute');
  return { kept, truth };
}

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('aggregates kept by the ledger', () => {
  it('equal a recomputation from the calls after inserts, grown calls and calls that move session, model or quarter hour', () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    const next = random(42);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    for (let commit = 0; commit < 40; commit++) {
      const events = Array.from({ length: 1 + Math.floor(next() * 30) }, () =>
        usage({
          // Few keys, so most events hit a stored call and grow it, shrink-match it, or move it.
          dedupKey: `k${Math.floor(next() * 25)}`,
          tool: pick(['claude-code', 'codex']),
          sessionId: pick(['s1', 's2', 's3']),
          model: pick(['claude-sonnet-4-5-20250929', 'gpt-5-codex', 'model-nobody-prices']),
          timestamp: new Date(Date.UTC(2026, 8, 1, 12, Math.floor(next() * 50))).toISOString(),
          inputTokens: Math.floor(next() * 1000),
          outputTokens: Math.floor(next() * 1000),
          cacheCreationTokens: Math.floor(next() * 500),
          cacheCreation1hTokens: Math.floor(next() * 200),
          cacheReadTokens: Math.floor(next() * 5000),
          reasoningOutputTokens: Math.floor(next() * 100),
          ...(next() < 0.2 ? { costUsd: Math.floor(next() * 100) / 100 } : {}),
        }),
      );
      ledger.ingest(events);
      const { kept, truth } = recomputed(ledger);
      expect(kept, `after commit ${commit}`).toEqual(truth);
    }
    // Every quarter hour, tool and model a call left is gone, not kept at zero.
    expect(ledger.db.prepare('SELECT COUNT(*) FROM rollup WHERE calls = 0').pluck().get()).toBe(0);
    expect(ledger.db.prepare('SELECT COUNT(*) FROM session_totals WHERE calls = 0').pluck().get()).toBe(0);
    // A new price for one model rewrites its calls' costs, and the aggregates follow.
    const cheaper = PricingTable.fromCompact(
      { ...bundledPricing().toJSON(), 'gpt-5-codex': { input: 1e-6, output: 2e-6 } },
      { source: 'network' },
    );
    expect(ledger.setPricing(cheaper)).toBeGreaterThan(0);
    const { kept, truth } = recomputed(ledger);
    expect(kept).toEqual(truth);
    ledger.close();
  });

  it('moves a call between quarter hours exactly: the old bucket row is deleted, the new one holds the call', () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    ledger.ingest([usage({ dedupKey: 'm', timestamp: '2026-09-01T12:20:00.000Z', outputTokens: 10 })]);
    // A later line of the same call carries more usage: the call is dated by it.
    ledger.ingest([usage({ dedupKey: 'm', timestamp: '2026-09-01T12:31:00.000Z', outputTokens: 40 })]);
    const rows = ledger.db.prepare('SELECT bucket, calls, output FROM rollup').all();
    expect(rows).toEqual([
      { bucket: Math.trunc(Date.parse('2026-09-01T12:31:00.000Z') / 900_000), calls: 1, output: 40 },
    ]);
    expect(ledger.toolTotals()['claude-code']).toMatchObject({ totalTokens: 40, calls: 1 });
    ledger.close();
  });
});

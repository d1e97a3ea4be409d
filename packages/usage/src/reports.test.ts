import { beforeAll, describe, expect, it } from 'vitest';
import { usage } from '../test/helpers.js';
import { UsageLedger } from './ledger.js';
import { costHistory, dailyReport, monthlyReport, sessionReport } from './reports.js';

let ledger: UsageLedger;
const E1 = 0.033; // sonnet 4.5: 1000 in, 2000 out
const E2 = 0.0018; // sonnet 4.5: 100 out, 1000 cache read
const E3 = 0.028125; // opus 4.6: 1000 out, 500 cache write
const E4 = 0.003375; // gpt-5-codex: 1000 in, 9000 cached, 100 out

beforeAll(() => {
  ledger = UsageLedger.open({ path: ':memory:', now: () => Date.parse('2026-04-02T00:00:00Z') });
  ledger.ingest([
    usage({ dedupKey: 'e1', timestamp: '2026-03-08T07:30:00.000Z', inputTokens: 1000, outputTokens: 2000 }),
    usage({
      dedupKey: 'e2',
      timestamp: '2026-03-08T04:59:00.000Z',
      outputTokens: 100,
      cacheReadTokens: 1000,
    }),
    usage({
      dedupKey: 'e3',
      sessionId: 'claude-code:s2',
      projectPath: '/p/two',
      timestamp: '2026-03-31T20:00:00.000Z',
      model: 'claude-opus-4-6',
      outputTokens: 1000,
      cacheCreationTokens: 500,
    }),
    usage({
      dedupKey: 'e4',
      tool: 'codex',
      sessionId: 'codex:c1',
      projectPath: '/p/three',
      timestamp: '2026-04-01T00:10:00.000Z',
      model: 'gpt-5-codex',
      inputTokens: 1000,
      cacheReadTokens: 9000,
      outputTokens: 100,
      reasoningOutputTokens: 50,
    }),
    usage({
      dedupKey: 'e5',
      tool: 'openclaw',
      sessionId: 'openclaw:o1',
      projectPath: '/p/four',
      timestamp: '2026-04-01T12:00:00.000Z',
      model: 'local-x',
      inputTokens: 10,
      outputTokens: 10,
      costUsd: 0.5,
    }),
  ]);
});

const days = (tz: string) =>
  Object.fromEntries(dailyReport(ledger, { timezone: tz }).rows.map((r) => [r.period, r.totalTokens]));

describe('dailyReport', () => {
  it('buckets days in UTC with exact tokens and dollars', () => {
    const report = dailyReport(ledger, { timezone: 'UTC' });
    expect(report.timezone).toBe('UTC');
    expect(report.rows.map((r) => r.period)).toEqual(['2026-03-08', '2026-03-31', '2026-04-01']);
    const [d1, d2, d3] = report.rows;
    expect(d1).toMatchObject({
      inputTokens: 1000,
      outputTokens: 2100,
      cacheCreationTokens: 0,
      cacheReadTokens: 1000,
      reasoningOutputTokens: 0,
      totalTokens: 4100,
    });
    expect(d1?.costUsd).toBeCloseTo(E1 + E2, 12);
    expect(d1?.breakdown).toHaveLength(1);
    expect(d1?.breakdown[0]).toMatchObject({ tool: 'claude-code', model: 'claude-sonnet-4-5-20250929' });
    expect(d2?.costUsd).toBeCloseTo(E3, 12);
    expect(d3?.breakdown.map((b) => [b.tool, b.model, b.totalTokens])).toEqual([
      ['codex', 'gpt-5-codex', 10100],
      ['openclaw', 'local-x', 20],
    ]);
    expect(d3?.costUsd).toBeCloseTo(E4 + 0.5, 12);
    expect(report.totals).toMatchObject({ totalTokens: 4100 + 1500 + 10100 + 20, reasoningOutputTokens: 50 });
    expect(report.totals.costUsd).toBeCloseTo(E1 + E2 + E3 + E4 + 0.5, 12);
    // The log's own cost is used in auto mode, so nothing is listed as unpriced.
    expect(report.unpricedModels).toEqual([]);
  });

  it('cuts days in America/New_York across the DST change', () => {
    expect(days('America/New_York')).toEqual({
      '2026-03-07': 1100,
      '2026-03-08': 3000,
      '2026-03-31': 11600,
      '2026-04-01': 20,
    });
  });

  it('cuts days in Asia/Kolkata (+05:30) and Asia/Tokyo', () => {
    expect(days('Asia/Kolkata')).toEqual({ '2026-03-08': 4100, '2026-04-01': 11620 });
    expect(days('Asia/Tokyo')).toEqual({ '2026-03-08': 4100, '2026-04-01': 11620 });
  });

  it('filters by since/until in the report zone and by tool', () => {
    const ny = dailyReport(ledger, {
      timezone: 'America/New_York',
      since: '2026-03-08',
      until: '2026-03-08',
    });
    expect(ny.rows.map((r) => [r.period, r.totalTokens])).toEqual([['2026-03-08', 3000]]);
    expect(ny.totals.totalTokens).toBe(3000);
    const compact = dailyReport(ledger, { timezone: 'UTC', since: '20260401' });
    expect(compact.rows.map((r) => r.period)).toEqual(['2026-04-01']);
    const codex = dailyReport(ledger, { timezone: 'UTC', tool: 'codex' });
    expect(codex.totals.totalTokens).toBe(10100);
    expect(codex.totals.costUsd).toBeCloseTo(E4, 12);
    expect(dailyReport(ledger, { timezone: 'UTC', tool: 'nope' })).toEqual({
      timezone: 'UTC',
      rows: [],
      totals: {
        inputTokens: 0,
        outputTokens: 0,
        cacheCreationTokens: 0,
        cacheReadTokens: 0,
        reasoningOutputTokens: 0,
        totalTokens: 0,
        costUsd: 0,
      },
      unpricedModels: [],
    });
  });

  it('applies cost modes and lists unpriced models', () => {
    const calc = dailyReport(ledger, { timezone: 'UTC', mode: 'calculate' });
    expect(calc.totals.costUsd).toBeCloseTo(E1 + E2 + E3 + E4, 12);
    expect(calc.unpricedModels).toEqual(['local-x']);
    const display = dailyReport(ledger, { timezone: 'UTC', mode: 'display' });
    expect(display.totals.costUsd).toBeCloseTo(0.5, 12);
    expect(display.unpricedModels).toEqual([]);
  });

  it('rejects bad options with NEXUS_USAGE_BAD_OPTION', () => {
    for (const bad of [
      { timezone: 'Mars/Olympus' },
      { since: '2026-02-30' },
      { until: 'yesterday' },
      { since: '2026-04-02', until: '2026-04-01' },
      { mode: 'cheap' as never },
    ]) {
      expect(() => dailyReport(ledger, bad)).toThrow(
        expect.objectContaining({ code: 'NEXUS_USAGE_BAD_OPTION' }),
      );
    }
  });
});

describe('monthlyReport', () => {
  it('buckets months per zone', () => {
    const m = (tz: string) =>
      Object.fromEntries(monthlyReport(ledger, { timezone: tz }).rows.map((r) => [r.period, r.totalTokens]));
    expect(m('UTC')).toEqual({ '2026-03': 5600, '2026-04': 10120 });
    expect(m('America/New_York')).toEqual({ '2026-03': 15700, '2026-04': 20 });
    expect(m('Asia/Kolkata')).toEqual({ '2026-03': 4100, '2026-04': 11620 });
    const utc = monthlyReport(ledger, { timezone: 'UTC' });
    expect(utc.rows[0]?.costUsd).toBeCloseTo(E1 + E2 + E3, 12);
    expect(utc.rows[0]?.breakdown.map((b) => b.model)).toEqual([
      'claude-opus-4-6',
      'claude-sonnet-4-5-20250929',
    ]);
  });
});

describe('sessionReport', () => {
  it('groups by session with first/last activity and project', () => {
    const report = sessionReport(ledger, { timezone: 'UTC' });
    expect(
      report.rows.map((r) => [
        r.sessionId,
        r.tool,
        r.projectPath,
        r.firstActivity,
        r.lastActivity,
        r.totalTokens,
      ]),
    ).toEqual([
      [
        'claude-code:s1',
        'claude-code',
        '/p/one',
        '2026-03-08T04:59:00.000Z',
        '2026-03-08T07:30:00.000Z',
        4100,
      ],
      [
        'claude-code:s2',
        'claude-code',
        '/p/two',
        '2026-03-31T20:00:00.000Z',
        '2026-03-31T20:00:00.000Z',
        1500,
      ],
      ['codex:c1', 'codex', '/p/three', '2026-04-01T00:10:00.000Z', '2026-04-01T00:10:00.000Z', 10100],
      ['openclaw:o1', 'openclaw', '/p/four', '2026-04-01T12:00:00.000Z', '2026-04-01T12:00:00.000Z', 20],
    ]);
    expect(report.rows[0]?.costUsd).toBeCloseTo(E1 + E2, 12);
    const since = sessionReport(ledger, {
      timezone: 'America/New_York',
      since: '2026-03-08',
      tool: 'claude-code',
    });
    expect(since.rows.map((r) => [r.sessionId, r.totalTokens])).toEqual([
      ['claude-code:s1', 3000],
      ['claude-code:s2', 1500],
    ]);
  });
});

describe('costHistory', () => {
  it('lists newest calls with tokens, rates and both costs', () => {
    const h = costHistory(ledger, { limit: 2 });
    expect(h.meta).toEqual({ path: ':memory:', totalRecords: 5 });
    expect(h.items.map((i) => i.event.eventKey)).toEqual(['e5', 'e4']);
    const [oc, cx] = h.items;
    expect(oc?.cost).toEqual({
      source: 'direct',
      finalCostUsd: 0.5,
      computedCostUsd: 0,
      directCostUsd: 0.5,
      directMinusComputedUsd: 0.5,
    });
    expect(oc?.pricing.pricingFound).toBe(false);
    expect(cx?.tokens).toMatchObject({ inputTokens: 1000, cachedInputTokens: 9000, totalTokens: 10100 });
    expect(cx?.cost.source).toBe('computed');
    expect(cx?.cost.finalCostUsd).toBeCloseTo(E4, 12);
    expect(cx?.pricing.ratesPerMillion).toEqual({ inputPerMillion: 1.25, outputPerMillion: 10 });
    expect(cx?.recordedAt).toBe('2026-04-02T00:00:00.000Z');
    expect(costHistory(ledger, { sessionId: 'claude-code:s1' }).items).toHaveLength(2);
    expect(costHistory(ledger, { tool: 'codex' }).meta.totalRecords).toBe(1);
    expect(() => costHistory(ledger, { limit: 2001 })).toThrow(
      expect.objectContaining({ code: 'NEXUS_USAGE_BAD_OPTION' }),
    );
  });
});

describe('rollup consistency', () => {
  it('moves a call to the day of its largest line, leaving no empty day behind', () => {
    const l = UsageLedger.open({ path: ':memory:' });
    l.ingest([usage({ dedupKey: 'x', timestamp: '2026-09-01T23:59:00.000Z', outputTokens: 5 })]);
    l.ingest([usage({ dedupKey: 'x', timestamp: '2026-09-02T00:01:00.000Z', outputTokens: 50 })]);
    const report = dailyReport(l, { timezone: 'UTC' });
    expect(report.rows.map((r) => [r.period, r.outputTokens])).toEqual([['2026-09-02', 50]]);
    expect(l.db.prepare('SELECT COUNT(*) FROM rollup').pluck().get()).toBe(1);
    l.close();
  });

  it('cuts days from the calls themselves in a zone off the quarter hour', () => {
    const l = UsageLedger.open({ path: ':memory:' });
    // Monrovia kept -00:44:30 until 1972.
    l.ingest([
      usage({ dedupKey: 'a', timestamp: '1971-06-01T00:30:00.000Z', outputTokens: 1 }),
      usage({ dedupKey: 'b', timestamp: '1971-06-01T00:50:00.000Z', outputTokens: 2 }),
    ]);
    const report = dailyReport(l, { timezone: 'Africa/Monrovia', mode: 'calculate' });
    expect(report.rows.map((r) => [r.period, r.outputTokens])).toEqual([
      ['1971-05-31', 1],
      ['1971-06-01', 2],
    ]);
    expect(dailyReport(l, { timezone: 'Africa/Monrovia', since: '1971-06-01' }).totals.outputTokens).toBe(2);
    l.close();
  });
});

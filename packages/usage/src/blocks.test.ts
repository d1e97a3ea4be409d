import { describe, expect, it } from 'vitest';
import { random, usage } from '../test/helpers.js';
import { activeBlock, type BlockEntry, blocksReport, identifyBlocks, windowSessions } from './blocks.js';
import { UsageLedger } from './ledger.js';

const at = (time: string) => `2026-09-01T${time}Z`;
const NOW = Date.parse(at('22:00:00'));

/**
 * A generated day: costs are binary fractions (exact in floating point) so sums compare exactly.
 * 10:15 and 10:45 open the 10:00 block; 14:59:59 still belongs to it (4 h 59 min 59 s after its
 * start); 15:00:01 is past 5 hours from the start and opens the 15:00 block although it follows
 * the previous call by 2 s; 21:00 follows a silence of 5 h 59 min 59 s: a gap block, then the
 * 21:00 block, active at 22:00.
 */
function corpus(): UsageLedger {
  const ledger = UsageLedger.open({ path: ':memory:' });
  ledger.ingest([
    usage({
      dedupKey: 'a',
      timestamp: at('10:15:00'),
      inputTokens: 1000,
      outputTokens: 500,
      costUsd: 0.25,
      sessionId: 'claude-code:A',
    }),
    usage({
      dedupKey: 'b',
      timestamp: at('10:45:00'),
      inputTokens: 2000,
      outputTokens: 1000,
      cacheReadTokens: 10_000,
      costUsd: 0.5,
      sessionId: 'claude-code:B',
      model: 'claude-opus-4-6',
    }),
    usage({
      dedupKey: 'c',
      timestamp: at('14:59:59'),
      inputTokens: 100,
      outputTokens: 50,
      costUsd: 0.125,
      sessionId: 'claude-code:A',
    }),
    usage({ dedupKey: 'd', timestamp: at('15:00:01'), inputTokens: 10, outputTokens: 10, costUsd: 0.0625 }),
    usage({
      dedupKey: 'e',
      timestamp: at('21:00:00'),
      inputTokens: 600,
      outputTokens: 400,
      cacheCreationTokens: 1000,
      costUsd: 0.375,
      sessionId: 'claude-code:C',
      projectPath: '/p/c',
    }),
    usage({
      dedupKey: 'f',
      timestamp: at('21:30:00'),
      inputTokens: 400,
      outputTokens: 600,
      cacheReadTokens: 2000,
      costUsd: 0.5,
      sessionId: 'claude-code:A',
    }),
    // Another tool inside the active block: not part of Claude Code's blocks.
    usage({
      dedupKey: 'x',
      tool: 'codex',
      sessionId: 'codex:X',
      timestamp: at('21:40:00'),
      inputTokens: 1_000_000,
      costUsd: 4,
    }),
  ]);
  return ledger;
}

describe('blocksReport', () => {
  it('cuts blocks, gaps and the active block exactly as ccusage does', () => {
    const ledger = corpus();
    const report = blocksReport(ledger, { now: NOW });
    expect(report.tool).toBe('claude-code');
    expect(report.sessionDurationHours).toBe(5);
    expect(
      report.blocks.map((b) => [
        b.id,
        b.startTime,
        b.endTime,
        b.actualEndTime,
        b.isGap,
        b.isActive,
        b.entries,
      ]),
    ).toEqual([
      [
        '2026-09-01T10:00:00.000Z',
        at('10:00:00.000'),
        at('15:00:00.000'),
        at('14:59:59.000'),
        false,
        false,
        3,
      ],
      [
        '2026-09-01T15:00:00.000Z',
        at('15:00:00.000'),
        at('20:00:00.000'),
        at('15:00:01.000'),
        false,
        false,
        1,
      ],
      ['gap-2026-09-01T20:00:01.000Z', at('20:00:01.000'), at('21:00:00.000'), null, true, false, 0],
      [
        '2026-09-01T21:00:00.000Z',
        at('21:00:00.000'),
        at('02:00:00.000').replace('09-01', '09-02'),
        at('21:30:00.000'),
        false,
        true,
        2,
      ],
    ]);
    const first = report.blocks[0]!;
    expect(first).toMatchObject({
      inputTokens: 3100,
      outputTokens: 1550,
      cacheCreationTokens: 0,
      cacheReadTokens: 10_000,
      totalTokens: 14_650,
      costUsd: 0.875,
      models: ['claude-sonnet-4-5-20250929', 'claude-opus-4-6'],
      burnRate: null,
      projection: null,
    });
    expect(first.topSessions).toBeUndefined();
    ledger.close();
  });

  it('gives the active block its burn rate, projection to its end and heaviest sessions', () => {
    const ledger = corpus();
    const active = blocksReport(ledger, { now: NOW }).blocks.at(-1)!;
    // 5000 tokens (2000 of them input + output) and $0.875 over the 30 minutes from 21:00 to 21:30.
    expect(active.totalTokens).toBe(5000);
    expect(active.costUsd).toBe(0.875);
    expect(active.burnRate).toEqual({
      tokensPerMinute: 5000 / 30,
      tokensPerMinuteForIndicator: 2000 / 30,
      costPerHour: 1.75,
    });
    // 240 minutes remain to 02:00: 5000 + 240 × 5000/30 tokens, $0.875 + 240 × 1.75/60, rounded to cents.
    expect(active.projection).toEqual({ totalTokens: 45_000, totalCostUsd: 7.88, remainingMinutes: 240 });
    expect(active.topSessions).toEqual([
      {
        sessionId: 'claude-code:A',
        tool: 'claude-code',
        projectPath: '/p/one',
        totalTokens: 3000,
        costUsd: 0.5,
        share: 0.6,
      },
      {
        sessionId: 'claude-code:C',
        tool: 'claude-code',
        projectPath: '/p/c',
        totalTokens: 2000,
        costUsd: 0.375,
        share: 0.4,
      },
    ]);
    ledger.close();
  });

  it('has no active block once the last call is 5 hours old or the block has ended', () => {
    const ledger = corpus();
    expect(blocksReport(ledger, { now: Date.parse('2026-09-02T02:00:00Z') }).blocks.at(-1)!.isActive).toBe(
      false,
    );
    expect(blocksReport(ledger, { now: Date.parse('2026-09-02T01:59:59Z') }).blocks.at(-1)!.isActive).toBe(
      true,
    );
    expect(activeBlock(ledger, { now: Date.parse('2026-09-02T02:00:00Z') })).toBeNull();
    ledger.close();
  });

  it('keeps a call at exactly 5 hours after the block start in that block', () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    ledger.ingest([
      usage({ dedupKey: 'p', timestamp: at('10:00:00'), outputTokens: 1 }),
      usage({ dedupKey: 'q', timestamp: at('15:00:00'), outputTokens: 2 }),
      usage({ dedupKey: 'r', timestamp: at('15:00:30'), outputTokens: 4 }),
      usage({ dedupKey: 's', timestamp: at('15:09:30'), outputTokens: 8 }),
    ]);
    const now = Date.parse(at('15:10:00'));
    const report = blocksReport(ledger, { now });
    expect(report.blocks.map((b) => [b.id, b.entries, b.outputTokens])).toEqual([
      ['2026-09-01T10:00:00.000Z', 2, 3],
      ['2026-09-01T15:00:00.000Z', 2, 12],
    ]);
    expect(activeBlock(ledger, { now })).toEqual(report.blocks[1]);
    ledger.close();
  });

  it('filters by tool, by day and to the active block', () => {
    const ledger = corpus();
    const all = blocksReport(ledger, { now: NOW, tool: null });
    expect(all.tool).toBeNull();
    expect(all.blocks.at(-1)).toMatchObject({ entries: 3, totalTokens: 1_005_000, costUsd: 4.875 });
    const codex = blocksReport(ledger, { now: NOW, tool: 'codex' });
    expect(codex.blocks.map((b) => [b.id, b.entries, b.isActive])).toEqual([
      ['2026-09-01T21:00:00.000Z', 1, true],
    ]);
    // Calls of one day in Tokyo (UTC+9): 2026-09-02 there starts at 15:00 UTC on the 1st.
    const tokyo = blocksReport(ledger, { now: NOW, since: '2026-09-02', timezone: 'Asia/Tokyo' });
    expect(tokyo.blocks.map((b) => b.id)).toEqual([
      '2026-09-01T15:00:00.000Z',
      'gap-2026-09-01T20:00:01.000Z',
      '2026-09-01T21:00:00.000Z',
    ]);
    const only = blocksReport(ledger, { now: NOW, activeOnly: true });
    expect(only.blocks.map((b) => b.id)).toEqual(['2026-09-01T21:00:00.000Z']);
    expect(only.blocks[0]).toEqual(blocksReport(ledger, { now: NOW }).blocks.at(-1));
    expect(() => blocksReport(ledger, { since: '2026-09-03', until: '2026-09-01' })).toThrow(/after until/);
    expect(() => blocksReport(ledger, { mode: 'guess' as never })).toThrow(/mode must be/);
    expect(() => blocksReport(ledger, { sessionDurationHours: 0 })).toThrow(/positive/);
    ledger.close();
  });

  it('lists unpriced models', () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    ledger.ingest([
      usage({ dedupKey: 'u', timestamp: at('10:00:00'), model: 'my-local-model', outputTokens: 5 }),
    ]);
    expect(blocksReport(ledger, { now: NOW }).unpricedModels).toEqual(['my-local-model']);
    expect(blocksReport(ledger, { now: NOW, mode: 'display' }).unpricedModels).toEqual([]);
    ledger.close();
  });
});

describe('windowSessions', () => {
  it('ranks the sessions of a time window by tokens, with their share', () => {
    const ledger = corpus();
    const from = Date.parse(at('10:00:00'));
    const to = Date.parse(at('15:00:00'));
    expect(windowSessions(ledger, { tool: 'claude-code', from, to })).toEqual([
      {
        sessionId: 'claude-code:B',
        tool: 'claude-code',
        projectPath: '/p/one',
        totalTokens: 13_000,
        costUsd: 0.5,
        share: 13_000 / 14_650,
      },
      {
        sessionId: 'claude-code:A',
        tool: 'claude-code',
        projectPath: '/p/one',
        totalTokens: 1650,
        costUsd: 0.375,
        share: 1650 / 14_650,
      },
    ]);
    expect(windowSessions(ledger, { tool: null, from: Date.parse(at('21:00:00')), limit: 1 })).toEqual([
      {
        sessionId: 'codex:X',
        tool: 'codex',
        projectPath: '/p/one',
        totalTokens: 1_000_000,
        costUsd: 4,
        share: 1_000_000 / 1_005_000,
      },
    ]);
    expect(windowSessions(ledger, { tool: 'openclaw', from })).toEqual([]);
    ledger.close();
  });

  it('runs on the indexes the ledger migration adds', () => {
    const ledger = corpus();
    const indexes = (ledger.db.pragma('index_list(usage)') as { name: string }[]).map((i) => i.name);
    expect(indexes).toContain('usage_ts');
    const plan = ledger.db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT * FROM usage WHERE ts > ? AND ts <= ? AND +tool = 'codex' ORDER BY ts, id",
      )
      .all(0, 1) as { detail: string }[];
    expect(plan.map((p) => p.detail)).toEqual(['SEARCH usage USING INDEX usage_ts (ts>? AND ts<?)']);
    ledger.close();
  });
});

describe('activeBlock', () => {
  it('matches the last block of the full report at any moment of a generated month', () => {
    const next = random(7);
    const ledger = UsageLedger.open({ path: ':memory:' });
    const start = Date.parse('2026-08-01T00:00:00Z');
    const events = [];
    let ts = start;
    for (let i = 0; i < 3000; i++) {
      // Mostly minutes apart, sometimes hours: runs of activity longer than 5 hours and real gaps,
      // and one marathon of about two days without a 5-hour silence (the look-back must widen).
      const r = next();
      const marathon = i >= 1000 && i < 1300;
      ts += r < 0.9 || marathon ? Math.floor(next() * 20 * 60_000) : Math.floor(next() * 9 * 3_600_000);
      events.push(
        usage({
          dedupKey: `g${i}`,
          timestamp: new Date(ts).toISOString(),
          sessionId: `claude-code:s${Math.floor(next() * 4)}`,
          inputTokens: Math.floor(next() * 1000),
          outputTokens: Math.floor(next() * 1000),
          cacheReadTokens: Math.floor(next() * 10_000),
          costUsd: Math.floor(next() * 64) / 64,
        }),
      );
    }
    ledger.ingest(events);
    const entries = events.map(
      (e): BlockEntry => ({
        ts: Date.parse(e.timestamp),
        sessionId: e.sessionId,
        tool: e.tool,
        projectPath: e.projectPath,
        model: e.model,
        inputTokens: e.inputTokens,
        outputTokens: e.outputTokens,
        cacheCreationTokens: e.cacheCreationTokens,
        cacheReadTokens: e.cacheReadTokens,
        reasoningOutputTokens: e.reasoningOutputTokens,
        costUsd: e.costUsd ?? 0,
      }),
    );
    let actives = 0;
    let probes = 0;
    for (let probe = start; probe < ts + 6 * 3_600_000; probe += Math.floor(next() * 4 * 3_600_000)) {
      // The truth: ccusage's grouping of every call made up to the probe, from all history.
      const upTo = identifyBlocks(
        entries.filter((e) => e.ts <= probe),
        { now: probe },
      ).at(-1);
      const expected = upTo?.isActive ? upTo : null;
      expect(activeBlock(ledger, { now: probe })).toEqual(expected);
      probes++;
      if (expected) actives++;
    }
    expect(probes).toBeGreaterThan(500);
    expect(actives).toBeGreaterThan(150);
    ledger.close();
  });
});

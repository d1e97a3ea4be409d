import type { LimitsSnapshot } from '@nexus/protocol';
import { describe, expect, it } from 'vitest';
import { burnText, formatCountdown, gaugeViews, limitLevel } from './limits-view';
import { applyFrame, createWallState } from './wall-state';

const NOW = Date.parse('2026-11-24T15:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function snapshot(status: LimitsSnapshot['claudeUsage']['status'] = 'ok'): LimitsSnapshot {
  return {
    windows: [
      {
        tool: 'claude-code',
        window: 'five_hour',
        label: '5-hour',
        usedPercent: 91.2,
        windowMinutes: 300,
        resetsAt: iso(NOW + 95 * 60_000),
        source: 'claude-oauth',
        asOf: iso(NOW - 7 * 60_000),
        topSessions: [
          {
            sessionId: 'claude-code:a',
            tool: 'claude-code',
            projectPath: '/w/shop',
            totalTokens: 3,
            costUsd: 1,
            share: 0.75,
          },
        ],
      },
      {
        tool: 'codex',
        window: 'primary',
        label: '5-hour',
        usedPercent: 75,
        windowMinutes: 300,
        resetsAt: iso(NOW - 12 * 60_000),
        source: 'codex-log',
        asOf: iso(NOW - 30_000),
        topSessions: [
          {
            sessionId: 'codex:b',
            tool: 'codex',
            projectPath: '/w/cli',
            totalTokens: 1,
            costUsd: 1,
            share: 1,
          },
        ],
      },
      {
        tool: 'codex',
        window: 'secondary',
        label: 'Weekly',
        usedPercent: 4.25,
        windowMinutes: 10_080,
        resetsAt: null,
        source: 'codex-log',
        asOf: iso(NOW - 30_000),
        topSessions: [],
      },
    ],
    activeBlock: null,
    claudeUsage: {
      status,
      asOf: iso(NOW - 7 * 60_000),
      nextPollAt: iso(NOW + 20 * 60_000),
      failures: status === 'ok' ? 0 : 2,
      ...(status === 'ok' ? {} : { lastErrorCode: 'NEXUS_LIMITS_RATE_LIMITED' }),
    },
    updatedAt: iso(NOW),
  };
}

describe('limits panel view', () => {
  it('turns amber at 75% and red at 90%', () => {
    expect([0, 74.9, 75, 89.9, 90, 120].map(limitLevel)).toEqual([
      'ok',
      'ok',
      'warn',
      'warn',
      'danger',
      'danger',
    ]);
  });

  it('counts down in days, hours and minutes', () => {
    expect([30_000, 60_000, 59 * 60_000, 95 * 60_000, 26 * 3_600_000].map(formatCountdown)).toEqual([
      '<1m',
      '1m',
      '59m',
      '1h 35m',
      '1d 2h',
    ]);
  });

  it('shows each window with its level, reset countdown, age and sessions', () => {
    const gauges = gaugeViews(snapshot(), NOW);
    expect(
      gauges.map((g) => [g.title, g.level, g.fill, g.resetText, g.ageText, g.topSessions.length]),
    ).toEqual([
      ['Claude 5-hour', 'danger', 91.2, 'resets in 1h 35m', 'as of 7m ago', 1],
      // Reset since Codex last reported: the figure is history, and so are its sessions.
      ['Codex 5-hour', 'reset', 75, 'reset 12m ago', '', 0],
      ['Codex Weekly', 'ok', 4.25, '', '', 0],
    ]);
    expect(gauges[0]!.detail).toContain("from Anthropic's usage endpoint");
  });

  it('says why a Claude value is old while the endpoint backs off', () => {
    const [claude] = gaugeViews(snapshot('rate_limited'), NOW);
    expect(claude!.ageText).toBe('as of 7m ago');
    expect(claude!.detail).toContain('last poll failed (NEXUS_LIMITS_RATE_LIMITED), next try');
  });

  it('phrases the burn rate and the projection', () => {
    const block = {
      id: 'b',
      startTime: iso(NOW - 3_600_000),
      endTime: iso(NOW + 4 * 3_600_000),
      actualEndTime: iso(NOW - 60_000),
      isActive: true,
      isGap: false,
      entries: 2,
      inputTokens: 0,
      outputTokens: 0,
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
      reasoningOutputTokens: 0,
      totalTokens: 0,
      costUsd: 1,
      models: [],
      burnRate: { tokensPerMinute: 1200, tokensPerMinuteForIndicator: 100, costPerHour: 8.5 },
      projection: { totalTokens: 9, totalCostUsd: 35, remainingMinutes: 240 },
    };
    const usd = (n: number) => `$${n.toFixed(2)}`;
    expect(burnText(block, NOW, usd, String)).toEqual({
      rate: '$8.50/h · 1200 tok/min',
      projection: '→ $35.00 by block end (4h 0m)',
    });
    expect(burnText(null, NOW, usd, String)).toBeUndefined();
    expect(burnText({ ...block, burnRate: null }, NOW, usd, String)).toBeUndefined();
  });
});

describe('limits on the wall state', () => {
  it('takes them from init, then from each limits frame in sequence', () => {
    const state = createWallState();
    const usageTotals = {
      scope: 'all_history' as const,
      totals: { totalTokens: 0, totalCostUsd: 0, runningAgents: 0 },
      byTool: {},
      backfill: { status: 'done' as const, scannedFiles: 0, totalFiles: 0, scannedBytes: 0, totalBytes: 0 },
      updatedAt: iso(NOW),
    };
    applyFrame(state, {
      type: 'init',
      seq: 4,
      sessions: [],
      usageTotals,
      watchedRoots: [],
      limits: snapshot(),
    });
    expect(state.limits?.windows).toHaveLength(3);
    expect(applyFrame(state, { type: 'limits', seq: 5, ...snapshot('rate_limited'), windows: [] })).toBe(
      'applied',
    );
    expect(state.limits).toMatchObject({ windows: [], claudeUsage: { status: 'rate_limited' } });
    expect(applyFrame(state, { type: 'limits', seq: 5, ...snapshot() })).toBe('duplicate');
    expect(state.limits?.windows).toEqual([]);
    applyFrame(state, { type: 'init', seq: 9, sessions: [], usageTotals, watchedRoots: [] });
    expect(state.limits).toBeUndefined();
  });
});

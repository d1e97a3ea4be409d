import type { UsagePeriodReport, UsageSessionReport } from '@nexus/protocol';
import { describe, expect, it } from 'vitest';
import {
  daysBetween,
  rangeQuery,
  rowsByDay,
  rowsByModel,
  rowsByProject,
  rowsBySession,
  sortRows,
  stackedCost,
  sumRows,
  toCsv,
} from './usage-view';

const fields = (totalTokens: number, costUsd: number) => ({
  inputTokens: totalTokens / 2,
  outputTokens: totalTokens / 2,
  cacheCreationTokens: 0,
  cacheReadTokens: 0,
  reasoningOutputTokens: 0,
  totalTokens,
  costUsd,
});

const daily: UsagePeriodReport = {
  timezone: 'UTC',
  rows: [
    {
      period: '2026-11-01',
      ...fields(300, 3),
      breakdown: [
        { tool: 'claude-code', model: 'sonnet', ...fields(100, 1) },
        { tool: 'codex', model: 'gpt-5', ...fields(200, 2) },
      ],
    },
    {
      period: '2026-11-03',
      ...fields(40, 0),
      breakdown: [{ tool: 'codex', model: 'local', ...fields(40, 0) }],
    },
  ],
  totals: fields(340, 3),
  unpricedModels: ['local'],
};

const sessions: UsageSessionReport = {
  timezone: 'UTC',
  rows: [
    {
      sessionId: 'claude-code:a',
      tool: 'claude-code',
      projectPath: '/w/shop',
      firstActivity: '2026-11-01T10:00:00.000Z',
      lastActivity: '2026-11-01T11:00:00.000Z',
      ...fields(100, 1),
      breakdown: [{ tool: 'claude-code', model: 'sonnet', ...fields(100, 1) }],
    },
    {
      sessionId: 'codex:b',
      tool: 'codex',
      projectPath: '/w/shop',
      firstActivity: '2026-11-01T12:00:00.000Z',
      lastActivity: '2026-11-01T13:00:00.000Z',
      ...fields(200, 2),
      breakdown: [{ tool: 'codex', model: 'gpt-5', ...fields(200, 2) }],
    },
    {
      sessionId: 'codex:c',
      tool: 'codex',
      projectPath: '/w/api',
      firstActivity: '2026-11-03T09:00:00.000Z',
      lastActivity: '2026-11-03T09:30:00.000Z',
      ...fields(40, 0),
      breakdown: [{ tool: 'codex', model: 'local', ...fields(40, 0) }],
    },
  ],
  totals: fields(340, 3),
  unpricedModels: ['local'],
};

describe('ranges', () => {
  const now = new Date('2026-11-24T23:30:00Z');
  it('ends today in the chosen zone and counts today as one of the days', () => {
    expect(rangeQuery('7', 'UTC', now)).toEqual({ since: '2026-11-18', until: '2026-11-24' });
    expect(rangeQuery('30', 'Asia/Tokyo', now)).toEqual({ since: '2026-10-27', until: '2026-11-25' });
    expect(rangeQuery('90', 'America/Los_Angeles', now)).toEqual({
      since: '2026-08-27',
      until: '2026-11-24',
    });
    expect(rangeQuery('all', 'UTC', now)).toEqual({});
  });

  it('lists every day of a span, across month ends', () => {
    expect(daysBetween('2026-02-27', '2026-03-02')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
    ]);
  });
});

describe('tables', () => {
  it('groups by tool and model, flags unpriced models, and sums to the report totals', () => {
    const rows = rowsByModel(daily);
    expect(rows.map((r) => [r.tool, r.model, r.totalTokens, r.costUsd, r.unpriced ?? false])).toEqual([
      ['claude-code', 'sonnet', 100, 1, false],
      ['codex', 'gpt-5', 200, 2, false],
      ['codex', 'local', 40, 0, true],
    ]);
    expect(sumRows(rows)).toEqual(daily.totals);
  });

  it('groups sessions by project, counting sessions and keeping the latest activity', () => {
    const rows = rowsByProject(sessions);
    expect(rows.map((r) => [r.label, r.sessions, r.totalTokens, r.lastActivity])).toEqual([
      ['shop', 2, 300, '2026-11-01T13:00:00.000Z'],
      ['api', 1, 40, '2026-11-03T09:30:00.000Z'],
    ]);
    expect(sumRows(rows)).toEqual(sessions.totals);
  });

  it('tells apart projects whose folders have the same name', () => {
    const rows = rowsByProject({
      ...sessions,
      rows: [sessions.rows[0]!, { ...sessions.rows[2]!, projectPath: '/old/shop' }],
    });
    expect(rows.map((r) => r.label)).toEqual(['w/shop', 'old/shop']);
  });

  it('lists sessions and days with their models and unpriced flags', () => {
    expect(rowsBySession(sessions).map((r) => [r.sessionId, r.model, r.unpriced ?? false])).toEqual([
      ['claude-code:a', 'sonnet', false],
      ['codex:b', 'gpt-5', false],
      ['codex:c', 'local', true],
    ]);
    expect(rowsByDay(daily).map((r) => [r.label, r.costUsd, r.unpriced ?? false])).toEqual([
      ['2026-11-01', 3, false],
      ['2026-11-03', 0, true],
    ]);
  });

  it('sorts numbers numerically and text alphabetically, both ways', () => {
    const rows = rowsByModel(daily);
    expect(sortRows(rows, 'costUsd', 'desc').map((r) => r.model)).toEqual(['gpt-5', 'sonnet', 'local']);
    expect(sortRows(rows, 'totalTokens', 'asc').map((r) => r.model)).toEqual(['local', 'sonnet', 'gpt-5']);
    expect(sortRows(rows, 'label', 'asc').map((r) => r.model)).toEqual(['gpt-5', 'local', 'sonnet']);
  });
});

describe('stackedCost', () => {
  it('stacks daily cost by tool over every day of the range, largest series first', () => {
    expect(stackedCost(daily, 'tool', daysBetween('2026-11-01', '2026-11-03'))).toEqual({
      labels: ['2026-11-01', '2026-11-02', '2026-11-03'],
      series: [
        { name: 'codex', tool: 'codex', values: [2, 0, 0] },
        { name: 'claude-code', tool: 'claude-code', values: [1, 0, 0] },
      ],
    });
  });

  it('stacks by model over the report days', () => {
    expect(stackedCost(daily, 'model').series.map((s) => [s.name, s.values])).toEqual([
      ['gpt-5', [2, 0]],
      ['sonnet', [1, 0]],
      ['local', [0, 0]],
    ]);
  });
});

describe('toCsv', () => {
  it('quotes what needs quoting, defuses formulas and ends with the totals', () => {
    const rows = rowsByProject({
      ...sessions,
      rows: [{ ...sessions.rows[0]!, projectPath: '=HYPERLINK("x"),y' }],
    });
    const csv = toCsv(
      [
        { key: 'projectPath', label: 'Project' },
        { key: 'sessions', label: 'Sessions' },
        { key: 'costUsd', label: 'Cost (USD)' },
      ],
      rows,
      sumRows(rows),
    );
    expect(csv).toBe('Project,Sessions,Cost (USD)\r\n"\'=HYPERLINK(""x""),y",1,1\r\nTotal,,1\r\n');
  });
});

import { UsagePeriodReport, UsageSessionReport, validate } from '@nexus/protocol';
import { UsageLedger } from '@nexus/usage';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageRoutes } from './usage-routes.js';

const ledger = UsageLedger.open({ path: ':memory:' });
const app = Fastify();

const base = {
  type: 'usage' as const,
  tool: 'claude-code',
  sessionId: 'claude-code:s1',
  projectPath: '/p',
  model: 'claude-sonnet-4-5-20250929',
  inputTokens: 0,
  outputTokens: 0,
  cacheCreationTokens: 0,
  cacheCreation1hTokens: 0,
  cacheReadTokens: 0,
  reasoningOutputTokens: 0,
};

beforeAll(async () => {
  ledger.ingest([
    { ...base, dedupKey: 'a', timestamp: '2026-09-01T23:30:00.000Z', outputTokens: 1000 },
    {
      ...base,
      dedupKey: 'b',
      timestamp: '2026-09-02T10:00:00.000Z',
      inputTokens: 500,
      tool: 'codex',
      sessionId: 'codex:c',
      model: 'gpt-5-codex',
    },
  ]);
  await app.register(usageRoutes, { ledger, defaultTimezone: 'UTC' });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  ledger.close();
});

const get = (url: string) => app.inject({ method: 'GET', url });

describe('usage routes', () => {
  it('GET /api/usage/daily returns the report contract', async () => {
    const res = await get('/api/usage/daily');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(validate(UsagePeriodReport, body).ok).toBe(true);
    expect(body.timezone).toBe('UTC');
    expect(body.rows.map((r: { period: string; totalTokens: number }) => [r.period, r.totalTokens])).toEqual([
      ['2026-09-01', 1000],
      ['2026-09-02', 500],
    ]);
    expect(body.totals.costUsd).toBeCloseTo(0.015 + 0.000625, 12);
  });

  it('honours timezone, tool, since/until and mode', async () => {
    const tokyo = (await get('/api/usage/daily?timezone=Asia/Tokyo')).json();
    expect(tokyo.rows.map((r: { period: string }) => r.period)).toEqual(['2026-09-02']);
    const codex = (await get('/api/usage/monthly?tool=codex&mode=calculate')).json();
    expect(codex.rows).toEqual([expect.objectContaining({ period: '2026-09', totalTokens: 500 })]);
    const until = (await get('/api/usage/daily?timezone=UTC&until=2026-09-01')).json();
    expect(until.totals.totalTokens).toBe(1000);
  });

  it('GET /api/usage/sessions returns session rows', async () => {
    const res = await get('/api/usage/sessions?timezone=UTC');
    const body = res.json();
    expect(validate(UsageSessionReport, body).ok).toBe(true);
    expect(body.rows.map((r: { sessionId: string }) => r.sessionId)).toEqual(['claude-code:s1', 'codex:c']);
  });

  it('GET /api/usage/cost-history lists priced calls', async () => {
    const body = (await get('/api/usage/cost-history?limit=1&tool=codex')).json();
    expect(body.meta.totalRecords).toBe(1);
    expect(body.items[0]).toMatchObject({
      tool: 'codex',
      model: 'gpt-5-codex',
      cost: { source: 'computed' },
    });
    expect((await get('/api/usage/cost-history')).json().items).toHaveLength(2);
  });

  it.each([
    '/api/usage/daily?since=yesterday',
    '/api/usage/daily?since=2026-02-30',
    '/api/usage/daily?timezone=Mars/Base',
    '/api/usage/monthly?mode=cheap',
    '/api/usage/sessions?since=2026-09-03&until=2026-09-01',
    '/api/usage/cost-history?limit=0',
    '/api/usage/cost-history?limit=2001',
    '/api/usage/cost-history?limit=abc',
  ])('400 with a code for %s', async (url) => {
    const res = await get(url);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      statusCode: 400,
      code: 'NEXUS_USAGE_BAD_OPTION',
      error: 'Bad Request',
    });
    expect(res.json().message).toMatch(/^\[nexus\] \[usage\] /);
  });
});

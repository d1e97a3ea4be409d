import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { capturedLogger, FakeClock, standIn } from '../../test/limits-helpers.js';
import {
  ClaudeUsagePoller,
  type ClaudeUsagePollerOptions,
  checkBaseUrl,
  parseClaudeUsage,
} from './claude-usage.js';

const TOKEN = 'sk-ant-oat01-SECRET-token-never-logged-7f3a9c';
const START = Date.parse('2026-11-24T15:00:00.000Z');
const MIN = 60_000;

const FLAT = JSON.stringify({
  five_hour: { utilization: 42, resets_at: '2026-11-24T18:00:00.571404+00:00' },
  seven_day: { utilization: 18.5, resets_at: '2026-11-27T09:00:00+00:00' },
  seven_day_opus: { utilization: 7, resets_at: '2026-11-27T09:00:00+00:00' },
  seven_day_oauth_apps: null,
  iguana_necktie: null,
  extra_usage: { is_enabled: false, monthly_limit: null, used_credits: null, utilization: null },
});

const LISTED = JSON.stringify({
  five_hour: { utilization: 56, resets_at: '2026-11-24T18:00:00+00:00' },
  seven_day: { utilization: 6, resets_at: '2026-11-27T09:00:00+00:00' },
  limits: [
    { kind: 'session', percent: 56, resets_at: '2026-11-24T18:00:00+00:00', scope: null },
    { kind: 'weekly_all', percent: 6, resets_at: '2026-11-27T09:00:00+00:00', scope: null },
    {
      kind: 'weekly_scoped',
      percent: 2,
      resets_at: '2026-11-27T09:00:00+00:00',
      scope: { model: { id: null, display_name: 'Fable' }, surface: null },
    },
    { kind: 'weekly_scoped', percent: 50, is_active: false, scope: { model: { id: 'x' } } },
  ],
});

let home: string;
let credentials: string;
let stateFile: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'nexus-claude-usage-'));
  mkdirSync(join(home, '.claude'));
  credentials = join(home, '.claude', '.credentials.json');
  stateFile = join(home, 'state', 'limits', 'claude-oauth.json');
  writeFileSync(
    credentials,
    JSON.stringify({
      claudeAiOauth: { accessToken: TOKEN, refreshToken: 'r', expiresAt: START + 7 * 86_400_000 },
    }),
  );
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function poller(baseUrl: string, clock: FakeClock, extra: Partial<ClaudeUsagePollerOptions> = {}) {
  const log = capturedLogger();
  let changes = 0;
  const instance = new ClaudeUsagePoller({
    credentialsPaths: [join(home, 'missing', '.credentials.json'), credentials],
    baseUrl,
    enabled: true,
    stateFile,
    clock,
    logger: log.logger,
    timeoutMs: 300,
    onChange: () => changes++,
    ...extra,
  });
  return { instance, lines: log.lines, changes: () => changes };
}

/** Run the timers due within `ms` and wait for the poll they started. */
async function advance(clock: FakeClock, p: ClaudeUsagePoller, ms: number) {
  clock.advance(ms);
  await p.settled();
}

/** Nothing Nexus wrote — log lines or state files — contains the token. */
function expectNoToken(lines: string[]) {
  for (const line of lines) expect(line).not.toContain(TOKEN);
  for (const file of readdirSync(join(home, 'state', 'limits'))) {
    expect(readFileSync(join(home, 'state', 'limits', file), 'utf8')).not.toContain(TOKEN);
  }
}

describe('parseClaudeUsage', () => {
  it('reads the flat buckets, per-model weekly ones included, and skips extra usage and nulls', () => {
    expect(parseClaudeUsage(JSON.parse(FLAT), '2026-11-24T15:00:00.000Z')).toEqual([
      {
        tool: 'claude-code',
        source: 'claude-oauth',
        asOf: '2026-11-24T15:00:00.000Z',
        window: 'five_hour',
        label: '5-hour',
        usedPercent: 42,
        windowMinutes: 300,
        resetsAt: '2026-11-24T18:00:00.571Z',
      },
      {
        tool: 'claude-code',
        source: 'claude-oauth',
        asOf: '2026-11-24T15:00:00.000Z',
        window: 'seven_day',
        label: 'Weekly',
        usedPercent: 18.5,
        windowMinutes: 10_080,
        resetsAt: '2026-11-27T09:00:00.000Z',
      },
      {
        tool: 'claude-code',
        source: 'claude-oauth',
        asOf: '2026-11-24T15:00:00.000Z',
        window: 'seven_day_opus',
        label: 'Weekly (Opus)',
        usedPercent: 7,
        windowMinutes: 10_080,
        resetsAt: '2026-11-27T09:00:00.000Z',
      },
    ]);
  });

  it('prefers the limits[] list, naming scoped windows by model and skipping inactive ones', () => {
    const windows = parseClaudeUsage(JSON.parse(LISTED), '2026-11-24T15:00:00.000Z')!;
    expect(windows.map((w) => [w.window, w.label, w.usedPercent, w.windowMinutes, w.resetsAt])).toEqual([
      ['five_hour', '5-hour', 56, 300, '2026-11-24T18:00:00.000Z'],
      ['seven_day', 'Weekly', 6, 10_080, '2026-11-27T09:00:00.000Z'],
      ['seven_day_fable', 'Weekly (Fable)', 2, 10_080, '2026-11-27T09:00:00.000Z'],
    ]);
  });

  it('rejects bodies that are not usage reports', () => {
    expect(parseClaudeUsage([], 'x')).toBeUndefined();
    expect(parseClaudeUsage({ error: { type: 'permission_error' } }, 'x')).toBeUndefined();
    expect(parseClaudeUsage('five_hour', 'x')).toBeUndefined();
    // An account without a 5-hour window is still a report.
    expect(
      parseClaudeUsage({ five_hour: null, seven_day: { utilization: 3, resets_at: null } }, 'x'),
    ).toHaveLength(1);
  });
});

describe('ClaudeUsagePoller against a local stand-in', () => {
  it('polls at once, then every 5 minutes, with the bearer token and the beta header', async () => {
    const server = await standIn([{ status: 200, body: FLAT }]);
    const clock = new FakeClock(START);
    const { instance, lines, changes } = poller(server.baseUrl, clock);
    instance.start();
    await advance(clock, instance, 0);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'GET',
      url: '/api/oauth/usage',
      headers: { authorization: `Bearer ${TOKEN}`, 'anthropic-beta': 'oauth-2025-04-20' },
    });
    expect(instance.state()).toEqual({
      status: 'ok',
      asOf: '2026-11-24T15:00:00.000Z',
      nextPollAt: '2026-11-24T15:05:00.000Z',
      failures: 0,
    });
    expect(instance.windows().map((w) => w.window)).toEqual(['five_hour', 'seven_day', 'seven_day_opus']);
    expect(changes()).toBe(1);
    await advance(clock, instance, 5 * MIN - 1);
    expect(server.requests).toHaveLength(1);
    await advance(clock, instance, 1);
    expect(server.requests).toHaveLength(2);
    await instance.close();
    await server.close();
    expectNoToken(lines);
  });

  it('reads the limits[] shape', async () => {
    const server = await standIn([{ status: 200, body: LISTED }]);
    const clock = new FakeClock(START);
    const { instance } = poller(server.baseUrl, clock);
    instance.start();
    await advance(clock, instance, 0);
    expect(instance.windows().map((w) => [w.window, w.usedPercent])).toEqual([
      ['five_hour', 56],
      ['seven_day', 6],
      ['seven_day_fable', 2],
    ]);
    await instance.close();
    await server.close();
  });

  it('backs off on 429 from 10 minutes to an hour, never polling early, keeping the last value and its age', async () => {
    const tooMany = { status: 429, body: '{"error":{"type":"rate_limit_error"}}' };
    const server = await standIn([
      { status: 200, body: FLAT },
      tooMany,
      tooMany,
      tooMany,
      tooMany,
      tooMany,
      { status: 200, body: LISTED },
    ]);
    const clock = new FakeClock(START);
    const { instance, lines } = poller(server.baseUrl, clock);
    instance.start();
    await advance(clock, instance, 0);
    expect(server.requests).toHaveLength(1);
    const good = instance.windows();

    // 15:05 answers 429; then waits of 10, 20, 40, 60 and 60 minutes.
    await advance(clock, instance, 5 * MIN);
    expect(server.requests).toHaveLength(2);
    const waits = [10, 20, 40, 60];
    for (const [i, wait] of waits.entries()) {
      expect(instance.state()).toMatchObject({
        status: 'rate_limited',
        failures: i + 1,
        asOf: '2026-11-24T15:00:00.000Z',
        lastErrorCode: 'NEXUS_LIMITS_RATE_LIMITED',
      });
      expect(Date.parse(instance.state().nextPollAt!) - clock.now()).toBe(wait * MIN);
      expect(instance.windows()).toEqual(good);
      await advance(clock, instance, wait * MIN - 1);
      expect(server.requests).toHaveLength(2 + i);
      await advance(clock, instance, 1);
      expect(server.requests).toHaveLength(3 + i);
    }
    // The fifth 429 waits the cap again; then success resets the schedule to 5 minutes.
    expect(instance.state()).toMatchObject({ status: 'rate_limited', failures: 5 });
    expect(Date.parse(instance.state().nextPollAt!) - clock.now()).toBe(60 * MIN);
    await advance(clock, instance, 60 * MIN);
    expect(server.requests).toHaveLength(7);
    expect(instance.state()).toMatchObject({ status: 'ok', failures: 0 });
    expect(instance.state().asOf).toBe(new Date(clock.now()).toISOString());
    expect(instance.windows().map((w) => w.window)).toContain('seven_day_fable');

    const warnings = lines.filter((l) => l.includes('NEXUS_LIMITS_RATE_LIMITED'));
    expect(warnings).toHaveLength(5);
    expect(JSON.parse(warnings[0]!)).toMatchObject({
      level: 40,
      code: 'NEXUS_LIMITS_RATE_LIMITED',
      status: 429,
    });
    await instance.close();
    await server.close();
    expectNoToken(lines);
  });

  it('honours Retry-After when it asks for longer than the backoff', async () => {
    const server = await standIn([{ status: 429, headers: { 'retry-after': '1800' } }]);
    const clock = new FakeClock(START);
    const { instance } = poller(server.baseUrl, clock);
    instance.start();
    await advance(clock, instance, 0);
    expect(Date.parse(instance.state().nextPollAt!) - clock.now()).toBe(30 * MIN);
    await instance.close();
    await server.close();
  });

  it.each([
    ['401', { status: 401, body: '{"error":"invalid token"}' }, 'unauthorized', 'NEXUS_LIMITS_UNAUTHORIZED'],
    ['403', { status: 403, body: '' }, 'unauthorized', 'NEXUS_LIMITS_UNAUTHORIZED'],
    ['500', { status: 500, body: 'oops' }, 'error', 'NEXUS_LIMITS_HTTP_ERROR'],
    ['malformed JSON', { status: 200, body: '{"five_hour": {' }, 'error', 'NEXUS_LIMITS_BAD_RESPONSE'],
    [
      'a body of another shape',
      { status: 200, body: '{"type":"error"}' },
      'error',
      'NEXUS_LIMITS_BAD_RESPONSE',
    ],
    ['a timeout', 'hang' as const, 'error', 'NEXUS_LIMITS_TIMEOUT'],
  ])(
    '%s: keeps the last value, reports the code, backs off 10 minutes',
    async (_name, failure, status, code) => {
      const server = await standIn([{ status: 200, body: FLAT }, failure]);
      const clock = new FakeClock(START);
      const { instance, lines, changes } = poller(server.baseUrl, clock);
      instance.start();
      await advance(clock, instance, 0);
      await advance(clock, instance, 5 * MIN);
      expect(server.requests).toHaveLength(2);
      expect(instance.state()).toEqual({
        status,
        asOf: '2026-11-24T15:00:00.000Z',
        nextPollAt: '2026-11-24T15:15:00.000Z',
        failures: 1,
        lastErrorCode: code,
      });
      expect(instance.windows()).toHaveLength(3);
      expect(changes()).toBe(2);
      const warning = lines.map((l) => JSON.parse(l)).find((l) => l.code === code);
      expect(warning).toMatchObject({ level: 40, failures: 1, retryInMs: 10 * MIN });
      await instance.close();
      await server.close();
      expectNoToken(lines);
    },
  );

  it('sends nothing without credentials or with an expired token, and retries at the normal interval', async () => {
    const server = await standIn([{ status: 200, body: FLAT }]);
    const clock = new FakeClock(START);
    rmSync(credentials);
    const { instance, lines } = poller(server.baseUrl, clock);
    instance.start();
    await advance(clock, instance, 0);
    expect(instance.state()).toMatchObject({
      status: 'no_credentials',
      failures: 0,
      lastErrorCode: 'NEXUS_LIMITS_NO_CREDENTIALS',
    });
    writeFileSync(credentials, JSON.stringify({ claudeAiOauth: { accessToken: TOKEN, expiresAt: START } }));
    await advance(clock, instance, 5 * MIN);
    expect(instance.state()).toMatchObject({
      status: 'unauthorized',
      lastErrorCode: 'NEXUS_LIMITS_TOKEN_EXPIRED',
    });
    expect(server.requests).toHaveLength(0);
    // Claude Code refreshed its token: read fresh on the next poll.
    writeFileSync(
      credentials,
      JSON.stringify({ claudeAiOauth: { accessToken: `${TOKEN}-2`, expiresAt: START + 86_400_000 } }),
    );
    await advance(clock, instance, 5 * MIN);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}-2`]);
    expect(instance.state().status).toBe('ok');
    await instance.close();
    await server.close();
    expectNoToken(lines);
  });

  it('never polls when offline or disabled', async () => {
    const server = await standIn([{ status: 200, body: FLAT }]);
    const clock = new FakeClock(START);
    const offline = poller(server.baseUrl, clock, { enabled: false, disabledReason: 'offline' }).instance;
    const disabled = poller(server.baseUrl, clock, { enabled: false, disabledReason: 'disabled' }).instance;
    offline.start();
    disabled.start();
    await advance(clock, offline, 24 * 60 * MIN);
    expect(server.requests).toHaveLength(0);
    expect(offline.state()).toMatchObject({ status: 'offline', nextPollAt: null });
    expect(disabled.state()).toMatchObject({ status: 'disabled', nextPollAt: null });
    await server.close();
  });

  it('keeps its schedule and last value across a restart: no early poll', async () => {
    const server = await standIn([{ status: 429 }, { status: 200, body: FLAT }]);
    const clock = new FakeClock(START);
    const first = poller(server.baseUrl, clock).instance;
    first.start();
    await advance(clock, first, 0);
    await first.close();
    expect(server.requests).toHaveLength(1);
    // Restarted two minutes later: the backoff (10 minutes from 15:00) still holds.
    clock.advance(2 * MIN);
    const second = poller(server.baseUrl, clock).instance;
    expect(second.state()).toMatchObject({ status: 'rate_limited', failures: 1 });
    second.start();
    await advance(clock, second, 8 * MIN - 1);
    expect(server.requests).toHaveLength(1);
    await advance(clock, second, 1);
    expect(server.requests).toHaveLength(2);
    expect(second.state().status).toBe('ok');
    await second.close();
    await server.close();
  });

  it('does not follow a redirect, so the token goes nowhere else', async () => {
    const elsewhere = await standIn([{ status: 200, body: FLAT }]);
    const server = await standIn([{ status: 302, headers: { location: `${elsewhere.baseUrl}/steal` } }]);
    const clock = new FakeClock(START);
    const { instance, lines } = poller(server.baseUrl, clock);
    instance.start();
    await advance(clock, instance, 0);
    expect(elsewhere.requests).toHaveLength(0);
    expect(instance.state()).toMatchObject({ status: 'error', lastErrorCode: 'NEXUS_LIMITS_NETWORK' });
    await instance.close();
    await server.close();
    await elsewhere.close();
    expectNoToken(lines);
  });

  it('refuses a base URL that would send the token in clear text off this machine', () => {
    expect(checkBaseUrl('https://api.anthropic.com')?.origin).toBe('https://api.anthropic.com');
    expect(checkBaseUrl('http://127.0.0.1:8080')?.origin).toBe('http://127.0.0.1:8080');
    expect(checkBaseUrl('http://example.com')).toBeUndefined();
    expect(checkBaseUrl('https://user:pw@example.com')).toBeUndefined();
    expect(checkBaseUrl('not a url')).toBeUndefined();
    const clock = new FakeClock(START);
    const { instance, lines } = poller('http://example.com', clock);
    instance.start();
    expect(clock.nextDue()).toBeUndefined();
    expect(instance.state()).toMatchObject({ status: 'error', lastErrorCode: 'NEXUS_LIMITS_BAD_URL' });
    expect(lines.join('')).toContain('NEXUS_LIMITS_BAD_URL');
  });
});

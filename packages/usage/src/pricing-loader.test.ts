import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { UsageLogger } from './errors.js';
import { loadPricing, PRICING_CACHE_FILE } from './pricing-loader.js';

type Mode = 'ok' | '500' | 'timeout' | 'badjson' | 'empty';
let mode: Mode = 'ok';
let hits = 0;
let server: Server;
let url = '';
const pending = new Set<import('node:http').ServerResponse>();

const upstream = {
  sample_spec: { input_cost_per_token: 0, output_cost_per_token: 0 },
  'claude-sonnet-4-5': { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 },
};

beforeAll(async () => {
  server = createServer((_req, res) => {
    hits++;
    if (mode === 'ok') res.end(JSON.stringify(upstream));
    else if (mode === '500') {
      res.statusCode = 500;
      res.end('boom');
    } else if (mode === 'badjson') res.end('{"claude-sonnet-4-5": {');
    else if (mode === 'empty') res.end('{}');
    else pending.add(res); // timeout: never answer
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prices.json`;
});

afterAll(async () => {
  for (const res of pending) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let dir: string;
let warnings: string[];
let logger: UsageLogger;
let clock: number;
const now = () => clock;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nexus-pricing-'));
  hits = 0;
  warnings = [];
  logger = { warn: (details, msg) => warnings.push(`${String(details.code)} ${msg}`) };
  clock = Date.parse('2026-09-01T00:00:00Z');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const opts = () => ({ stateDir: dir, url, logger, now, timeoutMs: 300, env: {} });

describe('loadPricing refresh against a loopback server', () => {
  it('fetches, caches, and does not fetch again within the hour', async () => {
    mode = 'ok';
    const t = await loadPricing(opts());
    expect(t.info.source).toBe('network');
    expect(t.lookup('claude-sonnet-4-5')?.price.input).toBe(1e-6);
    expect(hits).toBe(1);
    const cached = JSON.parse(readFileSync(join(dir, PRICING_CACHE_FILE), 'utf8'));
    expect(cached.url).toBe(url);

    clock += 30 * 60 * 1000;
    const again = await loadPricing(opts());
    expect(hits).toBe(1);
    expect(again.info.source).toBe('cache');
    expect(again.fingerprint).toBe(t.fingerprint);

    clock += 31 * 60 * 1000;
    await loadPricing(opts());
    expect(hits).toBe(2);
    expect(warnings).toEqual([]);
  });

  it('keeps the last good table on HTTP 500 and logs the failure', async () => {
    mode = 'ok';
    const good = await loadPricing(opts());
    mode = '500';
    clock += 2 * 60 * 60 * 1000;
    const t = await loadPricing(opts());
    expect(hits).toBe(2);
    expect(t.info.source).toBe('cache');
    expect(t.fingerprint).toBe(good.fingerprint);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/NEXUS_USAGE_PRICING_FETCH .*\[nexus\] \[usage\] pricing refresh failed/);
    // The failed attempt counts for the hourly limit.
    clock += 10 * 60 * 1000;
    await loadPricing(opts());
    expect(hits).toBe(2);
  });

  it('falls back to the bundled snapshot on a timeout with no cache', async () => {
    mode = 'timeout';
    const started = Date.now();
    const t = await loadPricing(opts());
    expect(Date.now() - started).toBeLessThan(3000);
    expect(t.info.source).toBe('snapshot');
    expect(warnings[0]).toMatch(/NEXUS_USAGE_PRICING_FETCH/);
  });

  it('rejects bad JSON and a document without prices', async () => {
    mode = 'badjson';
    expect((await loadPricing(opts())).info.source).toBe('snapshot');
    expect(warnings[0]).toMatch(/NEXUS_USAGE_PRICING_INVALID/);
    clock += 2 * 60 * 60 * 1000;
    mode = 'empty';
    expect((await loadPricing(opts())).info.source).toBe('snapshot');
    expect(warnings[1]).toMatch(/NEXUS_USAGE_PRICING_INVALID/);
  });

  it('never touches the network when offline', async () => {
    mode = 'ok';
    const t = await loadPricing({ ...opts(), offline: true });
    expect(hits).toBe(0);
    expect(t.info.source).toBe('snapshot');
    const viaEnv = await loadPricing({ ...opts(), env: { NEXUS_OFFLINE: '1' } });
    expect(viaEnv.info.source).toBe('snapshot');
    expect(hits).toBe(0);
  });

  it('reads NEXUS_PRICING_URL and ignores a corrupt cache file', async () => {
    mode = 'ok';
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, PRICING_CACHE_FILE), 'not json');
    const t = await loadPricing({ stateDir: dir, logger, now, env: { NEXUS_PRICING_URL: url } });
    expect(t.info.source).toBe('network');
    expect(t.info.url).toBe(url);
    expect(warnings[0]).toMatch(/NEXUS_USAGE_PRICING_CACHE/);
  });
});

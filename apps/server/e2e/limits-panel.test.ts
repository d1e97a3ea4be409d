import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { resolveWebDir } from '../src/cli/serve.js';
import { createEngineRuntime } from '../src/engine.js';
import { silentLogger, testOptions } from '../test/helpers.js';
import { standIn } from '../test/limits-helpers.js';
import { launchChromium, SCREENSHOT_DIR } from './browser.js';

const SESSION = 'ae4a77f8-aedd-4bc1-888f-c94edc91af04';
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

function write(home: string, relativePath: string, content: string) {
  const path = join(home, relativePath);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

/** A home with a Claude session in an active block, a Codex log near its limit, and a Claude login. */
function fixtureHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'nexus-e2e-limits-'));
  const call = (id: string, msAgo: number, output: number) =>
    JSON.stringify({
      type: 'assistant',
      uuid: id,
      sessionId: SESSION,
      cwd: '/work/shop',
      timestamp: iso(msAgo),
      requestId: `req_${id}`,
      costUSD: output / 1000,
      message: {
        id: `msg_${id}`,
        model: 'claude-sonnet-4-5-20250929',
        role: 'assistant',
        content: [{ type: 'text', text: 'ok' }],
        usage: {
          input_tokens: 100,
          output_tokens: output,
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 0,
        },
      },
    });
  write(
    home,
    `.claude/projects/-work-shop/${SESSION}.jsonl`,
    `${call('a', 50 * 60_000, 2000)}\n${call('b', 5 * 60_000, 4000)}\n`,
  );
  write(
    home,
    '.claude/.credentials.json',
    JSON.stringify({
      claudeAiOauth: { accessToken: 'sk-ant-oat01-e2e', expiresAt: Date.now() + 86_400_000 },
    }),
  );
  write(
    home,
    '.codex/sessions/2026/11/24/rollout-2026-11-24T10-00-00-019aad50-a7e6-7422-b7a8-0b384290624f.jsonl',
    `${JSON.stringify({
      timestamp: iso(60_000),
      type: 'event_msg',
      payload: {
        type: 'token_count',
        info: null,
        rate_limits: {
          primary: { used_percent: 92, window_minutes: 300, resets_in_seconds: 2 * 3600 + 600 },
          secondary: { used_percent: 40, window_minutes: 10_080, resets_in_seconds: 3 * 86_400 },
        },
      },
    })}\n`,
  );
  return home;
}

describe('limits panel in Chromium', () => {
  let browser: Browser;
  let home: string;
  let origin: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const webDir = resolveWebDir(process.env);
    if (!webDir) throw new Error('[nexus] [e2e] apps/web/build is missing: build @nexus/web first');
    home = fixtureHome();
    const usage = await standIn([
      {
        status: 200,
        body: JSON.stringify({
          five_hour: { utilization: 78, resets_at: new Date(Date.now() + 95 * 60_000).toISOString() },
          seven_day: { utilization: 12, resets_at: new Date(Date.now() + 4 * 86_400_000).toISOString() },
        }),
      },
    ]);
    const engine = await createEngineRuntime({
      env: { HOME: home, NEXUS_CLAUDE_USAGE_URL: usage.baseUrl },
      stateDir: join(home, '.nexus'),
      logger: silentLogger,
      offline: false,
      processLister: { openLogFiles: async () => new Set() },
    });
    const nexus = await createApp({
      options: testOptions({ webDir }),
      runtime: engine.runtime,
      logger: silentLogger,
      plugins: engine.plugins,
    });
    await nexus.app.listen({ host: '127.0.0.1', port: 0 });
    origin = `http://127.0.0.1:${(nexus.app.server.address() as AddressInfo).port}`;
    close = async () => {
      await nexus.app.close();
      await engine.runtime.close();
      await usage.close();
    };
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await close?.();
    rmSync(home, { recursive: true, force: true });
  });

  it('shows the windows with colours and countdowns, the burn rate, and who used the window', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${origin}/`);
    const gauges = page.getByTestId('limit-gauge');
    await gauges.nth(3).waitFor({ timeout: 15_000 });
    await page.getByTestId('burn-rate').waitFor({ timeout: 15_000 });
    const rows = await gauges.evaluateAll((nodes) =>
      nodes.map((node) => [
        node.querySelector('.name')?.textContent,
        node.getAttribute('data-level'),
        node.querySelector('.pct')?.textContent,
        node.querySelector('.muted')?.textContent,
      ]),
    );
    expect(rows).toEqual([
      ['Claude 5-hour', 'warn', '78%', 'resets in 1h 34m'],
      ['Claude Weekly', 'ok', '12%', 'resets in 3d 23h'],
      ['Codex 5-hour', 'danger', '92%', 'resets in 2h 8m'],
      ['Codex Weekly', 'ok', '40%', 'resets in 2d 23h'],
    ]);
    // 6,200 tokens and $6 over the 45 minutes between the two calls.
    await expect(page.getByTestId('burn-rate').textContent()).resolves.toMatch(
      /Burn \$8(\.00)?\/h · 138 tok\/min/,
    );
    await page.getByText('Who used it').click();
    await expect(page.locator('.heavy').textContent()).resolves.toContain('shop');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'limits-panel.png') });
    expect(errors).toEqual([]);
    await page.close();
  });
});

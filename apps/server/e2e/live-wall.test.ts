import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { resolveWebDir } from '../src/cli/serve.js';
import { createEngineRuntime } from '../src/engine.js';
import { silentLogger, testOptions } from '../test/helpers.js';
import { launchChromium, SCREENSHOT_DIR } from './browser.js';

const SESSION = 'ae4a77f8-aedd-4bc1-888f-c94edc91af04';
const HOSTILE = [
  '<img src=x onerror="window.__pwned = 1">',
  '<script>window.__pwned = 2</script>',
  '[click me](javascript:window.__pwned=3)',
  '<a href="javascript:window.__pwned=4">link</a>',
].join(' ');

const claudeLine = (uuid: string, role: 'user' | 'assistant', text: string) =>
  `${JSON.stringify(
    role === 'user'
      ? {
          type: 'user',
          uuid,
          sessionId: SESSION,
          cwd: '/work/shop',
          timestamp: new Date().toISOString(),
          message: { role: 'user', content: text },
        }
      : {
          type: 'assistant',
          uuid,
          sessionId: SESSION,
          cwd: '/work/shop',
          timestamp: new Date().toISOString(),
          requestId: `req_${uuid}`,
          message: {
            id: `msg_${uuid}`,
            role: 'assistant',
            model: 'claude-sonnet-4-5-20250929',
            content: [{ type: 'text', text }],
            usage: { input_tokens: 5, output_tokens: 7 },
          },
        },
  )}\n`;

describe('live wall in Chromium', () => {
  let browser: Browser;
  let home: string;
  let log: string;
  let port: number;
  let close: () => Promise<void>;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'nexus-e2e-'));
    log = join(home, `.claude/projects/-work-shop/${SESSION}.jsonl`);
    mkdirSync(join(log, '..'), { recursive: true });
    writeFileSync(
      log,
      claudeLine('u1', 'user', 'Why does the login test flake?') + claudeLine('u2', 'user', HOSTILE),
    );
    const engine = await createEngineRuntime({
      env: { HOME: home },
      stateDir: join(home, '.nexus'),
      logger: silentLogger,
      offline: true,
      backfill: false,
      processLister: { openLogFiles: async () => new Set() },
    });
    const nexus = await createApp({
      options: testOptions({ webDir: resolveWebDir(process.env) }),
      runtime: engine.runtime,
      logger: silentLogger,
      plugins: engine.plugins,
    });
    await nexus.app.listen({ host: '127.0.0.1', port: 0 });
    port = (nexus.app.server.address() as AddressInfo).port;
    close = async () => {
      await nexus.app.close();
      await engine.runtime.close();
    };
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await close?.();
    rmSync(home, { recursive: true, force: true });
  });

  it('shows the session card, updates it when a line is appended, and renders hostile markup as text', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    const card = page.locator(`[data-testid="session-card"][data-session-id="claude-code:${SESSION}"]`);
    await card.waitFor({ timeout: 15_000 });
    await expect(card.locator('h2').textContent()).resolves.toBe('shop');
    await card.getByText('Why does the login test flake?').waitFor();
    // The hostile line is on the card as literal text, and nothing in it ran.
    await card.getByText('<img src=x onerror="window.__pwned = 1">', { exact: false }).waitFor();
    expect(await card.locator('img').count()).toBe(0);
    expect(await card.locator('script').count()).toBe(0);

    appendFileSync(log, claudeLine('a1', 'assistant', 'It races the session cookie; fixing the wait.'));
    await card.getByText('It races the session cookie; fixing the wait.').waitFor({ timeout: 5000 });
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'wall-live-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'wall-live-light.png') });

    await card.locator('h2 a').click();
    await page.getByTestId('transcript').getByText('It races the session cookie; fixing the wait.').waitFor();
    expect(page.url()).toBe(
      `http://127.0.0.1:${port}/sessions/${encodeURIComponent(`claude-code:${SESSION}`)}`,
    );
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'session-detail-light.png') });
    await page.close();
  });
});

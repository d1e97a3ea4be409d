import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveWebDir } from '../src/cli/serve.js';
import { startTestServer } from '../test/helpers.js';
import { launchChromium, screenshotBothThemes, seriousAxeViolations } from './browser.js';

describe('dashboard shell in Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    const webDir = resolveWebDir(process.env);
    if (!webDir || !existsSync(join(webDir, 'index.html'))) {
      throw new Error(
        '[nexus] [e2e] apps/web/build is missing: build @nexus/web first (turbo runs build before e2e)',
      );
    }
    server = await startTestServer({ webDir });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('opens the dashboard, connects over the WebSocket and shows the empty wall', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    const response = await page.goto(`http://127.0.0.1:${server.port}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page
      .getByTestId('connection-status')
      .filter({ hasText: /^\s*connected\s*$/ })
      .waitFor({ timeout: 15_000 });
    await page.getByTestId('empty-wall').getByText('Watched folders').waitFor();
    for (const colorScheme of ['dark', 'light'] as const) {
      await page.emulateMedia({ colorScheme });
      expect(await seriousAxeViolations(page), colorScheme).toEqual([]);
    }
    await screenshotBothThemes(page, 'empty-wall');
    expect(errors).toEqual([]);
    await page.close();
  });
});

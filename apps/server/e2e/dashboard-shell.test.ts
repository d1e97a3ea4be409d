import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveWebDir } from '../src/cli/serve.js';
import { pushableRuntime, startTestServer } from '../test/helpers.js';
import { launchChromium, screenshotBothThemes, seriousAxeViolations } from './browser.js';

describe('dashboard shell in Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const runtime = pushableRuntime();

  beforeAll(async () => {
    const webDir = resolveWebDir(process.env);
    if (!webDir || !existsSync(join(webDir, 'index.html'))) {
      throw new Error(
        '[nexus] [e2e] apps/web/build is missing: build @nexus/web first (turbo runs build before e2e)',
      );
    }
    server = await startTestServer({ webDir }, runtime);
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

  it('shows the backfill bar while history is read and counts the header totals up to new values', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page
      .getByTestId('connection-status')
      .filter({ hasText: /^\s*connected\s*$/ })
      .waitFor();
    const totals = (tokens: number, cost: number, scanned: number, status: 'running' | 'done') => ({
      type: 'usage_totals' as const,
      scope: 'all_history' as const,
      totals: { totalTokens: tokens, totalCostUsd: cost, runningAgents: 2 },
      byTool: {},
      backfill: {
        status,
        scannedFiles: scanned,
        totalFiles: 40,
        scannedBytes: scanned * 1000,
        totalBytes: 40_000,
      },
      updatedAt: new Date().toISOString(),
    });
    runtime.push(totals(1_000, 1.5, 10, 'running'));
    const bar = page.getByTestId('backfill-progress');
    await bar.waitFor();
    expect(await bar.getAttribute('aria-valuenow')).toBe('25');
    expect(await bar.textContent()).toContain('10/40 files (25%)');

    // Watch the number: it must flash and pass through values between the old and the new one.
    await page.evaluate(`(() => {
      const element = document.querySelector('[data-testid="metric-tokens"]');
      window.__seen = { flash: false, texts: new Set() };
      new MutationObserver(() => {
        const number = element.querySelector('[data-value]');
        if (number?.classList.contains('flash')) window.__seen.flash = true;
        window.__seen.texts.add(number?.textContent);
      }).observe(element, { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);
    runtime.push(totals(2_500_000, 12.25, 40, 'done'));
    await bar.waitFor({ state: 'hidden' });
    const tokens = page.locator('[data-testid="metric-tokens"] [data-value]');
    expect(await tokens.getAttribute('data-value')).toBe('2500000');
    await expect.poll(() => tokens.textContent(), { timeout: 3000 }).toBe('2.5M');
    const seen = (await page.evaluate(
      '({ flash: window.__seen.flash, texts: [...window.__seen.texts] })',
    )) as {
      flash: boolean;
      texts: string[];
    };
    expect(seen.flash).toBe(true);
    expect(seen.texts.filter((text) => text !== '1,000' && text !== '2.5M').length).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('metric-cost').textContent()).toBe('$12.25');
    expect(await page.getByTestId('metric-running').textContent()).toBe('2');
    await page.close();
  });
});

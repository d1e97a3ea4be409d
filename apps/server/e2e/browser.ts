import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.NEXUS_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = fileURLToPath(new URL('../screenshots/', import.meta.url));

/**
 * Debian's Chromium, headless, with the flags this sandbox needs. A missing browser is a failure with
 * instructions, never a silent skip.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `[nexus] [e2e] Chromium not found at ${CHROMIUM_PATH}. Install Debian's chromium (apt-get install -y chromium, as root; ./nexus test and .ci/run do this) or set NEXUS_CHROMIUM.`,
    );
  }
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** An axe-core finding the tests refuse: impact serious or critical. */
export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * Run axe-core in the page (evaluated over the DevTools protocol, so the page's CSP stays as it is)
 * and return its serious and critical violations.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeFinding[]> {
  const installed = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === 'object');
  if (!installed) await page.evaluate(axe.source);
  // A string, because this package type-checks without the DOM library.
  return (await page.evaluate(`(async () => {
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.slice(0, 5).map((node) => node.target.join(' ')),
      }));
  })()`)) as AxeFinding[];
}

/**
 * Record Content-Security-Policy violations from the first script on: a transcript that made the
 * browser even try to run or load something shows up here, whether or not the policy stopped it.
 */
export async function recordCspViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript({
    content: `window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) =>
        window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI));`,
  });
  return () => page.evaluate(() => (globalThis as { __cspViolations?: string[] }).__cspViolations ?? []);
}

/** Screenshots of the page as it is, in the dark and the light theme (the system theme follows). */
export async function screenshotBothThemes(page: Page, name: string, fullPage = true): Promise<void> {
  for (const colorScheme of ['dark', 'light'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${colorScheme}.png`), fullPage });
  }
  await page.emulateMedia({ colorScheme: null });
}

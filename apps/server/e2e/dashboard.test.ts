import { readFileSync } from 'node:fs';
import type { UsagePeriodReport, UsageSessionReport } from '@nexus/protocol';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  recordCspViolations,
  screenshotBothThemes,
  seriousAxeViolations,
} from './browser.js';
import {
  CODEX_ID,
  DEEP_MARKDOWN,
  EVIL_ID,
  HOSTILE_LINES,
  HUGE_LENGTH,
  HUGE_MARKER,
  SHOP,
  SHOP_ID,
  SLOW_MARKDOWN,
  SUBAGENT_ID,
} from './fixture-home.js';
import { type FixtureServer, startFixtureServer } from './fixture-server.js';

const LIVE_CARDS = [EVIL_ID, SHOP_ID, CODEX_ID, SUBAGENT_ID].sort();

describe('dashboard in Chromium (generated HOME)', () => {
  let server: FixtureServer;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startFixtureServer(), launchChromium()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  }, 60_000);

  // A failed test leaves no page behind to slow the next (pages of one site share a renderer).
  afterEach(async () => {
    for (const page of context?.pages() ?? []) await page.close();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A fresh page that fails the test on any script error, dialog or CSP violation. */
  async function open(path: string): Promise<{ page: Page; problems: () => Promise<string[]> }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    page.on('dialog', (dialog) => {
      errors.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    const csp = await recordCspViolations(page);
    await page.goto(`${server.origin}${path}`);
    return {
      page,
      problems: async () => [
        ...errors,
        ...(await csp()).map((violation) => `csp: ${violation}`),
        ...((await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)) === undefined
          ? []
          : ['a transcript ran script']),
      ],
    };
  }

  const api = async <T>(path: string): Promise<T> =>
    (await (await fetch(`${server.origin}${path}`)).json()) as T;
  const cardIds = async (page: Page) =>
    (
      await page
        .getByTestId('session-card')
        .evaluateAll((cards) => cards.map((c) => c.getAttribute('data-session-id')))
    ).sort();
  const card = (page: Page, id: string) =>
    page.locator(`[data-testid="session-card"][data-session-id="${id}"]`);
  const session = (id: string) => `/sessions/${encodeURIComponent(id)}`;

  it('shows one card per live session, with its title, and header totals equal to the ledger', async () => {
    const { page, problems } = await open('/');
    await page
      .getByTestId('session-card')
      .nth(LIVE_CARDS.length - 1)
      .waitFor();
    const ids = await page
      .getByTestId('session-card')
      .evaluateAll((cards) => cards.map((element) => element.getAttribute('data-session-id')));
    expect(ids.sort()).toEqual(LIVE_CARDS);
    expect(await card(page, SHOP_ID).locator('h2').textContent()).toBe('Fix the flaky login test');
    expect(await card(page, CODEX_ID).locator('h2').textContent()).toBe('Add pagination to /orders');
    await card(page, CODEX_ID).getByText('I will add limit and cursor parameters.').waitFor();
    expect(await page.getByTestId('card-count').textContent()).toBe('4 of 4');

    const all = await api<UsagePeriodReport>('/api/usage/daily');
    expect(all.totals.totalTokens).toBe(server.fixture.totalTokens());
    await expect
      .poll(() => page.locator('[data-testid="metric-tokens"] [data-value]').getAttribute('data-value'))
      .toBe(String(all.totals.totalTokens));
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it('puts an appended line on its own card and no other', async () => {
    const { page, problems } = await open('/');
    await card(page, SHOP_ID).waitFor();
    const text = 'Appended: the cookie wait is in place.';
    server.fixture.appendAssistant(server.fixture.files.shop, SHOP, 'append-1', text);
    await card(page, SHOP_ID).getByText(text).waitFor({ timeout: 5000 });
    for (const other of LIVE_CARDS.filter((id) => id !== SHOP_ID)) {
      expect(await card(page, other).getByText(text).count()).toBe(0);
    }
    // The card moves to the front (the wall re-sorts every 5 s, by CSS order) and keeps its messages.
    await expect
      .poll(() => page.locator(`[data-card="${SHOP_ID}"]`).evaluate((element) => element.style.order), {
        timeout: 7000,
      })
      .toBe('0');
    await card(page, SHOP_ID).getByText(text).waitFor();
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it('keeps the tool and project filters and the search in the URL', async () => {
    const { page, problems } = await open('/?tool=codex');
    await card(page, CODEX_ID).waitFor();
    expect(await cardIds(page)).toEqual([CODEX_ID]);
    await page.getByTestId('filter-tool').selectOption('');
    await page.getByTestId('filter-project').selectOption('/work/shop');
    await page.waitForURL(
      (url) => url.searchParams.get('project') === '/work/shop' && !url.searchParams.has('tool'),
    );
    // Cards that leave fade out for 200 ms.
    await expect.poll(() => cardIds(page)).toEqual([SHOP_ID, SUBAGENT_ID].sort());

    await page.getByTestId('filter-project').selectOption('');
    await page.getByTestId('wall-search').fill('cookie helper');
    await page.waitForURL((url) => url.searchParams.get('q') === 'cookie helper');
    await expect.poll(() => cardIds(page)).toEqual([SUBAGENT_ID]);
    expect(await card(page, SUBAGENT_ID).locator('mark').first().textContent()).toBe('cookie helper');

    // A shared link opens with the same filters.
    await page.goto(`${server.origin}/?q=pagination&tool=codex`);
    await card(page, CODEX_ID).waitFor();
    await expect.poll(() => cardIds(page)).toEqual([CODEX_ID]);
    expect(await page.getByTestId('wall-search').inputValue()).toBe('pagination');
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it('opens a session from its card: transcript, markdown, code, tool calls, usage, subagent, copy, live', async () => {
    const { page, problems } = await open('/');
    await card(page, SHOP_ID).locator('h2 a').click();
    await page.waitForURL(`${server.origin}${session(SHOP_ID)}`);
    const transcript = page.getByTestId('transcript');
    await transcript.getByText('Why does the login test flake?', { exact: false }).waitFor();

    expect(await page.getByTestId('session-title').textContent()).toBe('Fix the flaky login test');
    expect(await page.getByTestId('session-cwd').textContent()).toBe('/work/shop');
    expect(await page.getByTestId('session-branch').textContent()).toBe('feature/login-flake');
    expect(await page.getByTestId('session-started').textContent()).not.toBe('—');

    // Markdown: bold, a safe link, a highlighted TypeScript block.
    const reply = transcript.locator('[data-testid="transcript-message"]', { hasText: 'The test races' });
    expect(await reply.locator('strong').textContent()).toBe('races');
    expect(await reply.locator('a[href="https://example.com/guide"]').getAttribute('rel')).toBe(
      'noopener noreferrer nofollow',
    );
    expect(await reply.locator('.hljs-keyword').first().textContent()).toBe('const');

    // A long reply is rendered by the markdown worker: heading, highlighted Python.
    const report = transcript.locator('[data-testid="transcript-message"]', { hasText: 'Flaky test report' });
    await report.locator('h4').filter({ hasText: 'Flaky test report' }).waitFor();
    expect(await report.locator('.hljs-keyword').first().textContent()).toBe('def');

    // Per-call usage from the messages endpoint.
    const usageChip = reply.getByTestId('call-usage');
    expect(await usageChip.textContent()).toContain('claude-sonnet-4-5-20250929');
    expect(await usageChip.textContent()).toContain('18,287 tokens'.replace('18,287', '18.3K'));

    // Thinking is collapsed until opened.
    const thinking = transcript.locator('[data-kind="thinking"] details');
    expect(await thinking.getAttribute('open')).toBeNull();

    // The Bash call shows its input and its output together, collapsed at first.
    const bash = transcript.locator('[data-testid="tool-entry"][data-tool="Bash"]');
    expect(await bash.getAttribute('open')).toBeNull();
    await bash.locator('summary').click();
    expect(await bash.locator('section[aria-label="Input"]').textContent()).toContain(
      '"command": "npm test -- login"',
    );
    expect(await bash.locator('section[aria-label="Output"]').textContent()).toContain('3 passed');

    // The subagent thread sits in the transcript and loads when opened.
    const subagent = transcript.locator(`[data-testid="subagent"][data-session-id="${SUBAGENT_ID}"]`);
    await subagent.locator('summary').click();
    await subagent.getByText('Only the login test uses the cookie helper.').waitFor();

    // Copy buttons put the raw text on the clipboard.
    await page
      .locator('[data-testid="transcript-message"]', { hasText: 'Why does the login test flake?' })
      .getByTestId('copy-button')
      .click();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(
      'Why does the login test flake? It fails one run in five.',
    );

    // Live: a line written now appears without a reload.
    const text = 'Live: the session page follows new lines.';
    server.fixture.appendAssistant(server.fixture.files.shop, SHOP, 'append-2', text);
    await transcript.getByText(text).waitFor({ timeout: 5000 });

    // Searching filters the transcript and marks the hits.
    await page.getByTestId('transcript-search').fill('cookie');
    await transcript.locator('mark').first().waitFor();
    expect(
      await transcript
        .locator('[data-testid="transcript-message"]', { hasText: 'Why does the login' })
        .count(),
    ).toBe(0);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it('renders a hostile transcript as text, runs nothing, and keeps a 2 MB line cheap', async () => {
    const { page, problems } = await open(session(EVIL_ID));
    const transcript = page.getByTestId('transcript');
    const user = transcript.locator('[data-testid="transcript-message"][data-role="user"]').first();
    await user.waitFor();
    const shown = await user.textContent();
    for (const line of HOSTILE_LINES) expect(shown).toContain(line);
    // The assistant echoed the markup through markdown: still text, and its links are gone.
    const echo = transcript.locator('[data-testid="transcript-message"]', { hasText: 'Echo:' });
    expect(await echo.textContent()).toContain('<img src=x onerror="window.__pwned = 1">');
    expect(await echo.textContent()).toContain('click me');
    for (const selector of [
      'img',
      'script',
      'iframe',
      'svg',
      'object',
      'embed',
      'details[ontoggle]',
      '[onerror]',
      '[onload]',
    ]) {
      expect(await page.locator(`main ${selector}`).count(), selector).toBe(0);
    }
    const hrefs = await page
      .locator('main a[href]')
      .evaluateAll((links) => links.map((link) => link.getAttribute('href') ?? ''));
    for (const href of hrefs) expect(href).toMatch(/^(\/|https?:|mailto:)/);

    // Tool input and output with markup: text too.
    const tool = transcript.locator('[data-testid="tool-entry"]').first();
    await tool.locator('summary').click();
    expect(await tool.textContent()).toContain('<img src=x onerror="window.__pwned=11">');

    // The 2 MB line shows its start and opens in full only on request, as text.
    const huge = transcript.locator('[data-testid="transcript-message"]', { hasText: HUGE_MARKER });
    const more = huge.getByRole('button', { name: /Show all \(2\.0 MB\)/ });
    await more.waitFor();
    expect((await huge.locator('.plain').textContent())?.length).toBeLessThan(25_000);
    await more.click();
    await huge.getByRole('button', { name: 'Show less' }).waitFor();
    const full = await huge.locator('.plain').evaluate((element) => element.textContent?.length ?? 0);
    expect(full).toBe(HUGE_LENGTH);
    expect(await page.locator('main img').count()).toBe(0);

    // Markdown that keeps marked busy for seconds, or overflows its stack, is rendered in a worker that
    // gives up after 1.5 s: the page keeps answering meanwhile, and shows such a message as text.
    await page.reload();
    await transcript.locator('[data-testid="transcript-message"]').first().waitFor();
    for (let i = 0; i < 8; i++) {
      const started = Date.now();
      await page.evaluate('1');
      expect(Date.now() - started, 'the page answers while the worker renders').toBeLessThan(400);
      await page.waitForTimeout(200);
    }
    const deep = transcript.locator('[data-testid="transcript-message"]', { hasText: '>>>>>>>>>>' });
    await deep.locator('[data-markdown="failed"]').waitFor({ timeout: 20_000 });
    expect(await deep.locator('[data-markdown="failed"]').textContent()).toBe(DEEP_MARKDOWN);
    // The slow one ends as text either way: given up on, or rendered in time (underscores inside a word
    // are not emphasis).
    const slow = transcript.locator('[data-testid="transcript-message"]', {
      hasText: SLOW_MARKDOWN.slice(0, 40),
    });
    await slow.locator('[data-markdown="failed"], .md').waitFor({ timeout: 20_000 });
    expect(await slow.locator('[data-markdown="failed"], .md').textContent()).toContain(SLOW_MARKDOWN);

    // The wall card of the same session.
    await page.goto(`${server.origin}/`);
    await card(page, EVIL_ID).getByText(HOSTILE_LINES[0]!, { exact: false }).first().waitFor();
    expect(await card(page, EVIL_ID).locator('img, script, iframe, svg').count()).toBe(0);
    await page.waitForTimeout(300);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it('shows usage totals equal to the API for every range and time zone', async () => {
    const { page, problems } = await open('/usage?tz=UTC');
    for (const [range, tz] of [
      ['7', 'UTC'],
      ['30', 'UTC'],
      ['90', 'Asia/Tokyo'],
      ['all', 'America/Los_Angeles'],
    ] as const) {
      await page.goto(`${server.origin}/usage?range=${range}&tz=${encodeURIComponent(tz)}`);
      const span = page.getByTestId('usage-span');
      await span.waitFor();
      await expect.poll(() => span.textContent()).not.toContain('updating');
      const since = await span.getAttribute('data-since');
      const until = await span.getAttribute('data-until');
      expect(await span.getAttribute('data-timezone')).toBe(tz);
      expect(Boolean(since)).toBe(range !== 'all');
      const query = new URLSearchParams({ timezone: tz, ...(since && until ? { since, until } : {}) });
      const daily = await api<UsagePeriodReport>(`/api/usage/daily?${query}`);
      const sessions = await api<UsageSessionReport>(`/api/usage/sessions?${query}`);
      const value = async (key: string) =>
        Number(await page.getByTestId(`usage-total-${key}`).getAttribute('data-value'));
      expect(await value('cost'), `${range} cost`).toBe(daily.totals.costUsd);
      expect(await value('tokens'), `${range} tokens`).toBe(daily.totals.totalTokens);
      expect(await value('input')).toBe(daily.totals.inputTokens);
      expect(await value('output')).toBe(daily.totals.outputTokens);
      expect(await value('cache-write')).toBe(daily.totals.cacheCreationTokens);
      expect(await value('cache-read')).toBe(daily.totals.cacheReadTokens);
      expect(await value('sessions')).toBe(sessions.rows.length);
      expect(await value('days')).toBe(daily.rows.length);
      expect(await page.getByTestId('usage-total-tokens').textContent()).toBe(
        daily.totals.totalTokens.toLocaleString('en'),
      );
      // The table's totals row says the same.
      const totalsRow = await page.getByTestId('usage-table-totals').textContent();
      expect(totalsRow).toContain(daily.totals.totalTokens.toLocaleString('en'));
      if (range === 'all') expect(daily.totals.totalTokens).toBe(server.fixture.totalTokens());
    }
    // The unpriced model (6 days ago) is flagged in the 7-day range.
    await page.goto(`${server.origin}/usage?range=7&tz=UTC`);
    await page.getByTestId('unpriced-models').waitFor();
    expect(await page.getByTestId('unpriced-models').textContent()).toContain('my-local-model');
    await page.locator('tr', { hasText: 'my-local-model' }).getByText('unpriced').waitFor();
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it('sorts the usage tables, switches grouping and time zone in the URL, and exports what is shown', async () => {
    const { page, problems } = await open('/usage?range=all&tz=UTC');
    await page.getByTestId('usage-chart').waitFor();
    // Chart.js drew on the canvas.
    await expect
      .poll(() =>
        page
          .getByTestId('usage-chart')
          .evaluate((canvas) => canvas.width > 0 && Boolean(canvas.getAttribute('style'))),
      )
      .toBe(true);
    const firstCells = () =>
      page
        .locator('[data-testid="usage-table"] tbody tr th')
        .evaluateAll((cells) => cells.map((cell) => cell.textContent?.trim() ?? ''));
    await page.getByTestId('sort-totalTokens').click();
    const tokens = async () =>
      page
        .locator('[data-testid="usage-table"] tbody tr')
        .evaluateAll((rows) =>
          rows.map((row) => Number((row.children[6]?.textContent ?? '').replaceAll(',', ''))),
        );
    const descending = await tokens();
    expect(descending).toEqual([...descending].sort((a, b) => b - a));
    await page.getByTestId('sort-totalTokens').click();
    expect(await tokens()).toEqual([...descending].reverse());
    expect(await page.locator('th[aria-sort="ascending"]').count()).toBe(1);

    await page.getByTestId('table-project').click();
    await page.waitForURL((url) => url.searchParams.get('table') === 'project');
    // Two folders named api are told apart by their parent.
    expect((await firstCells()).sort()).toEqual(['evil', 'history/api', 'shop', 'web', 'work/api']);
    await page.getByTestId('by-model').check();
    await page.waitForURL((url) => url.searchParams.get('by') === 'model');
    await page.getByTestId('usage-timezone').selectOption('Asia/Tokyo');
    await page.waitForURL((url) => url.searchParams.get('tz') === 'Asia/Tokyo');

    const daily = await api<UsagePeriodReport>('/api/usage/daily?timezone=Asia%2FTokyo');
    const [csvDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-csv').click(),
    ]);
    expect(csvDownload.suggestedFilename()).toBe('nexus-usage-project-all.csv');
    const csv = readFileSync((await csvDownload.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(csv[0]).toBe(
      'projectPath,sessions,lastActivity,inputTokens,outputTokens,cacheCreationTokens,cacheReadTokens,reasoningOutputTokens,totalTokens,costUsd',
    );
    expect(csv).toHaveLength(1 + 5 + 1);
    expect(csv.at(-1)?.split(',')[8]).toBe(String(daily.totals.totalTokens));

    const [jsonDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-json').click(),
    ]);
    const exported = JSON.parse(readFileSync((await jsonDownload.path())!, 'utf8')) as {
      table: string;
      timezone: string;
      rows: unknown[];
      totals: { totalTokens: number; costUsd: number };
    };
    expect(exported.table).toBe('project');
    expect(exported.timezone).toBe('Asia/Tokyo');
    expect(exported.rows).toHaveLength(5);
    expect(exported.totals.totalTokens).toBe(daily.totals.totalTokens);
    expect(exported.totals.costUsd).toBeCloseTo(daily.totals.costUsd, 9);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it('answers the keyboard shortcuts', async () => {
    const { page, problems } = await open('/');
    await card(page, SHOP_ID).waitFor();
    await page.keyboard.press('/');
    expect(await page.evaluate("document.activeElement?.getAttribute('data-testid')")).toBe('wall-search');
    await page.keyboard.press('Escape');
    await page.locator('body').click({ position: { x: 5, y: 400 } });
    await page.keyboard.press('d');
    await page.locator('.card.dense').first().waitFor();
    await page.keyboard.press('d');
    expect(await page.locator('.card.dense').count()).toBe(0);
    await page.keyboard.press('?');
    await page.getByTestId('help-dialog').getByText('Go to usage').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('help-dialog').waitFor({ state: 'hidden' });
    await page.keyboard.press('g');
    await page.keyboard.press('u');
    await page.waitForURL(`${server.origin}/usage`);
    await page.keyboard.press('g');
    await page.keyboard.press('w');
    await page.waitForURL(`${server.origin}/`);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it('shows a banner with a countdown when the connection drops, and recovers', async () => {
    const page = await context.newPage();
    let attempts = 0;
    let first: { close(): Promise<void> } | undefined;
    await page.routeWebSocket(/\/ws/, (ws) => {
      attempts++;
      // The first connection works and is then cut; the second is refused; the third works.
      if (attempts === 2) {
        void ws.close({ code: 1011, reason: 'test' });
        return;
      }
      ws.connectToServer();
      if (attempts === 1) first = ws;
    });
    await page.goto(`${server.origin}/`);
    await page
      .getByTestId('connection-status')
      .filter({ hasText: /^connected$/ })
      .waitFor();
    await first?.close();
    const banner = page.getByTestId('disconnected-banner');
    await banner.waitFor();
    expect(await page.getByTestId('retry-countdown').textContent()).toMatch(/^Retrying( in \d s)?…$/);
    await page
      .getByTestId('connection-status')
      .filter({ hasText: /^connected$/ })
      .waitFor({ timeout: 15_000 });
    await banner.waitFor({ state: 'hidden' });
    expect(attempts).toBe(3);
    await card(page, SHOP_ID).waitFor();
    await page.close();
  });

  it('has no serious or critical accessibility violation on any page, in either theme; screenshots', async () => {
    const pages: [string, string, (page: Page) => Promise<void>][] = [
      ['wall', '/', async (page) => void (await card(page, SHOP_ID).waitFor())],
      [
        'session',
        session(SHOP_ID),
        async (page) => {
          await page.getByTestId('transcript').waitFor();
          await page.locator('[data-testid="tool-entry"] summary').first().click();
        },
      ],
      [
        'session-hostile',
        session(EVIL_ID),
        async (page) => void (await page.getByTestId('transcript').waitFor()),
      ],
      [
        'usage',
        '/usage?range=90&tz=UTC',
        async (page) => void (await page.getByTestId('usage-table').waitFor()),
      ],
      [
        'help',
        '/',
        async (page) => {
          await card(page, SHOP_ID).waitFor();
          await page.keyboard.press('?');
          await page.getByTestId('help-dialog').waitFor();
        },
      ],
    ];
    const findings: Record<string, unknown> = {};
    for (const [name, path, ready] of pages) {
      const { page } = await open(path);
      await ready(page);
      await page.waitForTimeout(700); // header numbers and chart animations settle
      for (const colorScheme of ['dark', 'light'] as const) {
        await page.emulateMedia({ colorScheme });
        const violations = await seriousAxeViolations(page);
        if (violations.length > 0) findings[`${name}/${colorScheme}`] = violations;
      }
      await screenshotBothThemes(page, name, name !== 'session-hostile');
      await page.close();
    }
    // Phone width: the layout stacks, nothing scrolls sideways.
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    for (const [name, path] of [
      ['wall', '/'],
      ['session', session(SHOP_ID)],
      ['usage', '/usage?range=30&tz=UTC'],
    ] as const) {
      await phone.goto(`${server.origin}${path}`);
      await phone.locator('main h1, main [data-testid="session-title"]').first().waitFor();
      await phone.waitForTimeout(700);
      const overflow = await phone.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow, `${name} scrolls sideways at 390 px`).toBe(0);
      const violations = await seriousAxeViolations(phone);
      if (violations.length > 0) findings[`${name}/phone`] = violations;
      await screenshotBothThemes(phone, `${name}-phone`, false);
    }
    await phone.close();
    expect(findings).toEqual({});
  });
});

import { appendFileSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A temporary HOME with generated agent logs for the browser tests: three live sessions (one with a
 * subagent, one full of hostile markup and a 2 MB line), a live Codex session, and months of older
 * Claude Code history for the usage page.
 */

export const SHOP = 'ae4a77f8-aedd-4bc1-888f-c94edc91af04';
export const EVIL = 'b0b0b0b0-0000-4000-8000-000000000001';
export const CODEX = '019aad50-a7e6-7422-b7a8-0b384290624f';
export const SUBAGENT = 'a1b2c3d';

export const SHOP_ID = `claude-code:${SHOP}`;
export const EVIL_ID = `claude-code:${EVIL}`;
export const CODEX_ID = `codex:${CODEX}`;
export const SUBAGENT_ID = `${SHOP_ID}:${SUBAGENT}`;

/** Markup that must stay text: each piece sets `window.__pwned` if it ever runs. */
export const HOSTILE_LINES = [
  '<img src=x onerror="window.__pwned = 1">',
  '<script>window.__pwned = 2</script>',
  '[click me](javascript:window.__pwned=3)',
  '<a href="javascript:window.__pwned=4">link</a>',
  '<svg onload="window.__pwned=5"></svg>',
  '<iframe srcdoc="<script>parent.__pwned=6</script>"></iframe>',
  '[data](data:text/html,<script>window.__pwned=7</script>)',
  '<details open ontoggle="window.__pwned=8">x</details>',
];
/** A long markdown reply (rendered by the dashboard's markdown worker, being over 2,000 characters). */
export const LONG_REPORT = `## Flaky test report\n\n${'The login test waited on a timer instead of the cookie. '.repeat(40)}\n\n\`\`\`python\ndef wait_for_cookie(page):\n    return page.wait_for_cookie("sid")\n\`\`\`\n`;

/** About 4 s of marked on one core: 25,000 unmatched emphasis delimiters. */
export const SLOW_MARKDOWN = '_a'.repeat(25_000);
/** Nesting deeper than marked's recursion allows. */
export const DEEP_MARKDOWN = `${'>'.repeat(3000)} deep`;

/** The 2 MB single line: a marker to find it, filler, and hostile markup at the very end. */
export const HUGE_MARKER = 'HUGE-LINE-START';
export const HUGE_LENGTH = 2 * 1024 * 1024;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export interface HistoryCall {
  daysAgo: number;
  model: string;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** Older usage, written to files whose mtime is weeks ago so they are history, not live. */
export const HISTORY: readonly HistoryCall[] = [
  {
    daysAgo: 1,
    model: 'claude-sonnet-4-5-20250929',
    input: 1200,
    output: 3400,
    cacheRead: 120_000,
    cacheWrite: 8000,
  },
  {
    daysAgo: 2,
    model: 'claude-opus-4-1-20250805',
    input: 800,
    output: 2100,
    cacheRead: 60_000,
    cacheWrite: 4000,
  },
  {
    daysAgo: 2,
    model: 'claude-sonnet-4-5-20250929',
    input: 300,
    output: 900,
    cacheRead: 40_000,
    cacheWrite: 0,
  },
  { daysAgo: 5, model: 'claude-haiku-4-5-20251001', input: 5000, output: 7000, cacheRead: 0, cacheWrite: 0 },
  { daysAgo: 6, model: 'my-local-model', input: 900, output: 1100, cacheRead: 0, cacheWrite: 0 },
  {
    daysAgo: 12,
    model: 'claude-sonnet-4-5-20250929',
    input: 2500,
    output: 6100,
    cacheRead: 310_000,
    cacheWrite: 21_000,
  },
  {
    daysAgo: 29,
    model: 'claude-opus-4-1-20250805',
    input: 100,
    output: 12_000,
    cacheRead: 90_000,
    cacheWrite: 15_000,
  },
  {
    daysAgo: 45,
    model: 'claude-sonnet-4-5-20250929',
    input: 700,
    output: 2000,
    cacheRead: 30_000,
    cacheWrite: 1000,
  },
  {
    daysAgo: 80,
    model: 'claude-haiku-4-5-20251001',
    input: 400,
    output: 800,
    cacheRead: 5000,
    cacheWrite: 0,
  },
  {
    daysAgo: 150,
    model: 'claude-sonnet-4-5-20250929',
    input: 1000,
    output: 1000,
    cacheRead: 1000,
    cacheWrite: 1000,
  },
];

interface ClaudeRecordOptions {
  session: string;
  cwd: string;
  at: number;
  branch?: string;
}

function claudeUser(uuid: string, content: unknown, o: ClaudeRecordOptions): string {
  return JSON.stringify({
    type: 'user',
    uuid,
    sessionId: o.session,
    cwd: o.cwd,
    ...(o.branch ? { gitBranch: o.branch } : {}),
    timestamp: new Date(o.at).toISOString(),
    message: { role: 'user', content },
  });
}

function claudeAssistant(
  uuid: string,
  blocks: unknown[],
  o: ClaudeRecordOptions & { model?: string; usage?: Partial<Record<string, number>> },
): string {
  return JSON.stringify({
    type: 'assistant',
    uuid,
    sessionId: o.session,
    cwd: o.cwd,
    ...(o.branch ? { gitBranch: o.branch } : {}),
    timestamp: new Date(o.at).toISOString(),
    requestId: `req_${uuid}`,
    message: {
      id: `msg_${uuid}`,
      role: 'assistant',
      model: o.model ?? 'claude-sonnet-4-5-20250929',
      content: blocks,
      usage: { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 1000, ...o.usage },
    },
  });
}

const lines = (...records: string[]) => `${records.join('\n')}\n`;

/** Tokens of every call a line above carries (input + output + cache read + cache write). */
function tokensOf(records: string): number {
  let total = 0;
  for (const record of records.split('\n')) {
    if (!record) continue;
    const parsed = JSON.parse(record) as {
      message?: { usage?: Record<string, number> };
      payload?: { info?: { last_token_usage?: Record<string, number> } };
    };
    const usage = parsed.message?.usage;
    if (usage)
      total +=
        (usage.input_tokens ?? 0) +
        (usage.output_tokens ?? 0) +
        (usage.cache_read_input_tokens ?? 0) +
        (usage.cache_creation_input_tokens ?? 0);
    const codex = parsed.payload?.info?.last_token_usage;
    // Codex input includes the cached part, so input + output is the call's total.
    if (codex) total += (codex.input_tokens ?? 0) + (codex.output_tokens ?? 0);
  }
  return total;
}

export interface FixtureHome {
  home: string;
  /** Log files of the live sessions, for appending. */
  files: { shop: string; evil: string; codex: string; subagent: string };
  /** Tokens of every call written so far, history and live (appends included). */
  totalTokens(): number;
  /** Append a Claude Code assistant reply to a live session's log. */
  appendAssistant(file: string, session: string, uuid: string, text: string): void;
}

export function createFixtureHome(now = Date.now()): FixtureHome {
  const home = mkdtempSync(join(tmpdir(), 'nexus-e2e-'));
  let tokens = 0;
  const write = (file: string, text: string) => {
    writeFileSync(file, text);
    tokens += tokensOf(text);
  };
  const projects = join(home, '.claude/projects');
  const shopFile = join(projects, '-work-shop', `${SHOP}.jsonl`);
  const subagentFile = join(projects, '-work-shop', SHOP, 'subagents', `agent-${SUBAGENT}.jsonl`);
  const evilFile = join(projects, '-work-evil', `${EVIL}.jsonl`);
  const codexFile = join(home, '.codex/sessions/2026/11/24', `rollout-2026-11-24T10-00-00-${CODEX}.jsonl`);
  for (const file of [shopFile, subagentFile, evilFile, codexFile])
    mkdirSync(dirname(file), { recursive: true });

  const shop = { session: SHOP, cwd: '/work/shop', branch: 'feature/login-flake' };
  const at = (minutesAgo: number) => now - minutesAgo * MINUTE;
  write(
    shopFile,
    lines(
      JSON.stringify({ type: 'ai-title', sessionId: SHOP, aiTitle: 'Fix the flaky login test' }),
      claudeUser('s-u1', 'Why does the login test flake? It fails one run in five.', { ...shop, at: at(20) }),
      claudeAssistant('s-a1', [{ type: 'thinking', thinking: 'Probably a race on the session cookie.' }], {
        ...shop,
        at: at(19),
        usage: { output_tokens: 8 },
      }),
      claudeAssistant(
        's-a2',
        [
          {
            type: 'text',
            text: 'The test **races** the session cookie. The fix:\n\n```ts\nconst cookie = await page.waitForCookie("sid");\n```\n\nSee [the guide](https://example.com/guide).',
          },
        ],
        {
          ...shop,
          at: at(19),
          usage: { input_tokens: 12, output_tokens: 64, cache_read_input_tokens: 18_211 },
        },
      ),
      claudeAssistant(
        's-a3',
        [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'npm test -- login' } }],
        { ...shop, at: at(18), usage: { output_tokens: 30 } },
      ),
      claudeUser(
        's-u2',
        [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'PASS login.test.ts\n  3 passed' }],
        { ...shop, at: at(17) },
      ),
      claudeAssistant(
        's-a4',
        [
          {
            type: 'tool_use',
            id: 'toolu_2',
            name: 'Task',
            input: { description: 'Check other flaky tests' },
          },
        ],
        { ...shop, at: at(16), usage: { output_tokens: 15 } },
      ),
      claudeAssistant('s-a5', [{ type: 'text', text: 'All three runs pass now.' }], {
        ...shop,
        at: at(10),
        usage: { output_tokens: 9 },
      }),
      claudeAssistant('s-a6', [{ type: 'text', text: LONG_REPORT }], {
        ...shop,
        at: at(9),
        usage: { output_tokens: 700 },
      }),
    ),
  );
  const sub = { session: SHOP, cwd: '/work/shop', branch: 'feature/login-flake' };
  write(
    subagentFile,
    lines(
      claudeUser('sa-u1', 'Check other flaky tests', { ...sub, at: at(15) }),
      claudeAssistant('sa-a1', [{ type: 'text', text: 'Only the login test uses the cookie helper.' }], {
        ...sub,
        at: at(14),
        usage: { output_tokens: 11 },
      }),
    ),
  );

  const evil = { session: EVIL, cwd: '/work/evil' };
  const tail = ' <img src=x onerror="window.__pwned=9">';
  const huge = `${HUGE_MARKER} ${'A'.repeat(HUGE_LENGTH - HUGE_MARKER.length - 1 - tail.length)}${tail}`;
  write(
    evilFile,
    lines(
      claudeUser('e-u1', HOSTILE_LINES.join('\n'), { ...evil, at: at(9) }),
      claudeAssistant('e-a1', [{ type: 'text', text: `Echo:\n\n${HOSTILE_LINES.join('\n\n')}` }], {
        ...evil,
        at: at(8),
      }),
      claudeAssistant(
        'e-a2',
        [
          {
            type: 'tool_use',
            id: 'toolu_e',
            name: 'Bash',
            input: { command: '<script>window.__pwned=10</script>' },
          },
        ],
        { ...evil, at: at(8) },
      ),
      claudeUser(
        'e-u2',
        [{ type: 'tool_result', tool_use_id: 'toolu_e', content: '<img src=x onerror="window.__pwned=11">' }],
        { ...evil, at: at(7) },
      ),
      claudeUser('e-u3', huge, { ...evil, at: at(6) }),
      // Markdown that makes marked work for seconds (emphasis delimiters) or overflow its stack
      // (nesting): the page must stay responsive and show them as text.
      claudeAssistant('e-a3', [{ type: 'text', text: SLOW_MARKDOWN }], { ...evil, at: at(5) }),
      claudeAssistant('e-a4', [{ type: 'text', text: DEEP_MARKDOWN }], { ...evil, at: at(5) }),
    ),
  );

  const codexUsage = {
    input_tokens: 4000,
    cached_input_tokens: 3000,
    output_tokens: 250,
    reasoning_output_tokens: 50,
    total_tokens: 4250,
  };
  const codexLine = (minutesAgo: number, type: string, payload: unknown) =>
    JSON.stringify({ timestamp: new Date(at(minutesAgo)).toISOString(), type, payload });
  write(
    codexFile,
    lines(
      codexLine(12, 'session_meta', { id: CODEX, cwd: '/work/api', git: { branch: 'main' } }),
      codexLine(12, 'turn_context', { cwd: '/work/api', model: 'gpt-5.1-codex' }),
      codexLine(12, 'event_msg', { type: 'user_message', message: 'Add pagination to /orders' }),
      codexLine(11, 'event_msg', {
        type: 'agent_message',
        message: 'I will add limit and cursor parameters.',
      }),
      codexLine(11, 'event_msg', {
        type: 'token_count',
        info: { total_token_usage: codexUsage, last_token_usage: codexUsage },
      }),
    ),
  );

  // History: one file per call, in its own project, dated weeks ago so discovery leaves it off the wall.
  HISTORY.forEach((call, index) => {
    const session = `c0ffee00-0000-4000-8000-${String(index).padStart(12, '0')}`;
    const project = index % 2 ? '-work-history-api' : '-work-history-web';
    const file = join(projects, project, `${session}.jsonl`);
    mkdirSync(dirname(file), { recursive: true });
    const when = now - call.daysAgo * DAY;
    const o = { session, cwd: index % 2 ? '/work/history/api' : '/work/history/web', at: when };
    write(
      file,
      lines(
        claudeUser(`h${index}-u`, 'Old work', o),
        claudeAssistant(`h${index}-a`, [{ type: 'text', text: 'Done long ago.' }], {
          ...o,
          model: call.model,
          usage: {
            input_tokens: call.input,
            output_tokens: call.output,
            cache_read_input_tokens: call.cacheRead,
            cache_creation_input_tokens: call.cacheWrite,
          },
        }),
      ),
    );
    const old = new Date(now - 40 * DAY);
    utimesSync(file, old, old);
  });

  return {
    home,
    files: { shop: shopFile, evil: evilFile, codex: codexFile, subagent: subagentFile },
    totalTokens: () => tokens,
    appendAssistant(file, session, uuid, text) {
      const record = lines(
        claudeAssistant(uuid, [{ type: 'text', text }], { session, cwd: '/work/shop', at: Date.now() }),
      );
      appendFileSync(file, record);
      tokens += tokensOf(record);
    },
  };
}

import { fileURLToPath } from 'node:url';
import { mergeUsageEvents, type NormalizedEvent } from '@nexus/parsers';
import { readFileEvents, testAdapter } from '@nexus/parsers/testing';
import { describe, expect, it } from 'vitest';
import pi, { classifyPiFile } from './index.js';

const fixture = (path: string) => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));
const SHOP = fixture('--home-dev-shop--/2026-03-14T09-12-41-118Z_0195f0c2-7b1e-7c55-9d1a-3e8c5b2a4f10.jsonl');
const NOTES = fixture(
  '--home-dev-notes--/2025-11-20T16-05-00-000Z_5d1e1b52-90c4-4c4b-8a3f-2f2c9e7b0a61.jsonl',
);
const SHOP_ID = 'pi:0195f0c2-7b1e-7c55-9d1a-3e8c5b2a4f10';
// Real: the head of pi's own test fixture large-session.jsonl (pi-mono, Nov 2025), version 1.
const REAL = fixture(
  '--Users-badlogic-workspaces-pi-mono--/2025-11-11T13-33-31-925Z_real-pi-mono-session.jsonl',
);

testAdapter({ adapter: () => pi(), fixtures: [SHOP, NOTES, REAL] });

const ofType = <T extends NormalizedEvent['type']>(events: NormalizedEvent[], type: T) =>
  events.filter((event): event is Extract<NormalizedEvent, { type: T }> => event.type === type);

describe('pi adapter', () => {
  it('finds pi sessions under $PI_CODING_AGENT_DIR/sessions, else ~/.pi/agent/sessions', () => {
    const exists = () => false;
    expect(pi().resolveRoots({ env: {}, homeDir: '/home/me', exists })).toEqual([
      { path: '/home/me/.pi/agent/sessions', role: 'live' },
    ]);
    expect(
      pi().resolveRoots({ env: { PI_CODING_AGENT_DIR: '/srv/pi' }, homeDir: '/home/me', exists }),
    ).toEqual([{ path: '/srv/pi/sessions', role: 'live' }]);
    expect(pi({ agentDir: '/opt/agent' }).resolveRoots({ env: {}, homeDir: '/x', exists })).toEqual([
      { path: '/opt/agent/sessions', role: 'live' },
    ]);
  });

  it('classifies <--cwd-->/<timestamp>_<uuid>.jsonl and nothing else', () => {
    expect(classifyPiFile('--home-dev-shop--/2026-03-14T09-12-41-118Z_0195f0c2.jsonl')).toEqual({
      sessionId: 'pi:0195f0c2',
      kind: 'session',
      group: '--home-dev-shop--',
    });
    expect(classifyPiFile('2026-03-14T09-12-41-118Z_0195f0c2.jsonl')).toBeNull();
    expect(classifyPiFile('--home-dev-shop--/subagent-artifacts/x_worker.jsonl')).toBeNull();
    expect(classifyPiFile('--home-dev-shop--/notes.md')).toBeNull();
    expect(classifyPiFile('--home-dev-shop--/nounderscore.jsonl')).toBeNull();
  });

  it('reads a v3 session: exact usage per billed call, aborted and failed calls left out', async () => {
    const { events, issues } = await readFileEvents(pi(), SHOP);
    expect(issues).toEqual([]);
    const usage = ofType(events, 'usage').map((event) => ({
      key: event.dedupKey,
      model: event.model,
      at: event.timestamp,
      input: event.inputTokens,
      output: event.outputTokens,
      cacheRead: event.cacheReadTokens,
      cacheWrite: event.cacheCreationTokens,
      cost: event.costUsd,
      project: event.projectPath,
    }));
    expect(usage).toEqual([
      {
        key: `${SHOP_ID}:d3f40516`,
        model: 'claude-sonnet-4-5',
        at: '2026-03-14T09:12:59.031Z',
        input: 3,
        output: 112,
        cacheRead: 0,
        cacheWrite: 9840,
        cost: 0.038574,
        project: '/home/dev/shop',
      },
      {
        key: `${SHOP_ID}:f5162738`,
        model: 'claude-sonnet-4-5',
        at: '2026-03-14T09:13:10.102Z',
        input: 5,
        output: 86,
        cacheRead: 9840,
        cacheWrite: 412,
        cost: 0.005788,
        project: '/home/dev/shop',
      },
      {
        key: `${SHOP_ID}:1738495a`,
        model: 'claude-sonnet-4-5',
        at: '2026-03-14T09:13:16.310Z',
        input: 4,
        output: 97,
        cacheRead: 10252,
        cacheWrite: 188,
        cost: 0.006234,
        project: '/home/dev/shop',
      },
      {
        key: `${SHOP_ID}:4a6b7c8d`,
        model: 'claude-sonnet-4-5',
        at: '2026-03-14T09:13:32.020Z',
        input: 6,
        output: 64,
        cacheRead: 10440,
        cacheWrite: 140,
        cost: 0.004623,
        project: '/home/dev/shop',
      },
      {
        key: `${SHOP_ID}:8eafb0c1`,
        model: 'gpt-5-codex',
        at: '2026-03-14T09:20:20.003Z',
        input: 1204,
        output: 31,
        cacheRead: 10112,
        cacheWrite: 0,
        cost: 0.003079,
        project: '/home/dev/shop',
      },
    ]);
    expect(mergeUsageEvents(ofType(events, 'usage'))).toHaveLength(5);
  });

  it('turns the transcript into messages, tool plumbing with summaries, and session metadata', async () => {
    const { events } = await readFileEvents(pi(), SHOP);
    expect(
      ofType(events, 'message').map((m) => [m.id, m.role, m.kind, m.summary ?? m.content.slice(0, 40)]),
    ).toEqual([
      ['c2e3f405:0', 'user', 'text', 'The checkout test fails since the price '],
      ['d3f40516:0', 'assistant', 'thinking', 'Run the failing test first to see the as'],
      ['d3f40516:1', 'assistant', 'tool_call', 'bash: npm test -- checkout'],
      [
        'e4051627:0',
        'tool',
        'tool_result',
        'bash: FAIL test/checkout.test.ts ✕ applies the discount (12 ms) Expected: 90 Received: 9000',
      ],
      ['f5162738:0', 'assistant', 'text', 'Prices are now stored in cents; the disc'],
      ['f5162738:1', 'assistant', 'tool_call', 'read: src/discount.ts'],
      [
        '06273849:0',
        'tool',
        'tool_result',
        'read: export const discount = (price: number) => price * 0.9 * 100;',
      ],
      ['1738495a:0', 'assistant', 'tool_call', 'edit: src/discount.ts'],
      ['28495a6b:0', 'tool', 'tool_result', 'edit: Successfully replaced text in src/discount.ts.'],
      ['395a6b7c:0', 'tool', 'tool_result', 'bash: npm test -- checkout'],
      ['4a6b7c8d:0', 'assistant', 'text', 'Fixed: `discount()` multiplied by 100 a '],
      ['6c8d9eaf:0', 'user', 'text', 'Now write a changelog line.'],
      ['8eafb0c1:0', 'assistant', 'text', '- fix(checkout): discounts no longer mul'],
      ['a0c1d2e4:0', 'system', 'text', 'context compacted'],
      ['b1d2e3f5:0', 'system', 'text', 'Reminder: open a PR for the discount fix'],
      ['d3f40517:error', 'system', 'text', '429 rate_limit_error: Number of request '],
    ]);
    expect(ofType(events, 'message').find((m) => m.id === '4a6b7c8d:0')?.content).toContain(
      '結果は 90 セントです 🎉',
    );
    expect(ofType(events, 'meta')).toEqual([
      {
        type: 'meta',
        sessionId: SHOP_ID,
        projectPath: '/home/dev/shop',
        startedAt: '2026-03-14T09:12:41.118Z',
        agentVersion: 'session v3',
      },
      { type: 'meta', sessionId: SHOP_ID, model: 'claude-sonnet-4-5' },
      { type: 'meta', sessionId: SHOP_ID, model: 'gpt-5-codex' },
      { type: 'meta', sessionId: SHOP_ID, title: 'Fix checkout discount' },
    ]);
    expect(ofType(events, 'activity').map((a) => a.turn)).toEqual([
      'open',
      'closed',
      'open',
      'closed',
      'closed',
      'closed',
    ]);
  });

  it('reads a version-1 session (no entry ids, model in the header) by byte offset', async () => {
    const { events, file } = await readFileEvents(pi(), NOTES);
    expect(file.sessionId).toBe('pi:5d1e1b52-90c4-4c4b-8a3f-2f2c9e7b0a61');
    const [call] = ofType(events, 'usage');
    expect(call).toEqual({
      type: 'usage',
      tool: 'pi',
      sessionId: 'pi:5d1e1b52-90c4-4c4b-8a3f-2f2c9e7b0a61',
      projectPath: '/home/dev/notes',
      timestamp: '2025-11-20T16:05:20.000Z',
      model: 'claude-opus-4-1',
      inputTokens: 2210,
      outputTokens: 48,
      cacheCreationTokens: 0,
      cacheCreation1hTokens: 0,
      cacheReadTokens: 0,
      reasoningOutputTokens: 0,
      costUsd: 0.03675,
      dedupKey: 'pi:5d1e1b52-90c4-4c4b-8a3f-2f2c9e7b0a61:ts:1763654720000',
    });
    expect(ofType(events, 'message').map((m) => m.id)).toEqual(['offset-199:0', 'offset-366:0']);
  });

  it("reads a real session from pi's repository: a copied line counts once, a zero-usage call not at all", async () => {
    const { events, issues } = await readFileEvents(pi(), REAL);
    expect(issues).toEqual([]);
    const calls = mergeUsageEvents(ofType(events, 'usage'));
    expect(
      calls.map((call) => [
        call.dedupKey,
        call.model,
        call.inputTokens,
        call.outputTokens,
        call.cacheReadTokens,
        call.cacheCreationTokens,
        call.costUsd,
        call.projectPath,
      ]),
    ).toEqual([
      [
        'pi:real-pi-mono-session:ts:1763681630793',
        'claude-sonnet-4-5',
        3,
        191,
        0,
        1684,
        0.009189,
        '/Users/badlogic/workspaces/pi-mono',
      ],
      [
        'pi:real-pi-mono-session:ts:1763681634589',
        'claude-sonnet-4-5',
        7,
        231,
        1684,
        9518,
        0.0396837,
        '/Users/badlogic/workspaces/pi-mono',
      ],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import type { LogFileRef } from '../contract.js';
import { readFileEvents, testAdapter } from '../testing/index.js';
import { classifyCodexFile, codex } from './codex.js';

const fixture = (name: string) => new URL(`../../test/fixtures/codex/${name}`, import.meta.url).pathname;
testAdapter({
  adapter: () => codex(),
  fixtures: [
    'real-rollout-0.60.1-excerpt.jsonl',
    'ccusage-fixture-session-alpha.jsonl',
    'legacy-pre-envelope-rollout.jsonl',
  ].map(fixture),
});

const FILE: LogFileRef = {
  sessionId: 'codex:s1',
  kind: 'session',
  group: 'codex',
  tool: 'codex',
  path: '/c/sessions/s1.jsonl',
  root: '/c/sessions',
};
function parse(lines: object[]) {
  const parser = codex().createParser(FILE, { report: () => {} });
  let offset = 0;
  return lines.flatMap((line) => {
    const text = JSON.stringify(line);
    const events = parser.parseLine(text, { byteOffset: offset });
    offset += text.length + 1;
    return events;
  });
}
const tokenCount = (timestamp: string, total: number[], last?: number[]) => ({
  timestamp,
  type: 'event_msg',
  payload: {
    type: 'token_count',
    info: {
      total_token_usage: {
        input_tokens: total[0],
        cached_input_tokens: total[1],
        output_tokens: total[2],
        reasoning_output_tokens: total[3],
        total_tokens: total[0]! + total[2]!,
      },
      ...(last
        ? {
            last_token_usage: {
              input_tokens: last[0],
              cached_input_tokens: last[1],
              output_tokens: last[2],
              reasoning_output_tokens: last[3],
              total_tokens: last[0]! + last[2]!,
            },
          }
        : {}),
    },
  },
});

describe('codex usage', () => {
  it('counts last_token_usage with uncached input, across a resume that resets the totals', async () => {
    const { events } = await readFileEvents(codex(), fixture('real-rollout-0.60.1-excerpt.jsonl'));
    const usage = events.filter((event) => event.type === 'usage');
    expect(
      usage.map((event) => [
        event.inputTokens,
        event.cacheReadTokens,
        event.outputTokens,
        event.reasoningOutputTokens,
        event.model,
      ]),
    ).toEqual([
      [904, 193408, 230, 0, 'gpt-5'],
      [126, 194432, 13, 0, 'gpt-5.1-codex-max'],
    ]);
    expect(usage[0]).toMatchObject({ modelFallback: true });
    expect(usage[1]).not.toHaveProperty('modelFallback');
  });

  it('diffs totals when last_token_usage is missing, never negative, and skips a repeated total', () => {
    const events = parse([
      {
        timestamp: '2026-01-01T00:00:00Z',
        type: 'turn_context',
        payload: { model: 'gpt-5-codex', cwd: '/w' },
      },
      tokenCount('2026-01-01T00:00:01Z', [1000, 400, 50, 10]),
      tokenCount('2026-01-01T00:00:02Z', [1000, 400, 50, 10]),
      tokenCount('2026-01-01T00:00:03Z', [1500, 900, 80, 10]),
      tokenCount('2026-01-01T00:00:04Z', [300, 100, 5, 0]),
    ]);
    expect(
      events
        .filter((event) => event.type === 'usage')
        .map((event) => [
          event.inputTokens,
          event.cacheReadTokens,
          event.outputTokens,
          event.reasoningOutputTokens,
        ]),
    ).toEqual([
      [600, 400, 50, 10],
      [0, 500, 30, 0],
      [200, 100, 5, 0],
    ]);
  });

  it('does not count a repeated event even when it repeats last_token_usage', () => {
    const events = parse([
      tokenCount('2026-01-01T00:00:01Z', [100, 0, 10, 0], [100, 0, 10, 0]),
      tokenCount('2026-01-01T00:00:02Z', [100, 0, 10, 0], [100, 0, 10, 0]),
    ]);
    expect(events.filter((event) => event.type === 'usage')).toHaveLength(1);
  });

  it('reads rate limits from info:null events, with resets_at or resets_in_seconds', () => {
    const events = parse([
      {
        timestamp: '2026-01-01T00:00:00Z',
        type: 'event_msg',
        payload: {
          type: 'token_count',
          info: null,
          rate_limits: {
            primary: { used_percent: 12.5, window_minutes: 300, resets_at: 1767229200 },
            secondary: { used_percent: 40, window_minutes: 10080, resets_in_seconds: 3600 },
            plan_type: 'plus',
          },
        },
      },
    ]);
    expect(events).toEqual([
      {
        type: 'rate_limit',
        tool: 'codex',
        sessionId: 'codex:s1',
        timestamp: '2026-01-01T00:00:00.000Z',
        planType: 'plus',
        windows: [
          { name: 'primary', usedPercent: 12.5, windowMinutes: 300, resetsAt: '2026-01-01T01:00:00.000Z' },
          { name: 'secondary', usedPercent: 40, windowMinutes: 10080, resetsAt: '2026-01-01T01:00:00.000Z' },
        ],
      },
    ]);
  });
});

describe('codex messages', () => {
  it('shows each prompt and reply once although Codex writes both a response_item and an event_msg', async () => {
    const { events } = await readFileEvents(codex(), fixture('real-rollout-0.60.1-excerpt.jsonl'));
    const messages = events.filter((event) => event.type === 'message');
    expect(messages.map((event) => [event.role, event.content.slice(0, 30)])).toEqual([
      ['user', 'I want to make a chess variant'],
      ['user', "this is a test prompt. Don't d"],
      ['assistant', '(acknowledged – no action take'],
    ]);
    expect(events.find((event) => event.type === 'meta' && event.title)).toMatchObject({
      title: expect.stringMatching(/^I want to make a chess variant/),
    });
  });

  it('classifies rollouts by their uuid, archives as history', () => {
    const live = { path: '/h/.codex/sessions', role: 'live' as const };
    const archived = { path: '/h/.codex/archived_sessions', role: 'history' as const };
    expect(
      classifyCodexFile(
        '2025/11/22/rollout-2025-11-22T21-45-35-019aad50-a7e6-7422-b7a8-0b384290624f.jsonl',
        live,
      ),
    ).toEqual({
      sessionId: 'codex:019aad50-a7e6-7422-b7a8-0b384290624f',
      kind: 'session',
      group: 'codex',
    });
    expect(
      classifyCodexFile('rollout-2025-11-22T21-45-35-019aad50-a7e6-7422-b7a8-0b384290624f.jsonl', archived),
    ).toMatchObject({ kind: 'archive' });
    expect(codex().resolveRoots({ env: { CODEX_HOME: '/x' }, homeDir: '/h', exists: () => true })).toEqual([
      { path: '/x/sessions', role: 'live' },
      { path: '/x/archived_sessions', role: 'history' },
    ]);
  });
});

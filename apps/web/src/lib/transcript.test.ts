import type { Message, SessionSummary } from '@nexus/protocol';
import { describe, expect, it } from 'vitest';
import {
  buildEntries,
  callTotals,
  entryMatches,
  mergeMessages,
  splitMatches,
  withSubagents,
} from './transcript';

const msg = (id: string, extra: Partial<Message> = {}): Message => ({
  id,
  role: 'assistant',
  kind: 'text',
  content: `text ${id}`,
  ...extra,
});
const call = (id: string, toolName: string, timestamp?: string) =>
  msg(id, { kind: 'tool_call', toolName, content: '{}', ...(timestamp ? { timestamp } : {}) });
const result = (id: string, toolName?: string) =>
  msg(id, { role: 'tool', kind: 'tool_result', content: 'ok', ...(toolName ? { toolName } : {}) });
const usage = (model: string, totalTokens: number, costUsd: number, priced = true) => ({
  model,
  inputTokens: 0,
  outputTokens: totalTokens,
  cacheCreationTokens: 0,
  cacheReadTokens: 0,
  reasoningOutputTokens: 0,
  totalTokens,
  costUsd,
  priced,
});

describe('mergeMessages', () => {
  it('appends live messages the history does not hold, in order', () => {
    expect(mergeMessages([msg('1'), msg('2')], [msg('2'), msg('3')]).map((m) => m.id)).toEqual([
      '1',
      '2',
      '3',
    ]);
  });
});

describe('buildEntries', () => {
  it('pairs results with the oldest open call of the same tool and keeps orphans', () => {
    const entries = buildEntries([
      result('r0', 'Read'),
      call('c1', 'Bash'),
      call('c2', 'Read'),
      msg('t1'),
      result('r2', 'Read'),
      result('r1', 'Bash'),
      call('c3', 'Bash'),
    ]);
    expect(
      entries.map((e) => (e.type === 'tool' ? `${e.call?.id ?? '-'}>${e.result?.id ?? '-'}` : e.key)),
    ).toEqual(['->r0', 'c1>r1', 'c2>r2', 't1', 'c3>-']);
  });

  it('pairs a result without a tool name with the oldest open call', () => {
    const entries = buildEntries([call('c1', 'shell'), call('c2', 'shell'), result('r1')]);
    expect(entries[0]).toMatchObject({ call: { id: 'c1' }, result: { id: 'r1' } });
    expect(entries[1]).toMatchObject({ call: { id: 'c2' }, result: undefined });
  });
});

describe('withSubagents', () => {
  const sub = (id: string, startedAt?: string): SessionSummary => ({
    sessionId: id,
    tool: 'claude-code',
    name: id,
    state: 'idle',
    messageCount: 3,
    ...(startedAt ? { startedAt } : {}),
  });

  it('puts each thread before the first later entry, unknown starts at the end', () => {
    const entries = buildEntries([
      msg('a', { timestamp: '2026-01-01T10:00:00Z' }),
      call('c', 'Task', '2026-01-01T10:01:00Z'),
      msg('b', { timestamp: '2026-01-01T10:05:00Z' }),
    ]);
    const placed = withSubagents(entries, [
      sub('late', '2026-01-01T11:00:00Z'),
      sub('x'),
      sub('early', '2026-01-01T10:02:00Z'),
    ]);
    expect(placed.map((e) => e.key)).toEqual([
      'a',
      'c',
      'subagent:early',
      'b',
      'subagent:late',
      'subagent:x',
    ]);
  });
});

describe('search', () => {
  it('matches content, summaries and tool names of both halves of a tool entry', () => {
    const [entry] = buildEntries([
      msg('c', { kind: 'tool_call', toolName: 'Bash', summary: 'Bash: npm test', content: '{}' }),
      result('r', 'Bash'),
    ]);
    expect(entryMatches(entry!, 'NPM')).toBe(true);
    expect(entryMatches(entry!, 'ok')).toBe(true);
    expect(entryMatches(entry!, 'nope')).toBe(false);
    expect(entryMatches(entry!, '')).toBe(true);
  });

  it('splits text around matches, case-insensitively and with a cap', () => {
    expect(splitMatches('Foo bar foo', 'foo')).toEqual([
      { text: 'Foo', match: true },
      { text: ' bar ', match: false },
      { text: 'foo', match: true },
    ]);
    expect(splitMatches('aaaa', 'a', 2)).toEqual([
      { text: 'a', match: true },
      { text: 'a', match: true },
      { text: 'aa', match: false },
    ]);
    expect(splitMatches('abc', '')).toEqual([{ text: 'abc', match: false }]);
  });
});

describe('callTotals', () => {
  it('sums the calls shown and lists unpriced models once', () => {
    expect(
      callTotals([
        msg('1', { usage: usage('m1', 100, 0.5) }),
        msg('2'),
        msg('3', { usage: usage('local', 40, 0, false) }),
        msg('4', { usage: usage('local', 2, 0, false) }),
      ]),
    ).toEqual({ calls: 3, totalTokens: 142, costUsd: 0.5, unpricedModels: ['local'] });
  });
});

import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinAdapters, describeFile } from '@nexus/parsers';
import type { Message } from '@nexus/protocol';
import { bundledPricing } from '@nexus/usage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageMessages, readSessionMessages, TranscriptCache } from './session-history.js';

const messages: Message[] = Array.from({ length: 7 }, (_, index) => ({
  id: String(index),
  role: 'user',
  kind: 'text',
  content: `m${index}`,
}));

describe('pageMessages', () => {
  it('returns the newest page first, oldest-first inside, with a cursor to the previous page', () => {
    const first = pageMessages('s', messages, undefined, 3);
    expect(first.messages.map((m) => m.id)).toEqual(['4', '5', '6']);
    expect(first.nextBefore).toBe('4');
    const second = pageMessages('s', messages, first.nextBefore!, 3);
    expect(second.messages.map((m) => m.id)).toEqual(['1', '2', '3']);
    const last = pageMessages('s', messages, second.nextBefore!, 3);
    expect(last.messages.map((m) => m.id)).toEqual(['0']);
    expect(last.nextBefore).toBeNull();
  });

  it('treats an unreadable cursor as "from the end"', () => {
    expect(pageMessages('s', messages, 'garbage', 2).messages.map((m) => m.id)).toEqual(['5', '6']);
  });
});

describe('readSessionMessages', () => {
  const adapters = new Map(builtinAdapters().map((adapter) => [adapter.id, adapter]));
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'nexus-history-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const claude = (record: Record<string, unknown>) =>
    JSON.stringify({
      sessionId: SESSION,
      cwd: '/work/shop',
      timestamp: '2026-11-24T10:00:00.000Z',
      ...record,
    });
  const SESSION = 'ae4a77f8-aedd-4bc1-888f-c94edc91af04';

  it('puts each Claude call on its last message, with the per-field maximum of its streamed lines and its cost', async () => {
    const path = join(home, `.claude/projects/-work-shop/${SESSION}.jsonl`);
    mkdirSync(join(path, '..'), { recursive: true });
    const assistant = (
      uuid: string,
      id: string,
      block: unknown,
      output: number,
      model = 'claude-sonnet-4-5-20250929',
    ) =>
      claude({
        type: 'assistant',
        uuid,
        requestId: `req_${id}`,
        message: {
          id,
          role: 'assistant',
          model,
          content: [block],
          usage: { input_tokens: 10, output_tokens: output, cache_read_input_tokens: 1000 },
        },
      });
    writeFileSync(
      path,
      [
        claude({ type: 'user', uuid: 'u1', message: { role: 'user', content: 'Run the tests' } }),
        assistant('a1', 'msg_1', { type: 'thinking', thinking: 'Tests first.' }, 5),
        assistant('a2', 'msg_1', { type: 'text', text: 'Running them.' }, 40),
        assistant('a3', 'msg_2', { type: 'text', text: 'Done.' }, 3, 'my-local-model'),
        '',
      ].join('\n'),
    );
    const adapter = adapters.get('claude-code')!;
    const messages = await readSessionMessages(
      adapters,
      [describeFile(adapter, path)],
      `claude-code:${SESSION}`,
      bundledPricing(),
    );
    expect(messages.map((m) => [m.id, m.kind, m.usage?.outputTokens])).toEqual([
      ['u1:0', 'text', undefined],
      ['a1:0', 'thinking', undefined],
      ['a2:0', 'text', 40],
      ['a3:0', 'text', 3],
    ]);
    const sonnet = bundledPricing().lookup('claude-sonnet-4-5-20250929')!.price;
    expect(messages[2]?.usage).toEqual({
      model: 'claude-sonnet-4-5-20250929',
      inputTokens: 10,
      outputTokens: 40,
      cacheCreationTokens: 0,
      cacheReadTokens: 1000,
      reasoningOutputTokens: 0,
      totalTokens: 1050,
      costUsd: 10 * sonnet.input + 40 * sonnet.output + 1000 * (sonnet.cacheRead ?? sonnet.input),
      priced: true,
    });
    expect(messages[3]?.usage).toMatchObject({ model: 'my-local-model', costUsd: 0, priced: false });
  });

  it('puts a Codex token_count on the reply it follows', async () => {
    const path = join(
      home,
      '.codex/sessions/2026/11/24/rollout-2026-11-24T10-00-00-019aad50-a7e6-7422-b7a8-0b384290624f.jsonl',
    );
    mkdirSync(join(path, '..'), { recursive: true });
    const usage = {
      input_tokens: 1000,
      cached_input_tokens: 800,
      output_tokens: 20,
      reasoning_output_tokens: 5,
      total_tokens: 1020,
    };
    writeFileSync(
      path,
      [
        { type: 'session_meta', payload: { id: '019aad50-a7e6-7422-b7a8-0b384290624f', cwd: '/work/shop' } },
        { type: 'turn_context', payload: { model: 'gpt-5.1-codex' } },
        { type: 'event_msg', payload: { type: 'user_message', message: 'hi' } },
        { type: 'event_msg', payload: { type: 'agent_message', message: 'hello' } },
        {
          type: 'event_msg',
          payload: { type: 'token_count', info: { total_token_usage: usage, last_token_usage: usage } },
        },
      ]
        .map((record) => JSON.stringify({ timestamp: '2026-11-24T10:00:00.000Z', ...record }))
        .join('\n')
        .concat('\n'),
    );
    const adapter = adapters.get('codex')!;
    const file = describeFile(adapter, path);
    const messages = await readSessionMessages(adapters, [file], file.sessionId, bundledPricing());
    expect(messages.map((m) => [m.role, m.content, m.usage?.totalTokens])).toEqual([
      ['user', 'hi', undefined],
      ['assistant', 'hello', 1020],
    ]);
    expect(messages[1]?.usage).toMatchObject({
      model: 'gpt-5.1-codex',
      inputTokens: 200,
      cacheReadTokens: 800,
      reasoningOutputTokens: 5,
      priced: true,
    });
    expect(messages[1]?.usage?.costUsd).toBeGreaterThan(0);
  });
});

describe('TranscriptCache', () => {
  const SESSION = '5b1d0c2e-0000-4000-8000-00000000000c';
  const base = builtinAdapters().find((adapter) => adapter.id === 'claude-code')!;
  let parsedLines = 0;
  // The built-in parser, counting the lines it is given: an update must parse only what was appended.
  const counting = {
    ...base,
    createParser: (
      file: Parameters<typeof base.createParser>[0],
      context: Parameters<typeof base.createParser>[1],
    ) => {
      const parser = base.createParser(file, context);
      return {
        parseLine: (line: string, position: Parameters<typeof parser.parseLine>[1]) => {
          parsedLines++;
          return parser.parseLine(line, position);
        },
        snapshot: () => parser.snapshot(),
        restore: (state: Parameters<typeof parser.restore>[0]) => parser.restore(state),
      };
    },
  };
  const adapters = new Map([[counting.id, counting]]);
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'nexus-transcripts-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const line = (record: Record<string, unknown>) =>
    `${JSON.stringify({ sessionId: SESSION, cwd: '/w', timestamp: '2026-11-24T10:00:00.000Z', ...record })}\n`;
  const user = (uuid: string, text: string) =>
    line({ type: 'user', uuid, message: { role: 'user', content: text } });
  const assistant = (uuid: string, id: string, text: string, output: number) =>
    line({
      type: 'assistant',
      uuid,
      requestId: `req_${id}`,
      message: {
        id,
        role: 'assistant',
        model: 'claude-sonnet-4-5-20250929',
        content: [{ type: 'text', text }],
        usage: { input_tokens: 10, output_tokens: output },
      },
    });
  const view = (messages: Message[]) => messages.map((m) => [m.id, m.content, m.usage?.outputTokens]);

  it('reads only appended bytes on each ask and gives what a fresh read gives, usage included', async () => {
    const path = join(home, `.claude/projects/-w/${SESSION}.jsonl`);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, user('u1', 'Fix the build') + assistant('a1', 'msg_1', 'Looking.', 5));
    const files = [describeFile(counting, path)];
    const sessionId = `claude-code:${SESSION}`;
    const cache = new TranscriptCache();
    parsedLines = 0;
    const first = await cache.messages(adapters, files, sessionId);
    expect(parsedLines).toBe(2);
    expect(view(first)).toEqual([
      ['u1:0', 'Fix the build', undefined],
      ['a1:0', 'Looking.', 5],
    ]);
    // The call streams on (a larger usage line), a partial line arrives, then its end.
    appendFileSync(path, assistant('a2', 'msg_1', 'Found it.', 60));
    const half = user('u2', 'Thanks — ✓');
    appendFileSync(path, half.slice(0, 20));
    parsedLines = 0;
    const second = await cache.messages(adapters, files, sessionId);
    expect(parsedLines).toBe(1);
    appendFileSync(path, half.slice(20));
    const third = await cache.messages(adapters, files, sessionId);
    expect(parsedLines).toBe(2);
    expect(view(second)).toEqual([
      ['u1:0', 'Fix the build', undefined],
      ['a1:0', 'Looking.', undefined],
      ['a2:0', 'Found it.', 60],
    ]);
    expect(third).toEqual(await readSessionMessages(adapters, files, sessionId));
    expect(view(third).at(-1)).toEqual(['u2:0', 'Thanks — ✓', undefined]);
  });

  it('starts over when a log is truncated or replaced, and forgets idle sessions', async () => {
    const path = join(home, `.claude/projects/-w/${SESSION}.jsonl`);
    writeFileSync(path, user('u1', 'one') + user('u2', 'two'));
    const files = [describeFile(counting, path)];
    const sessionId = `claude-code:${SESSION}`;
    let now = 0;
    const cache = new TranscriptCache({ idleMs: 1000, now: () => now });
    expect(view(await cache.messages(adapters, files, sessionId)).map(([id]) => id)).toEqual([
      'u1:0',
      'u2:0',
    ]);
    writeFileSync(path, user('u3', 'three'));
    expect(view(await cache.messages(adapters, files, sessionId)).map(([id]) => id)).toEqual(['u3:0']);
    writeFileSync(`${path}.new`, user('u4', 'four') + user('u5', 'five'));
    renameSync(`${path}.new`, path);
    expect(view(await cache.messages(adapters, files, sessionId)).map(([id]) => id)).toEqual([
      'u4:0',
      'u5:0',
    ]);
    expect(cache.size).toBe(1);
    now = 5000;
    await cache.messages(adapters, [], 'claude-code:other');
    expect(cache.size).toBe(1);
  });

  it('reads new bytes once when two pages are asked for together', async () => {
    const path = join(home, `.claude/projects/-w/${SESSION}.jsonl`);
    writeFileSync(path, user('u1', 'one'));
    const files = [describeFile(counting, path)];
    const sessionId = `claude-code:${SESSION}`;
    const cache = new TranscriptCache();
    await cache.messages(adapters, files, sessionId);
    appendFileSync(path, user('u2', 'two'));
    parsedLines = 0;
    const [a, b] = await Promise.all([
      cache.messages(adapters, files, sessionId),
      cache.messages(adapters, files, sessionId),
    ]);
    expect(parsedLines).toBe(1);
    expect(view(a)).toEqual(view(b));
    expect(view(a).map(([id]) => id)).toEqual(['u1:0', 'u2:0']);
  });
});

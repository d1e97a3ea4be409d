import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readHomeUsage, sumUsageByDay } from './testing/corpus/read-home-usage.js';
import type { CorpusTruthRow } from './testing/corpus/truth.js';

/*
 * Shapes another generator (or another agent version) writes that the corpus generator does not: each test
 * writes a small home folder, reads it as the ledger's backfill does (usage-only: pre-filter and skipped
 * content arrays) and as a full read, and pins the exact token sums per UTC day, tool and model. Both reads
 * must agree: a divergence between them is a bug whatever the sums.
 */

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function writeHome(files: Record<string, string>): string {
  const home = mkdtempSync(join(tmpdir(), 'nexus-shapes-'));
  homes.push(home);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(home, path)), { recursive: true });
    writeFileSync(join(home, path), content);
  }
  return home;
}

/** Day rows of a home folder; fails unless the usage-only read gives exactly what the full read gives. */
async function dailyRows(files: Record<string, string>): Promise<CorpusTruthRow[]> {
  const home = writeHome(files);
  const full = sumUsageByDay((await readHomeUsage(home)).usage);
  const usageOnly = sumUsageByDay((await readHomeUsage(home, { usageOnly: true })).usage);
  expect(usageOnly, 'usage-only read differs from the full read').toEqual(full);
  return full;
}

function row(
  date: string,
  tool: string,
  model: string,
  tokens: { input: number; output: number; cacheCreation?: number; cacheRead?: number; reasoning?: number },
): CorpusTruthRow {
  const cacheCreation = tokens.cacheCreation ?? 0;
  const cacheRead = tokens.cacheRead ?? 0;
  return {
    date,
    tool,
    model,
    inputTokens: tokens.input,
    outputTokens: tokens.output,
    cacheCreationTokens: cacheCreation,
    cacheReadTokens: cacheRead,
    reasoningOutputTokens: tokens.reasoning ?? 0,
    totalTokens: tokens.input + tokens.output + cacheCreation + cacheRead,
  };
}

const jsonl = (records: readonly unknown[]) =>
  `${records.map((record) => JSON.stringify(record)).join('\n')}\n`;

describe('Claude Code shapes', () => {
  const SESSION = '0b1c2d3e-0000-4000-8000-00000000000a';
  const PROJECT = '.claude/projects/-home-dev-app';
  const SONNET = 'claude-sonnet-4-5-20250929';

  function assistant(fields: {
    id?: string;
    requestId?: string;
    uuid?: string;
    timestamp?: string;
    output: number;
    sessionId?: string;
  }): Record<string, unknown> {
    return {
      parentUuid: null,
      isSidechain: false,
      userType: 'external',
      cwd: '/home/dev/app',
      sessionId: fields.sessionId ?? SESSION,
      version: '2.1.39',
      message: {
        model: SONNET,
        ...(fields.id ? { id: fields.id } : {}),
        type: 'message',
        role: 'assistant',
        content: [{ type: 'text', text: 'Working on it.' }],
        stop_reason: null,
        usage: {
          input_tokens: 3,
          cache_creation_input_tokens: 200,
          cache_read_input_tokens: 4000,
          output_tokens: fields.output,
        },
      },
      ...(fields.requestId ? { requestId: fields.requestId } : {}),
      type: 'assistant',
      ...(fields.uuid ? { uuid: fields.uuid } : {}),
      ...(fields.timestamp ? { timestamp: fields.timestamp } : {}),
    };
  }

  it('a response streamed without message.id (three lines, output 5, 8, 100) is one call keyed by its requestId', async () => {
    const lines = [5, 8, 100].map((output, index) =>
      assistant({
        requestId: 'req_011CA',
        uuid: `u${index}`,
        timestamp: `2026-01-05T10:00:0${index}.000Z`,
        output,
      }),
    );
    expect(await dailyRows({ [`${PROJECT}/${SESSION}.jsonl`]: jsonl(lines) })).toEqual([
      row('2026-01-05', 'claude-code', SONNET, {
        input: 3,
        output: 100,
        cacheCreation: 200,
        cacheRead: 4000,
      }),
    ]);
  });

  it('lines with neither message.id nor requestId count once each, and a resumed copy of one (same uuid) adds nothing', async () => {
    const first = assistant({ uuid: 'line-1', timestamp: '2026-01-05T10:00:00.000Z', output: 40 });
    const second = assistant({ uuid: 'line-2', timestamp: '2026-01-05T10:05:00.000Z', output: 60 });
    const resumed = '0b1c2d3e-0000-4000-8000-00000000000b';
    expect(
      await dailyRows({
        [`${PROJECT}/${SESSION}.jsonl`]: jsonl([first, second]),
        [`${PROJECT}/${resumed}.jsonl`]: jsonl([first]),
      }),
    ).toEqual([
      row('2026-01-05', 'claude-code', SONNET, {
        input: 6,
        output: 100,
        cacheCreation: 400,
        cacheRead: 8000,
      }),
    ]);
  });

  it('an assistant line without a timestamp is dated by the previous usage line of its file, in usage-only reads too', async () => {
    const dated = assistant({
      id: 'msg_1',
      requestId: 'req_1',
      timestamp: '2026-01-05T23:59:00.000Z',
      output: 10,
    });
    // A later line of another kind (seen by full reads only) must not move the date of the undated one.
    const userLine = {
      type: 'user',
      sessionId: SESSION,
      timestamp: '2026-01-06T00:00:30.000Z',
      message: { role: 'user', content: 'next' },
    };
    const undated = assistant({ id: 'msg_2', requestId: 'req_2', output: 20 });
    expect(await dailyRows({ [`${PROJECT}/${SESSION}.jsonl`]: jsonl([dated, userLine, undated]) })).toEqual([
      row('2026-01-05', 'claude-code', SONNET, { input: 6, output: 30, cacheCreation: 400, cacheRead: 8000 }),
    ]);
  });

  it('a streamed line without message.model is billed to the model its response named on an earlier line', async () => {
    const first = assistant({
      id: 'msg_R',
      requestId: 'req_2',
      timestamp: '2026-01-05T10:00:02.000Z',
      output: 5,
    });
    const last = assistant({
      id: 'msg_R',
      requestId: 'req_2',
      timestamp: '2026-01-05T10:00:03.000Z',
      output: 299,
    });
    delete (last.message as Record<string, unknown>).model;
    expect(await dailyRows({ [`${PROJECT}/${SESSION}.jsonl`]: jsonl([first, last]) })).toEqual([
      row('2026-01-05', 'claude-code', SONNET, {
        input: 3,
        output: 299,
        cacheCreation: 200,
        cacheRead: 4000,
      }),
    ]);
  });

  it('a usage naming no token count (usage: {}) neither counts nor dates a later undated line, in usage-only reads too', async () => {
    const dated = assistant({
      id: 'msg_H',
      requestId: 'req_1',
      timestamp: '2026-01-05T23:00:00.000Z',
      output: 1,
    });
    const empty = assistant({
      id: 'msg_I',
      requestId: 'req_2',
      timestamp: '2026-01-06T00:00:05.000Z',
      output: 0,
    });
    (empty.message as Record<string, unknown>).usage = {};
    const undated = assistant({ id: 'msg_J', requestId: 'req_3', output: 5 });
    expect(await dailyRows({ [`${PROJECT}/${SESSION}.jsonl`]: jsonl([dated, empty, undated]) })).toEqual([
      row('2026-01-05', 'claude-code', SONNET, { input: 6, output: 6, cacheCreation: 400, cacheRead: 8000 }),
    ]);
  });

  it('a subagent under a session folder whose name is not a UUID still counts', async () => {
    const line = assistant({
      id: 'msg_sub',
      requestId: 'req_sub',
      sessionId: 'session-7',
      timestamp: '2026-01-05T10:00:00.000Z',
      output: 70,
    });
    expect(await dailyRows({ [`${PROJECT}/session-7/subagents/agent-a1b2c3.jsonl`]: jsonl([line]) })).toEqual(
      [
        row('2026-01-05', 'claude-code', SONNET, {
          input: 3,
          output: 70,
          cacheCreation: 200,
          cacheRead: 4000,
        }),
      ],
    );
  });

  it('usage that gives only the cache_creation split (no cache_creation_input_tokens) counts the split as cache writes', async () => {
    const line = assistant({
      id: 'msg_1',
      requestId: 'req_1',
      timestamp: '2026-01-05T10:00:00.000Z',
      output: 9,
    });
    const usage = (line.message as { usage: Record<string, unknown> }).usage;
    delete usage.cache_creation_input_tokens;
    usage.cache_creation = { ephemeral_5m_input_tokens: 150, ephemeral_1h_input_tokens: 50 };
    expect(await dailyRows({ [`${PROJECT}/${SESSION}.jsonl`]: jsonl([line]) })).toEqual([
      row('2026-01-05', 'claude-code', SONNET, { input: 3, output: 9, cacheCreation: 200, cacheRead: 4000 }),
    ]);
  });

  it('a /btw side conversation replaying a parent message (same message.id, new requestId, isSidechain) counts it once, whichever file comes first', async () => {
    const parent = assistant({
      id: 'msg_01PARENT',
      requestId: 'req_011PARENT',
      uuid: 'p1',
      timestamp: '2026-01-05T10:00:00.000Z',
      output: 300,
    });
    const replay = {
      ...parent,
      isSidechain: true,
      requestId: 'req_011REPLAY',
      uuid: 'r1',
      timestamp: '2026-01-05T10:09:00.000Z',
    };
    const own = {
      ...assistant({
        id: 'msg_01SIDE',
        requestId: 'req_011SIDE',
        uuid: 's1',
        timestamp: '2026-01-05T10:10:00.000Z',
        output: 7,
      }),
      isSidechain: true,
    };
    const expected = [
      row('2026-01-05', 'claude-code', SONNET, {
        input: 6,
        output: 307,
        cacheCreation: 400,
        cacheRead: 8000,
      }),
    ];
    // Files are read in path order: the side file sorts after the parent here, before it in the second home.
    expect(
      await dailyRows({
        [`${PROJECT}/${SESSION}.jsonl`]: jsonl([parent]),
        [`${PROJECT}/${SESSION}/subagents/agent-btw01.jsonl`]: jsonl([replay, own]),
      }),
    ).toEqual(expected);
    expect(
      await dailyRows({
        [`${PROJECT}/${SESSION}.jsonl`]: jsonl([parent]),
        [`${PROJECT}/agent-btw01.jsonl`]: jsonl([replay, own]),
      }),
    ).toEqual(expected);
  });

  it('a file saved with a byte order mark keeps its first line', async () => {
    const line = assistant({
      id: 'msg_1',
      requestId: 'req_1',
      timestamp: '2026-01-05T10:00:00.000Z',
      output: 9,
    });
    expect(await dailyRows({ [`${PROJECT}/${SESSION}.jsonl`]: `\uFEFF${jsonl([line])}` })).toEqual([
      row('2026-01-05', 'claude-code', SONNET, { input: 3, output: 9, cacheCreation: 200, cacheRead: 4000 }),
    ]);
  });
});

describe('Codex shapes', () => {
  const ID = '019b8c00-0000-7000-8000-0000000000c1';
  const FILE = `.codex/sessions/2026/01/05/rollout-2026-01-05T10-00-00-${ID}.jsonl`;
  const meta = (timestamp: string, payload: Record<string, unknown> = {}) => ({
    timestamp,
    type: 'session_meta',
    payload: {
      id: ID,
      timestamp,
      cwd: '/home/dev/app',
      originator: 'codex_cli_rs',
      cli_version: '0.98.0',
      source: 'cli',
      ...payload,
    },
  });
  const context = (timestamp: string, model: string) => ({
    timestamp,
    type: 'turn_context',
    payload: { cwd: '/home/dev/app', approval_policy: 'on-request', model, summary: 'auto' },
  });
  const usage = (input: number, cached: number, output: number, reasoning = 0) => ({
    input_tokens: input,
    cached_input_tokens: cached,
    output_tokens: output,
    reasoning_output_tokens: reasoning,
    total_tokens: input + output,
  });
  const tokenCount = (
    timestamp: string | undefined,
    info: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ) => ({
    ...(timestamp ? { timestamp } : {}),
    type: 'event_msg',
    payload: {
      type: 'token_count',
      info: { ...info, model_context_window: 272_000 },
      rate_limits: null,
      ...extra,
    },
  });

  it('totals-only events across a resume whose new totals are larger in input and output but smaller in cached input count the new totals whole', async () => {
    const lines = [
      meta('2026-01-05T10:00:00.000Z'),
      context('2026-01-05T10:00:01.000Z', 'gpt-5.2'),
      tokenCount('2026-01-05T10:00:02.000Z', { total_token_usage: usage(100, 90, 10) }),
      // A new process: its running totals start again from zero.
      context('2026-01-05T11:00:01.000Z', 'gpt-5.2'),
      tokenCount('2026-01-05T11:00:02.000Z', { total_token_usage: usage(500, 20, 50) }),
    ];
    expect(await dailyRows({ [FILE]: jsonl(lines) })).toEqual([
      row('2026-01-05', 'codex', 'gpt-5.2', { input: 10 + 480, output: 60, cacheRead: 90 + 20 }),
    ]);
  });

  it('totals-only events after a resume that writes a new session_meta count the new totals whole, even when every field grew', async () => {
    const lines = [
      meta('2026-01-05T10:00:00.000Z'),
      context('2026-01-05T10:00:01.000Z', 'gpt-5.2'),
      tokenCount('2026-01-05T10:00:02.000Z', { total_token_usage: usage(100, 50, 10, 2) }),
      // The resumed process announces itself; its first request alone outgrows the last process's totals.
      meta('2026-01-05T11:00:00.000Z'),
      context('2026-01-05T11:00:01.000Z', 'gpt-5.2'),
      tokenCount('2026-01-05T11:00:02.000Z', { total_token_usage: usage(300, 200, 30, 5) }),
      tokenCount('2026-01-05T11:00:09.000Z', { total_token_usage: usage(400, 260, 35, 5) }),
    ];
    expect(await dailyRows({ [FILE]: jsonl(lines) })).toEqual([
      row('2026-01-05', 'codex', 'gpt-5.2', {
        input: 50 + 100 + 40,
        output: 10 + 30 + 5,
        cacheRead: 50 + 200 + 60,
        reasoning: 2 + 5,
      }),
    ]);
  });

  it('an event with only last_token_usage moves the running total, so a later totals-only event does not bill it again', async () => {
    const lines = [
      meta('2026-01-05T10:00:00.000Z'),
      context('2026-01-05T10:00:01.000Z', 'gpt-5.2'),
      tokenCount('2026-01-05T10:00:02.000Z', {
        total_token_usage: usage(100, 0, 10),
        last_token_usage: usage(100, 0, 10),
      }),
      tokenCount('2026-01-05T10:00:03.000Z', { last_token_usage: usage(50, 0, 5) }),
      tokenCount('2026-01-05T10:00:04.000Z', { total_token_usage: usage(180, 0, 18) }),
    ];
    expect(await dailyRows({ [FILE]: jsonl(lines) })).toEqual([
      row('2026-01-05', 'codex', 'gpt-5.2', { input: 180, output: 18 }),
    ]);
  });

  it('a token_count naming its model in model_name or info.metadata.model is billed to that model', async () => {
    const lines = [
      meta('2026-01-05T10:00:00.000Z'),
      tokenCount(
        '2026-01-05T10:00:02.000Z',
        { total_token_usage: usage(100, 0, 10), last_token_usage: usage(100, 0, 10) },
        { model_name: 'gpt-5.1-codex' },
      ),
      tokenCount('2026-01-05T10:00:03.000Z', {
        total_token_usage: usage(300, 0, 30),
        last_token_usage: usage(200, 0, 20),
        metadata: { model: 'gpt-5.2-codex' },
      }),
    ];
    expect(await dailyRows({ [FILE]: jsonl(lines) })).toEqual([
      row('2026-01-05', 'codex', 'gpt-5.1-codex', { input: 100, output: 10 }),
      row('2026-01-05', 'codex', 'gpt-5.2-codex', { input: 200, output: 20 }),
    ]);
  });

  it('a model a token_count names stays the model of the following unnamed ones until a turn_context says otherwise', async () => {
    const lines = [
      meta('2026-01-05T10:00:00.000Z'),
      tokenCount(
        '2026-01-05T10:00:02.000Z',
        { total_token_usage: usage(100, 0, 10), last_token_usage: usage(100, 0, 10) },
        { model: 'gpt-5.1-codex' },
      ),
      tokenCount('2026-01-05T10:00:03.000Z', {
        total_token_usage: usage(300, 0, 30),
        last_token_usage: usage(200, 0, 20),
      }),
      context('2026-01-05T10:00:04.000Z', 'gpt-5.2'),
      tokenCount('2026-01-05T10:00:05.000Z', {
        total_token_usage: usage(700, 0, 70),
        last_token_usage: usage(400, 0, 40),
      }),
    ];
    expect(await dailyRows({ [FILE]: jsonl(lines) })).toEqual([
      row('2026-01-05', 'codex', 'gpt-5.1-codex', { input: 300, output: 30 }),
      row('2026-01-05', 'codex', 'gpt-5.2', { input: 400, output: 40 }),
    ]);
  });

  it('a token_count without a timestamp is dated by the previous token_count or turn_context, in usage-only reads too', async () => {
    const lines = [
      meta('2026-01-05T23:58:00.000Z'),
      context('2026-01-05T23:59:00.000Z', 'gpt-5.2'),
      // A reply after midnight, which usage-only reads never see.
      {
        timestamp: '2026-01-06T00:00:10.000Z',
        type: 'event_msg',
        payload: { type: 'agent_message', message: 'Done.' },
      },
      tokenCount(undefined, { total_token_usage: usage(100, 40, 10), last_token_usage: usage(100, 40, 10) }),
    ];
    expect(await dailyRows({ [FILE]: jsonl(lines) })).toEqual([
      row('2026-01-05', 'codex', 'gpt-5.2', { input: 60, output: 10, cacheRead: 40 }),
    ]);
  });

  it("a spawned subagent's rollout replays its parent's token counts in the second it is created: they seed the totals and are not billed again", async () => {
    const child = '019b8c00-0000-7000-8000-0000000000c2';
    const spawned = meta('2026-01-05T10:00:00.120Z', {
      id: child,
      source: { subagent: { thread_spawn: { parent_thread_id: ID, depth: 1 } } },
    });
    const lines = [
      spawned,
      context('2026-01-05T10:00:00.130Z', 'gpt-5.2'),
      tokenCount('2026-01-05T10:00:00.140Z', {
        total_token_usage: usage(100, 0, 10),
        last_token_usage: usage(100, 0, 10),
      }),
      tokenCount('2026-01-05T10:00:00.150Z', {
        total_token_usage: usage(300, 100, 30),
        last_token_usage: usage(200, 100, 20),
      }),
      // The subagent's own calls, seconds later; the second one logs totals only.
      tokenCount('2026-01-05T10:00:09.000Z', {
        total_token_usage: usage(700, 100, 40),
        last_token_usage: usage(400, 0, 10),
      }),
      tokenCount('2026-01-05T10:00:15.000Z', { total_token_usage: usage(1000, 250, 45) }),
    ];
    expect(
      await dailyRows({
        [`.codex/sessions/2026/01/05/rollout-2026-01-05T10-00-00-${child}.jsonl`]: jsonl(lines),
      }),
    ).toEqual([row('2026-01-05', 'codex', 'gpt-5.2', { input: 400 + 150, output: 15, cacheRead: 150 })]);
  });

  it('a fork (forked_from_id) copies its source history, stamped in the second it is created or with the first stamps: the copies are not billed again', async () => {
    const fork = '019b8c00-0000-7000-8000-0000000000c3';
    const lines = [
      meta('2026-01-05T12:00:00.500Z', { id: fork, forked_from_id: ID }),
      context('2026-01-05T12:00:00.510Z', 'gpt-5.2'),
      tokenCount('2026-01-05T09:00:00.000Z', {
        total_token_usage: usage(40, 0, 4),
        last_token_usage: usage(40, 0, 4),
      }),
      tokenCount('2026-01-05T12:00:00.520Z', {
        total_token_usage: usage(100, 0, 10),
        last_token_usage: usage(100, 0, 10),
      }),
      tokenCount('2026-01-05T12:01:00.000Z', {
        total_token_usage: usage(150, 60, 15),
        last_token_usage: usage(50, 60, 5),
      }),
    ];
    expect(
      await dailyRows({
        [`.codex/sessions/2026/01/05/rollout-2026-01-05T12-00-00-${fork}.jsonl`]: jsonl(lines),
      }),
    ).toEqual([row('2026-01-05', 'codex', 'gpt-5.2', { input: 0, output: 5, cacheRead: 50 })]);
  });

  it('a rollout saved with a byte order mark keeps its session_meta and first turn_context', async () => {
    const lines = [
      context('2026-01-05T10:00:01.000Z', 'gpt-5.2'),
      tokenCount('2026-01-05T10:00:02.000Z', {
        total_token_usage: usage(100, 50, 10),
        last_token_usage: usage(100, 50, 10),
      }),
    ];
    expect(await dailyRows({ [FILE]: `\uFEFF${jsonl(lines)}` })).toEqual([
      row('2026-01-05', 'codex', 'gpt-5.2', { input: 50, output: 10, cacheRead: 50 }),
    ]);
  });
});

describe('OpenClaw shapes', () => {
  const SESSION = 'a1b2c3d4-0000-4000-8000-0000000000d1';
  const FILE = `.openclaw/agents/main/sessions/${SESSION}.jsonl`;
  const assistant = (id: string | undefined, timestamp: string | undefined, model?: string) => ({
    type: 'message',
    ...(id ? { id, parentId: null } : {}),
    ...(timestamp ? { timestamp } : {}),
    message: {
      role: 'assistant',
      content: [{ type: 'text', text: 'Done.' }],
      api: 'anthropic-messages',
      provider: 'anthropic',
      ...(model ? { model } : {}),
      usage: { input: 3, output: 91, cacheRead: 15396, cacheWrite: 434, totalTokens: 15924 },
      stopReason: 'stop',
    },
  });
  const v1Header = {
    type: 'session',
    id: SESSION,
    timestamp: '2026-02-07T17:56:16.780Z',
    cwd: '/home/dev/app',
    provider: 'anthropic',
    modelId: 'claude-sonnet-4-5',
  };
  const calls = (count: number, model: string, date = '2026-02-07') =>
    row(date, 'openclaw', model, {
      input: 3 * count,
      output: 91 * count,
      cacheCreation: 434 * count,
      cacheRead: 15396 * count,
    });

  it('an assistant message naming its model in modelId (as ccusage reads it) is billed to it, not to the last model_change', async () => {
    const named = assistant('e2', '2026-02-07T18:00:00.000Z');
    const lines = [
      {
        type: 'session',
        version: 3,
        id: SESSION,
        timestamp: '2026-02-07T17:56:16.780Z',
        cwd: '/home/dev/app',
      },
      {
        type: 'model_change',
        id: 'e1',
        parentId: null,
        timestamp: '2026-02-07T17:56:17.000Z',
        provider: 'anthropic',
        modelId: 'claude-opus-4-6',
      },
      { ...named, message: { ...named.message, modelId: 'gpt-5.2' } },
      assistant('e3', '2026-02-07T18:01:00.000Z'),
    ];
    expect(await dailyRows({ [FILE]: jsonl(lines) })).toEqual([
      calls(1, 'claude-opus-4-6'),
      calls(1, 'gpt-5.2'),
    ]);
  });

  it('a pi v1 header written with spaces around the colon ("type" : "session") still names the model in usage-only reads', async () => {
    const header = JSON.stringify(v1Header).replace('"type":"session"', '"type" : "session"');
    expect(
      await dailyRows({ [FILE]: `${header}\n${jsonl([assistant(undefined, '2026-02-07T17:56:19.489Z')])}` }),
    ).toEqual([calls(1, 'claude-sonnet-4-5')]);
  });

  it('a pi v1 transcript saved with a byte order mark keeps the model its header names', async () => {
    expect(
      await dailyRows({
        [FILE]: `\uFEFF${jsonl([v1Header, assistant(undefined, '2026-02-07T17:56:19.489Z')])}`,
      }),
    ).toEqual([calls(1, 'claude-sonnet-4-5')]);
  });

  it('transcripts left in a legacy state folder (~/.clawdbot) next to ~/.openclaw are history and count, a copy of the same session once', async () => {
    const header = {
      type: 'session',
      version: 3,
      id: SESSION,
      timestamp: '2026-02-07T17:00:00.000Z',
      cwd: '/w',
    };
    const old = 'a1b2c3d4-0000-4000-8000-0000000000d2';
    expect(
      await dailyRows({
        [FILE]: jsonl([header, assistant('e0000001', '2026-02-07T17:56:19.489Z', 'claude-opus-4-6')]),
        // The same session copied along, and an older one only the legacy folder has.
        [`.clawdbot/agents/main/sessions/${SESSION}.jsonl`]: jsonl([
          header,
          assistant('e0000001', '2026-02-07T17:56:19.489Z', 'claude-opus-4-6'),
        ]),
        [`.clawdbot/agents/main/sessions/${old}.jsonl`]: jsonl([
          { ...header, id: old },
          assistant('e0000002', '2026-01-20T08:00:00.000Z', 'claude-opus-4-5'),
        ]),
      }),
    ).toEqual([calls(1, 'claude-opus-4-5', '2026-01-20'), calls(1, 'claude-opus-4-6')]);
  });

  it('an assistant entry without any timestamp is dated by the previous usage entry, in usage-only reads too', async () => {
    const userAfterMidnight = {
      type: 'message',
      id: 'u0000001',
      parentId: null,
      timestamp: '2026-02-08T00:00:05.000Z',
      message: { role: 'user', content: [{ type: 'text', text: 'and now?' }] },
    };
    expect(
      await dailyRows({
        [FILE]: jsonl([
          { type: 'session', version: 3, id: SESSION, timestamp: '2026-02-07T23:00:00.000Z', cwd: '/w' },
          assistant('e0000001', '2026-02-07T23:59:00.000Z', 'claude-opus-4-6'),
          userAfterMidnight,
          assistant('e0000002', undefined, 'claude-opus-4-6'),
        ]),
      }),
    ).toEqual([calls(2, 'claude-opus-4-6')]);
  });
});

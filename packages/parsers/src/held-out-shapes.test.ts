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

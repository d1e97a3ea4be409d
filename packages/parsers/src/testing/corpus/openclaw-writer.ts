import { iso, type WriterContext } from './context.js';
import { prose } from './random.js';

const TOOL = 'openclaw';
/** Model, provider, api and $/Mtok prices (input, output, cache read, cache write) as pi-ai writes them. */
const MODELS = [
  { model: 'claude-opus-4-6', provider: 'anthropic', api: 'anthropic-messages', price: [5, 25, 0.5, 6.25] },
  { model: 'gpt-5.2', provider: 'openai', api: 'openai-responses', price: [1.75, 14, 0.175, 0] },
  { model: 'gemini-3-pro-preview', provider: 'google', api: 'google-generative-ai', price: [2, 12, 0.2, 0] },
] as const;
const AGENTS = ['main', 'work', 'ops'];

interface Entry {
  type: string;
  id: string;
  parentId: string | null;
  timestamp: string;
  [key: string]: unknown;
}

/**
 * One OpenClaw (pi session v3) transcript: a tree of entries with model changes, snapshots, abandoned
 * branches, aborted calls and the odd archive. Records every billed call in the truth.
 */
export function writeOpenClawSession(
  ctx: WriterContext,
  startMs: number,
  index: Map<string, Record<string, unknown>>,
): void {
  const { random } = ctx;
  const agent = random.pick(AGENTS);
  const id = random.uuid();
  const cwd = random.pick(['/home/dev/.openclaw/workspace', '/home/dev/assistant']);
  let time = startMs;
  const lines: string[] = [JSON.stringify({ type: 'session', version: 3, id, timestamp: iso(time), cwd })];
  const ids: string[] = [];
  let leaf: string | null = null;
  const entry = (
    fields: Omit<Entry, 'id' | 'parentId' | 'timestamp'>,
    parentId: string | null = leaf,
  ): Entry => {
    time += random.int(5, 900);
    const value = { ...fields, id: random.hex(8), parentId, timestamp: iso(time) } as Entry;
    lines.push(JSON.stringify(value));
    ids.push(value.id);
    leaf = value.id;
    return value;
  };
  let current: (typeof MODELS)[number] = random.pick(MODELS);
  entry({ type: 'model_change', provider: current.provider, modelId: current.model });
  entry({ type: 'thinking_level_change', thinkingLevel: 'low' });
  entry({
    type: 'custom',
    customType: 'model-snapshot',
    data: { timestamp: time, provider: current.provider, modelApi: current.api, modelId: current.model },
  });
  if (random.chance(0.5)) entry({ type: 'session_info', name: prose(random, 3) });
  const turns = random.int(2, 20);
  for (let turn = 0; turn < turns; turn++) {
    if (random.chance(0.1)) {
      current = random.pick(MODELS);
      entry({ type: 'model_change', provider: current.provider, modelId: current.model });
    }
    // A rewind: the user branches from an earlier entry; the abandoned branch stays in the file.
    const parent = ids.length > 6 && ctx.rare('openclaw-rewind', 0.1) ? random.pick(ids.slice(0, -3)) : leaf;
    time += random.int(20, 1800) * 1000;
    entry(
      {
        type: 'message',
        message: {
          role: 'user',
          content: [{ type: 'text', text: prose(random, random.int(3, 60)) }],
          timestamp: time,
        },
      },
      parent,
    );
    const calls = random.int(1, 4);
    for (let call = 0; call < calls; call++) {
      time += random.int(800, 25_000);
      const aborted = ctx.rare('openclaw-aborted', 0.03);
      const toolCall = call < calls - 1;
      const input = random.int(1, 4000);
      const output = aborted ? 0 : random.int(20, 3000);
      const cacheRead = random.int(0, 120_000);
      const cacheWrite = current.provider === 'anthropic' ? random.int(0, 8000) : 0;
      const usage = aborted
        ? {
            input: 0,
            output: 0,
            cacheRead: 0,
            cacheWrite: 0,
            totalTokens: 0,
            cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
          }
        : usageWithCost(current.price, input, output, cacheRead, cacheWrite);
      // Older pi builds left the model off the message; it comes from model_change or the snapshot.
      const named = random.chance(0.85);
      const messageTime = time;
      const content = [
        { type: 'thinking', thinking: prose(random, random.int(5, 40)), thinkingSignature: random.hex(24) },
        toolCall
          ? {
              type: 'toolCall',
              id: `call_${random.hex(16)}`,
              name: random.pick(['exec', 'read', 'web_search']),
              arguments: { command: 'ls -la' },
            }
          : { type: 'text', text: prose(random, random.int(5, 120)) },
      ];
      const message = {
        role: 'assistant',
        content,
        api: current.api,
        provider: current.provider,
        ...(named ? { model: current.model } : {}),
        usage,
        stopReason: aborted ? 'aborted' : toolCall ? 'toolUse' : 'stop',
        timestamp: messageTime,
        responseId: `resp_${random.hex(20)}`,
      };
      entry({ type: 'message', message });
      if (!aborted) {
        ctx.truth.add({
          tool: TOOL,
          model: current.model,
          timestamp: iso(messageTime),
          inputTokens: input,
          outputTokens: output,
          cacheCreationTokens: cacheWrite,
          cacheReadTokens: cacheRead,
          reasoningOutputTokens: 0,
        });
      }
      if (toolCall) {
        const result = random.chance(0.05)
          ? prose(random, random.int(2000, 6000))
          : prose(random, random.int(5, 200));
        entry({
          type: 'message',
          message: {
            role: 'toolResult',
            toolCallId: `call_${random.hex(16)}`,
            toolName: 'exec',
            content: [{ type: 'text', text: result }],
            isError: false,
            timestamp: time,
          },
        });
      }
    }
    if (random.chance(0.05))
      entry({
        type: 'compaction',
        summary: prose(random, 40),
        firstKeptEntryId: random.pick(ids),
        tokensBefore: random.int(50_000, 180_000),
      });
  }
  const archive = random.next();
  const suffix =
    archive < 0.06
      ? `.reset.${iso(time).replace(/:/g, '-')}`
      : archive < 0.1
        ? `.deleted.${iso(time).replace(/:/g, '-')}`
        : '';
  const folder = `.openclaw/agents/${agent}/sessions`;
  ctx.sink.writeLines(`${folder}/${id}.jsonl${suffix}`, lines, time);
  if (!suffix)
    index.set(`${folder}\u0000agent:${agent}:${id.slice(0, 8)}`, {
      sessionId: id,
      updatedAt: time,
      sessionStartedAt: startMs,
      chatType: 'direct',
      displayName: prose(random, 2),
    });
}

function usageWithCost(
  price: readonly number[],
  input: number,
  output: number,
  cacheRead: number,
  cacheWrite: number,
) {
  const [inputPrice = 0, outputPrice = 0, readPrice = 0, writePrice = 0] = price;
  const cost = {
    input: (inputPrice / 1e6) * input,
    output: (outputPrice / 1e6) * output,
    cacheRead: (readPrice / 1e6) * cacheRead,
    cacheWrite: (writePrice / 1e6) * cacheWrite,
    total: 0,
  };
  cost.total = cost.input + cost.output + cost.cacheRead + cost.cacheWrite;
  return { input, output, cacheRead, cacheWrite, totalTokens: input + output + cacheRead + cacheWrite, cost };
}

/** Writes each agent's `sessions.json` (session key → entry) for the sessions that were not archived. */
export function writeOpenClawIndexes(ctx: WriterContext, index: Map<string, Record<string, unknown>>): void {
  const byFolder = new Map<string, Record<string, unknown>>();
  for (const [key, value] of index) {
    const [folder = '', sessionKey = ''] = key.split('\u0000');
    const entries = byFolder.get(folder) ?? {};
    entries[sessionKey] = value;
    byFolder.set(folder, entries);
  }
  for (const [folder, entries] of byFolder)
    ctx.sink.writeText(`${folder}/sessions.json`, `${JSON.stringify(entries, null, 2)}\n`);
}

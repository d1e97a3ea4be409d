import { spacedJson } from '../spaced-json.js';
import { iso, type WriterContext } from './context.js';
import { prose, type SeededRandom } from './random.js';

const TOOL = 'claude-code';
const MODELS = [
  'claude-sonnet-4-5-20250929',
  'claude-opus-4-6',
  'claude-haiku-4-5-20251001',
  'claude-opus-4-1-20250805',
];
const PROJECTS = [
  '/home/dev/api-gateway',
  '/home/dev/web/storefront',
  '/home/dev/données-app',
  '/home/dev/ml_pipeline',
  '/srv/work/infra.tf',
];
const VERSIONS = ['1.0.98', '2.0.76', '2.1.39', '2.1.121'];
const TOOLS = [
  {
    name: 'Bash',
    input: (r: SeededRandom) => ({
      command: r.pick(['npm test', 'git status', 'pnpm -r build', 'ls -la src']),
      description: 'Run it',
    }),
  },
  {
    name: 'Read',
    input: (r: SeededRandom) => ({ file_path: `/home/dev/src/${r.pick(['app', 'ledger', 'parser'])}.ts` }),
  },
  {
    name: 'Edit',
    input: (r: SeededRandom) => ({
      file_path: '/home/dev/src/app.ts',
      old_string: prose(r, 6),
      new_string: prose(r, 7),
    }),
  },
  {
    name: 'Grep',
    input: (r: SeededRandom) => ({ pattern: r.pick(['TODO', 'usage', 'export function']), path: 'src' }),
  },
];

/** Claude Code encodes the cwd by turning every character outside [A-Za-z0-9] into `-` (lossy). */
function projectFolder(cwd: string): string {
  return cwd.replace(/[^A-Za-z0-9]/g, '-');
}

interface Usage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  output_tokens: number;
  service_tier: string;
  inference_geo?: string;
}

interface Session {
  readonly ctx: WriterContext;
  readonly lines: string[];
  readonly base: Record<string, unknown>;
  readonly legacy: boolean;
  time: number;
  parentUuid: string | null;
  model: string;
  /** Lines of responses that a resumed session may copy (they carry a requestId). */
  readonly copyable: string[];
  /** Assistant records written so far (a subagent's are copied into its parent's progress lines). */
  readonly assistantRecords: Record<string, unknown>[];
  /** The billed call of each response, by message id. */
  readonly billedById: Map<string, ReturnType<typeof call>>;
}

/**
 * One Claude Code session file (plus its subagents), written as Claude Code writes it: one line per
 * content block of a streamed response with growing `output_tokens`, tool results and progress records
 * interleaved, API errors, the odd broken line. Records every billed call in the truth.
 */
export function writeClaudeSession(
  ctx: WriterContext,
  startMs: number,
  resumeFrom?: readonly string[],
): readonly string[] {
  const { random } = ctx;
  const cwd = random.pick(PROJECTS);
  const sessionId = random.uuid();
  const version = random.pick(VERSIONS);
  const root = random.chance(0.15) ? '.config/claude' : '.claude';
  const session: Session = {
    ctx,
    lines: [],
    legacy: version.startsWith('1.'),
    base: {
      isSidechain: false,
      userType: 'external',
      cwd,
      sessionId,
      version,
      gitBranch: random.pick(['main', 'feat/ledger', '']),
    },
    time: startMs,
    parentUuid: null,
    model: random.pick(MODELS),
    copyable: [],
    assistantRecords: [],
    billedById: new Map(),
  };
  if (session.legacy && random.chance(0.5)) {
    session.lines.push(
      JSON.stringify({ type: 'summary', summary: prose(random, 5), leafUuid: random.uuid() }),
    );
  }
  if (resumeFrom) session.lines.push(...resumeFrom);
  const folder = `${root}/projects/${projectFolder(cwd)}`;
  // Most sessions are short; a few run long.
  const turns = random.chance(0.7) ? random.int(1, 5) : random.int(6, 30);
  for (let turn = 0; turn < turns; turn++) {
    writeTurn(session, folder, sessionId);
    session.time += random.int(20, 1800) * 1000;
  }
  if (!session.legacy)
    session.lines.push(JSON.stringify({ type: 'ai-title', aiTitle: prose(random, 4), sessionId }));
  // Lines copied from a resumed session can be stamped later than this one's own (their session was
  // generated on a later day): the file cannot predate what it holds.
  const copiedStamps = (resumeFrom ?? []).map((line) => Date.parse(JSON.parse(line).timestamp));
  const copiedUntil = Math.max(0, ...copiedStamps.filter(Number.isFinite));
  ctx.sink.writeLines(`${folder}/${sessionId}.jsonl`, session.lines, Math.max(session.time, copiedUntil));
  return session.copyable.slice(-random.int(1, 3));
}

function record(session: Session, fields: Record<string, unknown>): Record<string, unknown> {
  const uuid = session.ctx.random.uuid();
  const value = {
    parentUuid: session.parentUuid,
    ...session.base,
    ...fields,
    uuid,
    timestamp: iso(session.time),
  };
  session.parentUuid = uuid;
  return value;
}

function tick(session: Session, minMs: number, maxMs: number): void {
  session.time += session.ctx.random.int(minMs, maxMs);
}

function writeTurn(session: Session, folder: string, sessionId: string): void {
  const { random } = session.ctx;
  session.lines.push(
    JSON.stringify(
      record(session, { type: 'user', message: { role: 'user', content: prose(random, random.int(4, 60)) } }),
    ),
  );
  if (random.chance(0.1)) session.model = random.pick(MODELS);
  const calls = random.int(1, 4);
  for (let call = 0; call < calls; call++) {
    tick(session, 800, 20_000);
    if (session.ctx.rare('claude-api-error', 0.03)) writeApiError(session);
    writeResponse(session, session.lines, session.model, { allowQuirks: true });
    if (session.ctx.rare('claude-subagent', 0.08)) writeSubagent(session, folder, sessionId);
  }
  if (session.ctx.rare('claude-glued-line', 0.015)) {
    // A write cut short by a crash: half a record, then the next append starts on the same line.
    const cut = JSON.stringify(
      record(session, { type: 'pr-link', prNumber: 42, prUrl: 'https://example.invalid/pr/42' }),
    );
    const next = JSON.stringify(
      record(session, { type: 'system', subtype: 'turn_duration', durationMs: 5123 }),
    );
    session.lines.push(cut.slice(0, Math.floor(cut.length / 2)) + next);
  }
  if (session.ctx.rare('claude-truncated-line', 0.01))
    session.lines.push(
      '{"parentUuid":"truncated-record","type":"user","message":{"role":"user","content":"half',
    );
  tick(session, 10, 200);
  session.lines.push(
    JSON.stringify(
      record(session, {
        type: 'system',
        subtype: 'turn_duration',
        durationMs: random.int(900, 90_000),
        level: 'info',
        isMeta: false,
      }),
    ),
  );
}

interface ResponseOptions {
  /** Responses that may lack a requestId or be written with spaced JSON (main sessions only). */
  readonly allowQuirks: boolean;
}

function writeResponse(session: Session, lines: string[], model: string, options: ResponseOptions): void {
  const { ctx } = session;
  const { random } = ctx;
  const messageId = `msg_01${random.hex(22)}`;
  const requestId =
    options.allowQuirks && ctx.rare('claude-no-request-id', 0.08) ? undefined : `req_011C${random.hex(18)}`;
  const spaced = options.allowQuirks && requestId !== undefined && ctx.rare('claude-spaced-usage', 0.05);
  const oneHour = random.chance(0.2) ? random.int(0, 20_000) : 0;
  const fiveMinutes = random.int(0, 30_000);
  const finalOutput = random.int(30, 4000);
  const usage = (output: number): Usage => ({
    input_tokens: random.int(1, 3) === 1 ? 1 : 3,
    cache_creation_input_tokens: fiveMinutes + oneHour,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: fiveMinutes, ephemeral_1h_input_tokens: oneHour },
    output_tokens: output,
    service_tier: 'standard',
    inference_geo: 'not_available',
  });
  const template = usage(finalOutput);
  template.cache_read_input_tokens = random.int(0, 180_000);
  const blocks = random.int(1, 5);
  // Earlier lines carry a partial count that never decreases; the last line alone has the final count.
  const outputs: number[] = [];
  let partial = random.int(1, 12);
  for (let block = 0; block < blocks - 1; block++) {
    outputs.push(Math.min(partial, finalOutput - 1));
    if (random.chance(0.4)) partial += random.int(1, Math.max(1, Math.floor(finalOutput / blocks)));
  }
  outputs.push(finalOutput);
  const pendingTools: string[] = [];
  let finalTimestamp = '';
  for (let block = 0; block < blocks; block++) {
    const kind =
      block === blocks - 1
        ? random.pick(['text', 'tool_use'] as const)
        : random.pick(['thinking', 'text', 'tool_use'] as const);
    const content = blockContent(random, kind, pendingTools);
    const lineUsage = { ...template, output_tokens: outputs[block]! };
    const message = {
      model,
      id: messageId,
      type: 'message',
      role: 'assistant',
      content: [content],
      stop_reason: null,
      stop_sequence: null,
      usage: lineUsage,
    };
    const fields: Record<string, unknown> = { message, type: 'assistant' };
    if (requestId) fields.requestId = requestId;
    if (session.legacy)
      fields.costUSD = Math.round(outputs[block]! * 15 + (fiveMinutes + oneHour) * 3.75) / 1e6;
    const value = record(session, fields);
    session.assistantRecords.push(value);
    const line = spaced ? spacedJson(value) : JSON.stringify(value);
    lines.push(line);
    if (requestId && !spaced && options.allowQuirks) session.copyable.push(line);
    const timestamp = value.timestamp as string;
    if (block === blocks - 1) finalTimestamp = timestamp;
    if (!requestId) {
      // ccusage 20.0.24 does not deduplicate lines without a requestId: each streamed line counts.
      ctx.difference('streamed-lines-without-request-id').add(call(model, timestamp, lineUsage));
    }
    tick(session, 30, 2500);
    // Tools start before the stream ends: their results and progress interleave with the stream.
    while (pendingTools.length > 0 && random.chance(0.6))
      writeToolResult(session, lines, pendingTools.shift()!);
    // Progress records are most of a real transcript's lines (69% in the spotter census, 607 bytes on average).
    for (let count = random.int(0, 5); count > 0; count--) writeProgress(session, lines);
  }
  for (const tool of pendingTools) writeToolResult(session, lines, tool);
  const billed = call(model, finalTimestamp, template);
  ctx.truth.add(billed);
  session.billedById.set(messageId, billed);
  if (!requestId) ctx.difference('streamed-lines-without-request-id').add(billed, -1);
  if (spaced) ctx.difference('spaced-usage-json').add(billed, -1);
}

function call(model: string, timestamp: string, usage: Usage) {
  return {
    tool: TOOL,
    model,
    timestamp,
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheCreationTokens: usage.cache_creation_input_tokens,
    cacheReadTokens: usage.cache_read_input_tokens,
    reasoningOutputTokens: 0,
  };
}

function blockContent(
  random: SeededRandom,
  kind: 'thinking' | 'text' | 'tool_use',
  pendingTools: string[],
): Record<string, unknown> {
  if (kind === 'thinking')
    return {
      type: 'thinking',
      thinking: prose(random, random.int(10, 120)),
      signature: `Eu${random.hex(40)}`,
    };
  if (kind === 'text') return { type: 'text', text: prose(random, random.int(5, 200)) };
  const tool = random.pick(TOOLS);
  const id = `toolu_01${random.hex(22)}`;
  pendingTools.push(id);
  return { type: 'tool_use', id, name: tool.name, input: tool.input(random), caller: { type: 'direct' } };
}

function writeToolResult(session: Session, lines: string[], toolUseId: string): void {
  const { random } = session.ctx;
  // Read results quote whole files: some lines run to tens of kilobytes.
  const size = random.chance(0.06) ? random.int(400, 1500) : random.int(3, 40);
  const text = Array.from(
    { length: size },
    (_, index) => `${String(index + 1).padStart(6)}→${prose(random, 6)}`,
  ).join('\n');
  const fields = {
    type: 'user',
    message: {
      role: 'user',
      content: [
        { tool_use_id: toolUseId, type: 'tool_result', content: text, is_error: random.chance(0.05) },
      ],
    },
    toolUseResult: { stdout: text.slice(0, 200), stderr: '', interrupted: false },
    sourceToolAssistantUUID: session.parentUuid,
  };
  lines.push(JSON.stringify(record(session, fields)));
  tick(session, 20, 900);
}

function writeProgress(session: Session, lines: string[]): void {
  const { random } = session.ctx;
  const toolUseID = `toolu_01${random.hex(22)}`;
  const data = random.chance(0.5)
    ? {
        type: 'bash_progress',
        output: prose(random, random.int(2, 12)),
        fullOutput: prose(random, random.int(10, 60)),
        elapsedTimeSeconds: random.int(1, 40),
        totalLines: random.int(1, 400),
      }
    : {
        type: 'hook_progress',
        hookEvent: random.pick(['PreToolUse', 'PostToolUse']),
        hookName: 'PostToolUse:Bash',
        command: '/home/dev/.claude/hooks/notify.sh',
      };
  lines.push(
    JSON.stringify(record(session, { type: 'progress', data, toolUseID, parentToolUseID: toolUseID })),
  );
  tick(session, 10, 400);
}

/**
 * The parent's `agent_progress` lines embed copies of the subagent's messages, usage included. They are
 * billed once, in the subagent's file; the copies never count.
 */
function writeAgentProgress(parent: Session, subagent: Session): void {
  const { random } = parent.ctx;
  const toolUseID = `toolu_01${random.hex(22)}`;
  const largestCopy = new Map<string, { output: number; timestamp: string }>();
  for (const copy of subagent.assistantRecords) {
    if (!random.chance(0.5)) continue;
    const message = copy.message as { id: string; usage: Usage };
    const seen = largestCopy.get(message.id);
    if (!seen || message.usage.output_tokens > seen.output)
      largestCopy.set(message.id, {
        output: message.usage.output_tokens,
        timestamp: copy.timestamp as string,
      });
    const data = {
      type: 'agent_progress',
      message: {
        type: copy.type,
        message: copy.message,
        requestId: copy.requestId,
        uuid: copy.uuid,
        timestamp: copy.timestamp,
      },
      normalizedMessages: [],
      prompt: prose(random, 8),
      agentId: copy.agentId,
    };
    parent.lines.push(
      JSON.stringify(record(parent, { type: 'progress', data, toolUseID, parentToolUseID: toolUseID })),
    );
    tick(parent, 5, 200);
  }
  for (const [messageId, copy] of largestCopy) {
    const billed = subagent.billedById.get(messageId);
    if (!billed || copy.output === billed.outputTokens) continue;
    // ccusage takes the (non-sidechain) copy over the subagent's own lines: a mid-stream copy undercounts.
    const difference = parent.ctx.difference('subagent-progress-copies');
    difference.add(billed, -1);
    difference.add({ ...billed, timestamp: copy.timestamp, outputTokens: copy.output });
  }
}

function writeApiError(session: Session): void {
  const { random } = session.ctx;
  const zero = {
    input_tokens: 0,
    output_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    server_tool_use: { web_search_requests: 0 },
    service_tier: null,
  };
  session.lines.push(
    JSON.stringify(
      record(session, {
        type: 'system',
        subtype: 'api_error',
        level: 'error',
        error: { status: 529, error: { type: 'overloaded_error', message: 'Overloaded' } },
        retryInMs: 2000,
        retryAttempt: 1,
        maxRetries: 10,
      }),
    ),
  );
  const message = {
    id: random.uuid(),
    model: '<synthetic>',
    role: 'assistant',
    stop_reason: 'stop_sequence',
    stop_sequence: '',
    type: 'message',
    usage: zero,
    content: [
      {
        type: 'text',
        text: 'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
      },
    ],
  };
  session.lines.push(
    JSON.stringify(
      record(session, { type: 'assistant', message, isApiErrorMessage: true, error: 'server_error' }),
    ),
  );
  tick(session, 500, 3000);
}

function writeSubagent(parent: Session, folder: string, sessionId: string): void {
  const { ctx } = parent;
  const { random } = ctx;
  const agentId = random.hex(7);
  const legacyLayout = random.chance(0.25);
  const sub: Session = {
    ctx,
    lines: [],
    legacy: parent.legacy,
    base: { ...parent.base, isSidechain: true, agentId },
    time: parent.time + random.int(100, 2000),
    parentUuid: null,
    model: random.chance(0.6) ? 'claude-haiku-4-5-20251001' : parent.model,
    copyable: [],
    assistantRecords: [],
    billedById: new Map(),
  };
  sub.lines.push(
    JSON.stringify(
      record(sub, { type: 'user', message: { role: 'user', content: prose(random, random.int(8, 40)) } }),
    ),
  );
  const responses = random.int(1, 6);
  for (let index = 0; index < responses; index++) {
    writeResponse(sub, sub.lines, sub.model, { allowQuirks: false });
    tick(sub, 500, 8000);
  }
  const path = legacyLayout
    ? `${folder}/agent-${agentId}.jsonl`
    : `${folder}/${sessionId}/subagents/agent-${agentId}.jsonl`;
  ctx.sink.writeLines(path, sub.lines, sub.time);
  if (!legacyLayout && random.chance(0.5)) {
    ctx.sink.writeText(
      `${folder}/${sessionId}/subagents/agent-${agentId}.meta.json`,
      JSON.stringify({
        agentType: 'general-purpose',
        description: prose(random, 4),
        toolUseId: `toolu_01${random.hex(22)}`,
      }),
    );
  }
  parent.time = Math.max(parent.time, sub.time);
  writeAgentProgress(parent, sub);
}

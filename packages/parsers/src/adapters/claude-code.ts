import { join } from 'node:path';
import {
  ADAPTER_API_VERSION,
  type AdapterRoot,
  type LineParser,
  type LinePosition,
  type LogFileInfo,
  type LogFileRef,
  type NexusAdapter,
  type NormalizedEvent,
  type ParseContext,
  type RootEnvironment,
} from '../contract.js';
import {
  asRecord,
  asString,
  isoTimestamp,
  type JsonRecord,
  parseJsonRecord,
  tokenCount,
} from '../json-record.js';
import { messageEvent } from '../message-event.js';
import { summarizeToolCall, summarizeToolResult } from '../tool-summary.js';

export const CLAUDE_CODE_ID = 'claude-code';
const SYNTHETIC_MODEL = '<synthetic>';
const MINUTE = 60_000;

export interface ClaudeCodeOptions {
  /** Config folders to read instead of `$CLAUDE_CONFIG_DIR` or the defaults. */
  readonly configDirs?: readonly string[];
}

/** Per-file parser state; JSON-serialisable for `snapshot()`. */
export interface ClaudeCodeParserState {
  cwd?: string;
  gitBranch?: string;
  model?: string;
  aiTitle?: string;
  customTitle?: string;
  summary?: string;
  lastTimestamp?: string;
  /**
   * Time of the last usage line that carried one: dates a usage line without its own. Only usage lines
   * set it, so a usage-only read (which never sees the other lines) dates it the same way.
   */
  lastUsageTimestamp?: string;
  /** The message id and model of the last usage line that named its model: a later line of it may not. */
  lastModelCall?: [string, string];
  startedAt?: string;
  /** Recent tool_use id → tool name, to label their results; bounded. */
  toolNames?: Array<[string, string]>;
}

const REMEMBERED_TOOL_CALLS = 64;

/** Whether a usage object names a token count: every such key ends in `_tokens` (the pre-filter's marker). */
function namesTokens(usage: JsonRecord): boolean {
  for (const key in usage) if (key.endsWith('_tokens')) return true;
  const split = asRecord(usage.cache_creation);
  if (split) for (const key in split) if (key.endsWith('_tokens')) return true;
  return false;
}

function configDirsFrom(environment: RootEnvironment): string[] {
  const fromEnv = environment.env.CLAUDE_CONFIG_DIR;
  if (fromEnv) {
    return fromEnv
      .split(',')
      .map((dir) => dir.trim())
      .filter(Boolean);
  }
  const xdg = environment.env.XDG_CONFIG_HOME || join(environment.homeDir, '.config');
  return [join(environment.homeDir, '.claude'), join(xdg, 'claude')];
}

/**
 * Which session a file under `<config>/projects` holds:
 * `<project>/<uuid>.jsonl` a session; `<project>/<uuid>/subagents/[workflows/<wf>/]agent-<id>.jsonl` a
 * subagent of `<uuid>`; `<project>/agent-<id>.jsonl` a legacy subagent (its parent is named inside).
 */
export function classifyClaudeCodeFile(relativePath: string): LogFileInfo | null {
  if (!relativePath.endsWith('.jsonl')) return null;
  const parts = relativePath.split('/');
  const project = parts[0];
  const file = parts[parts.length - 1]!;
  if (!project || parts.length < 2) return null;
  const stem = file.slice(0, -'.jsonl'.length);
  if (parts.length === 2) {
    if (stem.startsWith('agent-')) {
      return { sessionId: `${CLAUDE_CODE_ID}:${stem}`, kind: 'subagent', group: project };
    }
    return { sessionId: `${CLAUDE_CODE_ID}:${stem}`, kind: 'session', group: project };
  }
  const parent = parts[1]!;
  // The folder is named after the parent session (a UUID in every Claude Code release seen so far, but
  // the usage of the file is real whatever the name).
  if (parts[2] === 'subagents' && stem.startsWith('agent-')) {
    const parentSessionId = `${CLAUDE_CODE_ID}:${parent}`;
    return {
      sessionId: `${parentSessionId}:${stem.slice('agent-'.length)}`,
      parentSessionId,
      kind: 'subagent',
      group: project,
    };
  }
  return null;
}

function textOfToolResult(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) => {
      const record = asRecord(block);
      if (!record) return '';
      if (record.type === 'text') return asString(record.text) ?? '';
      if (record.type === 'image') return '[image]';
      if (record.type === 'tool_reference') return `[tool ${asString(record.tool_name) ?? ''}]`;
      return '';
    })
    .filter(Boolean)
    .join('\n');
}

class ClaudeCodeParser implements LineParser<ClaudeCodeParserState> {
  #state: ClaudeCodeParserState = {};
  readonly #file: LogFileRef;
  readonly #context: ParseContext;

  constructor(file: LogFileRef, context: ParseContext) {
    this.#file = file;
    this.#context = context;
  }

  snapshot(): ClaudeCodeParserState {
    // Field by field, not `{ ...state }`: the live tail snapshots every read, and a spread of these
    // differently shaped states made V8 build a new hidden class each time.
    const s = this.#state;
    return {
      cwd: s.cwd,
      gitBranch: s.gitBranch,
      model: s.model,
      aiTitle: s.aiTitle,
      customTitle: s.customTitle,
      summary: s.summary,
      lastTimestamp: s.lastTimestamp,
      lastUsageTimestamp: s.lastUsageTimestamp,
      lastModelCall: s.lastModelCall,
      startedAt: s.startedAt,
      toolNames: [...(s.toolNames ?? [])],
    };
  }

  restore(state: ClaudeCodeParserState): void {
    this.#state = { ...state, toolNames: [...(state.toolNames ?? [])] };
  }

  #rememberTool(id: string, name: string): void {
    const names = this.#state.toolNames ?? [];
    this.#state.toolNames = names;
    names.push([id, name]);
    if (names.length > REMEMBERED_TOOL_CALLS) names.shift();
  }

  #toolName(id: string): string | undefined {
    return this.#state.toolNames?.find(([callId]) => callId === id)?.[1];
  }

  parseLine(line: string, position: LinePosition): NormalizedEvent[] {
    const record = parseJsonRecord(line, position, this.#context);
    if (!record) return [];
    const events: NormalizedEvent[] = [];
    const timestamp = isoTimestamp(record.timestamp);
    if (timestamp) this.#state.lastTimestamp = timestamp;
    this.#trackContext(record, timestamp, events);

    // Trimmed logs (some test fixtures, gateways) omit the top-level type of assistant records.
    const type = record.type ?? (asRecord(record.message)?.role === 'assistant' ? 'assistant' : undefined);
    switch (type) {
      case 'assistant':
        this.#assistant(record, position, timestamp, events);
        break;
      case 'user':
        this.#user(record, position, timestamp, events);
        break;
      case 'summary':
        this.#title('summary', asString(record.summary), events);
        break;
      case 'ai-title':
        this.#title('aiTitle', asString(record.aiTitle), events);
        break;
      case 'custom-title':
        this.#title('customTitle', asString(record.customTitle), events);
        break;
      case 'system':
        this.#system(record, position, timestamp, events);
        break;
      default:
        // progress, file-history-snapshot, queue-operation, attachment and types yet to come: nothing to show.
        break;
    }
    return events;
  }

  #trackContext(record: JsonRecord, timestamp: string | undefined, events: NormalizedEvent[]): void {
    const cwd = asString(record.cwd);
    const branch = asString(record.gitBranch);
    const changes: { projectPath?: string; gitBranch?: string; startedAt?: string } = {};
    if (cwd && cwd !== this.#state.cwd) {
      this.#state.cwd = cwd;
      changes.projectPath = cwd;
    }
    if (branch && branch !== this.#state.gitBranch) {
      this.#state.gitBranch = branch;
      changes.gitBranch = branch;
    }
    if (timestamp && !this.#state.startedAt && (record.type === 'user' || record.type === 'assistant')) {
      this.#state.startedAt = timestamp;
      changes.startedAt = timestamp;
    }
    if (Object.keys(changes).length > 0) {
      events.push({
        type: 'meta',
        sessionId: this.#file.sessionId,
        ...changes,
        ...(timestamp ? { timestamp } : {}),
      });
    }
  }

  #title(
    field: 'summary' | 'aiTitle' | 'customTitle',
    value: string | undefined,
    events: NormalizedEvent[],
  ): void {
    if (!value?.trim()) return;
    this.#state[field] = value.trim();
    // A title the user chose beats the generated ones; a generated title beats an old-style summary.
    const title = this.#state.customTitle ?? this.#state.aiTitle ?? this.#state.summary;
    if (title) events.push({ type: 'meta', sessionId: this.#file.sessionId, title });
  }

  #assistant(
    record: JsonRecord,
    position: LinePosition,
    timestamp: string | undefined,
    events: NormalizedEvent[],
  ): void {
    const message = asRecord(record.message);
    if (!message) return;
    const model = asString(message.model);
    if (model && model !== SYNTHETIC_MODEL && model !== this.#state.model) {
      this.#state.model = model;
      events.push({ type: 'meta', sessionId: this.#file.sessionId, model });
    }
    const base = asString(record.uuid) ?? `offset-${position.byteOffset}`;
    const content = Array.isArray(message.content) ? message.content : [];
    const sessionId = this.#file.sessionId;
    const at = timestamp || undefined;
    const by = model || undefined;
    content.forEach((block, index) => {
      const item = asRecord(block);
      if (!item) return;
      const id = `${base}:${index}`;
      if (item.type === 'text') {
        const text = asString(item.text) ?? '';
        if (text.trim())
          events.push(
            messageEvent({
              sessionId,
              id,
              role: 'assistant',
              kind: 'text',
              content: text,
              timestamp: at,
              model: by,
            }),
          );
      } else if (item.type === 'thinking') {
        const text = asString(item.thinking) ?? '';
        if (text.trim())
          events.push(
            messageEvent({
              sessionId,
              id,
              role: 'assistant',
              kind: 'thinking',
              content: text,
              timestamp: at,
              model: by,
            }),
          );
      } else if (item.type === 'tool_use') {
        const name = asString(item.name) ?? 'tool';
        const callId = asString(item.id);
        if (callId) this.#rememberTool(callId, name);
        events.push(
          messageEvent({
            sessionId,
            id,
            role: 'assistant',
            kind: 'tool_call',
            content: JSON.stringify(item.input ?? {}, null, 2),
            summary: summarizeToolCall(name, item.input),
            toolName: name,
            timestamp: at,
            model: by,
          }),
        );
      }
    });
    this.#usage(record, message, model, timestamp, position, events);
  }

  #usage(
    record: JsonRecord,
    message: JsonRecord,
    named: string | undefined,
    timestamp: string | undefined,
    position: LinePosition,
    events: NormalizedEvent[],
  ): void {
    const usage = asRecord(message.usage);
    // A usage naming no token count adds nothing, and must not date the next undated line: usage-only
    // reads, which skip lines without `_tokens"`, never see it.
    if (!usage || named === SYNTHETIC_MODEL || !namesTokens(usage)) return;
    const messageId = asString(message.id);
    const requestId = asString(record.requestId);
    const dedupKey = this.#dedupKey(messageId, requestId, record, position);
    if (named && messageId) this.#state.lastModelCall = [messageId, named];
    // A streamed line without the model its response's earlier line named is still that response.
    const model =
      named ??
      (messageId && this.#state.lastModelCall?.[0] === messageId ? this.#state.lastModelCall[1] : undefined);
    if (!model) {
      this.#context.report({
        code: 'NEXUS_PARSE_MISSING_FIELD',
        message: `Usage of ${dedupKey} names no model; not counted`,
        byteOffset: position.byteOffset,
      });
      return;
    }
    const at = timestamp ?? this.#state.lastUsageTimestamp;
    if (!at) {
      this.#context.report({
        code: 'NEXUS_PARSE_MISSING_FIELD',
        message: `Usage of ${dedupKey} has no timestamp; not counted`,
        byteOffset: position.byteOffset,
      });
      return;
    }
    this.#state.lastUsageTimestamp = at;
    const cacheCreation = asRecord(usage.cache_creation);
    const oneHour = tokenCount(cacheCreation?.ephemeral_1h_input_tokens);
    // The total is the split's sum when both are written; a log that gives only the split still wrote them.
    const cacheWrites =
      usage.cache_creation_input_tokens === undefined || usage.cache_creation_input_tokens === null
        ? tokenCount(cacheCreation?.ephemeral_5m_input_tokens) + oneHour
        : tokenCount(usage.cache_creation_input_tokens);
    const recordSession = asString(record.sessionId);
    const costUsd =
      typeof record.costUSD === 'number' && Number.isFinite(record.costUSD) ? record.costUSD : undefined;
    events.push({
      type: 'usage',
      tool: CLAUDE_CODE_ID,
      // Subagent records carry their parent's sessionId: the call is billed to the parent session.
      sessionId: recordSession
        ? `${CLAUDE_CODE_ID}:${recordSession}`
        : (this.#file.parentSessionId ?? this.#file.sessionId),
      projectPath: asString(record.cwd) ?? this.#state.cwd ?? '',
      timestamp: at,
      model,
      inputTokens: tokenCount(usage.input_tokens),
      outputTokens: tokenCount(usage.output_tokens),
      cacheCreationTokens: cacheWrites,
      cacheCreation1hTokens: Math.min(oneHour, cacheWrites),
      cacheReadTokens: tokenCount(usage.cache_read_input_tokens),
      reasoningOutputTokens: 0,
      ...(costUsd === undefined ? {} : { costUsd }),
      ...(usage.speed === 'fast' ? { speed: 'fast' as const } : {}),
      dedupKey,
      ...(messageId ? { callId: messageId } : {}),
      ...(record.isSidechain === true ? { sidechain: true } : {}),
    });
  }

  /**
   * One response, one key: `message.id:requestId`, else `message.id` (DESIGN §3). Without a message id the
   * request id still names the response (one request, one message); without either, nothing ties the
   * streamed lines together, so each line is a call of its own, named by its `uuid` (a resumed session
   * copies lines with their uuid, so the copy adds nothing), else by its place in the file.
   */
  #dedupKey(
    messageId: string | undefined,
    requestId: string | undefined,
    record: JsonRecord,
    position: LinePosition,
  ): string {
    if (messageId) return requestId ? `${messageId}:${requestId}` : messageId;
    if (requestId) return `request:${requestId}`;
    const uuid = asString(record.uuid);
    return uuid ? `line:${uuid}` : `${this.#file.sessionId}@${position.byteOffset}`;
  }

  #user(
    record: JsonRecord,
    position: LinePosition,
    timestamp: string | undefined,
    events: NormalizedEvent[],
  ): void {
    const message = asRecord(record.message);
    if (!message || record.isMeta === true) return;
    const base = asString(record.uuid) ?? `offset-${position.byteOffset}`;
    const sessionId = this.#file.sessionId;
    const at = timestamp || undefined;
    if (record.isCompactSummary === true) {
      const text = typeof message.content === 'string' ? message.content : textOfToolResult(message.content);
      events.push(
        messageEvent({
          sessionId,
          id: `${base}:0`,
          role: 'system',
          kind: 'text',
          content: text,
          summary: 'Conversation compacted',
          timestamp: at,
        }),
      );
      return;
    }
    if (typeof message.content === 'string') {
      if (message.content.trim()) {
        events.push(
          messageEvent({
            sessionId,
            id: `${base}:0`,
            role: 'user',
            kind: 'text',
            content: message.content,
            timestamp: at,
          }),
        );
        events.push({
          type: 'activity',
          sessionId: this.#file.sessionId,
          turn: 'open',
          ...(timestamp ? { timestamp } : {}),
        });
      }
      return;
    }
    if (!Array.isArray(message.content)) return;
    let prompt = false;
    message.content.forEach((block, index) => {
      const item = asRecord(block);
      if (!item) return;
      const id = `${base}:${index}`;
      if (item.type === 'text') {
        const text = asString(item.text) ?? '';
        if (!text.trim()) return;
        prompt = true;
        events.push(
          messageEvent({ sessionId, id, role: 'user', kind: 'text', content: text, timestamp: at }),
        );
      } else if (item.type === 'image') {
        prompt = true;
        events.push(
          messageEvent({ sessionId, id, role: 'user', kind: 'text', content: '[image]', timestamp: at }),
        );
      } else if (item.type === 'tool_result') {
        const toolUseId = asString(item.tool_use_id);
        const toolName = toolUseId ? this.#toolName(toolUseId) : undefined;
        const text = textOfToolResult(item.content);
        events.push(
          messageEvent({
            sessionId,
            id,
            role: 'tool',
            kind: 'tool_result',
            content: text,
            summary: summarizeToolResult(toolName, item.is_error === true ? `error: ${text}` : text),
            toolName: toolName || undefined,
            timestamp: at,
          }),
        );
      }
    });
    if (prompt)
      events.push({
        type: 'activity',
        sessionId: this.#file.sessionId,
        turn: 'open',
        ...(timestamp ? { timestamp } : {}),
      });
  }

  #system(
    record: JsonRecord,
    position: LinePosition,
    timestamp: string | undefined,
    events: NormalizedEvent[],
  ): void {
    const subtype = asString(record.subtype);
    if (subtype === 'turn_duration' || subtype === 'stop_hook_summary') {
      events.push({
        type: 'activity',
        sessionId: this.#file.sessionId,
        turn: 'closed',
        ...(timestamp ? { timestamp } : {}),
      });
    } else if (subtype === 'compact_boundary') {
      events.push({
        type: 'message',
        sessionId: this.#file.sessionId,
        id: `${asString(record.uuid) ?? `offset-${position.byteOffset}`}:0`,
        role: 'system',
        kind: 'text',
        content: 'Conversation compacted',
        ...(timestamp ? { timestamp } : {}),
      });
    }
  }
}

/** Claude Code adapter: `~/.claude/projects` and `~/.config/claude/projects`, or `$CLAUDE_CONFIG_DIR`. */
export function claudeCode(options: ClaudeCodeOptions = {}): NexusAdapter<ClaudeCodeParserState> {
  return {
    apiVersion: ADAPTER_API_VERSION,
    id: CLAUDE_CODE_ID,
    displayName: 'Claude Code',
    color: '#d97757',
    rootEnvVars: ['CLAUDE_CONFIG_DIR'],
    resolveRoots(environment): AdapterRoot[] {
      const dirs = options.configDirs ?? configDirsFrom(environment);
      const roots = dirs.map((dir) => (dir.endsWith('/projects') ? dir : join(dir, 'projects')));
      return [...new Set(roots)].map((path) => ({ path, role: 'live' as const }));
    },
    classifyFile: (relativePath) => classifyClaudeCodeFile(relativePath),
    // Every usage object names its counts `…_tokens`: a line without one adds no tokens. The marker opens
    // with `_`, rare in JSON, so the search runs at memchr speed (`"usage"`, opening with the commonest
    // byte of JSON, was a third of the usage path). Spaced JSON (`"output_tokens": 5`) matches too.
    usageLineFilter: ['_tokens"'],
    usageLineSkippableArrays: ['content'],
    createParser: (file, context) => new ClaudeCodeParser(file, context),
    liveness: { processNames: ['claude'], recentWindowMs: 30 * MINUTE, maxPerGroup: 5 },
  };
}

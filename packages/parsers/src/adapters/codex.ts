import { join } from 'node:path';
import {
  ADAPTER_API_VERSION,
  type AdapterRoot,
  type LineParser,
  type LinePosition,
  type LogFileInfo,
  type LogFileRef,
  type MessageEvent,
  type NexusAdapter,
  type NormalizedEvent,
  type ParseContext,
  type RateLimitWindow,
} from '../contract.js';
import {
  asRecord,
  asString,
  isoTimestamp,
  type JsonRecord,
  parseJsonRecord,
  tokenCount,
} from '../json-record.js';
import { oneLine, parseArguments, summarizeToolCall, summarizeToolResult } from '../tool-summary.js';

export const CODEX_ID = 'codex';
export const CODEX_FALLBACK_MODEL = 'gpt-5';
const UUID_TAIL = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i;
const MINUTE = 60_000;
/** How many recent texts are remembered to drop Codex's second copy of each prompt, reply and summary. */
const RECENT_TEXTS = 16;
/** User items Codex injects into the conversation; the human prompt comes as `event_msg/user_message`. */
const INJECTED_USER_TEXT =
  /^\s*(<environment_context>|<user_instructions>|<permissions|<INSTRUCTIONS>|#\s*AGENTS\.md)/;

export interface CodexOptions {
  /** Codex home to read instead of `$CODEX_HOME` or `~/.codex`. */
  readonly home?: string;
}

interface TokenTotals {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
}

/** Per-file parser state; JSON-serialisable for `snapshot()`. */
export interface CodexParserState {
  model?: string;
  cwd?: string;
  previousTotals?: TokenTotals;
  titled?: boolean;
  sawMeta?: boolean;
  recentTexts: string[];
  lastTimestamp?: string;
  /**
   * Time of the last session_meta, turn_context or token_count line: dates a token_count without its own.
   * Those lines all pass the usage pre-filter, so a usage-only read dates it the same way.
   */
  lastUsageTimestamp?: string;
  /**
   * Second (`YYYY-MM-DDTHH:MM:SS`, UTC) in which a spawned subagent's or a fork's rollout was created, while
   * its leading token counts (the source thread's, replayed) are still being skipped.
   */
  replaySecond?: string;
}

export function classifyCodexFile(relativePath: string, root: AdapterRoot): LogFileInfo | null {
  if (!relativePath.endsWith('.jsonl')) return null;
  const name = relativePath.split('/').pop()!;
  const id = UUID_TAIL.exec(name)?.[1] ?? name.slice(0, -'.jsonl'.length);
  return {
    sessionId: `${CODEX_ID}:${id.toLowerCase()}`,
    kind: root.role === 'history' ? 'archive' : 'session',
    group: CODEX_ID,
  };
}

function readTotals(value: unknown): TokenTotals | undefined {
  const usage = asRecord(value);
  if (!usage) return undefined;
  return {
    input: tokenCount(usage.input_tokens),
    cached: tokenCount(usage.cached_input_tokens),
    output: tokenCount(usage.output_tokens),
    reasoning: tokenCount(usage.reasoning_output_tokens),
  };
}

const ZERO_TOTALS: TokenTotals = { input: 0, cached: 0, output: 0, reasoning: 0 };

function addTotals(a: TokenTotals, b: TokenTotals): TokenTotals {
  return {
    input: a.input + b.input,
    cached: a.cached + b.cached,
    output: a.output + b.output,
    reasoning: a.reasoning + b.reasoning,
  };
}

function sameTotals(a: TokenTotals, b: TokenTotals): boolean {
  return a.input === b.input && a.cached === b.cached && a.output === b.output && a.reasoning === b.reasoning;
}

/** Running totals only grow within a process: any field going down means a new process started from zero. */
function totalsReset(total: TokenTotals, previous: TokenTotals): boolean {
  return (
    total.input < previous.input ||
    total.cached < previous.cached ||
    total.output < previous.output ||
    total.reasoning < previous.reasoning
  );
}

/** A model named on the record itself: `model`, `model_name` or `metadata.model` (as ccusage reads them). */
function namedModel(record: JsonRecord | undefined): string | undefined {
  if (!record) return undefined;
  const name =
    asString(record.model) ?? asString(record.model_name) ?? asString(asRecord(record.metadata)?.model);
  const trimmed = name?.trim();
  return trimmed ? trimmed : undefined;
}

/** A session_meta of a subagent spawned by another thread, or of a fork: its first lines replay its source. */
function replaysSource(payload: JsonRecord): boolean {
  if (typeof payload.forked_from_id === 'string' && payload.forked_from_id !== '') return true;
  const subagent = asRecord(asRecord(payload.source)?.subagent);
  return subagent !== undefined && 'thread_spawn' in subagent;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => {
      const item = asRecord(part);
      if (!item) return '';
      if (item.type === 'input_image') return '[image]';
      return asString(item.text) ?? '';
    })
    .filter(Boolean)
    .join('\n');
}

class CodexParser implements LineParser<CodexParserState> {
  #state: CodexParserState = { recentTexts: [] };
  readonly #file: LogFileRef;
  readonly #context: ParseContext;

  constructor(file: LogFileRef, context: ParseContext) {
    this.#file = file;
    this.#context = context;
  }

  snapshot(): CodexParserState {
    // Field by field: see the Claude Code parser's snapshot().
    const s = this.#state;
    return {
      model: s.model,
      cwd: s.cwd,
      previousTotals: s.previousTotals,
      titled: s.titled,
      sawMeta: s.sawMeta,
      recentTexts: [...s.recentTexts],
      lastTimestamp: s.lastTimestamp,
      lastUsageTimestamp: s.lastUsageTimestamp,
      replaySecond: s.replaySecond,
    };
  }

  restore(state: CodexParserState): void {
    this.#state = { ...state, recentTexts: [...(state.recentTexts ?? [])] };
  }

  parseLine(line: string, position: LinePosition): NormalizedEvent[] {
    const record = parseJsonRecord(line, position, this.#context);
    if (!record) return [];
    const events: NormalizedEvent[] = [];
    const own = isoTimestamp(record.timestamp);
    const timestamp = own ?? this.#state.lastTimestamp;
    if (timestamp) this.#state.lastTimestamp = timestamp;
    const payload = asRecord(record.payload);
    if (payload && typeof record.type === 'string') {
      if (
        record.type === 'session_meta' ||
        record.type === 'turn_context' ||
        (record.type === 'event_msg' && payload.type === 'token_count')
      ) {
        const at = own ?? this.#state.lastUsageTimestamp;
        if (at) this.#state.lastUsageTimestamp = at;
        this.#envelope(record.type, payload, position, at, events);
        return events;
      }
      this.#envelope(record.type, payload, position, timestamp, events);
    } else {
      this.#legacy(record, position, timestamp, events);
    }
    return events;
  }

  #envelope(
    type: string,
    payload: JsonRecord,
    position: LinePosition,
    timestamp: string | undefined,
    events: NormalizedEvent[],
  ): void {
    switch (type) {
      case 'session_meta':
        this.#sessionMeta(payload, timestamp, events);
        break;
      case 'turn_context': {
        const model = asString(payload.model);
        const cwd = asString(payload.cwd);
        if (model && model !== this.#state.model) {
          this.#state.model = model;
          events.push({ type: 'meta', sessionId: this.#file.sessionId, model });
        }
        if (cwd && cwd !== this.#state.cwd) {
          this.#state.cwd = cwd;
          events.push({ type: 'meta', sessionId: this.#file.sessionId, projectPath: cwd });
        }
        break;
      }
      case 'response_item':
        this.#responseItem(payload, position, timestamp, events);
        break;
      case 'event_msg':
        this.#eventMessage(payload, position, timestamp, events);
        break;
      case 'compacted':
        this.#message(events, position, timestamp, 'system', 'text', 'Conversation compacted', {
          summary: 'Conversation compacted',
        });
        break;
      default:
        break;
    }
  }

  #sessionMeta(payload: JsonRecord, timestamp: string | undefined, events: NormalizedEvent[]): void {
    // Forks and resumes can repeat session_meta; the first one describes this file's session.
    if (this.#state.sawMeta) {
      // A later one outside a fork's or subagent's replayed source history is a new process appending to
      // this file (a resume), whose running totals start again from zero: a totals-only event after it is
      // counted whole even when every field is larger than the last process's (no field went down).
      const replay = this.#state.replaySecond;
      if (replay === undefined || (timestamp !== undefined && timestamp.slice(0, 19) > replay))
        this.#state.previousTotals = undefined;
      return;
    }
    this.#state.sawMeta = true;
    // The line is stamped when written, with the replayed lines after it; the payload says when the
    // session began, which can be earlier when the file is created lazily.
    const created = timestamp ?? isoTimestamp(payload.timestamp);
    if (created && replaysSource(payload)) this.#state.replaySecond = created.slice(0, 19);
    const cwd = asString(payload.cwd);
    if (cwd) this.#state.cwd = cwd;
    const git = asRecord(payload.git);
    const startedAt = isoTimestamp(payload.timestamp) ?? timestamp;
    events.push({
      type: 'meta',
      sessionId: this.#file.sessionId,
      ...(cwd ? { projectPath: cwd } : {}),
      ...(asString(git?.branch) ? { gitBranch: asString(git?.branch)! } : {}),
      ...(startedAt ? { startedAt } : {}),
      ...(asString(payload.cli_version) ? { agentVersion: asString(payload.cli_version)! } : {}),
    });
  }

  #eventMessage(
    payload: JsonRecord,
    position: LinePosition,
    timestamp: string | undefined,
    events: NormalizedEvent[],
  ): void {
    switch (payload.type) {
      case 'user_message': {
        const text = asString(payload.message) ?? '';
        if (!text.trim()) return;
        this.#message(events, position, timestamp, 'user', 'text', text);
        if (!this.#state.titled) {
          this.#state.titled = true;
          events.push({ type: 'meta', sessionId: this.#file.sessionId, title: oneLine(text) });
        }
        events.push({
          type: 'activity',
          sessionId: this.#file.sessionId,
          turn: 'open',
          ...(timestamp ? { timestamp } : {}),
        });
        return;
      }
      case 'agent_message':
        this.#message(events, position, timestamp, 'assistant', 'text', asString(payload.message) ?? '');
        return;
      case 'agent_reasoning':
        this.#message(events, position, timestamp, 'assistant', 'thinking', asString(payload.text) ?? '');
        return;
      case 'token_count':
        this.#tokenCount(payload, position, timestamp, events);
        return;
      case 'task_complete':
      case 'turn_complete':
      case 'turn_aborted':
        events.push({
          type: 'activity',
          sessionId: this.#file.sessionId,
          turn: 'closed',
          ...(timestamp ? { timestamp } : {}),
        });
        return;
      case 'task_started':
      case 'turn_started':
        events.push({
          type: 'activity',
          sessionId: this.#file.sessionId,
          turn: 'open',
          ...(timestamp ? { timestamp } : {}),
        });
        return;
      default:
        return;
    }
  }

  #responseItem(
    item: JsonRecord,
    position: LinePosition,
    timestamp: string | undefined,
    events: NormalizedEvent[],
  ): void {
    switch (item.type) {
      case 'message': {
        const role = asString(item.role);
        const text = contentText(item.content);
        if (role === 'assistant') this.#message(events, position, timestamp, 'assistant', 'text', text);
        else if (role === 'user' && !INJECTED_USER_TEXT.test(text))
          this.#message(events, position, timestamp, 'user', 'text', text);
        return;
      }
      case 'reasoning': {
        const summary = Array.isArray(item.summary)
          ? item.summary.map((part) => asString(asRecord(part)?.text) ?? '').join('\n')
          : '';
        this.#message(events, position, timestamp, 'assistant', 'thinking', summary);
        return;
      }
      case 'function_call':
      case 'custom_tool_call': {
        const name = asString(item.name) ?? 'tool';
        const input = item.type === 'function_call' ? parseArguments(item.arguments) : item.input;
        this.#message(
          events,
          position,
          timestamp,
          'assistant',
          'tool_call',
          typeof input === 'string' ? input : JSON.stringify(input, null, 2),
          { summary: summarizeToolCall(name, input), toolName: name, dedupe: false },
        );
        return;
      }
      case 'local_shell_call': {
        const action = asRecord(item.action);
        this.#message(
          events,
          position,
          timestamp,
          'assistant',
          'tool_call',
          JSON.stringify(action ?? {}, null, 2),
          {
            summary: summarizeToolCall('shell', action),
            toolName: 'shell',
            dedupe: false,
          },
        );
        return;
      }
      case 'function_call_output':
      case 'custom_tool_call_output': {
        const output = item.output;
        const record = asRecord(output);
        const text =
          typeof output === 'string' ? output : (asString(record?.output) ?? JSON.stringify(output ?? ''));
        this.#message(events, position, timestamp, 'tool', 'tool_result', text, {
          summary: summarizeToolResult(undefined, text),
          dedupe: false,
        });
        return;
      }
      default:
        return;
    }
  }

  #tokenCount(
    payload: JsonRecord,
    position: LinePosition,
    timestamp: string | undefined,
    events: NormalizedEvent[],
  ): void {
    const at = timestamp;
    const limits = asRecord(payload.rate_limits);
    if (limits && at) {
      const windows: RateLimitWindow[] = [];
      for (const name of ['primary', 'secondary']) {
        const window = asRecord(limits[name]);
        if (!window || typeof window.used_percent !== 'number') continue;
        const resetsAt =
          typeof window.resets_at === 'number'
            ? new Date(window.resets_at * 1000).toISOString()
            : typeof window.resets_in_seconds === 'number'
              ? new Date(Date.parse(at) + window.resets_in_seconds * 1000).toISOString()
              : undefined;
        windows.push({
          name,
          usedPercent: window.used_percent,
          ...(typeof window.window_minutes === 'number' ? { windowMinutes: window.window_minutes } : {}),
          ...(resetsAt ? { resetsAt } : {}),
        });
      }
      if (windows.length > 0) {
        const planType = asString(limits.plan_type);
        events.push({
          type: 'rate_limit',
          tool: CODEX_ID,
          sessionId: this.#file.sessionId,
          timestamp: at,
          windows,
          ...(planType ? { planType } : {}),
        });
      }
    }

    const info = asRecord(payload.info);
    if (!info) return;
    const total = readTotals(info.total_token_usage);
    const last = readTotals(info.last_token_usage);
    const previous = this.#state.previousTotals;
    if (this.#state.replaySecond !== undefined && (total || last)) {
      // A spawned subagent or a fork first writes its source's history, token counts included, in the
      // second it is created (ccusage skips them the same way), or copied with their first stamps, from
      // before it existed: they were billed to the source already and only seed the running totals.
      if (at !== undefined && at.slice(0, 19) <= this.#state.replaySecond) {
        if (total) this.#state.previousTotals = total;
        return;
      }
      this.#state.replaySecond = undefined;
    }
    // The same totals again is a repeated emission, not a new model call.
    if (total && previous && sameTotals(total, previous)) return;
    let delta: TokenTotals | undefined = last;
    if (!delta && total) {
      const reset = previous !== undefined && totalsReset(total, previous);
      delta =
        !previous || reset
          ? total
          : {
              input: Math.max(0, total.input - previous.input),
              cached: Math.max(0, total.cached - previous.cached),
              output: Math.max(0, total.output - previous.output),
              reasoning: Math.max(0, total.reasoning - previous.reasoning),
            };
    }
    if (total) this.#state.previousTotals = total;
    // Codex adds each request's usage to the running total: an event with only the last request's moves it
    // too, or a later totals-only event would bill that request again.
    else if (last) this.#state.previousTotals = addTotals(previous ?? ZERO_TOTALS, last);
    if (!delta || delta.input + delta.cached + delta.output + delta.reasoning === 0) return;
    if (!at) {
      this.#context.report({
        code: 'NEXUS_PARSE_MISSING_FIELD',
        message: 'token_count without a timestamp; not counted',
        byteOffset: position.byteOffset,
      });
      return;
    }
    const explicitModel = namedModel(payload) ?? namedModel(info);
    // A model an event names is the session's model from then on, as a turn_context's is (and as ccusage reads it).
    if (explicitModel && explicitModel !== this.#state.model) {
      this.#state.model = explicitModel;
      events.push({ type: 'meta', sessionId: this.#file.sessionId, model: explicitModel });
    }
    const model = this.#state.model;
    const cached = Math.min(delta.cached, delta.input);
    const uncached = delta.input - cached;
    const reasoning = Math.min(delta.reasoning, delta.output);
    events.push({
      type: 'usage',
      tool: CODEX_ID,
      sessionId: this.#file.sessionId,
      projectPath: this.#state.cwd ?? '',
      timestamp: at,
      model: model ?? CODEX_FALLBACK_MODEL,
      ...(model ? {} : { modelFallback: true }),
      inputTokens: uncached,
      outputTokens: delta.output,
      cacheCreationTokens: 0,
      cacheCreation1hTokens: 0,
      cacheReadTokens: cached,
      reasoningOutputTokens: reasoning,
      // One token_count line is one model call, named by what it says (session, time in ms, tokens) rather
      // than where it sits: a rollout rewritten with its lines moved (replaced by its own tail, say) gives
      // the same keys, so the ledger's re-read of it adds nothing; its byte offsets would all be new.
      dedupKey: `${this.#file.sessionId}:${Date.parse(at)}:${uncached}:${cached}:${delta.output}:${reasoning}`,
    });
  }

  /** Pre-envelope rollouts (mid-2025): a bare header, state markers and bare response items; no usage. */
  #legacy(
    record: JsonRecord,
    position: LinePosition,
    timestamp: string | undefined,
    events: NormalizedEvent[],
  ): void {
    if (record.record_type === 'state') return;
    if (typeof record.type === 'string') {
      this.#responseItem(record, position, timestamp, events);
      return;
    }
    if (typeof record.id === 'string' && !this.#state.sawMeta) this.#sessionMeta(record, timestamp, events);
  }

  #message(
    events: NormalizedEvent[],
    position: LinePosition,
    timestamp: string | undefined,
    role: MessageEvent['role'],
    kind: MessageEvent['kind'],
    content: string,
    extra: { summary?: string; toolName?: string; dedupe?: boolean } = {},
  ): void {
    if (!content.trim()) return;
    if (extra.dedupe !== false) {
      // Codex writes each prompt, reply and reasoning summary twice (response_item and event_msg).
      const key = `${role}|${kind}|${content}`;
      if (this.#state.recentTexts.includes(key)) return;
      this.#state.recentTexts.push(key);
      if (this.#state.recentTexts.length > RECENT_TEXTS) this.#state.recentTexts.shift();
    }
    const message: MessageEvent = {
      type: 'message',
      sessionId: this.#file.sessionId,
      id: String(position.byteOffset),
      role,
      kind,
      content,
      ...(extra.summary ? { summary: extra.summary } : {}),
      ...(extra.toolName ? { toolName: extra.toolName } : {}),
      ...(timestamp ? { timestamp } : {}),
      ...(role === 'assistant' && this.#state.model ? { model: this.#state.model } : {}),
    };
    events.push(message);
  }
}

/** Codex CLI adapter: `$CODEX_HOME/sessions` (live) and `$CODEX_HOME/archived_sessions` (history). */
export function codex(options: CodexOptions = {}): NexusAdapter<CodexParserState> {
  return {
    apiVersion: ADAPTER_API_VERSION,
    id: CODEX_ID,
    displayName: 'Codex',
    color: '#10a37f',
    rootEnvVars: ['CODEX_HOME'],
    resolveRoots(environment): AdapterRoot[] {
      const home = options.home ?? (environment.env.CODEX_HOME || join(environment.homeDir, '.codex'));
      return [
        { path: join(home, 'sessions'), role: 'live' },
        { path: join(home, 'archived_sessions'), role: 'history' },
      ];
    },
    classifyFile: classifyCodexFile,
    // `_count"` and `_meta"` end `"token_count"` and `"session_meta"` and open with a byte rare in JSON,
    // so the host's search runs at memchr speed (a quote opens the commonest pattern of a log).
    usageLineFilter: ['_count"', '"turn_context"', '_meta"'],
    createParser: (file, context) => new CodexParser(file, context),
    liveness: { processNames: ['codex'], recentWindowMs: 30 * MINUTE, maxTotal: 12 },
  };
}

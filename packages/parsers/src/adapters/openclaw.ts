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

export const OPENCLAW_ID = 'openclaw';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const LEGACY_STATE_DIRS = ['.clawdbot', '.moldbot', '.moltbot'];
const ARCHIVE = /^(.+)\.jsonl\.(reset|deleted)\.[^/]+$/;

export interface OpenClawOptions {
  /** State folder to read instead of `$OPENCLAW_STATE_DIR` or the defaults. */
  readonly stateDir?: string;
}

/** Per-file parser state; JSON-serialisable for `snapshot()`. */
export interface OpenClawParserState {
  model?: string;
  cwd?: string;
  title?: string;
  lastTimestamp?: string;
  /**
   * Time of the last header, model change, model snapshot or usage entry: dates usage without a time of
   * its own. Those entries all pass the usage pre-filter, so a usage-only read dates it the same way.
   */
  lastUsageTimestamp?: string;
}

/**
 * `$OPENCLAW_STATE_DIR` (or legacy `$CLAWDBOT_STATE_DIR`) alone; else OpenClaw's own choice — `~/.openclaw`
 * if present, else the first legacy folder present — plus, as history, the other legacy folders present:
 * transcripts an older build left there were billed all the same (ccusage reads all four folders).
 */
function stateDirsFrom(environment: RootEnvironment): { live: string; history: string[] } {
  const fromEnv = environment.env.OPENCLAW_STATE_DIR || environment.env.CLAWDBOT_STATE_DIR;
  if (fromEnv) return { live: fromEnv, history: [] };
  const home = environment.env.OPENCLAW_HOME || environment.homeDir;
  const preferred = join(home, '.openclaw');
  const legacy = LEGACY_STATE_DIRS.map((name) => join(home, name)).filter((dir) => environment.exists(dir));
  if (environment.exists(preferred) || legacy.length === 0) return { live: preferred, history: legacy };
  return { live: legacy[0]!, history: legacy.slice(1) };
}

/**
 * `<agent>/sessions/<id>.jsonl` is a transcript; `<id>.jsonl.reset.<ts>` and `.deleted.<ts>` are archives of
 * the same session (history only). Compaction checkpoints and other sidecars are not transcripts.
 */
export function classifyOpenClawFile(relativePath: string, root?: AdapterRoot): LogFileInfo | null {
  const parts = relativePath.split('/');
  if (parts.length !== 3 || parts[1] !== 'sessions') return null;
  const agent = parts[0]!;
  const name = parts[2]!;
  const archive = ARCHIVE.exec(name);
  if (archive) return { sessionId: `${OPENCLAW_ID}:${archive[1]}`, kind: 'archive', group: agent };
  if (!name.endsWith('.jsonl') || name.includes('.checkpoint.')) return null;
  return {
    sessionId: `${OPENCLAW_ID}:${name.slice(0, -'.jsonl'.length)}`,
    kind: root?.role === 'history' ? 'archive' : 'session',
    group: agent,
  };
}

function textBlocks(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) => {
      const item = asRecord(block);
      if (!item) return '';
      if (item.type === 'image') return '[image]';
      return asString(item.text) ?? '';
    })
    .filter(Boolean)
    .join('\n');
}

class OpenClawParser implements LineParser<OpenClawParserState> {
  #state: OpenClawParserState = {};
  readonly #file: LogFileRef;
  readonly #context: ParseContext;

  constructor(file: LogFileRef, context: ParseContext) {
    this.#file = file;
    this.#context = context;
  }

  snapshot(): OpenClawParserState {
    // Field by field: see the Claude Code parser's snapshot().
    const s = this.#state;
    return {
      model: s.model,
      cwd: s.cwd,
      title: s.title,
      lastTimestamp: s.lastTimestamp,
      lastUsageTimestamp: s.lastUsageTimestamp,
    };
  }

  restore(state: OpenClawParserState): void {
    this.#state = { ...state };
  }

  parseLine(line: string, position: LinePosition): NormalizedEvent[] {
    const entry = parseJsonRecord(line, position, this.#context);
    if (!entry) return [];
    const events: NormalizedEvent[] = [];
    const own = isoTimestamp(entry.timestamp);
    const timestamp = own ?? this.#state.lastTimestamp;
    if (timestamp) this.#state.lastTimestamp = timestamp;
    if (
      own &&
      (entry.type === 'session' || entry.type === 'model_change' || entry.customType === 'model-snapshot')
    )
      this.#state.lastUsageTimestamp = own;
    switch (entry.type) {
      case 'session': {
        const cwd = asString(entry.cwd);
        if (cwd) this.#state.cwd = cwd;
        // pi v1 headers carried the model.
        const model = asString(entry.modelId);
        if (model) this.#state.model = model;
        events.push({
          type: 'meta',
          sessionId: this.#file.sessionId,
          ...(cwd ? { projectPath: cwd } : {}),
          ...(timestamp ? { startedAt: timestamp } : {}),
          ...(model ? { model } : {}),
        });
        break;
      }
      case 'model_change':
        this.#setModel(asString(entry.modelId), events);
        break;
      case 'custom': {
        const data = asRecord(entry.data);
        if (entry.customType === 'model-snapshot')
          this.#setModel(asString(data?.modelId) ?? asString(data?.model), events);
        break;
      }
      case 'session_info': {
        const name = asString(entry.name)?.trim();
        if (name) {
          this.#state.title = name;
          events.push({ type: 'meta', sessionId: this.#file.sessionId, title: name });
        }
        break;
      }
      case 'message':
        this.#message(entry, position, own, events);
        break;
      default:
        break;
    }
    return events;
  }

  #setModel(model: string | undefined, events: NormalizedEvent[]): void {
    if (!model || model === this.#state.model) return;
    this.#state.model = model;
    events.push({ type: 'meta', sessionId: this.#file.sessionId, model });
  }

  #message(
    entry: JsonRecord,
    position: LinePosition,
    entryTimestamp: string | undefined,
    events: NormalizedEvent[],
  ): void {
    const message = asRecord(entry.message);
    if (!message) return;
    const stated = isoTimestamp(message.timestamp) ?? entryTimestamp;
    const timestamp = stated ?? this.#state.lastTimestamp;
    const base = asString(entry.id) ?? `offset-${position.byteOffset}`;
    const sessionId = this.#file.sessionId;
    const at = timestamp || undefined;
    const role = asString(message.role);
    if (role === 'user') {
      const text = textBlocks(message.content);
      if (text.trim()) {
        events.push(
          messageEvent({
            sessionId,
            id: `${base}:0`,
            role: 'user',
            kind: 'text',
            content: text,
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
    if (role === 'toolResult') {
      const text = textBlocks(message.content);
      const toolName = asString(message.toolName);
      events.push(
        messageEvent({
          sessionId,
          id: `${base}:0`,
          role: 'tool',
          kind: 'tool_result',
          content: text,
          summary: summarizeToolResult(toolName, message.isError === true ? `error: ${text}` : text),
          toolName: toolName || undefined,
          timestamp: at,
        }),
      );
      return;
    }
    if (role !== 'assistant') return;
    // `modelId` is what ccusage reads first; pi writes `model`. Either names the message's own model.
    const model = asString(message.model) ?? asString(message.modelId) ?? this.#state.model;
    const blocks = Array.isArray(message.content) ? message.content : [];
    blocks.forEach((block, index) => {
      const item = asRecord(block);
      if (!item) return;
      const id = `${base}:${index}`;
      const by = model || undefined;
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
      } else if (item.type === 'toolCall') {
        const name = asString(item.name) ?? 'tool';
        events.push(
          messageEvent({
            sessionId,
            id,
            role: 'assistant',
            kind: 'tool_call',
            content: JSON.stringify(item.arguments ?? {}, null, 2),
            summary: summarizeToolCall(name, item.arguments),
            toolName: name,
            timestamp: at,
            model: by,
          }),
        );
      }
    });
    const stop = asString(message.stopReason);
    if (stop && stop !== 'toolUse') {
      events.push({
        type: 'activity',
        sessionId: this.#file.sessionId,
        turn: 'closed',
        ...(timestamp ? { timestamp } : {}),
      });
    }
    this.#usage(entry, message, model, stated, position, events);
  }

  #usage(
    entry: JsonRecord,
    message: JsonRecord,
    model: string | undefined,
    timestamp: string | undefined,
    position: LinePosition,
    events: NormalizedEvent[],
  ): void {
    const usage = asRecord(message.usage);
    if (!usage) return;
    let input = tokenCount(usage.input);
    let output = tokenCount(usage.output);
    const cacheRead = tokenCount(usage.cacheRead);
    const cacheWrite = tokenCount(usage.cacheWrite);
    // Only a total known: count it as output, as the reference tools do.
    if (input + output + cacheRead + cacheWrite === 0) {
      output = tokenCount(usage.totalTokens);
      input = 0;
    }
    if (input + output + cacheRead + cacheWrite === 0) return;
    const at = timestamp ?? this.#state.lastUsageTimestamp;
    if (!at) {
      this.#context.report({
        code: 'NEXUS_PARSE_MISSING_FIELD',
        message: 'assistant usage without a timestamp; not counted',
        byteOffset: position.byteOffset,
      });
      return;
    }
    this.#state.lastUsageTimestamp = at;
    const cost = asRecord(usage.cost);
    const costUsd = typeof cost?.total === 'number' && Number.isFinite(cost.total) ? cost.total : undefined;
    events.push({
      type: 'usage',
      tool: OPENCLAW_ID,
      sessionId: this.#file.sessionId,
      projectPath: this.#state.cwd ?? '',
      timestamp: at,
      model: model ?? 'unknown',
      ...(model ? {} : { modelFallback: true }),
      inputTokens: input,
      outputTokens: output,
      cacheCreationTokens: cacheWrite,
      cacheCreation1hTokens: 0,
      cacheReadTokens: cacheRead,
      reasoningOutputTokens: 0,
      ...(costUsd === undefined ? {} : { costUsd }),
      // Entry ids are unique in a session; an archive (.reset/.deleted) repeats them, so it never double counts.
      dedupKey: `${this.#file.sessionId}:${asString(entry.id) ?? asString(message.responseId) ?? position.byteOffset}`,
    });
  }
}

/** OpenClaw adapter (JSONL era): `<state>/agents/<agent>/sessions/*.jsonl`. */
export function openclaw(options: OpenClawOptions = {}): NexusAdapter<OpenClawParserState> {
  return {
    apiVersion: ADAPTER_API_VERSION,
    id: OPENCLAW_ID,
    displayName: 'OpenClaw',
    color: '#e0533c',
    rootEnvVars: ['OPENCLAW_STATE_DIR', 'CLAWDBOT_STATE_DIR', 'OPENCLAW_HOME'],
    resolveRoots(environment): AdapterRoot[] {
      if (options.stateDir) return [{ path: join(options.stateDir, 'agents'), role: 'live' }];
      const dirs = stateDirsFrom(environment);
      return [
        { path: join(dirs.live, 'agents'), role: 'live' as const },
        ...dirs.history.map((dir) => ({ path: join(dir, 'agents'), role: 'history' as const })),
      ];
    },
    classifyFile: (relativePath, root) => classifyOpenClawFile(relativePath, root),
    // `"session"` (the header's type, however it is spaced) also matches the odd text that quotes the word:
    // a few lines parsed for nothing, never a header missed.
    usageLineFilter: ['"usage"', '"model_change"', '"model-snapshot"', '"session"'],
    usageLineSkippableArrays: ['content'],
    createParser: (file, context) => new OpenClawParser(file, context),
    liveness: {
      processNames: ['openclaw'],
      recentWindowMs: 6 * HOUR,
      maxPerGroup: 3,
      maxTotal: 12,
      lockFileFor: (logPath) => `${logPath}.lock`,
      lockStaleMs: 30 * MINUTE,
    },
  };
}

/**
 * nexus-adapter-pi — the pi coding agent (github.com/badlogic/pi-mono) for Nexus.
 *
 * pi appends one JSON entry per line to `~/.pi/agent/sessions/--<cwd>--/<timestamp>_<uuid>.jsonl`
 * (`$PI_CODING_AGENT_DIR/sessions` when set). See FORMAT.md for the format and its evidence.
 */
import { join } from 'node:path';
import {
  ADAPTER_API_VERSION,
  defineAdapter,
  isoTimestamp as iso,
  type LinePosition,
  type LogFileInfo,
  type LogFileRef,
  type NexusAdapter,
  type NormalizedEvent,
  type ParseContext,
  parseJsonRecord,
  asRecord as record,
  asString as text,
  tokenCount as tokens,
} from '@nexus/parsers';

export const PI_ID = 'pi';

/** Options of {@link pi}. */
export interface PiOptions {
  /** Agent folder to read instead of `$PI_CODING_AGENT_DIR` or `~/.pi/agent`. */
  readonly agentDir?: string;
}

/** Per-file parser state; JSON-serialisable for `snapshot()`. */
export interface PiParserState {
  cwd?: string;
  model?: string;
  lastTimestamp?: string;
}

type Json = Record<string, unknown>;

// `<ISO timestamp with : and . replaced by ->_<session uuid>.jsonl` inside a `--<cwd>--` folder.
const SESSION_FILE = /^[^_/]+_([^/]+)\.jsonl$/;
const MINUTE = 60_000;
const SUMMARY_LENGTH = 120;

function oneLine(value: string): string {
  const line = value.replace(/\s+/g, ' ').trim();
  return line.length > SUMMARY_LENGTH ? `${line.slice(0, SUMMARY_LENGTH - 1)}…` : line;
}

/** User and tool content is a string or an array of text/image blocks. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) => {
      const item = record(block);
      if (!item) return '';
      return item.type === 'image' ? '[image]' : (text(item.text) ?? '');
    })
    .filter(Boolean)
    .join('\n');
}

function toolCallSummary(name: string, args: unknown): string {
  const input = record(args);
  const salient = input
    ? ['command', 'path', 'file_path', 'pattern', 'query', 'url'].map((key) => input[key]).find(Boolean)
    : undefined;
  return oneLine(typeof salient === 'string' ? `${name}: ${salient}` : name);
}

/**
 * Entry ids are unique within a session (pi checks for collisions when it makes them). Version-1 entries
 * have none; the response's own millisecond timestamp then names the call, so a copied line counts once.
 */
function callKey(entry: Json, message: Json, position: LinePosition): string {
  const id = text(entry.id);
  if (id) return id;
  return typeof message.timestamp === 'number' ? `ts:${message.timestamp}` : String(position.byteOffset);
}

/** `--home-me-proj--/2026-01-02T03-04-05-678Z_<uuid>.jsonl` is session `pi:<uuid>`. Nothing else is a session. */
export function classifyPiFile(relativePath: string): LogFileInfo | null {
  const parts = relativePath.split('/');
  if (parts.length !== 2) return null;
  const folder = parts[0]!;
  const match = SESSION_FILE.exec(parts[1]!);
  if (!match || !folder.startsWith('--')) return null;
  return { sessionId: `${PI_ID}:${match[1]}`, kind: 'session', group: folder };
}

function createPiParser(file: LogFileRef, context: ParseContext) {
  let state: PiParserState = {};
  const sessionId = file.sessionId;

  const parse = (line: string, position: LinePosition) => parseJsonRecord(line, position, context);

  const setModel = (model: string | undefined, events: NormalizedEvent[]) => {
    if (!model || model === state.model) return;
    state.model = model;
    events.push({ type: 'meta', sessionId, model });
  };

  const usage = (
    entry: Json,
    message: Json,
    model: string | undefined,
    timestamp: string | undefined,
    position: LinePosition,
    events: NormalizedEvent[],
  ) => {
    const counts = record(message.usage);
    if (!counts) return;
    let input = tokens(counts.input);
    let output = tokens(counts.output);
    const cacheRead = tokens(counts.cacheRead);
    const cacheWrite = tokens(counts.cacheWrite);
    // Only a total known: count it as output, as the reference tools do for pi-format logs.
    if (input + output + cacheRead + cacheWrite === 0) {
      output = tokens(counts.totalTokens);
      input = 0;
    }
    // Aborted and failed responses record zeros: nothing was billed.
    if (input + output + cacheRead + cacheWrite === 0) return;
    if (!timestamp) {
      context.report({
        code: 'NEXUS_PARSE_MISSING_FIELD',
        message: 'assistant usage without a timestamp; not counted',
        byteOffset: position.byteOffset,
      });
      return;
    }
    const cost = record(counts.cost);
    const costUsd = typeof cost?.total === 'number' && Number.isFinite(cost.total) ? cost.total : undefined;
    events.push({
      type: 'usage',
      tool: PI_ID,
      sessionId,
      projectPath: state.cwd ?? '',
      timestamp,
      model: model ?? 'unknown',
      ...(model ? {} : { modelFallback: true }),
      inputTokens: input,
      outputTokens: output,
      cacheCreationTokens: cacheWrite,
      cacheCreation1hTokens: 0,
      cacheReadTokens: cacheRead,
      reasoningOutputTokens: 0,
      ...(costUsd === undefined ? {} : { costUsd }),
      dedupKey: `${sessionId}:${callKey(entry, message, position)}`,
    });
  };

  const message = (entry: Json, position: LinePosition, events: NormalizedEvent[]) => {
    const body = record(entry.message);
    if (!body) return;
    const timestamp = iso(body.timestamp) ?? iso(entry.timestamp) ?? state.lastTimestamp;
    const base = text(entry.id) ?? `offset-${position.byteOffset}`;
    const at = timestamp ? { timestamp } : {};
    const role = text(body.role);
    if (role === 'user') {
      const content = contentText(body.content);
      if (!content.trim()) return;
      events.push({
        type: 'message',
        sessionId,
        id: `${base}:0`,
        role: 'user',
        kind: 'text',
        content,
        ...at,
      });
      events.push({ type: 'activity', sessionId, turn: 'open', ...at });
      return;
    }
    if (role === 'toolResult') {
      const content = contentText(body.content);
      const toolName = text(body.toolName);
      const failed = body.isError === true;
      events.push({
        type: 'message',
        sessionId,
        id: `${base}:0`,
        role: 'tool',
        kind: 'tool_result',
        content,
        summary: oneLine(`${toolName ?? 'tool'}: ${failed ? 'error: ' : ''}${content}`),
        ...(toolName ? { toolName } : {}),
        ...at,
      });
      return;
    }
    if (role === 'bashExecution') {
      // A command the user ran with `!` in pi's TUI: its output is part of the transcript.
      const command = text(body.command) ?? '';
      const output = text(body.output) ?? '';
      events.push({
        type: 'message',
        sessionId,
        id: `${base}:0`,
        role: 'tool',
        kind: 'tool_result',
        content: `$ ${command}\n${output}`,
        summary: oneLine(`bash: ${command}`),
        toolName: 'bash',
        ...at,
      });
      return;
    }
    if (role === 'custom' || role === 'branchSummary' || role === 'compactionSummary') {
      if (role === 'custom' && body.display === false) return;
      const content = role === 'custom' ? contentText(body.content) : (text(body.summary) ?? '');
      if (content.trim())
        events.push({
          type: 'message',
          sessionId,
          id: `${base}:0`,
          role: 'system',
          kind: 'text',
          content,
          ...at,
        });
      return;
    }
    if (role !== 'assistant') return;
    const model = text(body.model) ?? state.model;
    const withModel = { ...at, ...(model ? { model } : {}) };
    const blocks = Array.isArray(body.content) ? body.content : [];
    blocks.forEach((block, index) => {
      const item = record(block);
      if (!item) return;
      const id = `${base}:${index}`;
      if (item.type === 'text') {
        const content = text(item.text) ?? '';
        if (content.trim())
          events.push({
            type: 'message',
            sessionId,
            id,
            role: 'assistant',
            kind: 'text',
            content,
            ...withModel,
          });
      } else if (item.type === 'thinking') {
        const content = text(item.thinking) ?? '';
        if (content.trim())
          events.push({
            type: 'message',
            sessionId,
            id,
            role: 'assistant',
            kind: 'thinking',
            content,
            ...withModel,
          });
      } else if (item.type === 'toolCall') {
        const name = text(item.name) ?? 'tool';
        events.push({
          type: 'message',
          sessionId,
          id,
          role: 'assistant',
          kind: 'tool_call',
          content: JSON.stringify(item.arguments ?? {}, null, 2),
          summary: toolCallSummary(name, item.arguments),
          toolName: name,
          ...withModel,
        });
      }
    });
    const error = text(body.errorMessage);
    if (error?.trim())
      events.push({
        type: 'message',
        sessionId,
        id: `${base}:error`,
        role: 'system',
        kind: 'text',
        content: error,
        ...at,
      });
    const stop = text(body.stopReason);
    if (stop && stop !== 'toolUse') events.push({ type: 'activity', sessionId, turn: 'closed', ...at });
    usage(entry, body, model, timestamp, position, events);
  };

  return {
    snapshot: (): PiParserState => ({ ...state }),
    restore: (saved: PiParserState) => {
      state = { ...saved };
    },
    parseLine(line: string, position: LinePosition): NormalizedEvent[] {
      if (line.trim() === '') return [];
      const entry = parse(line, position);
      if (!entry) return [];
      const events: NormalizedEvent[] = [];
      const timestamp = iso(entry.timestamp);
      if (timestamp) state.lastTimestamp = timestamp;
      switch (entry.type) {
        case 'session': {
          const cwd = text(entry.cwd);
          if (cwd) state.cwd = cwd;
          // Version 1 headers named the model; later ones leave it to model_change entries.
          const model = text(entry.modelId);
          if (model) state.model = model;
          const version = entry.version;
          events.push({
            type: 'meta',
            sessionId,
            ...(cwd ? { projectPath: cwd } : {}),
            ...(timestamp ? { startedAt: timestamp } : {}),
            ...(model ? { model } : {}),
            ...(typeof version === 'number' || typeof version === 'string'
              ? { agentVersion: `session v${version}` }
              : {}),
          });
          break;
        }
        case 'model_change':
          setModel(text(entry.modelId), events);
          break;
        case 'session_info': {
          const name = text(entry.name)?.trim();
          if (name) events.push({ type: 'meta', sessionId, title: name });
          break;
        }
        case 'compaction':
        case 'branch_summary': {
          const summary = text(entry.summary) ?? '';
          if (summary.trim())
            events.push({
              type: 'message',
              sessionId,
              id: `${text(entry.id) ?? `offset-${position.byteOffset}`}:0`,
              role: 'system',
              kind: 'text',
              content: summary,
              summary: entry.type === 'compaction' ? 'context compacted' : 'branch summary',
              ...(timestamp ? { timestamp } : {}),
            });
          break;
        }
        case 'custom_message': {
          const content = contentText(entry.content);
          if (entry.display === true && content.trim())
            events.push({
              type: 'message',
              sessionId,
              id: `${text(entry.id) ?? `offset-${position.byteOffset}`}:0`,
              role: 'system',
              kind: 'text',
              content,
              ...(timestamp ? { timestamp } : {}),
            });
          break;
        }
        case 'message':
          message(entry, position, events);
          break;
        default:
          break;
      }
      return events;
    },
  };
}

/**
 * The pi coding agent adapter: sessions under `$PI_CODING_AGENT_DIR/sessions` (default
 * `~/.pi/agent/sessions`), one JSONL file per session, a folder per working directory.
 */
export default function pi(options: PiOptions = {}): NexusAdapter<PiParserState> {
  return defineAdapter<PiParserState>({
    apiVersion: ADAPTER_API_VERSION,
    id: PI_ID,
    displayName: 'pi',
    color: '#8b5cf6',
    rootEnvVars: ['PI_CODING_AGENT_DIR'],
    resolveRoots: ({ env, homeDir }) => [
      {
        path: join(
          options.agentDir ?? (env.PI_CODING_AGENT_DIR || join(homeDir, '.pi', 'agent')),
          'sessions',
        ),
        role: 'live',
      },
    ],
    classifyFile: (relativePath) => classifyPiFile(relativePath),
    usageLineFilter: ['"usage"', '"model_change"', '"type":"session"', '"type": "session"'],
    createParser: (file, context) => createPiParser(file, context),
    liveness: { processNames: ['pi'], recentWindowMs: 30 * MINUTE, maxPerGroup: 5, maxTotal: 12 },
  });
}

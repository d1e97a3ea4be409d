/**
 * nexus-adapter-gemini-cli — Google's Gemini CLI (github.com/google-gemini/gemini-cli) for Nexus.
 *
 * Gemini CLI records each chat as JSON lines in `~/.gemini/tmp/<project>/chats/session-<time>-<id8>.jsonl`
 * (`$GEMINI_CLI_HOME/.gemini/...` when set): a metadata line, then message records that are appended again,
 * whole, each time they change (tokens arrive, a tool call finishes), `{"$set":…}` metadata updates and
 * `{"$rewindTo":…}` markers. See FORMAT.md for the format and its evidence.
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

export const GEMINI_CLI_ID = 'gemini-cli';

/** Options of {@link geminiCli}. */
export interface GeminiCliOptions {
  /** The `.gemini` folder to read instead of `$GEMINI_CLI_HOME/.gemini` or `~/.gemini`. */
  readonly geminiDir?: string;
}

/** Per-file parser state; JSON-serialisable for `snapshot()`. */
export interface GeminiCliParserState {
  projectPath?: string;
  /** Parts already emitted for the most recent message records: message id → part keys. */
  emitted: Record<string, string[]>;
  /** Usage already emitted for the most recent message records: message id → token counts. */
  billed: Record<string, string>;
}

type Json = Record<string, unknown>;

const MAIN_SESSION = /^session-.+-([0-9A-Za-z_-]{8})\.jsonl$/;
const SUBAGENT_SESSION = /^([^/]+)\.jsonl$/;
const MINUTE = 60_000;
const SUMMARY_LENGTH = 120;
// A record is appended again only while it is the conversation's last message, so a short memory suffices.
const REMEMBERED_MESSAGES = 32;

function oneLine(value: string): string {
  const line = value.replace(/\s+/g, ' ').trim();
  return line.length > SUMMARY_LENGTH ? `${line.slice(0, SUMMARY_LENGTH - 1)}…` : line;
}

/** A `PartListUnion`: a string, one part, or an array of parts (`{text}`, `{functionResponse}`, …). */
function partsText(content: unknown): string {
  if (typeof content === 'string') return content;
  const parts = Array.isArray(content) ? content : content === undefined || content === null ? [] : [content];
  return parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const item = record(part);
      if (!item || item.thought === true) return '';
      if (typeof item.text === 'string') return item.text;
      const response = record(record(item.functionResponse)?.response);
      if (response) return text(response.output) ?? text(response.error) ?? JSON.stringify(response);
      if (item.inlineData) return '[attachment]';
      return '';
    })
    .filter(Boolean)
    .join('\n');
}

function toolCallSummary(name: string, args: unknown): string {
  const input = record(args);
  const salient = input
    ? ['command', 'file_path', 'absolute_path', 'path', 'dir_path', 'pattern', 'query', 'url']
        .map((key) => input[key])
        .find((value) => typeof value === 'string' && value !== '')
    : undefined;
  return oneLine(typeof salient === 'string' ? `${name}: ${salient}` : name);
}

/**
 * `<project>/chats/session-<time>-<id8>.jsonl` is session `gemini-cli:<id8>`; a subagent's chat is
 * `<project>/chats/<parent session uuid>/<id>.jsonl`, billed to its parent. Legacy whole-JSON `.json`
 * chats (before JSONL recording) are not line logs and are not read.
 */
export function classifyGeminiCliFile(relativePath: string): LogFileInfo | null {
  const parts = relativePath.split('/');
  if (parts[1] !== 'chats') return null;
  const group = parts[0]!;
  if (parts.length === 3) {
    const main = MAIN_SESSION.exec(parts[2]!);
    return main ? { sessionId: `${GEMINI_CLI_ID}:${main[1]}`, kind: 'session', group } : null;
  }
  if (parts.length === 4) {
    const sub = SUBAGENT_SESSION.exec(parts[3]!);
    if (!sub) return null;
    return {
      sessionId: `${GEMINI_CLI_ID}:${sub[1]}`,
      parentSessionId: `${GEMINI_CLI_ID}:${parts[2]!.slice(0, 8)}`,
      kind: 'subagent',
      group,
    };
  }
  return null;
}

function createGeminiCliParser(file: LogFileRef, context: ParseContext) {
  let state: GeminiCliParserState = { emitted: {}, billed: {} };
  const sessionId = file.sessionId;
  // Usage of a subagent's calls is billed to the session that started it (DESIGN §3).
  const billedTo = file.parentSessionId ?? sessionId;

  const parse = (line: string, position: LinePosition) => parseJsonRecord(line, position, context);

  /** True the first time a part of a message is seen: a record appended again repeats its old parts. */
  const fresh = (messageId: string, part: string): boolean => {
    const seen = state.emitted[messageId] ?? [];
    if (seen.includes(part)) return false;
    if (!state.emitted[messageId]) {
      const ids = Object.keys(state.emitted);
      if (ids.length >= REMEMBERED_MESSAGES) delete state.emitted[ids[0]!];
    }
    state.emitted[messageId] = [...seen, part];
    return true;
  };

  const metadata = (values: Json, events: NormalizedEvent[], timestamp: string | undefined) => {
    const directories = Array.isArray(values.directories) ? values.directories : undefined;
    const project = directories?.find((dir): dir is string => typeof dir === 'string' && dir !== '');
    if (project) state.projectPath = project;
    const summary = text(values.summary)?.trim();
    const startedAt = iso(values.startTime);
    if (project || summary || startedAt)
      events.push({
        type: 'meta',
        sessionId,
        ...(project ? { projectPath: project } : {}),
        ...(summary ? { title: summary } : {}),
        ...(startedAt ? { startedAt } : {}),
        ...(timestamp ? { timestamp } : {}),
      });
  };

  const usage = (
    message: Json,
    id: string,
    timestamp: string,
    position: LinePosition,
    events: NormalizedEvent[],
  ) => {
    const counts = record(message.tokens);
    if (!counts) return;
    // promptTokenCount includes the cached part; tool-use prompts and thoughts are counted apart from it.
    const prompt = tokens(counts.input);
    const cached = Math.min(tokens(counts.cached), prompt);
    const tool = tokens(counts.tool);
    const thoughts = tokens(counts.thoughts);
    const output = tokens(counts.output) + thoughts;
    const input = prompt - cached + tool;
    const key = `${input}:${output}:${cached}`;
    if (input + output + cached === 0 || state.billed[id] === key) return;
    const ids = Object.keys(state.billed);
    if (!(id in state.billed) && ids.length >= REMEMBERED_MESSAGES) delete state.billed[ids[0]!];
    state.billed[id] = key;
    const model = text(message.model);
    events.push({
      type: 'usage',
      tool: GEMINI_CLI_ID,
      sessionId: billedTo,
      projectPath: state.projectPath ?? '',
      timestamp,
      model: model ?? 'unknown',
      ...(model ? {} : { modelFallback: true }),
      inputTokens: input,
      outputTokens: output,
      cacheCreationTokens: 0,
      cacheCreation1hTokens: 0,
      cacheReadTokens: cached,
      reasoningOutputTokens: thoughts,
      // One model response is one message record; its later copies carry the same id.
      dedupKey: `${billedTo}:${id || position.byteOffset}`,
    });
  };

  const message = (entry: Json, id: string, position: LinePosition, events: NormalizedEvent[]) => {
    const timestamp = iso(entry.timestamp);
    const at = timestamp ? { timestamp } : {};
    const type = text(entry.type);
    if (type === 'user') {
      const content = partsText(entry.displayContent ?? entry.content);
      if (content.trim() && fresh(id, 'text')) {
        events.push({
          type: 'message',
          sessionId,
          id: `${id}:text`,
          role: 'user',
          kind: 'text',
          content,
          ...at,
        });
        events.push({ type: 'activity', sessionId, turn: 'open', ...at });
      }
      return;
    }
    if (type === 'info' || type === 'error' || type === 'warning') {
      const content = partsText(entry.content);
      if (content.trim() && fresh(id, 'text'))
        events.push({
          type: 'message',
          sessionId,
          id: `${id}:text`,
          role: 'system',
          kind: 'text',
          content,
          summary: oneLine(`${type}: ${content}`),
          ...at,
        });
      return;
    }
    if (type !== 'gemini') return;
    const model = text(entry.model);
    const withModel = { ...at, ...(model ? { model } : {}) };
    const thoughts = Array.isArray(entry.thoughts) ? entry.thoughts : [];
    thoughts.forEach((thought, index) => {
      const item = record(thought);
      const content = [text(item?.subject), text(item?.description)].filter(Boolean).join('\n');
      if (content.trim() && fresh(id, `thought:${index}`))
        events.push({
          type: 'message',
          sessionId,
          id: `${id}:thought:${index}`,
          role: 'assistant',
          kind: 'thinking',
          content,
          ...withModel,
        });
    });
    const content = partsText(entry.content);
    if (content.trim() && fresh(id, 'text'))
      events.push({
        type: 'message',
        sessionId,
        id: `${id}:text`,
        role: 'assistant',
        kind: 'text',
        content,
        ...withModel,
      });
    const calls = Array.isArray(entry.toolCalls) ? entry.toolCalls : [];
    let finished = 0;
    calls.forEach((call, index) => {
      const item = record(call);
      if (!item) return;
      const callId = text(item.id) ?? String(index);
      const name = text(item.name) ?? 'tool';
      const callAt = iso(item.timestamp) ? { timestamp: iso(item.timestamp)! } : at;
      if (fresh(id, `call:${callId}`))
        events.push({
          type: 'message',
          sessionId,
          id: `${id}:call:${callId}`,
          role: 'assistant',
          kind: 'tool_call',
          content: JSON.stringify(item.args ?? {}, null, 2),
          summary: toolCallSummary(name, item.args),
          toolName: name,
          ...callAt,
          ...(model ? { model } : {}),
        });
      const status = text(item.status);
      if (status === 'success' || status === 'error' || status === 'cancelled') {
        finished++;
        // `resultDisplay` is what the CLI showed (empty for a file read, an object for a diff).
        const display = text(item.resultDisplay);
        const output = display?.trim() ? display : partsText(item.result);
        if (fresh(id, `result:${callId}`))
          events.push({
            type: 'message',
            sessionId,
            id: `${id}:result:${callId}`,
            role: 'tool',
            kind: 'tool_result',
            content: output,
            summary: oneLine(`${name}: ${status === 'success' ? '' : `${status}: `}${output}`),
            toolName: name,
            ...callAt,
          });
      }
    });
    // A reply with no pending tool call ends the turn.
    if (finished === calls.length && content.trim() && fresh(id, 'closed'))
      events.push({ type: 'activity', sessionId, turn: 'closed', ...at });
    if (timestamp) usage(entry, id, timestamp, position, events);
    else if (entry.tokens)
      context.report({
        code: 'NEXUS_PARSE_MISSING_FIELD',
        message: 'Gemini message with tokens but no timestamp; not counted',
        byteOffset: position.byteOffset,
      });
  };

  return {
    snapshot: (): GeminiCliParserState => structuredClone(state),
    restore: (saved: GeminiCliParserState) => {
      const copy = structuredClone(saved);
      state = { ...copy, emitted: copy.emitted ?? {}, billed: copy.billed ?? {} };
    },
    parseLine(line: string, position: LinePosition): NormalizedEvent[] {
      if (line.trim() === '') return [];
      const entry = parse(line, position);
      if (!entry) return [];
      const events: NormalizedEvent[] = [];
      if (typeof entry.$rewindTo === 'string') return events;
      const set = record(entry.$set);
      if (set) {
        // `$set.messages` rewrites history already recorded line by line: it adds nothing new.
        metadata(set, events, iso(set.lastUpdated));
        return events;
      }
      const id = text(entry.id);
      if (id) {
        message(entry, id, position, events);
        return events;
      }
      if (typeof entry.sessionId === 'string') metadata(entry, events, iso(entry.lastUpdated));
      return events;
    },
  };
}

/** Gemini CLI adapter: chats under `$GEMINI_CLI_HOME/.gemini/tmp` (default `~/.gemini/tmp`). */
export default function geminiCli(options: GeminiCliOptions = {}): NexusAdapter<GeminiCliParserState> {
  return defineAdapter<GeminiCliParserState>({
    apiVersion: ADAPTER_API_VERSION,
    id: GEMINI_CLI_ID,
    displayName: 'Gemini CLI',
    color: '#4285f4',
    rootEnvVars: ['GEMINI_CLI_HOME'],
    resolveRoots: ({ env, homeDir }) => [
      {
        path: join(options.geminiDir ?? join(env.GEMINI_CLI_HOME || homeDir, '.gemini'), 'tmp'),
        role: 'live',
      },
    ],
    classifyFile: (relativePath) => classifyGeminiCliFile(relativePath),
    usageLineFilter: ['"tokens"', '"directories"'],
    createParser: (file, context) => createGeminiCliParser(file, context),
    liveness: { processNames: ['gemini'], recentWindowMs: 30 * MINUTE, maxPerGroup: 5, maxTotal: 12 },
  });
}

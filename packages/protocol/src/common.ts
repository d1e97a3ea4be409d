import { type Static, Type } from '@sinclair/typebox';

/** Version of the wire protocol described by this package. Bumped on any breaking change to a frame. */
export const PROTOCOL_VERSION = 1;

/** Tool ids of the built-in adapters. Plugins add their own ids with the same shape. */
export const BUILTIN_TOOL_IDS = ['claude-code', 'codex', 'openclaw'] as const;

export const ToolId = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]*$',
  maxLength: 64,
  description: 'Adapter id: claude-code, codex, openclaw, or a plugin id',
});
export type ToolId = Static<typeof ToolId>;

export const IsoTimestamp = Type.String({ format: 'date-time', description: 'ISO-8601 UTC timestamp' });

export const SessionState = Type.Union(
  [Type.Literal('active'), Type.Literal('idle'), Type.Literal('cooling'), Type.Literal('gone')],
  { description: 'Lifecycle state (DESIGN §4)' },
);
export type SessionState = Static<typeof SessionState>;

export const MessageRole = Type.Union([
  Type.Literal('user'),
  Type.Literal('assistant'),
  Type.Literal('tool'),
  Type.Literal('system'),
]);
export type MessageRole = Static<typeof MessageRole>;

export const MessageKind = Type.Union([
  Type.Literal('text'),
  Type.Literal('thinking'),
  Type.Literal('tool_call'),
  Type.Literal('tool_result'),
]);
export type MessageKind = Static<typeof MessageKind>;

/** One transcript entry as the dashboard shows it. */
export const Message = Type.Object(
  {
    id: Type.String({ description: 'Stable id, unique within the session' }),
    role: MessageRole,
    kind: MessageKind,
    content: Type.String({ description: 'Plain text as written by the agent; never HTML' }),
    summary: Type.Optional(
      Type.String({ description: 'One short line for tool plumbing, e.g. "Bash: npm test"' }),
    ),
    toolName: Type.Optional(Type.String()),
    timestamp: Type.Optional(IsoTimestamp),
    model: Type.Optional(Type.String()),
    truncated: Type.Optional(Type.Boolean({ description: 'content was cut to the live frame limit' })),
    usage: Type.Optional(
      Type.Object(
        {
          model: Type.String({ description: 'The model string as the log writes it' }),
          inputTokens: Type.Integer({ minimum: 0, description: 'Uncached input' }),
          outputTokens: Type.Integer({ minimum: 0, description: 'Includes reasoning' }),
          cacheCreationTokens: Type.Integer({ minimum: 0 }),
          cacheReadTokens: Type.Integer({ minimum: 0 }),
          reasoningOutputTokens: Type.Integer({ minimum: 0 }),
          totalTokens: Type.Integer({ minimum: 0 }),
          costUsd: Type.Number({ minimum: 0 }),
          priced: Type.Boolean({ description: 'false: no price is known for the model, costUsd is 0' }),
        },
        {
          additionalProperties: false,
          description:
            'The billed model call this message ends (messages endpoint only; on the last message of the call)',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type Message = Static<typeof Message>;

/** Everything the wall needs to draw a card, without its messages. */
export const SessionSummary = Type.Object(
  {
    sessionId: Type.String({ description: 'Nexus opaque session id (tool plus the agent id)' }),
    tool: ToolId,
    name: Type.String({ description: 'Title or project folder' }),
    projectPath: Type.Optional(Type.String()),
    state: SessionState,
    model: Type.Optional(Type.String()),
    gitBranch: Type.Optional(Type.String()),
    startedAt: Type.Optional(IsoTimestamp),
    lastActivityAt: Type.Optional(IsoTimestamp),
    parentSessionId: Type.Optional(Type.String({ description: 'Set on subagent sessions' })),
    messageCount: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type SessionSummary = Static<typeof SessionSummary>;

export const SessionSnapshot = Type.Composite([
  SessionSummary,
  Type.Object({ messages: Type.Array(Message, { description: 'The most recent messages, oldest first' }) }),
]);
export type SessionSnapshot = Static<typeof SessionSnapshot>;

export const BackfillProgress = Type.Object(
  {
    status: Type.Union([Type.Literal('idle'), Type.Literal('running'), Type.Literal('done')]),
    scannedFiles: Type.Integer({ minimum: 0 }),
    totalFiles: Type.Integer({ minimum: 0 }),
    scannedBytes: Type.Integer({ minimum: 0 }),
    totalBytes: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type BackfillProgress = Static<typeof BackfillProgress>;

export const ToolTotals = Type.Object(
  {
    totalTokens: Type.Integer({ minimum: 0 }),
    totalCostUsd: Type.Number({ minimum: 0 }),
    runningAgents: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type ToolTotals = Static<typeof ToolTotals>;

export const UsageTotals = Type.Object(
  {
    scope: Type.Literal('all_history'),
    totals: ToolTotals,
    byTool: Type.Record(Type.String(), ToolTotals),
    backfill: BackfillProgress,
    updatedAt: IsoTimestamp,
  },
  { additionalProperties: false },
);
export type UsageTotals = Static<typeof UsageTotals>;

/** A folder an adapter watches, for the empty state ("which folders are watched"). */
export const WatchedRoot = Type.Object(
  {
    tool: ToolId,
    displayName: Type.String(),
    path: Type.String(),
    exists: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type WatchedRoot = Static<typeof WatchedRoot>;

import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { IsoTimestamp, ToolId } from './common.js';

function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/** Burn rate of a 5-hour block, as ccusage computes it (first to last call of the block). */
export const BurnRate = Type.Object(
  {
    tokensPerMinute: Type.Number({ minimum: 0, description: 'All tokens (cache included) per minute' }),
    tokensPerMinuteForIndicator: Type.Number({ minimum: 0, description: 'Input + output tokens per minute' }),
    costPerHour: Type.Number({ minimum: 0, description: 'USD per hour' }),
  },
  { additionalProperties: false },
);
export type BurnRate = Static<typeof BurnRate>;

/** Where the active block ends if the current burn rate holds. */
export const BlockProjection = Type.Object(
  {
    totalTokens: Type.Integer({ minimum: 0 }),
    totalCostUsd: Type.Number({ minimum: 0, description: 'Rounded to cents, as ccusage does' }),
    remainingMinutes: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type BlockProjection = Static<typeof BlockProjection>;

/** A session's share of a limit window or block. */
export const WindowSession = Type.Object(
  {
    sessionId: Type.String(),
    tool: ToolId,
    projectPath: Type.String(),
    totalTokens: Type.Integer({ minimum: 0 }),
    costUsd: Type.Number({ minimum: 0 }),
    share: Type.Number({ minimum: 0, maximum: 1, description: "Fraction of the window's tokens" }),
  },
  { additionalProperties: false },
);
export type WindowSession = Static<typeof WindowSession>;

/**
 * A 5-hour block as ccusage defines it: it starts at the first call floored to the UTC hour and spans
 * 5 hours; a call more than 5 hours after the block start or after the previous call starts a new
 * one. A gap longer than 5 hours between calls is listed as a gap block.
 */
export const UsageBlock = Type.Object(
  {
    id: Type.String({ description: 'ISO start time; gap blocks: gap-<ISO start>' }),
    startTime: IsoTimestamp,
    endTime: IsoTimestamp,
    actualEndTime: Nullable(IsoTimestamp),
    isActive: Type.Boolean(),
    isGap: Type.Boolean(),
    entries: Type.Integer({ minimum: 0, description: 'Deduplicated model calls' }),
    inputTokens: Type.Integer({ minimum: 0 }),
    outputTokens: Type.Integer({ minimum: 0 }),
    cacheCreationTokens: Type.Integer({ minimum: 0 }),
    cacheReadTokens: Type.Integer({ minimum: 0 }),
    reasoningOutputTokens: Type.Integer({ minimum: 0 }),
    totalTokens: Type.Integer({ minimum: 0 }),
    costUsd: Type.Number({ minimum: 0 }),
    models: Type.Array(Type.String()),
    burnRate: Nullable(BurnRate),
    projection: Nullable(BlockProjection),
    topSessions: Type.Optional(
      Type.Array(WindowSession, { description: 'Active block only: the sessions that used most of it' }),
    ),
  },
  { additionalProperties: false },
);
export type UsageBlock = Static<typeof UsageBlock>;

/** Body of `GET /api/usage/blocks` and `nexus usage blocks --json`. */
export const UsageBlocksReport = Type.Object(
  {
    tool: Nullable(ToolId),
    sessionDurationHours: Type.Number({ exclusiveMinimum: 0 }),
    blocks: Type.Array(UsageBlock, { description: 'Oldest first' }),
    unpricedModels: Type.Array(Type.String()),
  },
  { additionalProperties: false, $id: 'nexus.http.usage-blocks' },
);
export type UsageBlocksReport = Static<typeof UsageBlocksReport>;

export const LimitSource = Type.Union(
  [Type.Literal('codex-log'), Type.Literal('claude-oauth'), Type.Literal('claude-statusline')],
  {
    description:
      'codex-log: rate_limits of Codex token_count events; claude-oauth: the OAuth usage endpoint; claude-statusline: rate_limits Claude Code passed to `nexus statusline`',
  },
);
export type LimitSource = Static<typeof LimitSource>;

/** One plan-limit window of one tool. */
export const LimitWindow = Type.Object(
  {
    tool: ToolId,
    window: Type.String({
      description: 'five_hour, seven_day, seven_day_<model> (Claude); primary, secondary (Codex)',
    }),
    label: Type.String({ description: 'Short human name, e.g. "5-hour", "Weekly (Opus)"' }),
    usedPercent: Type.Number({ minimum: 0 }),
    windowMinutes: Nullable(Type.Integer({ minimum: 1 })),
    resetsAt: Nullable(IsoTimestamp),
    source: LimitSource,
    asOf: IsoTimestamp,
    sessionId: Type.Optional(Type.String({ description: 'Codex: the session whose log reported it' })),
    planType: Type.Optional(Type.String()),
    topSessions: Type.Array(WindowSession, { description: 'Sessions that used most of the window' }),
  },
  { additionalProperties: false },
);
export type LimitWindow = Static<typeof LimitWindow>;

export const ClaudeUsageStatus = Type.Union([
  Type.Literal('ok'),
  Type.Literal('pending'),
  Type.Literal('disabled'),
  Type.Literal('offline'),
  Type.Literal('no_credentials'),
  Type.Literal('unauthorized'),
  Type.Literal('rate_limited'),
  Type.Literal('error'),
]);
export type ClaudeUsageStatus = Static<typeof ClaudeUsageStatus>;

/** State of the Claude OAuth usage poller. */
export const ClaudeUsagePollState = Type.Object(
  {
    status: ClaudeUsageStatus,
    asOf: Nullable(IsoTimestamp),
    nextPollAt: Nullable(IsoTimestamp),
    failures: Type.Integer({ minimum: 0, description: 'Consecutive failed polls (drives the backoff)' }),
    lastErrorCode: Type.Optional(Type.String({ pattern: '^NEXUS_[A-Z0-9_]+$' })),
  },
  { additionalProperties: false },
);
export type ClaudeUsagePollState = Static<typeof ClaudeUsagePollState>;

/** Plan limits joined with local usage: the `limits` frame and `GET /api/limits`. */
export const LimitsSnapshot = Type.Object(
  {
    windows: Type.Array(LimitWindow),
    activeBlock: Nullable(UsageBlock),
    claudeUsage: ClaudeUsagePollState,
    updatedAt: IsoTimestamp,
  },
  { additionalProperties: false, $id: 'nexus.http.limits' },
);
export type LimitsSnapshot = Static<typeof LimitsSnapshot>;

import { type Static, Type } from '@sinclair/typebox';
import { BackfillProgress, IsoTimestamp, Message, SessionSummary, WatchedRoot } from './common.js';

export const HealthResponse = Type.Object(
  {
    status: Type.Literal('ok'),
    version: Type.String(),
    uptimeMs: Type.Integer({ minimum: 0 }),
    backfill: BackfillProgress,
  },
  { additionalProperties: false, $id: 'nexus.http.health' },
);
export type HealthResponse = Static<typeof HealthResponse>;

export const SessionsResponse = Type.Object(
  { sessions: Type.Array(SessionSummary), watchedRoots: Type.Array(WatchedRoot) },
  { additionalProperties: false, $id: 'nexus.http.sessions' },
);
export type SessionsResponse = Static<typeof SessionsResponse>;

export const SessionDetailResponse = Type.Object(
  {
    session: SessionSummary,
    subagents: Type.Array(SessionSummary),
    files: Type.Array(Type.String(), { description: 'Log files that make up the session' }),
  },
  { additionalProperties: false, $id: 'nexus.http.session' },
);
export type SessionDetailResponse = Static<typeof SessionDetailResponse>;

export const MessagesPage = Type.Object(
  {
    sessionId: Type.String(),
    messages: Type.Array(Message, { description: 'Oldest first' }),
    nextBefore: Type.Union([Type.String(), Type.Null()], {
      description: 'Cursor for the previous page (pass as ?before=), null at the start of the session',
    }),
  },
  { additionalProperties: false, $id: 'nexus.http.messages' },
);
export type MessagesPage = Static<typeof MessagesPage>;

const tokenFields = {
  inputTokens: Type.Integer({ minimum: 0, description: 'Uncached input' }),
  outputTokens: Type.Integer({ minimum: 0, description: 'Includes reasoning' }),
  cacheCreationTokens: Type.Integer({ minimum: 0 }),
  cacheReadTokens: Type.Integer({ minimum: 0 }),
  reasoningOutputTokens: Type.Integer({ minimum: 0 }),
  totalTokens: Type.Integer({ minimum: 0, description: 'input + output + cacheCreation + cacheRead' }),
  costUsd: Type.Number({ minimum: 0 }),
};

export const UsageFields = Type.Object(tokenFields, { additionalProperties: false });
export type UsageFields = Static<typeof UsageFields>;

export const UsageBreakdown = Type.Object(
  { tool: Type.String(), model: Type.String(), ...tokenFields },
  { additionalProperties: false },
);
export type UsageBreakdown = Static<typeof UsageBreakdown>;

export const UsagePeriodRow = Type.Object(
  {
    period: Type.String({ description: 'YYYY-MM-DD or YYYY-MM in the report time zone' }),
    ...tokenFields,
    breakdown: Type.Array(UsageBreakdown),
  },
  { additionalProperties: false },
);
export type UsagePeriodRow = Static<typeof UsagePeriodRow>;

export const UsageSessionRow = Type.Object(
  {
    sessionId: Type.String(),
    tool: Type.String(),
    projectPath: Type.String(),
    firstActivity: IsoTimestamp,
    lastActivity: IsoTimestamp,
    ...tokenFields,
    breakdown: Type.Array(UsageBreakdown),
  },
  { additionalProperties: false },
);
export type UsageSessionRow = Static<typeof UsageSessionRow>;

function usageReport<R extends typeof UsagePeriodRow | typeof UsageSessionRow>(row: R, id: string) {
  return Type.Object(
    {
      timezone: Type.String(),
      rows: Type.Array(row),
      totals: UsageFields,
      unpricedModels: Type.Array(Type.String()),
    },
    { additionalProperties: false, $id: id },
  );
}

export const UsagePeriodReport = usageReport(UsagePeriodRow, 'nexus.http.usage.period');
export type UsagePeriodReport = Static<typeof UsagePeriodReport>;
export const UsageSessionReport = usageReport(UsageSessionRow, 'nexus.http.usage.sessions');
export type UsageSessionReport = Static<typeof UsageSessionReport>;

/** Body of every HTTP error (same shape Fastify uses). */
export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String(),
    error: Type.String(),
    message: Type.String(),
  },
  { additionalProperties: false, $id: 'nexus.http.error' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

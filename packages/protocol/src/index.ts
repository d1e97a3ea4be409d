/**
 * @nexus/protocol — the wire contract between the Nexus server and its clients.
 *
 * Every schema is a TypeBox object: a JSON Schema at run time and a TypeScript type at compile time.
 */
export {
  BackfillProgress,
  BUILTIN_TOOL_IDS,
  IsoTimestamp,
  Message,
  MessageKind,
  MessageRole,
  PROTOCOL_VERSION,
  SessionSnapshot,
  SessionState,
  SessionSummary,
  ToolId,
  ToolTotals,
  UsageTotals,
  WatchedRoot,
} from './common.js';
export {
  ClientFrame,
  ClientFrameSchemas,
  type ClientFrameType,
  ErrorFrame,
  HelloFrame,
  InitFrame,
  LimitsFrame,
  MessageAddFrame,
  ResyncFrame,
  ServerFrame,
  ServerFrameSchemas,
  type ServerFrameType,
  SessionInitFrame,
  SessionRemoveFrame,
  SessionUpdateFrame,
  StateChangeFrame,
  type UnsequencedFrame,
  UsageTotalsFrame,
} from './frames.js';
export {
  ErrorResponse,
  HealthResponse,
  MessagesPage,
  SessionDetailResponse,
  SessionsResponse,
  UsageBreakdown,
  UsageFields,
  UsagePeriodReport,
  UsagePeriodRow,
  UsageSessionReport,
  UsageSessionRow,
} from './http.js';
export {
  BlockProjection,
  BurnRate,
  ClaudeUsagePollState,
  ClaudeUsageStatus,
  LimitSource,
  LimitsSnapshot,
  LimitWindow,
  UsageBlock,
  UsageBlocksReport,
  WindowSession,
} from './limits.js';
export {
  parseClientFrame,
  parseServerFrame,
  type ValidationIssue,
  type ValidationResult,
  validate,
  validateClientFrame,
  validateServerFrame,
} from './validate.js';

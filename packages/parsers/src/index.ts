/**
 * @nexus/parsers — read AI coding agents' session logs into normalized events.
 */

export {
  CLAUDE_CODE_ID,
  type ClaudeCodeOptions,
  type ClaudeCodeParserState,
  classifyClaudeCodeFile,
  claudeCode,
} from './adapters/claude-code.js';
export {
  CODEX_FALLBACK_MODEL,
  CODEX_ID,
  type CodexOptions,
  type CodexParserState,
  classifyCodexFile,
  codex,
} from './adapters/codex.js';
export {
  classifyOpenClawFile,
  OPENCLAW_ID,
  type OpenClawOptions,
  type OpenClawParserState,
  openclaw,
} from './adapters/openclaw.js';
export { builtinAdapters } from './builtin-adapters.js';
export {
  type ActivityEvent,
  ADAPTER_API_VERSION,
  type AdapterRoot,
  defineAdapter,
  type LineParser,
  type LinePosition,
  type LivenessRules,
  type LogFileInfo,
  type LogFileRef,
  type MessageEvent,
  type MetaEvent,
  type NexusAdapter,
  type NormalizedEvent,
  type ParseContext,
  type ParseIssue,
  type RateLimitEvent,
  type RateLimitWindow,
  type RootEnvironment,
  type SessionStore,
  type StoreBatch,
  type StoreReader,
  type StoreSessionEvents,
  type UsageEvent,
} from './contract.js';
export { PARSE_ISSUE_CODES, type ParseIssueCode } from './issues.js';
// Field readers the built-in adapters use, for plugin authors: tolerant of any JSON value, never throwing.
export {
  asRecord,
  asString,
  isoTimestamp,
  type JsonRecord,
  parseJsonRecord,
  tokenCount,
} from './json-record.js';
export {
  DEFAULT_MAX_LINE_BYTES,
  type FramedLine,
  LineFramer,
  type LineFramerOptions,
  type OversizedLine,
} from './line-framer.js';
export {
  describeFile,
  homeDirectory,
  type LogBatch,
  listRoot,
  logFileAt,
  processEnvironment,
  type ReadLogFileOptions,
  readEvents,
  readLogFile,
  type ScanRootOptions,
  scanRoot,
} from './reader.js';
export { mergeUsageEvents } from './usage-merge.js';

/**
 * @nexus/parsers — read AI coding agents' session logs into normalized events.
 */
export {
  ADAPTER_API_VERSION,
  type ActivityEvent,
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
  type UsageEvent,
} from './contract.js';
export { PARSE_ISSUE_CODES, type ParseIssueCode } from './issues.js';
export {
  DEFAULT_MAX_LINE_BYTES,
  type FramedLine,
  LineFramer,
  type LineFramerOptions,
  type OversizedLine,
} from './line-framer.js';

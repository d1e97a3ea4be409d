/**
 * @nexus/usage — token usage of AI coding agents: LiteLLM pricing, cost rules, an all-history
 * SQLite ledger with warm restart, backfill with progress, live totals and usage reports.
 */
export { ActiveBlockTracker, type ActiveBlockTrackerOptions } from './active-block-tracker.js';
export { type CoalescerClock, LiveTotals, type LiveTotalsOptions } from './aggregates.js';
export {
  type BackfillOptions,
  type BackfillReader,
  type BackfillResult,
  backfillWorkerCount,
  type LogBatch,
  parsersReader,
  type ReadLogFileOptions,
  runBackfill,
} from './backfill.js';
export {
  type ActiveBlockOptions,
  activeBlock,
  BLOCK_DURATION_HOURS,
  type BlockEntry,
  type BlocksReportOptions,
  blockBurnRate,
  blocksReport,
  type IdentifyBlocksOptions,
  identifyBlocks,
  type LedgerReader,
  type WindowSessionsOptions,
  windowSessions,
} from './blocks.js';
export {
  CACHE_1H_INPUT_MULTIPLIER,
  type CallTokens,
  COST_MODES,
  type CostMode,
  computeCost,
  costOfCall,
  selectCost,
  TIER_THRESHOLD,
} from './cost.js';
export {
  NexusUsageError,
  silentLogger,
  USAGE_ERROR_CODES,
  type UsageErrorCode,
  type UsageLogger,
} from './errors.js';
export { type FormatTableOptions, formatProgressBar, formatReportTable } from './format.js';
export {
  checkpointStamp,
  type FileCheckpoint,
  type IngestResult,
  LEDGER_FILE,
  LEDGER_SCHEMA_VERSION,
  type LedgerChanges,
  type LedgerOptions,
  type LedgerToolTotals,
  UsageLedger,
} from './ledger.js';
export {
  bundledPricing,
  type ModelPrice,
  type PriceMatch,
  type PricingInfo,
  type PricingSource,
  PricingTable,
} from './pricing.js';
export {
  DEFAULT_PRICING_URL,
  fetchPricing,
  type LoadPricingOptions,
  loadPricing,
  PRICING_CACHE_FILE,
  PRICING_REFRESH_INTERVAL_MS,
} from './pricing-loader.js';
export {
  COST_HISTORY_LIMITS,
  type CostHistoryItem,
  type CostHistoryOptions,
  type CostHistoryResponse,
  checkReportOptions,
  costHistory,
  dailyReport,
  monthlyReport,
  type ReportOptions,
  sessionReport,
} from './reports.js';
export { resolveStateDir } from './state-dir.js';
export { assertTimeZone, systemTimeZone } from './timezone.js';
export {
  startWalCheckpointer,
  type WalCheckpointer,
  type WalCheckpointerOptions,
} from './wal-checkpointer.js';

import type {
  BlockProjection,
  BurnRate,
  UsageBlock,
  UsageBlocksReport,
  WindowSession,
} from '@nexus/protocol';
import { COST_MODES, type CostMode } from './cost.js';
import { NexusUsageError } from './errors.js';
import type { UsageLedger } from './ledger.js';
import { assertTimeZone, calendarRange, systemTimeZone } from './timezone.js';

/**
 * What block queries need of a ledger: its connection. An open {@link UsageLedger} fits, and so does
 * `{ db }` around a read-only connection (the statusline opens one without migrating or pricing).
 */
export type LedgerReader = Pick<UsageLedger, 'db'>;

/** Length of a block: Claude's 5-hour usage window. */
export const BLOCK_DURATION_HOURS = 5;

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** One deduplicated model call, as blocks see it. */
export interface BlockEntry {
  /** Epoch milliseconds of the line that carried the call's largest usage. */
  readonly ts: number;
  readonly sessionId: string;
  readonly tool: string;
  readonly projectPath: string;
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheCreationTokens: number;
  readonly cacheReadTokens: number;
  readonly reasoningOutputTokens: number;
  readonly costUsd: number;
}

/** Options of {@link identifyBlocks}. */
export interface IdentifyBlocksOptions {
  /** The clock that decides which block is active (epoch ms). */
  readonly now: number;
  /** Default {@link BLOCK_DURATION_HOURS}. */
  readonly sessionDurationHours?: number;
  /** Sessions listed on the active block (default 5; 0 for none). */
  readonly topSessions?: number;
}

function durationMs(hours: number | undefined): number {
  const value = hours ?? BLOCK_DURATION_HOURS;
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new NexusUsageError(
      'NEXUS_USAGE_BAD_OPTION',
      `session duration must be a positive number of hours`,
    );
  }
  return value * HOUR_MS;
}

const floorToUtcHour = (ts: number) => Math.floor(ts / HOUR_MS) * HOUR_MS;
const iso = (ts: number) => new Date(ts).toISOString();
const totalOf = (
  e: Pick<BlockEntry, 'inputTokens' | 'outputTokens' | 'cacheCreationTokens' | 'cacheReadTokens'>,
) => e.inputTokens + e.outputTokens + e.cacheCreationTokens + e.cacheReadTokens;

/**
 * ccusage's burn rate of a block: tokens and USD between its first and last call. `null` when the
 * block has fewer than two distinct call times (no duration to divide by).
 */
export function blockBurnRate(entries: readonly BlockEntry[]): BurnRate | null {
  const first = entries[0];
  const last = entries[entries.length - 1];
  if (!first || !last) return null;
  const minutes = (last.ts - first.ts) / MINUTE_MS;
  if (minutes <= 0) return null;
  let tokens = 0;
  let nonCache = 0;
  let cost = 0;
  for (const e of entries) {
    tokens += totalOf(e);
    nonCache += e.inputTokens + e.outputTokens;
    cost += e.costUsd;
  }
  return {
    tokensPerMinute: tokens / minutes,
    tokensPerMinuteForIndicator: nonCache / minutes,
    costPerHour: (cost / minutes) * 60,
  };
}

function project(block: UsageBlock, rate: BurnRate, now: number): BlockProjection {
  const remainingMinutes = Math.max(0, (Date.parse(block.endTime) - now) / MINUTE_MS);
  return {
    totalTokens: Math.round(block.totalTokens + rate.tokensPerMinute * remainingMinutes),
    totalCostUsd: Math.round((block.costUsd + (rate.costPerHour / 60) * remainingMinutes) * 100) / 100,
    remainingMinutes: Math.round(remainingMinutes),
  };
}

/** Sessions of a set of calls, most tokens first (ties: most USD, then id). */
function rankSessions(entries: readonly BlockEntry[], limit: number): WindowSession[] {
  if (limit <= 0) return [];
  const bySession = new Map<string, { -readonly [K in keyof WindowSession]: WindowSession[K] }>();
  let all = 0;
  for (const e of entries) {
    const tokens = totalOf(e);
    all += tokens;
    const key = `${e.tool}\0${e.sessionId}`;
    const row = bySession.get(key);
    if (row) {
      row.totalTokens += tokens;
      row.costUsd += e.costUsd;
      // The greatest path, as the ledger's MAX(project_path) picks it.
      if (e.projectPath > row.projectPath) row.projectPath = e.projectPath;
    } else {
      bySession.set(key, {
        sessionId: e.sessionId,
        tool: e.tool,
        projectPath: e.projectPath,
        totalTokens: tokens,
        costUsd: e.costUsd,
        share: 0,
      });
    }
  }
  const rows = [...bySession.values()];
  for (const row of rows) row.share = all > 0 ? row.totalTokens / all : 0;
  return rows.sort(bySessionWeight).slice(0, limit);
}

const bySessionWeight = (a: WindowSession, b: WindowSession) =>
  b.totalTokens - a.totalTokens ||
  b.costUsd - a.costUsd ||
  (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0);

function makeBlock(
  start: number,
  entries: readonly BlockEntry[],
  now: number,
  duration: number,
  topSessions: number,
): UsageBlock {
  const end = start + duration;
  const last = entries[entries.length - 1];
  const actualEnd = last ? last.ts : start;
  const isActive = now - actualEnd < duration && now < end;
  const sums = {
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    costUsd: 0,
  };
  const models = new Set<string>();
  for (const e of entries) {
    sums.inputTokens += e.inputTokens;
    sums.outputTokens += e.outputTokens;
    sums.cacheCreationTokens += e.cacheCreationTokens;
    sums.cacheReadTokens += e.cacheReadTokens;
    sums.reasoningOutputTokens += e.reasoningOutputTokens;
    sums.costUsd += e.costUsd;
    if (e.model) models.add(e.model);
  }
  const block: UsageBlock = {
    id: iso(start),
    startTime: iso(start),
    endTime: iso(end),
    actualEndTime: iso(actualEnd),
    isActive,
    isGap: false,
    entries: entries.length,
    ...sums,
    totalTokens: totalOf(sums),
    models: [...models],
    burnRate: null,
    projection: null,
  };
  if (!isActive) return block;
  const rate = blockBurnRate(entries);
  return {
    ...block,
    burnRate: rate,
    projection: rate ? project(block, rate, now) : null,
    topSessions: rankSessions(entries, topSessions),
  };
}

function gapBlock(lastActivity: number, nextActivity: number, duration: number): UsageBlock {
  const start = lastActivity + duration;
  return {
    id: `gap-${iso(start)}`,
    startTime: iso(start),
    endTime: iso(nextActivity),
    actualEndTime: null,
    isActive: false,
    isGap: true,
    entries: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    totalTokens: 0,
    costUsd: 0,
    models: [],
    burnRate: null,
    projection: null,
  };
}

/**
 * Group calls into 5-hour blocks exactly as ccusage's `identifySessionBlocks` does: a block starts
 * at its first call floored to the UTC hour and ends 5 hours later; a call more than 5 hours after
 * the block's start or after the previous call closes it, and a silence longer than 5 hours between
 * two calls is listed as a gap block. A block is active while its last call is less than 5 hours old
 * and its end is still ahead; the active block carries the burn rate, the projection to its end and
 * its heaviest sessions. `entries` need not be sorted.
 */
export function identifyBlocks(entries: readonly BlockEntry[], options: IdentifyBlocksOptions): UsageBlock[] {
  const cutter = blockCutter(options);
  for (const entry of [...entries].sort((a, b) => a.ts - b.ts)) cutter.push(entry);
  return cutter.finish();
}

/**
 * The cutting of {@link identifyBlocks} for calls that arrive in time order, holding only the
 * current block's calls: a report streams the ledger through it instead of loading all history.
 */
function blockCutter(options: IdentifyBlocksOptions) {
  const duration = durationMs(options.sessionDurationHours);
  const top = options.topSessions ?? 5;
  const blocks: UsageBlock[] = [];
  let start: number | undefined;
  let current: BlockEntry[] = [];
  return {
    push(entry: BlockEntry): void {
      if (start === undefined) {
        start = floorToUtcHour(entry.ts);
        current = [entry];
        return;
      }
      const previous = current[current.length - 1]!;
      const sinceLast = entry.ts - previous.ts;
      if (entry.ts - start > duration || sinceLast > duration) {
        blocks.push(makeBlock(start, current, options.now, duration, top));
        if (sinceLast > duration) blocks.push(gapBlock(previous.ts, entry.ts, duration));
        start = floorToUtcHour(entry.ts);
        current = [entry];
      } else {
        current.push(entry);
      }
    },
    finish(): UsageBlock[] {
      if (start !== undefined) blocks.push(makeBlock(start, current, options.now, duration, top));
      start = undefined;
      return blocks;
    },
  };
}

/** Options of {@link blocksReport}. */
export interface BlocksReportOptions {
  /** Tool whose calls make the blocks: default `claude-code` (as ccusage); `null` for every tool. */
  readonly tool?: string | null;
  /** First calendar day whose calls are included, `YYYY-MM-DD` in `timezone`. */
  readonly since?: string;
  /** Last calendar day whose calls are included. */
  readonly until?: string;
  /** Zone for `since`/`until`; default the system zone. */
  readonly timezone?: string;
  /** Default `auto`. */
  readonly mode?: CostMode;
  /** Only the active block (an empty list when none is). */
  readonly activeOnly?: boolean;
  /** Default {@link BLOCK_DURATION_HOURS}. */
  readonly sessionDurationHours?: number;
  /** Clock (epoch ms); default now. */
  readonly now?: number;
}

function costColumn(mode: CostMode): string {
  if (!COST_MODES.includes(mode)) {
    throw new NexusUsageError(
      'NEXUS_USAGE_BAD_OPTION',
      `mode must be one of ${COST_MODES.join(', ')}, got "${mode}"`,
    );
  }
  if (mode === 'calculate') return 'cost_calc';
  if (mode === 'display') return 'coalesce(cost_log, 0)';
  return 'coalesce(cost_log, cost_calc)';
}

// `+tool` keeps SQLite off the (tool, dedup_key) index: without statistics it would pick it over the
// time index and read every call of the tool instead of the few in the time range.
const ENTRY_COLUMNS = `ts, session_id, tool, project_path, model, input, output, cache_creation, cache_read, reasoning`;

type EntryRow = [number, string, string, string, string, number, number, number, number, number, number];

function toEntry(r: EntryRow): BlockEntry {
  return {
    ts: r[0],
    sessionId: r[1],
    tool: r[2],
    projectPath: r[3],
    model: r[4],
    inputTokens: r[5],
    outputTokens: r[6],
    cacheCreationTokens: r[7],
    cacheReadTokens: r[8],
    reasoningOutputTokens: r[9],
    costUsd: Math.max(0, r[10]),
  };
}

function dayRange(options: BlocksReportOptions): { from?: number; to?: number } {
  if (!options.since && !options.until) return {};
  return calendarRange(options.since, options.until, assertTimeZone(options.timezone ?? systemTimeZone()));
}

/**
 * 5-hour blocks over the ledger (all history, or the calls of `since`..`until`): tokens and USD per
 * block, and the active block's burn rate and projection. The contract of `nexus usage blocks --json`
 * and `GET /api/usage/blocks`.
 * @throws NexusUsageError `NEXUS_USAGE_BAD_OPTION` for a bad date, zone, mode or duration.
 */
export function blocksReport(ledger: LedgerReader, options: BlocksReportOptions = {}): UsageBlocksReport {
  const tool = options.tool === undefined ? 'claude-code' : options.tool;
  const mode = options.mode ?? 'auto';
  const cost = costColumn(mode);
  const hours = options.sessionDurationHours ?? BLOCK_DURATION_HOURS;
  durationMs(hours);
  const now = options.now ?? Date.now();
  const range = dayRange(options);
  if (options.activeOnly && range.from === undefined && range.to === undefined) {
    const active = activeBlock(ledger, { tool, mode, now, sessionDurationHours: hours });
    return {
      tool,
      sessionDurationHours: hours,
      blocks: active ? [active] : [],
      unpricedModels: active
        ? unpriced(ledger, tool, mode, Date.parse(active.startTime), Number.MAX_SAFE_INTEGER)
        : [],
    };
  }
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (tool !== null) {
    clauses.push('+tool = ?');
    params.push(tool);
  }
  if (range.from !== undefined) {
    clauses.push('ts >= ?');
    params.push(range.from);
  }
  if (range.to !== undefined) {
    clauses.push('ts < ?');
    params.push(range.to);
  }
  const rows = ledger.db
    .prepare(
      `SELECT ${ENTRY_COLUMNS}, ${cost} FROM usage WHERE ${clauses.join(' AND ') || '1'} ORDER BY ts, id`,
    )
    .raw()
    .iterate(...params) as IterableIterator<EntryRow>;
  const cutter = blockCutter({ now, sessionDurationHours: hours });
  for (const row of rows) cutter.push(toEntry(row));
  let blocks = cutter.finish();
  if (options.activeOnly) blocks = blocks.filter((block) => block.isActive);
  return {
    tool,
    sessionDurationHours: hours,
    blocks,
    unpricedModels: unpriced(ledger, tool, mode, range.from ?? 0, range.to ?? Number.MAX_SAFE_INTEGER),
  };
}

function unpriced(
  ledger: LedgerReader,
  tool: string | null,
  mode: CostMode,
  from: number,
  to: number,
): string[] {
  if (mode === 'display') return [];
  const extra = mode === 'auto' ? ' AND cost_log IS NULL' : '';
  return ledger.db
    .prepare(
      `SELECT DISTINCT model FROM usage WHERE priced = 0 AND model <> ''${extra} AND ts >= ? AND ts < ?${
        tool === null ? '' : ' AND +tool = ?'
      } ORDER BY 1`,
    )
    .pluck()
    .all(from, to, ...(tool === null ? [] : [tool])) as string[];
}

/** Options of {@link activeBlock}. */
export interface ActiveBlockOptions {
  /** Default `claude-code`; `null` for every tool. */
  readonly tool?: string | null;
  readonly mode?: CostMode;
  readonly now?: number;
  readonly sessionDurationHours?: number;
  /** Sessions listed on the block (default 5). */
  readonly topSessions?: number;
}

/**
 * The block that is active now, with burn rate, projection and heaviest sessions, or `null`. Calls
 * dated after `now` are not counted. Reads only recent call times: block boundaries depend on history
 * only back to the last silence longer than the block duration, so it widens its look-back until it
 * finds one (or the start of history).
 */
export function activeBlock(ledger: LedgerReader, options: ActiveBlockOptions = {}): UsageBlock | null {
  const tool = options.tool === undefined ? 'claude-code' : options.tool;
  const mode = options.mode ?? 'auto';
  costColumn(mode);
  const duration = durationMs(options.sessionDurationHours);
  const now = options.now ?? Date.now();
  const toolClause = tool === null ? '' : ' AND +tool = ?';
  const toolParams = tool === null ? [] : [tool];
  const newest = ledger.db
    .prepare(`SELECT MAX(ts) FROM usage WHERE ts <= ?${toolClause}`)
    .pluck()
    .get(now, ...toolParams) as number | null;
  if (newest === null || now - newest >= duration) return null;

  // Block boundaries need only the times of the calls; the figures are summed by SQLite over the
  // last block's range, so a busy block costs an index scan, not an object per call.
  const times = ledger.db
    .prepare(`SELECT ts FROM usage WHERE ts > ? AND ts <= ?${toolClause} ORDER BY ts`)
    .pluck();
  const before = ledger.db.prepare(`SELECT MAX(ts) FROM usage WHERE ts <= ?${toolClause}`).pluck();
  for (let lookBack = 4 * duration; ; lookBack *= 4) {
    const from = now - lookBack;
    const ts = times.all(from, now, ...toolParams) as number[];
    const previous = before.get(from, ...toolParams) as number | null;
    // A call after a silence longer than the duration (or the very first call) always opens a block.
    let reset = -1;
    for (let i = ts.length - 1; i >= 0; i--) {
      const prior = i > 0 ? ts[i - 1]! : previous;
      if (prior === null || ts[i]! - prior > duration) {
        reset = i;
        break;
      }
    }
    if (reset < 0) continue;
    let start = floorToUtcHour(ts[reset]!);
    let first = ts[reset]!;
    let last = first;
    for (let i = reset + 1; i < ts.length; i++) {
      const t = ts[i]!;
      if (t - start > duration || t - last > duration) {
        start = floorToUtcHour(t);
        first = t;
      }
      last = t;
    }
    if (!(now - last < duration && now < start + duration)) return null;
    return sumBlock(ledger, { tool, mode, start, first, now, duration, top: options.topSessions ?? 5 });
  }
}

/** The active block from SQL sums over its calls (those from `first` up to `now`). */
function sumBlock(
  ledger: LedgerReader,
  b: {
    tool: string | null;
    mode: CostMode;
    start: number;
    first: number;
    now: number;
    duration: number;
    top: number;
  },
): UsageBlock {
  const cost = costColumn(b.mode);
  const toolClause = b.tool === null ? '' : ' AND +tool = ?';
  const params = [b.first, b.now, ...(b.tool === null ? [] : [b.tool])];
  const sums = ledger.db
    .prepare(
      `SELECT COUNT(*), SUM(input), SUM(output), SUM(cache_creation), SUM(cache_read), SUM(reasoning),
         SUM(max(0, ${cost})), MAX(ts)
       FROM usage WHERE ts >= ? AND ts <= ?${toolClause}`,
    )
    .raw()
    .get(...params) as [number, number, number, number, number, number, number, number];
  const models = ledger.db
    .prepare(
      `SELECT model FROM usage WHERE ts >= ? AND ts <= ?${toolClause} AND model <> ''
       GROUP BY model ORDER BY MIN(ts), model`,
    )
    .pluck()
    .all(...params) as string[];
  const [
    entries,
    inputTokens,
    outputTokens,
    cacheCreationTokens,
    cacheReadTokens,
    reasoningOutputTokens,
    costUsd,
    lastTs,
  ] = sums;
  const totalTokens = inputTokens + outputTokens + cacheCreationTokens + cacheReadTokens;
  const block: UsageBlock = {
    id: iso(b.start),
    startTime: iso(b.start),
    endTime: iso(b.start + b.duration),
    actualEndTime: iso(lastTs),
    isActive: true,
    isGap: false,
    entries,
    inputTokens,
    outputTokens,
    cacheCreationTokens,
    cacheReadTokens,
    reasoningOutputTokens,
    totalTokens,
    costUsd,
    models,
    burnRate: null,
    projection: null,
  };
  const minutes = (lastTs - b.first) / MINUTE_MS;
  const rate: BurnRate | null =
    minutes > 0
      ? {
          tokensPerMinute: totalTokens / minutes,
          tokensPerMinuteForIndicator: (inputTokens + outputTokens) / minutes,
          costPerHour: (costUsd / minutes) * 60,
        }
      : null;
  return {
    ...block,
    burnRate: rate,
    projection: rate ? project(block, rate, b.now) : null,
    topSessions:
      b.top > 0
        ? windowSessions(ledger, { tool: b.tool, from: b.first, to: b.now + 1, limit: b.top, mode: b.mode })
        : [],
  };
}

/** Options of {@link windowSessions}. */
export interface WindowSessionsOptions {
  /** Only this tool; `null` for every tool. */
  readonly tool: string | null;
  /** Calls at or after this time (epoch ms)… */
  readonly from: number;
  /** …and before this one (default: no end). */
  readonly to?: number;
  /** At most this many sessions (default 5). */
  readonly limit?: number;
  readonly mode?: CostMode;
}

/** The sessions that used most tokens in a time window (a plan-limit window), heaviest first. */
export function windowSessions(ledger: LedgerReader, options: WindowSessionsOptions): WindowSession[] {
  const cost = costColumn(options.mode ?? 'auto');
  const params: unknown[] = [options.from, options.to ?? Number.MAX_SAFE_INTEGER];
  if (options.tool !== null) params.push(options.tool);
  const rows = ledger.db
    .prepare(
      `SELECT session_id, tool, MAX(project_path), SUM(input + output + cache_creation + cache_read), SUM(max(0, ${cost}))
       FROM usage WHERE ts >= ? AND ts < ?${options.tool === null ? '' : ' AND +tool = ?'}
       GROUP BY tool, session_id`,
    )
    .raw()
    .all(...params) as [string, string, string, number, number][];
  const all = rows.reduce((sum, r) => sum + r[3], 0);
  return rows
    .map(
      (r): WindowSession => ({
        sessionId: r[0],
        tool: r[1],
        projectPath: r[2],
        totalTokens: r[3],
        costUsd: Math.max(0, r[4]),
        share: all > 0 ? r[3] / all : 0,
      }),
    )
    .sort(bySessionWeight)
    .slice(0, options.limit ?? 5);
}

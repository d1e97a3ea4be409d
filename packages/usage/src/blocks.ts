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

export function durationMs(hours: number | undefined): number {
  const value = hours ?? BLOCK_DURATION_HOURS;
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new NexusUsageError(
      'NEXUS_USAGE_BAD_OPTION',
      `session duration must be a positive number of hours`,
    );
  }
  return value * HOUR_MS;
}

export const floorToUtcHour = (ts: number) => Math.floor(ts / HOUR_MS) * HOUR_MS;
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

export function costColumn(mode: CostMode): string {
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

/** Where the active block starts, its first call and the newest call up to `now`. */
export interface ActiveBlockBounds {
  readonly start: number;
  readonly first: number;
  readonly newest: number;
}

/**
 * The bounds of the block active at `now`, or `null`. Block boundaries depend on history only back to
 * the last silence longer than the block duration; that silence and each later boundary are found by
 * index seeks that jump at least one duration at a time, so the cost does not grow with the calls in the
 * block.
 */
export function activeBlockBounds(
  ledger: LedgerReader,
  tool: string | null,
  duration: number,
  now: number,
): ActiveBlockBounds | null {
  const seek = toolSeek(ledger, tool);
  const newest = seek('MAX(ts) FROM usage WHERE ts <= ?')(now);
  if (newest === null || now - newest >= duration) return null;
  // Back to the latest call that follows a silence longer than the duration (or the first call). Calls
  // within one duration before `cursor` are never more than a duration apart, so only the earliest of
  // them can follow such a silence; if it does not, its predecessor is more than a duration back.
  const earliestFrom = seek('MIN(ts) FROM usage WHERE ts >= ?');
  const latestBefore = seek('MAX(ts) FROM usage WHERE ts < ?');
  let cursor = newest;
  let first: number;
  for (;;) {
    const earliest = earliestFrom(cursor - duration) ?? cursor;
    const prior = latestBefore(earliest);
    if (prior === null || earliest - prior > duration) {
      first = earliest;
      break;
    }
    cursor = prior;
  }
  // Forward from there: with no long silence left, a block ends only when a call comes more than a
  // duration after its start, and that call opens the next one.
  const firstAfter = seek('MIN(ts) FROM usage WHERE ts > ? AND ts <= ?');
  let start = floorToUtcHour(first);
  for (
    let next = firstAfter(start + duration, now);
    next !== null;
    next = firstAfter(start + duration, now)
  ) {
    start = floorToUtcHour(next);
    first = next;
  }
  return now - newest < duration && now < start + duration ? { start, first, newest } : null;
}

/** The greatest string, as SQLite's MAX picks it among paths. */
function greatest(values: Iterable<string>): string {
  let max = '';
  for (const value of values) if (value > max) max = value;
  return max;
}

/** One-value queries over the calls of one tool (or all tools), parameters first. */
export function toolSeek(
  ledger: LedgerReader,
  tool: string | null,
): (sql: string) => (...params: number[]) => number | null {
  // `+tool` keeps SQLite on the time index (see ENTRY_COLUMNS).
  const toolClause = tool === null ? '' : ' AND +tool = ?';
  const toolParams = tool === null ? [] : [tool];
  return (sql) => {
    const statement = ledger.db.prepare(`SELECT ${sql}${toolClause}`).pluck();
    return (...params) => statement.get(...params, ...toolParams) as number | null;
  };
}

/**
 * The block that is active now, with burn rate, projection and heaviest sessions, or `null`. Calls
 * dated after `now` are not counted.
 */
export function activeBlock(ledger: LedgerReader, options: ActiveBlockOptions = {}): UsageBlock | null {
  const tool = options.tool === undefined ? 'claude-code' : options.tool;
  const mode = options.mode ?? 'auto';
  costColumn(mode);
  const duration = durationMs(options.sessionDurationHours);
  const now = options.now ?? Date.now();
  const bounds = activeBlockBounds(ledger, tool, duration, now);
  if (!bounds) return null;
  return BlockFigures.read(ledger, { tool, mode, from: bounds.first, to: now }).toBlock({
    start: bounds.start,
    first: bounds.first,
    now,
    duration,
    top: options.topSessions ?? 5,
  });
}

/** What one call (or one group of calls) adds to a block's figures. */
export interface BlockCalls {
  readonly sessionId: string;
  readonly tool: string;
  readonly model: string;
  readonly projectPath: string;
  readonly calls: number;
  readonly input: number;
  readonly output: number;
  readonly cacheCreation: number;
  readonly cacheRead: number;
  readonly reasoning: number;
  /** USD in the block's cost mode, never below 0 per call. */
  readonly cost: number;
  readonly firstTs: number;
  readonly lastTs: number;
}

interface SessionFigures {
  readonly sessionId: string;
  readonly tool: string;
  /** Calls per project path: the session shows the greatest path, as MAX(project_path) picks it. */
  readonly paths: Map<string, number>;
  tokens: number;
  cost: number;
}

/**
 * A block's figures: totals, the models in order of first use and the sessions. Read from the ledger in
 * one SQL pass grouped by session, model and path, and then, for {@link ActiveBlockTracker}, kept up to
 * date call by call. A removed call may leave the newest call time or a model's first use unknown; the
 * flags say so and the owner reads them again.
 */
export class BlockFigures {
  entries = 0;
  inputTokens = 0;
  outputTokens = 0;
  cacheCreationTokens = 0;
  cacheReadTokens = 0;
  reasoningOutputTokens = 0;
  costUsd = 0;
  lastTs = Number.NEGATIVE_INFINITY;
  lastTsUnknown = false;
  modelsUnknown = false;
  readonly #models = new Map<string, { firstTs: number; calls: number }>();
  readonly #sessions = new Map<string, SessionFigures>();

  /** The figures of the calls from `from` to `to` (both included). */
  static read(
    ledger: LedgerReader,
    range: { tool: string | null; mode: CostMode; from: number; to: number },
  ): BlockFigures {
    const groups = ledger.db
      .prepare(
        `SELECT session_id AS sessionId, tool, model, project_path AS projectPath, COUNT(*) AS calls,
           SUM(input) AS input, SUM(output) AS output, SUM(cache_creation) AS cacheCreation,
           SUM(cache_read) AS cacheRead, SUM(reasoning) AS reasoning,
           SUM(max(0, ${costColumn(range.mode)})) AS cost, MIN(ts) AS firstTs, MAX(ts) AS lastTs
         FROM usage WHERE ts >= ? AND ts <= ?${range.tool === null ? '' : ' AND +tool = ?'}
         GROUP BY tool, session_id, model, project_path`,
      )
      .all(range.from, range.to, ...(range.tool === null ? [] : [range.tool])) as BlockCalls[];
    const figures = new BlockFigures();
    for (const group of groups) figures.add(group);
    return figures;
  }

  add(c: BlockCalls): void {
    this.#count(c, 1);
    if (c.lastTs > this.lastTs) this.lastTs = c.lastTs;
    if (c.model !== '') {
      const model = this.#models.get(c.model);
      if (!model) this.#models.set(c.model, { firstTs: c.firstTs, calls: c.calls });
      else {
        model.calls += c.calls;
        if (c.firstTs < model.firstTs) model.firstTs = c.firstTs;
      }
    }
    const key = `${c.tool}\0${c.sessionId}`;
    let session = this.#sessions.get(key);
    if (!session) {
      session = { sessionId: c.sessionId, tool: c.tool, paths: new Map(), tokens: 0, cost: 0 };
      this.#sessions.set(key, session);
    }
    session.tokens += c.input + c.output + c.cacheCreation + c.cacheRead;
    session.cost += c.cost;
    session.paths.set(c.projectPath, (session.paths.get(c.projectPath) ?? 0) + c.calls);
  }

  remove(c: BlockCalls): void {
    this.#count(c, -1);
    if (c.lastTs >= this.lastTs) this.lastTsUnknown = true;
    if (c.model !== '') {
      const model = this.#models.get(c.model);
      if (model) {
        model.calls -= c.calls;
        if (model.calls <= 0) this.#models.delete(c.model);
        else if (c.firstTs <= model.firstTs) this.modelsUnknown = true;
      }
    }
    const key = `${c.tool}\0${c.sessionId}`;
    const session = this.#sessions.get(key);
    if (!session) return;
    session.tokens -= c.input + c.output + c.cacheCreation + c.cacheRead;
    session.cost -= c.cost;
    const left = (session.paths.get(c.projectPath) ?? 0) - c.calls;
    if (left > 0) session.paths.set(c.projectPath, left);
    else session.paths.delete(c.projectPath);
    if (session.paths.size === 0) this.#sessions.delete(key);
  }

  #count(c: BlockCalls, sign: 1 | -1): void {
    this.entries += sign * c.calls;
    this.inputTokens += sign * c.input;
    this.outputTokens += sign * c.output;
    this.cacheCreationTokens += sign * c.cacheCreation;
    this.cacheReadTokens += sign * c.cacheRead;
    this.reasoningOutputTokens += sign * c.reasoning;
    this.costUsd += sign * c.cost;
  }

  /** The block these figures make, with burn rate, projection and the heaviest `top` sessions. */
  toBlock(b: { start: number; first: number; now: number; duration: number; top: number }): UsageBlock {
    const { inputTokens, outputTokens, cacheCreationTokens, cacheReadTokens, costUsd } = this;
    const lastTs = Math.max(this.lastTs, b.first);
    const totalTokens = inputTokens + outputTokens + cacheCreationTokens + cacheReadTokens;
    const models = [...this.#models]
      .sort(([a, x], [z, y]) => x.firstTs - y.firstTs || (a < z ? -1 : a > z ? 1 : 0))
      .map(([model]) => model);
    const block: UsageBlock = {
      id: iso(b.start),
      startTime: iso(b.start),
      endTime: iso(b.start + b.duration),
      actualEndTime: iso(lastTs),
      isActive: true,
      isGap: false,
      entries: this.entries,
      inputTokens,
      outputTokens,
      cacheCreationTokens,
      cacheReadTokens,
      reasoningOutputTokens: this.reasoningOutputTokens,
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
    const sessions = [...this.#sessions.values()].map(
      (s): WindowSession => ({
        sessionId: s.sessionId,
        tool: s.tool,
        projectPath: greatest(s.paths.keys()),
        totalTokens: s.tokens,
        costUsd: s.cost,
        share: totalTokens > 0 ? s.tokens / totalTokens : 0,
      }),
    );
    return {
      ...block,
      burnRate: rate,
      projection: rate ? project(block, rate, b.now) : null,
      topSessions: b.top > 0 ? sessions.sort(bySessionWeight).slice(0, b.top) : [],
    };
  }
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

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { UsageEvent } from '@nexus/parsers';
import Database from 'better-sqlite3';
import {
  AggregateDeltas,
  type AggregateStatements,
  type CallJournal,
  prepareAggregateStatements,
  rebuildAggregates,
  type StoredCall,
} from './aggregate-deltas.js';
import { addMerged, appendCalls, type CallRow, improves, mergeCallRows } from './call-row.js';
import { costOfCall, roundUsd } from './cost.js';
import { NexusUsageError } from './errors.js';
import { bundledPricing, type PricingTable } from './pricing.js';

/** File name of the ledger inside the state directory. */
export const LEDGER_FILE = 'usage.sqlite';

/** Where a log file was read up to, saved in the same transaction as the rows it produced. */
export interface FileCheckpoint {
  readonly path: string;
  readonly tool: string;
  /** `stat.dev` and `stat.ino` as decimal strings (inodes can exceed 2^53). */
  readonly dev: string;
  readonly ino: string;
  /** File size when the checkpoint was written. */
  readonly size: number;
  readonly mtimeMs: number;
  /** Byte offset after the last complete line read. */
  readonly offset: number;
  /** Hash of the file's first bytes: tells a file rewritten in place from one that only grew. */
  readonly headHash: string;
  /** The adapter parser's `snapshot()` at `offset`. */
  readonly state: unknown;
}

/** Totals of one tool over all history (cost in `auto` mode). */
export interface LedgerToolTotals {
  readonly totalTokens: number;
  readonly totalCostUsd: number;
  /** Deduplicated model calls. */
  readonly calls: number;
}

/** Options of {@link UsageLedger.open}. */
export interface LedgerOptions {
  /** Path of the SQLite file; `:memory:` for tests. Default `<stateDir>/usage.sqlite`. */
  readonly path?: string;
  readonly stateDir?: string;
  /** Prices for computed costs; default the bundled snapshot. */
  readonly pricing?: PricingTable;
  /** Clock for `recordedAt` (tests). */
  readonly now?: () => number;
  /**
   * Read the file through a memory map of up to this many bytes (SQLite's `mmap_size`): no system call
   * per page read, for a short-lived process that reads much of the ledger once, like `nexus usage`.
   * Mapped pages count in the process's resident memory. Default 0 (off).
   */
  readonly mmapBytes?: number;
}

/** Result of {@link UsageLedger.ingest}. */
export interface IngestResult {
  /** Events that created a row or raised one of its fields. */
  readonly changed: number;
  /** Events dropped for an unreadable timestamp or an empty key. */
  readonly rejected: number;
}

/** What one commit of {@link UsageLedger} changed; see {@link UsageLedger.onChanges}. */
export interface LedgerChanges {
  readonly added: readonly StoredCall[];
  readonly removed: readonly StoredCall[];
  /** Many calls changed at once (repricing): figures kept outside the ledger must be read afresh. */
  readonly reset: boolean;
}

/**
 * Migrations by target `user_version`. Append only: a shipped migration is never edited, so a
 * ledger written by any earlier version upgrades in place and keeps its history.
 */
const MIGRATIONS: readonly string[] = [
  // 1: usage rows, checkpoints, per-tool running totals kept by triggers.
  `
  CREATE TABLE usage (
    id INTEGER PRIMARY KEY,
    tool TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    session_id TEXT NOT NULL,
    project_path TEXT NOT NULL,
    model TEXT NOT NULL,
    model_fallback INTEGER NOT NULL DEFAULT 0,
    speed TEXT,
    ts INTEGER NOT NULL,
    best_total INTEGER NOT NULL,
    input INTEGER NOT NULL,
    output INTEGER NOT NULL,
    cache_creation INTEGER NOT NULL,
    cache_creation_1h INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    reasoning INTEGER NOT NULL,
    cost_log REAL,
    cost_calc REAL NOT NULL,
    priced INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    UNIQUE (tool, dedup_key)
  );
  CREATE TABLE checkpoints (
    path TEXT PRIMARY KEY,
    tool TEXT NOT NULL,
    dev TEXT NOT NULL,
    ino TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ms REAL NOT NULL,
    offset INTEGER NOT NULL,
    head_hash TEXT NOT NULL,
    state TEXT,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE tool_totals (
    tool TEXT PRIMARY KEY,
    tokens INTEGER NOT NULL,
    cost_auto REAL NOT NULL,
    calls INTEGER NOT NULL
  );
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  -- Quarter-hour rollup per tool and model: reports cut days from it in any zone whose offsets are
  -- whole quarter hours (all of today's), without touching every call.
  CREATE TABLE rollup (
    bucket INTEGER NOT NULL,
    tool TEXT NOT NULL,
    model TEXT NOT NULL,
    calls INTEGER NOT NULL,
    input INTEGER NOT NULL,
    output INTEGER NOT NULL,
    cache_creation INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    reasoning INTEGER NOT NULL,
    cost_calc REAL NOT NULL,
    cost_auto REAL NOT NULL,
    cost_display REAL NOT NULL,
    unpriced_calc INTEGER NOT NULL,
    unpriced_auto INTEGER NOT NULL,
    PRIMARY KEY (bucket, tool, model)
  ) WITHOUT ROWID;
  CREATE TRIGGER usage_after_insert AFTER INSERT ON usage BEGIN
    INSERT INTO tool_totals (tool, tokens, cost_auto, calls)
    VALUES (NEW.tool, NEW.input + NEW.output + NEW.cache_creation + NEW.cache_read,
            coalesce(NEW.cost_log, NEW.cost_calc), 1)
    ON CONFLICT (tool) DO UPDATE SET tokens = tokens + excluded.tokens,
      cost_auto = cost_auto + excluded.cost_auto, calls = calls + 1;
    INSERT INTO rollup VALUES (NEW.ts / 900000, NEW.tool, NEW.model, 1, NEW.input, NEW.output, NEW.cache_creation,
      NEW.cache_read, NEW.reasoning, NEW.cost_calc, coalesce(NEW.cost_log, NEW.cost_calc), coalesce(NEW.cost_log, 0),
      NEW.priced = 0, NEW.priced = 0 AND NEW.cost_log IS NULL)
    ON CONFLICT (bucket, tool, model) DO UPDATE SET calls = calls + 1, input = input + excluded.input,
      output = output + excluded.output, cache_creation = cache_creation + excluded.cache_creation,
      cache_read = cache_read + excluded.cache_read, reasoning = reasoning + excluded.reasoning,
      cost_calc = cost_calc + excluded.cost_calc, cost_auto = cost_auto + excluded.cost_auto,
      cost_display = cost_display + excluded.cost_display, unpriced_calc = unpriced_calc + excluded.unpriced_calc,
      unpriced_auto = unpriced_auto + excluded.unpriced_auto;
  END;
  CREATE TRIGGER usage_after_update AFTER UPDATE ON usage BEGIN
    UPDATE tool_totals SET
      tokens = tokens + (NEW.input + NEW.output + NEW.cache_creation + NEW.cache_read)
                      - (OLD.input + OLD.output + OLD.cache_creation + OLD.cache_read),
      cost_auto = cost_auto + coalesce(NEW.cost_log, NEW.cost_calc) - coalesce(OLD.cost_log, OLD.cost_calc)
    WHERE tool = NEW.tool;
    UPDATE rollup SET calls = calls - 1, input = input - OLD.input, output = output - OLD.output,
      cache_creation = cache_creation - OLD.cache_creation, cache_read = cache_read - OLD.cache_read,
      reasoning = reasoning - OLD.reasoning, cost_calc = cost_calc - OLD.cost_calc,
      cost_auto = cost_auto - coalesce(OLD.cost_log, OLD.cost_calc), cost_display = cost_display - coalesce(OLD.cost_log, 0),
      unpriced_calc = unpriced_calc - (OLD.priced = 0), unpriced_auto = unpriced_auto - (OLD.priced = 0 AND OLD.cost_log IS NULL)
    WHERE bucket = OLD.ts / 900000 AND tool = OLD.tool AND model = OLD.model;
    INSERT INTO rollup VALUES (NEW.ts / 900000, NEW.tool, NEW.model, 1, NEW.input, NEW.output, NEW.cache_creation,
      NEW.cache_read, NEW.reasoning, NEW.cost_calc, coalesce(NEW.cost_log, NEW.cost_calc), coalesce(NEW.cost_log, 0),
      NEW.priced = 0, NEW.priced = 0 AND NEW.cost_log IS NULL)
    ON CONFLICT (bucket, tool, model) DO UPDATE SET calls = calls + 1, input = input + excluded.input,
      output = output + excluded.output, cache_creation = cache_creation + excluded.cache_creation,
      cache_read = cache_read + excluded.cache_read, reasoning = reasoning + excluded.reasoning,
      cost_calc = cost_calc + excluded.cost_calc, cost_auto = cost_auto + excluded.cost_auto,
      cost_display = cost_display + excluded.cost_display, unpriced_calc = unpriced_calc + excluded.unpriced_calc,
      unpriced_auto = unpriced_auto + excluded.unpriced_auto;
    DELETE FROM rollup WHERE bucket = OLD.ts / 900000 AND tool = OLD.tool AND model = OLD.model AND calls = 0;
  END;
  `,
  // 2: the price each model was last costed at, so a new pricing table reprices only what changed.
  `
  CREATE TABLE model_prices (model TEXT PRIMARY KEY, price TEXT NOT NULL);
  `,
  // 3: 5-hour blocks, limit windows and the statusline read recent calls and one session's calls.
  `
  CREATE INDEX usage_ts ON usage (ts);
  CREATE INDEX usage_session ON usage (session_id);
  `,
  // 4: one session's cost from totals kept by triggers (like tool_totals) instead of an index on
  // session_id, which doubled the cost of ingesting calls; this table adds a few per cent.
  `
  DROP INDEX usage_session;
  CREATE TABLE session_totals (
    tool TEXT NOT NULL,
    session_id TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    cost_auto REAL NOT NULL,
    calls INTEGER NOT NULL,
    PRIMARY KEY (tool, session_id)
  ) WITHOUT ROWID;
  INSERT INTO session_totals
    SELECT tool, session_id, SUM(input + output + cache_creation + cache_read), SUM(coalesce(cost_log, cost_calc)), COUNT(*)
    FROM usage GROUP BY tool, session_id;
  CREATE TRIGGER usage_session_after_insert AFTER INSERT ON usage BEGIN
    INSERT INTO session_totals VALUES (NEW.tool, NEW.session_id, NEW.input + NEW.output + NEW.cache_creation + NEW.cache_read,
      coalesce(NEW.cost_log, NEW.cost_calc), 1)
    ON CONFLICT (tool, session_id) DO UPDATE SET tokens = tokens + excluded.tokens,
      cost_auto = cost_auto + excluded.cost_auto, calls = calls + 1;
  END;
  CREATE TRIGGER usage_session_after_update AFTER UPDATE ON usage BEGIN
    UPDATE session_totals SET tokens = tokens - (OLD.input + OLD.output + OLD.cache_creation + OLD.cache_read),
      cost_auto = cost_auto - coalesce(OLD.cost_log, OLD.cost_calc), calls = calls - 1
    WHERE tool = OLD.tool AND session_id = OLD.session_id;
    INSERT INTO session_totals VALUES (NEW.tool, NEW.session_id, NEW.input + NEW.output + NEW.cache_creation + NEW.cache_read,
      coalesce(NEW.cost_log, NEW.cost_calc), 1)
    ON CONFLICT (tool, session_id) DO UPDATE SET tokens = tokens + excluded.tokens,
      cost_auto = cost_auto + excluded.cost_auto, calls = calls + 1;
    DELETE FROM session_totals WHERE tool = OLD.tool AND session_id = OLD.session_id AND calls = 0;
  END;
  `,
  // 5: the ledger keeps tool_totals, session_totals and rollup itself, one write per key and commit
  // (aggregate-deltas.ts): the per-call triggers were 60% of the cost of ingesting a backfill.
  `
  DROP TRIGGER IF EXISTS usage_after_insert;
  DROP TRIGGER IF EXISTS usage_after_update;
  DROP TRIGGER IF EXISTS usage_session_after_insert;
  DROP TRIGGER IF EXISTS usage_session_after_update;
  `,
  // 6: Claude Code's message id and whether the line was in a sidechain, so a `/btw` replay of a parent
  // message (same message id, new request id) is not counted next to the message it copies.
  `
  ALTER TABLE usage ADD COLUMN call_id TEXT;
  ALTER TABLE usage ADD COLUMN sidechain INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX usage_call ON usage (tool, call_id) WHERE call_id IS NOT NULL;
  `,
  // 7: Codex calls are keyed by session, time and tokens (what the parser now writes) instead of their byte
  // offset, which a rewritten rollout moves. The old key is the session id, a colon and the offset; a row
  // whose new key another row already holds (the same call read at two offsets) keeps its old one.
  `
  UPDATE OR IGNORE usage
    SET dedup_key = rtrim(dedup_key, '0123456789') || ts || ':' || input || ':' || cache_read || ':' || output || ':' || reasoning
    WHERE tool = 'codex';
  `,
];

/** Schema version this build writes. */
export const LEDGER_SCHEMA_VERSION = MIGRATIONS.length;

const INSERT_CALL = `
INSERT INTO usage (tool, dedup_key, session_id, project_path, model, model_fallback, speed, ts, best_total,
  input, output, cache_creation, cache_creation_1h, cache_read, reasoning, cost_log, cost_calc, priced, recorded_at,
  call_id, sidechain)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tool, dedup_key) DO NOTHING
`;

const LOGGED_OUTSIDE_SIDECHAIN =
  'SELECT 1 FROM usage WHERE tool = ? AND call_id = ? AND sidechain = 0 LIMIT 1';

/** The columns of a stored call that merging and the aggregates read (`StoredRow`). */
const STORED_COLUMNS = `id, dedup_key, session_id, project_path, model, model_fallback, speed, ts, best_total, input,
  output, cache_creation, cache_creation_1h, cache_read, reasoning, cost_log, cost_calc, priced`;

const SIDECHAIN_COPIES = `SELECT ${STORED_COLUMNS} FROM usage WHERE tool = ? AND call_id = ? AND sidechain = 1`;

const SELECT_CALL = `SELECT ${STORED_COLUMNS} FROM usage WHERE tool = ? AND dedup_key = ?`;

const UPDATE_CALL = `
UPDATE usage SET session_id = ?, project_path = ?, model = ?, model_fallback = ?, speed = ?, ts = ?, best_total = ?,
  input = ?, output = ?, cache_creation = ?, cache_creation_1h = ?, cache_read = ?, reasoning = ?, cost_log = ?,
  cost_calc = ?, priced = ?
WHERE id = ?
`;

/** A call as `STORED_COLUMNS` read it back. */
interface StoredRow {
  id: number;
  dedup_key: string;
  session_id: string;
  project_path: string;
  model: string;
  model_fallback: 0 | 1;
  speed: string | null;
  ts: number;
  best_total: number;
  input: number;
  output: number;
  cache_creation: number;
  cache_creation_1h: number;
  cache_read: number;
  reasoning: number;
  cost_log: number | null;
  cost_calc: number;
  priced: 0 | 1;
}

const UPSERT_CHECKPOINT = `
INSERT INTO checkpoints (path, tool, dev, ino, size, mtime_ms, offset, head_hash, state, updated_at)
VALUES (@path, @tool, @dev, @ino, @size, @mtimeMs, @offset, @headHash, @state, @updatedAt)
ON CONFLICT (path) DO UPDATE SET tool = excluded.tool, dev = excluded.dev, ino = excluded.ino,
  size = excluded.size, mtime_ms = excluded.mtime_ms, offset = excluded.offset, head_hash = excluded.head_hash,
  state = excluded.state, updated_at = excluded.updated_at
`;

interface CheckpointRow {
  path: string;
  tool: string;
  dev: string;
  ino: string;
  size: number;
  mtime_ms: number;
  offset: number;
  head_hash: string;
  state: string | null;
}

function toCheckpoint(row: CheckpointRow): FileCheckpoint {
  return {
    path: row.path,
    tool: row.tool,
    dev: row.dev,
    ino: row.ino,
    size: row.size,
    mtimeMs: row.mtime_ms,
    offset: row.offset,
    headHash: row.head_hash,
    state: row.state === null ? undefined : JSON.parse(row.state),
  };
}

/** What a stored call adds to the aggregates, as stored. */
function storedCallOf(tool: string, stored: StoredRow): StoredCall {
  return storedCall(rowOfStored(tool, stored), stored.cost_calc, stored.priced === 1);
}

function rowOfStored(tool: string, stored: StoredRow): CallRow {
  return {
    tool,
    dedupKey: stored.dedup_key,
    sessionId: stored.session_id,
    projectPath: stored.project_path,
    model: stored.model,
    modelFallback: stored.model_fallback,
    speed: stored.speed,
    ts: stored.ts,
    bestTotal: stored.best_total,
    inputTokens: stored.input,
    outputTokens: stored.output,
    cacheCreationTokens: stored.cache_creation,
    cacheCreation1hTokens: stored.cache_creation_1h,
    cacheReadTokens: stored.cache_read,
    reasoning: stored.reasoning,
    costLog: stored.cost_log,
    // Fixed by the key: the same (tool, dedupKey) always comes from the same message and file.
    callId: null,
    sidechain: 0,
  };
}

function storedCall(row: CallRow, costCalc: number, priced: boolean): StoredCall {
  return {
    tool: row.tool,
    sessionId: row.sessionId,
    projectPath: row.projectPath,
    model: row.model,
    ts: row.ts,
    input: row.inputTokens,
    output: row.outputTokens,
    cacheCreation: row.cacheCreationTokens,
    cacheRead: row.cacheReadTokens,
    reasoning: row.reasoning,
    costLog: row.costLog,
    costCalc,
    priced,
  };
}

/**
 * The all-history usage ledger: one SQLite file (WAL) with usage rows unique by (tool, dedupKey)
 * and a checkpoint per log file. Rows and the checkpoint that covers them commit together, so a
 * crash at any moment neither loses nor double counts. Rows are never deleted when logs are.
 */
/**
 * A checkpoint's identity and position as one string (see {@link UsageLedger.checkpointStamps}): the
 * tool, a newline, then device, inode, size, whole-millisecond mtime and offset. Equal stamps with
 * `offset === size` mean the file is unchanged since it was read to its end.
 */
export function checkpointStamp(
  cp: Pick<FileCheckpoint, 'tool' | 'dev' | 'ino' | 'size' | 'mtimeMs' | 'offset'>,
): string {
  return `${cp.tool}\n${cp.dev} ${cp.ino} ${cp.size} ${Math.trunc(cp.mtimeMs)} ${cp.offset}`;
}

export class UsageLedger {
  /** The underlying connection, for report queries. Treat as read-only outside this package. */
  readonly db: Database.Database;
  readonly path: string;
  #pricing: PricingTable;
  readonly #now: () => number;
  readonly #insertCall: Database.Statement;
  readonly #selectCall: Database.Statement<[string, string], StoredRow>;
  readonly #updateCall: Database.Statement;
  readonly #loggedOutsideSidechain: Database.Statement<[string, string]>;
  readonly #sidechainCopies: Database.Statement<[string, string], StoredRow>;
  readonly #deleteCall: Database.Statement<[number]>;
  readonly #aggregates: AggregateStatements;
  readonly #upsertCheckpoint: Database.Statement;
  readonly #recordPrice: Database.Statement;
  /** Models whose price is already in `model_prices` for the current table. */
  readonly #pricedModels = new Set<string>();
  readonly #getCheckpoint: Database.Statement<[string], CheckpointRow>;
  readonly #changeListeners = new Set<(changes: LedgerChanges) => void>();
  /** What the last commit changed, for the change listeners (set inside the transaction). */
  #journal: CallJournal | undefined;
  readonly #commit: Database.Transaction<
    (calls: readonly CallRow[], checkpoints: readonly FileCheckpoint[], rejected: number) => IngestResult
  >;

  private constructor(db: Database.Database, path: string, pricing: PricingTable, now: () => number) {
    this.db = db;
    this.path = path;
    this.#pricing = pricing;
    this.#now = now;
    db.function('nexus_cost', { deterministic: true }, (model, speed, input, output, cc, cc1h, cr) => {
      const match = this.#pricing.lookup(String(model));
      if (!match) return 0;
      return costOfCall(
        {
          inputTokens: Number(input),
          outputTokens: Number(output),
          cacheCreationTokens: Number(cc),
          cacheCreation1hTokens: Number(cc1h),
          cacheReadTokens: Number(cr),
        },
        match.price,
        speed === null ? undefined : String(speed),
      );
    });
    db.function('nexus_priced', { deterministic: true }, (model) =>
      this.#pricing.lookup(String(model)) ? 1 : 0,
    );
    this.#insertCall = db.prepare(INSERT_CALL);
    this.#selectCall = db.prepare(SELECT_CALL);
    this.#updateCall = db.prepare(UPDATE_CALL);
    this.#loggedOutsideSidechain = db.prepare(LOGGED_OUTSIDE_SIDECHAIN);
    this.#sidechainCopies = db.prepare(SIDECHAIN_COPIES);
    this.#deleteCall = db.prepare('DELETE FROM usage WHERE id = ?');
    this.#aggregates = prepareAggregateStatements(db);
    this.#upsertCheckpoint = db.prepare(UPSERT_CHECKPOINT);
    this.#recordPrice = db.prepare('INSERT OR IGNORE INTO model_prices (model, price) VALUES (?, ?)');
    this.#getCheckpoint = db.prepare('SELECT * FROM checkpoints WHERE path = ?');
    this.#commit = db.transaction((calls, checkpoints, rejected) => {
      let changed = 0;
      const recordedAt = this.#now();
      // Streamed responses repeat a key on consecutive lines: merge them here, so SQLite sees each
      // key once per batch.
      const merged = new Map<string, CallRow>();
      for (const row of calls) addMerged(merged, row);
      const deltas = new AggregateDeltas(
        this.#changeListeners.size > 0 ? { added: [], removed: [] } : undefined,
      );
      this.#journal = deltas.journal;
      for (const row of merged.values()) {
        // A sidechain replay of a call logged elsewhere is not a call of its own.
        if (row.sidechain && row.callId !== null && this.#loggedOutsideSidechain.get(row.tool, row.callId))
          continue;
        const price = this.#price(row);
        if (this.#insertCall.run(this.#values(row, price, recordedAt)).changes > 0) {
          deltas.add(storedCall(row, price.costCalc, price.priced));
          changed++;
          if (!row.sidechain && row.callId !== null) this.#dropSidechainCopies(row.tool, row.callId, deltas);
          continue;
        }
        const stored = this.#selectCall.get(row.tool, row.dedupKey);
        if (!stored) continue;
        const before = rowOfStored(row.tool, stored);
        if (!improves(before, row)) continue;
        const after = mergeCallRows(before, row);
        const afterPrice = this.#price(after);
        this.#updateCall.run(
          after.sessionId,
          after.projectPath,
          after.model,
          after.modelFallback,
          after.speed,
          after.ts,
          after.bestTotal,
          after.inputTokens,
          after.outputTokens,
          after.cacheCreationTokens,
          after.cacheCreation1hTokens,
          after.cacheReadTokens,
          after.reasoning,
          after.costLog,
          afterPrice.costCalc,
          afterPrice.priced ? 1 : 0,
          stored.id,
        );
        deltas.remove(storedCallOf(row.tool, stored));
        deltas.add(storedCall(after, afterPrice.costCalc, afterPrice.priced));
        changed++;
      }
      deltas.flush(this.#aggregates);
      for (const checkpoint of checkpoints) {
        this.#upsertCheckpoint.run({
          ...checkpoint,
          state: checkpoint.state === undefined ? null : JSON.stringify(checkpoint.state),
          updatedAt: recordedAt,
        });
      }
      return { changed, rejected };
    });
  }

  /**
   * Open (creating if needed) the ledger, run pending migrations, and reprice stored rows when the
   * pricing table differs from the one they were priced with.
   * @throws NexusUsageError `NEXUS_USAGE_LEDGER_OPEN` or `NEXUS_USAGE_LEDGER_SCHEMA`.
   */
  static open(options: LedgerOptions = {}): UsageLedger {
    const path = options.path ?? join(options.stateDir ?? '.', LEDGER_FILE);
    let db: Database.Database;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      // Only a new ledger takes it (an existing file keeps its page size): 16 KiB pages made a cold
      // backfill's inserts a third cheaper than the default 4 KiB, with fewer pages dirtied per commit.
      db.pragma('page_size = 16384');
      db.pragma('journal_mode = WAL');
      // NORMAL under WAL survives a killed process; only a power cut can drop the last commits.
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('cache_size = -32768');
      if (options.mmapBytes) db.pragma(`mmap_size = ${Math.max(0, Math.trunc(options.mmapBytes))}`);
    } catch (cause) {
      throw new NexusUsageError('NEXUS_USAGE_LEDGER_OPEN', `cannot open the usage ledger at ${path}`, {
        cause,
      });
    }
    try {
      migrate(db);
      const ledger = new UsageLedger(db, path, options.pricing ?? bundledPricing(), options.now ?? Date.now);
      ledger.setPricing(ledger.#pricing);
      return ledger;
    } catch (err) {
      db.close();
      if (err instanceof NexusUsageError) throw err;
      throw new NexusUsageError('NEXUS_USAGE_LEDGER_OPEN', `cannot open the usage ledger at ${path}`, {
        cause: err,
      });
    }
  }

  /** The table computed costs use. */
  get pricing(): PricingTable {
    return this.#pricing;
  }

  /**
   * Switch pricing tables; stored computed costs are recomputed when the prices differ.
   * @returns the number of rows repriced.
   */
  setPricing(pricing: PricingTable): number {
    this.#pricing = pricing;
    const stored = this.db.prepare("SELECT value FROM meta WHERE key = 'pricing_fingerprint'").pluck().get();
    if (stored === pricing.fingerprint) return 0;
    this.#pricedModels.clear();
    const repriced = this.db.transaction(() => {
      // Models come from the rollup (a few dozen rows per day), not from every call.
      const models = this.db.prepare('SELECT DISTINCT model FROM rollup').pluck().all() as string[];
      const before = new Map(
        (
          this.db.prepare('SELECT model, price FROM model_prices').all() as { model: string; price: string }[]
        ).map((r) => [r.model, r.price]),
      );
      const changedModels: string[] = [];
      const record = this.db.prepare('INSERT OR REPLACE INTO model_prices (model, price) VALUES (?, ?)');
      for (const model of models) {
        const price = JSON.stringify(pricing.lookup(model)?.price ?? null);
        if (before.get(model) !== price) changedModels.push(model);
        record.run(model, price);
      }
      let changes = 0;
      if (changedModels.length > 0) {
        changes = this.db
          .prepare(
            `UPDATE usage SET cost_calc = nexus_cost(model, speed, input, output, cache_creation, cache_creation_1h,
               cache_read), priced = nexus_priced(model)
             WHERE model IN (SELECT value FROM json_each(?))`,
          )
          .run(JSON.stringify(changedModels)).changes;
        if (changes > 0) rebuildAggregates(this.db);
      }
      this.db
        .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('pricing_fingerprint', ?)")
        .run(pricing.fingerprint);
      return changes;
    })();
    if (repriced > 0) this.#notify({ added: [], removed: [], reset: true });
    return repriced;
  }

  /** The call is logged outside a sidechain: copies a sidechain replayed earlier stop counting. */
  #dropSidechainCopies(tool: string, callId: string, deltas: AggregateDeltas): void {
    for (const copy of this.#sidechainCopies.all(tool, callId)) {
      this.#deleteCall.run(copy.id);
      deltas.remove(storedCallOf(tool, copy));
    }
  }

  /** Computed cost of a call at the current prices (recording the model's price on first sight). */
  #price(row: CallRow): { costCalc: number; priced: boolean } {
    const match = this.#pricing.lookup(row.model);
    if (!this.#pricedModels.has(row.model)) {
      this.#recordPrice.run(row.model, JSON.stringify(match?.price ?? null));
      this.#pricedModels.add(row.model);
    }
    return { costCalc: match ? costOfCall(row, match.price, row.speed) : 0, priced: match !== undefined };
  }

  #values(
    row: CallRow,
    { costCalc, priced }: { costCalc: number; priced: boolean },
    recordedAt: number,
  ): unknown[] {
    return [
      row.tool,
      row.dedupKey,
      row.sessionId,
      row.projectPath,
      row.model,
      row.modelFallback,
      row.speed,
      row.ts,
      row.bestTotal,
      row.inputTokens,
      row.outputTokens,
      row.cacheCreationTokens,
      row.cacheCreation1hTokens,
      row.cacheReadTokens,
      row.reasoning,
      row.costLog,
      costCalc,
      priced ? 1 : 0,
      recordedAt,
      row.callId,
      row.sidechain,
    ];
  }

  /**
   * Upsert usage events (per-field maximum per (tool, dedupKey)) and, when given, the checkpoints of
   * the files they came from, in one transaction: either all of it is stored or none.
   */
  ingest(
    events: readonly UsageEvent[],
    checkpoint?: FileCheckpoint | readonly FileCheckpoint[],
  ): IngestResult {
    const calls: CallRow[] = [];
    const rejected = appendCalls(events, calls);
    return this.ingestCalls(
      calls,
      checkpoint === undefined ? [] : Array.isArray(checkpoint) ? checkpoint : [checkpoint as FileCheckpoint],
      rejected,
    );
  }

  /**
   * {@link ingest} for events already made calls (`callRowOf`), as a backfill worker sends them.
   * `rejected` counts the events that made none, for the result.
   * @internal
   */
  ingestCalls(calls: readonly CallRow[], checkpoints: readonly FileCheckpoint[], rejected = 0): IngestResult {
    // Immediate: the commit reads rows it then rewrites, so it takes the write lock before reading.
    this.#journal = undefined;
    const result = this.#commit.immediate(calls, checkpoints, rejected);
    const journal = this.#journal as CallJournal | undefined;
    this.#journal = undefined;
    if (journal && (journal.added.length > 0 || journal.removed.length > 0))
      this.#notify({ added: journal.added, removed: journal.removed, reset: false });
    return result;
  }

  /**
   * Be told, after each commit of this connection, which calls it added and removed (an update removes
   * the old version and adds the new one), so figures kept outside the ledger can follow without reading
   * it again. `reset` says many calls changed at once (a new pricing table): read afresh. Commits of
   * other connections are not reported (`PRAGMA data_version` tells they happened). Returns the
   * unsubscribe function.
   */
  onChanges(listener: (changes: LedgerChanges) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  #notify(changes: LedgerChanges): void {
    for (const listener of this.#changeListeners) listener(changes);
  }

  /** The saved checkpoint of a log file, if any. */
  checkpoint(path: string): FileCheckpoint | undefined {
    const row = this.#getCheckpoint.get(path);
    return row ? toCheckpoint(row) : undefined;
  }

  /**
   * The {@link checkpointStamp} of every file ever read, by path: one string per file, built by SQLite.
   * A catch-up compares these with `stat` and loads the whole checkpoint only of the files that changed.
   * (Objects of eight fields for thousands of checkpoints were a third of a caught-up `nexus usage`.)
   */
  checkpointStamps(): Map<string, string> {
    const rows = this.db
      .prepare(
        "SELECT path, tool || char(10) || dev || ' ' || ino || ' ' || size || ' ' || CAST(mtime_ms AS INTEGER) || ' ' || offset FROM checkpoints",
      )
      .raw()
      .all() as [string, string][];
    return new Map(rows);
  }

  /** All checkpoints (files ever read, including deleted ones). */
  checkpoints(): FileCheckpoint[] {
    return (this.db.prepare('SELECT * FROM checkpoints ORDER BY path').all() as CheckpointRow[]).map(
      toCheckpoint,
    );
  }

  /** All-history totals per tool, kept up to date by every commit (auto-mode cost). Cheap: one row per tool. */
  toolTotals(): Record<string, LedgerToolTotals> {
    const rows = this.db
      .prepare('SELECT tool, tokens, cost_auto, calls FROM tool_totals ORDER BY tool')
      .all() as {
      tool: string;
      tokens: number;
      cost_auto: number;
      calls: number;
    }[];
    const out: Record<string, LedgerToolTotals> = {};
    for (const r of rows)
      out[r.tool] = {
        totalTokens: r.tokens,
        totalCostUsd: Math.max(0, roundUsd(r.cost_auto)),
        calls: r.calls,
      };
    return out;
  }

  /** Close the connection (checkpoints the WAL). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

function migrate(db: Database.Database): void {
  const read = () => db.pragma('user_version', { simple: true }) as number;
  const check = (version: number) => {
    if (version > MIGRATIONS.length) {
      throw new NexusUsageError(
        'NEXUS_USAGE_LEDGER_SCHEMA',
        `the usage ledger has schema version ${version}; this Nexus knows up to ${MIGRATIONS.length}`,
      );
    }
  };
  check(read());
  if (read() === MIGRATIONS.length) return;
  // Re-read under the write lock: the server and `nexus usage` may open a new ledger at the same time.
  db.transaction(() => {
    const version = read();
    check(version);
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

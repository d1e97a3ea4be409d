import type Database from 'better-sqlite3';

/** What one stored call adds to the running aggregates (the `usage` columns they read). */
export interface StoredCall {
  readonly tool: string;
  readonly sessionId: string;
  readonly projectPath: string;
  readonly model: string;
  readonly ts: number;
  readonly input: number;
  readonly output: number;
  readonly cacheCreation: number;
  readonly cacheRead: number;
  readonly reasoning: number;
  readonly costLog: number | null;
  readonly costCalc: number;
  readonly priced: boolean;
}

/** Width of a rollup bucket: reports cut days in any zone whose offsets are whole quarter hours. */
export const ROLLUP_BUCKET_MS = 900_000;

const ROLLUP_FIELDS = 11;

const UPSERT_TOOL = `
INSERT INTO tool_totals (tool, tokens, cost_auto, calls) VALUES (?, ?, ?, ?)
ON CONFLICT (tool) DO UPDATE SET tokens = tokens + excluded.tokens, cost_auto = cost_auto + excluded.cost_auto,
  calls = calls + excluded.calls`;

const UPSERT_SESSION = `
INSERT INTO session_totals (tool, session_id, tokens, cost_auto, calls) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (tool, session_id) DO UPDATE SET tokens = tokens + excluded.tokens,
  cost_auto = cost_auto + excluded.cost_auto, calls = calls + excluded.calls`;

const UPSERT_ROLLUP = `
INSERT INTO rollup (bucket, tool, model, calls, input, output, cache_creation, cache_read, reasoning, cost_calc,
  cost_auto, cost_display, unpriced_calc, unpriced_auto) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (bucket, tool, model) DO UPDATE SET calls = calls + excluded.calls, input = input + excluded.input,
  output = output + excluded.output, cache_creation = cache_creation + excluded.cache_creation,
  cache_read = cache_read + excluded.cache_read, reasoning = reasoning + excluded.reasoning,
  cost_calc = cost_calc + excluded.cost_calc, cost_auto = cost_auto + excluded.cost_auto,
  cost_display = cost_display + excluded.cost_display, unpriced_calc = unpriced_calc + excluded.unpriced_calc,
  unpriced_auto = unpriced_auto + excluded.unpriced_auto`;

/** Statements that apply {@link AggregateDeltas}, prepared once per connection. */
export interface AggregateStatements {
  readonly tool: Database.Statement;
  readonly session: Database.Statement;
  readonly rollup: Database.Statement;
  readonly dropEmptySession: Database.Statement;
  readonly dropEmptyRollup: Database.Statement;
}

export function prepareAggregateStatements(db: Database.Database): AggregateStatements {
  return {
    tool: db.prepare(UPSERT_TOOL),
    session: db.prepare(UPSERT_SESSION),
    rollup: db.prepare(UPSERT_ROLLUP),
    dropEmptySession: db.prepare(
      'DELETE FROM session_totals WHERE tool = ? AND session_id = ? AND calls = 0',
    ),
    dropEmptyRollup: db.prepare(
      'DELETE FROM rollup WHERE bucket = ? AND tool = ? AND model = ? AND calls = 0',
    ),
  };
}

/** Calls one commit stored and un-stored (an update un-stores the old version and stores the new). */
export interface CallJournal {
  readonly added: StoredCall[];
  readonly removed: StoredCall[];
}

interface Sums {
  readonly sums: number[];
  removed: boolean;
}

/** One tool's changes: its totals, per session, and per model and quarter hour. */
interface ToolDeltas {
  readonly totals: number[];
  readonly sessions: Map<string, Sums>;
  readonly rollup: Map<string, Map<number, Sums>>;
}

/**
 * The changes one commit makes to `tool_totals`, `session_totals` and the quarter-hour `rollup`,
 * summed per key and written once per key at the end of the transaction. Per-row triggers did the same
 * work once per call and were 60% of the cost of ingesting a cold backfill; here a commit of thousands of
 * calls writes a few hundred aggregate rows. Keys are nested maps of the strings the calls already hold,
 * so counting a call allocates nothing in the common case.
 */
export class AggregateDeltas {
  readonly #tools = new Map<string, ToolDeltas>();
  /** When given, every call counted and un-counted is also listed here (the ledger's change feed). */
  readonly journal: CallJournal | undefined;

  constructor(journal?: CallJournal) {
    this.journal = journal;
  }

  /** Count a call that was stored. */
  add(call: StoredCall): void {
    this.#apply(call, 1);
    this.journal?.added.push(call);
  }

  /** Un-count a call about to be replaced by its merged version. */
  remove(call: StoredCall): void {
    this.#apply(call, -1);
    this.journal?.removed.push(call);
  }

  #apply(call: StoredCall, sign: 1 | -1): void {
    const tokens = call.input + call.output + call.cacheCreation + call.cacheRead;
    const costAuto = call.costLog ?? call.costCalc;
    let tool = this.#tools.get(call.tool);
    if (!tool) {
      tool = { totals: [0, 0, 0], sessions: new Map(), rollup: new Map() };
      this.#tools.set(call.tool, tool);
    }
    addAll(tool.totals, sign, tokens, costAuto, 1);
    const session = sumsOf(tool.sessions, call.sessionId, 3);
    addAll(session.sums, sign, tokens, costAuto, 1);
    let byBucket = tool.rollup.get(call.model);
    if (!byBucket) {
      byBucket = new Map();
      tool.rollup.set(call.model, byBucket);
    }
    // SQLite's integer division truncates toward zero; so does this.
    const rollup = sumsOf(byBucket, Math.trunc(call.ts / ROLLUP_BUCKET_MS), ROLLUP_FIELDS);
    addAll(
      rollup.sums,
      sign,
      1,
      call.input,
      call.output,
      call.cacheCreation,
      call.cacheRead,
      call.reasoning,
      call.costCalc,
      costAuto,
      call.costLog ?? 0,
      call.priced ? 0 : 1,
      !call.priced && call.costLog === null ? 1 : 0,
    );
    if (sign < 0) {
      session.removed = true;
      rollup.removed = true;
    }
  }

  /** Write the summed changes (inside the caller's transaction) and forget them. */
  flush(statements: AggregateStatements): void {
    for (const [toolName, tool] of this.#tools) {
      if (changes(tool.totals)) statements.tool.run(toolName, ...tool.totals);
      for (const [sessionId, { sums, removed }] of tool.sessions) {
        if (changes(sums)) statements.session.run(toolName, sessionId, ...sums);
        if (removed) statements.dropEmptySession.run(toolName, sessionId);
      }
      for (const [model, byBucket] of tool.rollup) {
        for (const [bucket, { sums, removed }] of byBucket) {
          if (changes(sums)) statements.rollup.run(bucket, toolName, model, ...sums);
          if (removed) statements.dropEmptyRollup.run(bucket, toolName, model);
        }
      }
    }
    this.#tools.clear();
  }
}

function sumsOf<K>(map: Map<K, Sums>, key: K, fields: number): Sums {
  let found = map.get(key);
  if (!found) {
    found = { sums: new Array<number>(fields).fill(0), removed: false };
    map.set(key, found);
  }
  return found;
}

function changes(sums: readonly number[]): boolean {
  return sums.some((value) => value !== 0);
}

function addAll(sums: number[], sign: 1 | -1, ...values: number[]): void {
  for (let index = 0; index < values.length; index++)
    sums[index] = (sums[index] ?? 0) + sign * (values[index] ?? 0);
}

/**
 * Recompute the three aggregate tables from the calls themselves (after a repricing rewrote costs, or to
 * repair a ledger).
 */
export function rebuildAggregates(db: Database.Database): void {
  db.exec(`
    DELETE FROM tool_totals;
    INSERT INTO tool_totals (tool, tokens, cost_auto, calls)
      SELECT tool, SUM(input + output + cache_creation + cache_read), SUM(coalesce(cost_log, cost_calc)), COUNT(*)
      FROM usage GROUP BY tool;
    DELETE FROM session_totals;
    INSERT INTO session_totals (tool, session_id, tokens, cost_auto, calls)
      SELECT tool, session_id, SUM(input + output + cache_creation + cache_read), SUM(coalesce(cost_log, cost_calc)),
        COUNT(*)
      FROM usage GROUP BY tool, session_id;
    DELETE FROM rollup;
    INSERT INTO rollup (bucket, tool, model, calls, input, output, cache_creation, cache_read, reasoning, cost_calc,
      cost_auto, cost_display, unpriced_calc, unpriced_auto)
      SELECT ts / ${ROLLUP_BUCKET_MS}, tool, model, COUNT(*), SUM(input), SUM(output), SUM(cache_creation),
        SUM(cache_read), SUM(reasoning), SUM(cost_calc), SUM(coalesce(cost_log, cost_calc)), SUM(coalesce(cost_log, 0)),
        SUM(priced = 0), SUM(priced = 0 AND cost_log IS NULL)
      FROM usage GROUP BY 1, 2, 3;
  `);
}

import type { UsageEvent } from '@nexus/parsers';
import type { BackfillProgress, ToolTotals, UsageTotals } from '@nexus/protocol';
import type { FileCheckpoint, IngestResult, UsageLedger } from './ledger.js';

/** Timers the coalescer uses; injectable so tests drive time by hand. */
export interface CoalescerClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: CoalescerClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // A pending totals frame must not keep a CLI process alive.
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Options of {@link LiveTotals}. */
export interface LiveTotalsOptions {
  readonly ledger: UsageLedger;
  /** Receives each coalesced `usage_totals` payload. */
  readonly onUpdate: (totals: UsageTotals) => void;
  /** Minimum time between two updates (default 250 ms, DESIGN §6). */
  readonly intervalMs?: number;
  /** Tools always listed in `byTool`, even at zero (the registered adapters). */
  readonly tools?: readonly string[];
  readonly clock?: CoalescerClock;
}

const idle: BackfillProgress = {
  status: 'idle',
  scannedFiles: 0,
  totalFiles: 0,
  scannedBytes: 0,
  totalBytes: 0,
};

/**
 * All-history totals for the `usage_totals` frame: tokens and USD per tool from the ledger (kept
 * by its triggers, so a grown dedupKey adds only its difference), running agents from the session
 * registry, and backfill progress. Changes are coalesced to at most one update per interval; the
 * first change after a quiet period goes out at once.
 */
export class LiveTotals {
  readonly #ledger: UsageLedger;
  readonly #onUpdate: (totals: UsageTotals) => void;
  readonly #interval: number;
  readonly #clock: CoalescerClock;
  readonly #tools: readonly string[];
  #running: Record<string, number> = {};
  #backfill: BackfillProgress = idle;
  #lastEmit = Number.NEGATIVE_INFINITY;
  #timer: unknown;
  #closed = false;

  constructor(options: LiveTotalsOptions) {
    this.#ledger = options.ledger;
    this.#onUpdate = options.onUpdate;
    this.#interval = options.intervalMs ?? 250;
    this.#clock = options.clock ?? systemClock;
    this.#tools = options.tools ?? [];
  }

  /** Write live usage events to the ledger and schedule an update. */
  ingest(
    events: readonly UsageEvent[],
    checkpoint?: FileCheckpoint | readonly FileCheckpoint[],
  ): IngestResult {
    const result = this.#ledger.ingest(events, checkpoint);
    if (result.changed > 0) this.changed();
    return result;
  }

  /** Running agents per tool, from the session registry. */
  setRunningAgents(byTool: Readonly<Record<string, number>>): void {
    this.#running = { ...byTool };
    this.changed();
  }

  /** Backfill progress (pass `runBackfill`'s `onProgress` here). */
  setBackfill(progress: BackfillProgress): void {
    this.#backfill = { ...progress };
    this.changed();
  }

  /** The ledger changed behind our back (e.g. a backfill commit): schedule an update. */
  changed(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const wait = this.#lastEmit + this.#interval - this.#clock.now();
    if (wait <= 0) {
      this.#emit();
      return;
    }
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#emit();
    }, wait);
  }

  /** The current totals, computed now (the `init` frame uses this). */
  snapshot(): UsageTotals {
    const stored = this.#ledger.toolTotals();
    const names = new Set([...this.#tools, ...Object.keys(stored), ...Object.keys(this.#running)]);
    const byTool: Record<string, ToolTotals> = {};
    const totals = { totalTokens: 0, totalCostUsd: 0, runningAgents: 0 };
    for (const tool of [...names].sort()) {
      const t = {
        totalTokens: stored[tool]?.totalTokens ?? 0,
        totalCostUsd: stored[tool]?.totalCostUsd ?? 0,
        runningAgents: this.#running[tool] ?? 0,
      };
      byTool[tool] = t;
      totals.totalTokens += t.totalTokens;
      totals.totalCostUsd += t.totalCostUsd;
      totals.runningAgents += t.runningAgents;
    }
    return {
      scope: 'all_history',
      totals,
      byTool,
      backfill: { ...this.#backfill },
      updatedAt: new Date(this.#clock.now()).toISOString(),
    };
  }

  /** Stop scheduling; a pending update is dropped. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #emit(): void {
    this.#lastEmit = this.#clock.now();
    this.#onUpdate(this.snapshot());
  }
}

import type { UsageBlock } from '@nexus/protocol';
import type { StoredCall } from './aggregate-deltas.js';
import {
  type ActiveBlockOptions,
  activeBlockBounds,
  type BlockCalls,
  BlockFigures,
  costColumn,
  durationMs,
  floorToUtcHour,
  type LedgerReader,
  toolSeek,
} from './blocks.js';
import type { CostMode } from './cost.js';
import type { LedgerChanges, UsageLedger } from './ledger.js';

/** Options of {@link ActiveBlockTracker}. */
export interface ActiveBlockTrackerOptions extends Omit<ActiveBlockOptions, 'now'> {
  /**
   * Read the block afresh at least this often, even without a reason to: USD sums kept by adding and
   * subtracting drift in their last bits. Default 5 minutes.
   */
  readonly resyncMs?: number;
}

type Tracked =
  | { readonly kind: 'none'; readonly readAt: number; readonly validUntil: number }
  | {
      readonly kind: 'block';
      readonly start: number;
      readonly first: number;
      readonly figures: BlockFigures;
      readonly readAt: number;
      readonly validUntil: number;
    };

/**
 * {@link activeBlock}, kept up to date from the ledger's commits instead of read again each time. A
 * recount reads every call of the block, 50–100 ms with 50,000 calls in it, on the thread that also
 * streams live sessions; following the commits costs microseconds per call. Whatever the commits cannot
 * say exactly sends it back to the ledger: a call before the block's first call or after its end (the
 * boundaries may move), the first call removed, a model's first use removed, a commit by another
 * process (`PRAGMA data_version`), a repricing, a call dated in the future coming due, and the periodic
 * resync.
 */
export class ActiveBlockTracker {
  readonly #ledger: LedgerReader;
  readonly #tool: string | null;
  readonly #mode: CostMode;
  readonly #duration: number;
  readonly #top: number;
  readonly #resyncMs: number;
  readonly #unsubscribe: () => void;
  #tracked: Tracked | undefined;
  #dataVersion = -1;

  constructor(ledger: Pick<UsageLedger, 'db' | 'onChanges'>, options: ActiveBlockTrackerOptions = {}) {
    this.#ledger = ledger;
    this.#tool = options.tool === undefined ? 'claude-code' : options.tool;
    this.#mode = options.mode ?? 'auto';
    costColumn(this.#mode);
    this.#duration = durationMs(options.sessionDurationHours);
    this.#top = options.topSessions ?? 5;
    this.#resyncMs = options.resyncMs ?? 5 * 60_000;
    this.#unsubscribe = ledger.onChanges((changes) => this.#apply(changes));
  }

  /** The block active at `now`, equal to what {@link activeBlock} reads from the ledger. */
  get(now: number): UsageBlock | null {
    const version = this.#ledger.db.pragma('data_version', { simple: true }) as number;
    if (version !== this.#dataVersion) {
      this.#dataVersion = version;
      this.#tracked = undefined;
    }
    let tracked = this.#tracked;
    if (
      tracked?.kind === 'block' &&
      (now - tracked.readAt >= this.#resyncMs ||
        tracked.figures.modelsUnknown ||
        tracked.figures.lastTs > now)
    ) {
      tracked = undefined;
    }
    // Also when the clock went back: what was read at a later time may hold calls not yet due.
    if (!tracked || now >= tracked.validUntil || now < tracked.readAt) tracked = this.#read(now);
    this.#tracked = tracked;
    if (tracked.kind === 'none') return null;
    const { start, first, figures } = tracked;
    if (figures.lastTsUnknown) {
      figures.lastTs =
        toolSeek(this.#ledger, this.#tool)('MAX(ts) FROM usage WHERE ts >= ? AND ts <= ?')(first, now) ??
        first;
      figures.lastTsUnknown = false;
    }
    if (!(now - figures.lastTs < this.#duration && now < start + this.#duration)) return null;
    return figures.toBlock({ start, first, now, duration: this.#duration, top: this.#top });
  }

  /** Stop following the ledger. */
  close(): void {
    this.#unsubscribe();
    this.#tracked = undefined;
  }

  #read(now: number): Tracked {
    // A call dated after `now` does not count yet; when it comes due, read again.
    const future = toolSeek(this.#ledger, this.#tool)('MIN(ts) FROM usage WHERE ts > ?')(now);
    const validUntil = future ?? Number.POSITIVE_INFINITY;
    const bounds = activeBlockBounds(this.#ledger, this.#tool, this.#duration, now);
    if (!bounds) return { kind: 'none', readAt: now, validUntil };
    const figures = BlockFigures.read(this.#ledger, {
      tool: this.#tool,
      mode: this.#mode,
      from: bounds.first,
      to: now,
    });
    return { kind: 'block', start: bounds.start, first: bounds.first, figures, readAt: now, validUntil };
  }

  #apply(changes: LedgerChanges): void {
    const tracked = this.#tracked;
    if (!tracked) return;
    if (changes.reset) {
      this.#tracked = undefined;
      return;
    }
    const mine = (call: StoredCall) => this.#tool === null || call.tool === this.#tool;
    // Calls dated after the read were not counted: no telling whether a removed one was added since.
    if (tracked.validUntil !== Number.POSITIVE_INFINITY) {
      if (changes.added.some(mine) || changes.removed.some(mine)) this.#tracked = undefined;
      return;
    }
    if (tracked.kind === 'none') {
      this.#tracked = this.#opened(tracked.readAt, changes, mine);
      return;
    }
    const { start, first, figures } = tracked;
    const inBlock = (call: StoredCall) => call.ts >= first && call.ts <= start + this.#duration;
    // Additions first: an update removes the old version of a call after adding the new one, so the
    // newest time and the models' first uses stay known when the new version is no earlier.
    for (const call of changes.added) {
      if (!mine(call)) continue;
      if (!inBlock(call)) {
        this.#tracked = undefined;
        return;
      }
      figures.add(this.#calls(call));
    }
    for (const call of changes.removed) {
      if (!mine(call)) continue;
      if (!inBlock(call) || call.ts === first) {
        this.#tracked = undefined;
        return;
      }
      figures.remove(this.#calls(call));
    }
  }

  /**
   * No block was active at `readAt`: the last call then was a duration old, or its block had ended. So a
   * call dated after `readAt` opens a new block, whatever came before, and the calls of the commit that
   * are all that recent make that block on their own. Anything else is read afresh.
   */
  #opened(readAt: number, changes: LedgerChanges, mine: (call: StoredCall) => boolean): Tracked | undefined {
    if (changes.removed.some(mine)) return undefined;
    const added = changes.added.filter(mine);
    if (added.length === 0) return { kind: 'none', readAt, validUntil: Number.POSITIVE_INFINITY };
    const first = Math.min(...added.map((call) => call.ts));
    const start = floorToUtcHour(first);
    if (first <= readAt || added.some((call) => call.ts > start + this.#duration)) return undefined;
    const figures = new BlockFigures();
    for (const call of added) figures.add(this.#calls(call));
    return { kind: 'block', start, first, figures, readAt, validUntil: Number.POSITIVE_INFINITY };
  }

  #calls(call: StoredCall): BlockCalls {
    const cost =
      this.#mode === 'calculate'
        ? call.costCalc
        : this.#mode === 'display'
          ? (call.costLog ?? 0)
          : (call.costLog ?? call.costCalc);
    return {
      sessionId: call.sessionId,
      tool: call.tool,
      model: call.model,
      projectPath: call.projectPath,
      calls: 1,
      input: call.input,
      output: call.output,
      cacheCreation: call.cacheCreation,
      cacheRead: call.cacheRead,
      reasoning: call.reasoning,
      cost: Math.max(0, cost),
      firstTs: call.ts,
      lastTs: call.ts,
    };
  }
}

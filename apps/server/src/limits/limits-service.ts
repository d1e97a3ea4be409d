import { statSync } from 'node:fs';
import type {
  ClaudeUsagePollState,
  LimitsSnapshot,
  LimitWindow,
  UsageBlock,
  WindowSession,
} from '@nexus/protocol';
import { activeBlock, type LedgerReader, windowSessions } from '@nexus/usage';
import type { ClaudeUsagePoller, LimitsLogger, PollerClock } from './claude-usage.js';
import { systemClock } from './claude-usage.js';
import type { CodexLimits } from './codex-limits.js';
import { type LimitFiles, readStatuslineFile, writeJsonFile } from './limit-files.js';
import { byToolAndWindow, type LimitReading, newestPerWindow } from './readings.js';

/** Sessions listed per window and on the active block. */
export const TOP_SESSIONS = 3;
/** Windows longer than this have their top sessions recomputed at most every {@link LONG_WINDOW_TTL_MS}. */
const SHORT_WINDOW_MIN = 24 * 60;
const LONG_WINDOW_TTL_MS = 5 * 60_000;

export interface LimitsServiceOptions {
  readonly ledger: LedgerReader;
  /**
   * The active Claude Code block at a time; default read from the ledger each time. The server passes
   * an `ActiveBlockTracker`, which follows the ledger's commits instead of reading the block again.
   */
  readonly activeBlock?: (now: number) => UsageBlock | null;
  readonly files: LimitFiles;
  readonly codex: CodexLimits;
  readonly claude: Pick<ClaudeUsagePoller, 'windows' | 'state'>;
  readonly onUpdate: (snapshot: LimitsSnapshot) => void;
  readonly logger: LimitsLogger;
  readonly clock?: PollerClock;
  /** Recompute at least this often (the active block's projection moves with time). Default 15 s. */
  readonly refreshMs?: number;
  /**
   * At most one recompute per this long when changes pour in. Default 5 s: a recompute reads the
   * ledger on the event loop, and under a stream of calls the live path must not wait on it often.
   */
  readonly coalesceMs?: number;
}

/**
 * Joins the plan-limit sources (Codex logs, the Claude OAuth poller, the statusline's file) with the
 * ledger (the active 5-hour block, the sessions that used each window) into one `LimitsSnapshot`,
 * and reports it when it changes. The snapshot is also written to the state directory for
 * `nexus statusline`.
 */
export class LimitsService {
  readonly #options: LimitsServiceOptions;
  readonly #clock: PollerClock;
  readonly #cache = new Map<string, { at: number; sessions: WindowSession[] }>();
  #statusline: LimitReading[] = [];
  #statuslineMtime = -1;
  #snapshot: LimitsSnapshot | undefined;
  #lastKey = '';
  #lastRun = Number.NEGATIVE_INFINITY;
  #pending: unknown;
  #ticker: unknown;
  #closed = false;

  constructor(options: LimitsServiceOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Compute now and keep refreshing. */
  start(): void {
    this.#run();
    const tick = () => {
      this.#ticker = this.#clock.setTimeout(() => {
        if (this.#closed) return;
        this.#run();
        tick();
      }, this.#options.refreshMs ?? 15_000);
    };
    tick();
  }

  /** A source or the ledger changed: recompute soon (coalesced). */
  changed(): void {
    if (this.#closed || this.#pending !== undefined) return;
    const wait = this.#lastRun + (this.#options.coalesceMs ?? 5000) - this.#clock.now();
    if (wait <= 0) {
      this.#run();
      return;
    }
    this.#pending = this.#clock.setTimeout(() => {
      this.#pending = undefined;
      this.#run();
    }, wait);
  }

  /** The current snapshot (computed on first use). */
  snapshot(): LimitsSnapshot {
    if (!this.#snapshot) this.#run();
    return this.#snapshot!;
  }

  close(): void {
    this.#closed = true;
    if (this.#pending !== undefined) this.#clock.clearTimeout(this.#pending);
    if (this.#ticker !== undefined) this.#clock.clearTimeout(this.#ticker);
  }

  #run(): void {
    if (this.#closed) return;
    this.#lastRun = this.#clock.now();
    let snapshot: LimitsSnapshot;
    try {
      snapshot = this.#compute(this.#lastRun);
    } catch (error) {
      // A ledger hiccup (locked, closing) must not take the server down; the next tick retries.
      this.#options.logger.warn({ err: error }, '[nexus] [limits] could not compute the limits snapshot');
      return;
    }
    this.#snapshot = snapshot;
    const { updatedAt: _updatedAt, ...rest } = snapshot;
    const key = JSON.stringify(rest);
    if (key === this.#lastKey) return;
    this.#lastKey = key;
    try {
      writeJsonFile(this.#options.files.snapshot, snapshot);
    } catch (error) {
      this.#options.logger.debug(
        { code: (error as NodeJS.ErrnoException).code },
        '[nexus] [limits] could not write the limits snapshot file',
      );
    }
    this.#options.onUpdate(snapshot);
  }

  #compute(now: number): LimitsSnapshot {
    this.#readStatusline();
    const readings = newestPerWindow([
      ...this.#options.codex.readings(),
      ...this.#options.claude.windows(),
      ...this.#statusline,
    ]).sort(byToolAndWindow);
    const windows: LimitWindow[] = readings.map((reading) => ({
      ...reading,
      topSessions: this.#topSessions(reading, now),
    }));
    const claudeUsage: ClaudeUsagePollState = this.#options.claude.state();
    return {
      windows,
      activeBlock: this.#options.activeBlock
        ? this.#options.activeBlock(now)
        : activeBlock(this.#options.ledger, { tool: 'claude-code', now, topSessions: TOP_SESSIONS }),
      claudeUsage,
      updatedAt: new Date(now).toISOString(),
    };
  }

  /** The sessions that used most of a window since it started (none once it has reset). */
  #topSessions(reading: LimitReading, now: number): WindowSession[] {
    if (reading.windowMinutes === null || reading.resetsAt === null) return [];
    const resetsAt = Date.parse(reading.resetsAt);
    if (resetsAt <= now) return [];
    const from = resetsAt - reading.windowMinutes * 60_000;
    const key = `${reading.tool}\0${from}`;
    const cached = this.#cache.get(key);
    if (cached && reading.windowMinutes > SHORT_WINDOW_MIN && now - cached.at < LONG_WINDOW_TTL_MS) {
      return cached.sessions;
    }
    const sessions = windowSessions(this.#options.ledger, { tool: reading.tool, from, limit: TOP_SESSIONS });
    if (this.#cache.size > 32) this.#cache.clear();
    this.#cache.set(key, { at: now, sessions });
    return sessions;
  }

  /** Re-read the statusline's file when it changed (a stat per refresh). */
  #readStatusline(): void {
    let mtime: number;
    try {
      mtime = statSync(this.#options.files.statusline).mtimeMs;
    } catch {
      mtime = -1;
    }
    if (mtime === this.#statuslineMtime) return;
    this.#statuslineMtime = mtime;
    this.#statusline = mtime < 0 ? [] : readStatuslineFile(this.#options.files.statusline);
  }
}

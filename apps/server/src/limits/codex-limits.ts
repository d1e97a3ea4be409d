import { stat } from 'node:fs/promises';
import {
  type LogFileRef,
  type NexusAdapter,
  type RateLimitEvent,
  type RootEnvironment,
  readLogFile,
  scanRoot,
} from '@nexus/parsers';
import { FIVE_HOURS_MIN, type LimitReading, SEVEN_DAYS_MIN } from './readings.js';

function label(name: string, minutes: number | undefined): string {
  if (minutes === FIVE_HOURS_MIN) return '5-hour';
  if (minutes === SEVEN_DAYS_MIN) return 'Weekly';
  if (minutes !== undefined && minutes % 1440 === 0) return `${minutes / 1440}-day`;
  if (minutes !== undefined && minutes % 60 === 0) return `${minutes / 60}-hour`;
  return name === 'primary' ? 'Primary' : name === 'secondary' ? 'Secondary' : name;
}

/**
 * Codex's plan-limit windows from the `rate_limits` of its own `token_count` events: for each
 * window (`primary`, `secondary`) the newest report wins, with the session that wrote it.
 */
export class CodexLimits {
  readonly #windows = new Map<string, LimitReading>();

  /** Take the windows of one event. Returns true when a window changed. */
  update(event: RateLimitEvent): boolean {
    const at = Date.parse(event.timestamp);
    if (!Number.isFinite(at)) return false;
    let changed = false;
    for (const window of event.windows) {
      const held = this.#windows.get(window.name);
      if (held && Date.parse(held.asOf) >= at) continue;
      this.#windows.set(window.name, {
        tool: event.tool,
        window: window.name,
        label: label(window.name, window.windowMinutes),
        usedPercent: Math.max(0, window.usedPercent),
        windowMinutes:
          window.windowMinutes !== undefined &&
          Number.isInteger(window.windowMinutes) &&
          window.windowMinutes > 0
            ? window.windowMinutes
            : null,
        resetsAt: window.resetsAt ?? null,
        source: 'codex-log',
        asOf: new Date(at).toISOString(),
        sessionId: event.sessionId,
        ...(event.planType ? { planType: event.planType } : {}),
      });
      changed = true;
    }
    return changed;
  }

  readings(): LimitReading[] {
    return [...this.#windows.values()];
  }

  /** Time of the newest report held (epoch ms), or undefined. */
  newest(): number | undefined {
    let best: number | undefined;
    for (const reading of this.#windows.values()) {
      const at = Date.parse(reading.asOf);
      if (best === undefined || at > best) best = at;
    }
    return best;
  }
}

/** Codex's longest rate-limit window (the weekly one): a report older than this describes no current window. */
const LONGEST_WINDOW_MS = 7 * 24 * 3_600_000;

/**
 * Find the newest `rate_limits` in Codex's history at startup: rollout files newest first (by
 * modification time), stopping at the first file last written before the newest report found, since
 * nothing in it can be newer, or before the longest window (a week before `now`). Only `token_count`
 * lines are decoded. (Without that bound, a history whose logs carry no `rate_limits`, as Codex's before
 * mid-2025, was read whole at every server start.)
 */
export async function loadCodexLimits(
  adapter: NexusAdapter,
  environment: RootEnvironment,
  store: CodexLimits,
  signal?: AbortSignal,
  now: number = Date.now(),
): Promise<{ filesRead: number }> {
  const files: { file: LogFileRef; mtimeMs: number }[] = [];
  for (const root of adapter.resolveRoots(environment)) {
    for await (const file of scanRoot(adapter, root)) {
      if (signal?.aborted) return { filesRead: 0 };
      try {
        files.push({ file, mtimeMs: (await stat(file.path)).mtimeMs });
      } catch {
        // Gone since the scan: nothing to read.
      }
    }
  }
  files.sort((a, b) => b.mtimeMs - a.mtimeMs);
  let filesRead = 0;
  for (const { file, mtimeMs } of files) {
    const newest = store.newest();
    if (signal?.aborted || (newest !== undefined && mtimeMs < newest) || mtimeMs < now - LONGEST_WINDOW_MS)
      break;
    filesRead++;
    try {
      for await (const batch of readLogFile(adapter, file, {
        usageOnly: true,
        ...(signal ? { signal } : {}),
      })) {
        for (const event of batch.events) if (event.type === 'rate_limit') store.update(event);
      }
    } catch {
      // A file that vanished or cannot be read holds no limits we can use.
    }
  }
  return { filesRead };
}

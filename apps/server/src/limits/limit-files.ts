import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LimitsSnapshot } from '@nexus/protocol';
import { FIVE_HOURS_MIN, type LimitReading, SEVEN_DAYS_MIN, toIso, toPercent } from './readings.js';

/**
 * Files of the plan limits in the state directory. They hold percentages and times, never a token:
 * - `claude-oauth.json`: the poller's last good windows and schedule (a restart never polls early);
 * - `statusline.json`: the `rate_limits` Claude Code last passed to `nexus statusline`;
 * - `snapshot.json`: the server's current `LimitsSnapshot`, which the statusline reads.
 */
export interface LimitFiles {
  readonly dir: string;
  readonly claudeOAuth: string;
  readonly statusline: string;
  readonly snapshot: string;
}

export function limitFiles(stateDir: string): LimitFiles {
  const dir = join(stateDir, 'limits');
  return {
    dir,
    claudeOAuth: join(dir, 'claude-oauth.json'),
    statusline: join(dir, 'statusline.json'),
    snapshot: join(dir, 'snapshot.json'),
  };
}

/** Write a JSON file atomically (temp file, then rename), readable by this user only. */
export function writeJsonFile(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** A JSON file's value, or `undefined` when it is missing or unreadable. */
export function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

const STATUSLINE_LABELS: Record<string, { label: string; minutes: number | null }> = {
  five_hour: { label: '5-hour', minutes: FIVE_HOURS_MIN },
  seven_day: { label: 'Weekly', minutes: SEVEN_DAYS_MIN },
};

/**
 * The `rate_limits` object of Claude Code's statusline input (≥ 2.1.80):
 * `{ five_hour: { used_percentage, resets_at }, seven_day: { … } }`, `resets_at` in epoch seconds.
 */
export function parseStatuslineRateLimits(value: unknown, asOf: string): LimitReading[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const out: LimitReading[] = [];
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    if (raw === null || typeof raw !== 'object') continue;
    const bucket = raw as Record<string, unknown>;
    const used = toPercent(bucket.used_percentage) ?? toPercent(bucket.utilization);
    if (used === undefined || !/^[a-z0-9_]+$/.test(key)) continue;
    const known = STATUSLINE_LABELS[key] ?? { label: key, minutes: null };
    out.push({
      tool: 'claude-code',
      window: key,
      label: known.label,
      usedPercent: used,
      windowMinutes: known.minutes,
      resetsAt: toIso(bucket.resets_at),
      source: 'claude-statusline',
      asOf,
    });
  }
  return out;
}

/** Readings saved by the statusline, checked field by field (the file is ours, but not trusted). */
export function readStatuslineFile(path: string): LimitReading[] {
  const saved = readJsonFile(path) as { windows?: unknown } | undefined;
  if (!saved || !Array.isArray(saved.windows)) return [];
  return saved.windows.filter(
    (w): w is LimitReading =>
      w !== null &&
      typeof w === 'object' &&
      typeof w.window === 'string' &&
      typeof w.label === 'string' &&
      typeof w.usedPercent === 'number' &&
      w.usedPercent >= 0 &&
      typeof w.asOf === 'string' &&
      (w.resetsAt === null || typeof w.resetsAt === 'string') &&
      (w.windowMinutes === null || Number.isInteger(w.windowMinutes)) &&
      w.tool === 'claude-code' &&
      w.source === 'claude-statusline',
  );
}

/** The server's last snapshot, for the statusline; `undefined` when there is none. */
export function readSnapshotFile(path: string): LimitsSnapshot | undefined {
  const saved = readJsonFile(path) as LimitsSnapshot | undefined;
  return saved && Array.isArray(saved.windows) ? saved : undefined;
}

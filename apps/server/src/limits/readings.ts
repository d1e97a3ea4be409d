import type { LimitWindow } from '@nexus/protocol';

/** A limit window as a source reports it, before Nexus joins it with local usage. */
export type LimitReading = Omit<LimitWindow, 'topSessions'>;

/** Window lengths Nexus knows by name. */
export const FIVE_HOURS_MIN = 300;
export const SEVEN_DAYS_MIN = 10_080;

/**
 * A reset time as an ISO string: accepts ISO text (any precision, any offset) and epoch seconds or
 * milliseconds. `null` for anything else.
 */
export function toIso(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    return new Date(value > 1e12 ? value : value * 1000).toISOString();
  }
  if (typeof value !== 'string' || value === '') return null;
  // Python writes microseconds ("…59.571404+00:00"); keep milliseconds so every engine parses it.
  const ms = Date.parse(value.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** A percentage from a source: finite and not negative, else `undefined`. */
export function toPercent(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** For each (tool, window), the reading with the newest `asOf`. */
export function newestPerWindow(readings: readonly LimitReading[]): LimitReading[] {
  const best = new Map<string, LimitReading>();
  for (const reading of readings) {
    const key = `${reading.tool}\0${reading.window}`;
    const held = best.get(key);
    if (!held || Date.parse(reading.asOf) > Date.parse(held.asOf)) best.set(key, reading);
  }
  return [...best.values()];
}

const ORDER = ['five_hour', 'primary', 'seven_day', 'secondary'];

/** Stable display order: tool, then the short window before the long ones, then by name. */
export function byToolAndWindow(a: LimitReading, b: LimitReading): number {
  if (a.tool !== b.tool) return a.tool < b.tool ? -1 : 1;
  const rank = (w: string) => {
    const i = ORDER.indexOf(w);
    return i < 0 ? ORDER.length : i;
  };
  return rank(a.window) - rank(b.window) || (a.window < b.window ? -1 : a.window > b.window ? 1 : 0);
}

/** Lifecycle numbers of DESIGN §4; every one can be changed. */
export interface LifecycleOptions {
  /** No new message for this long → idle. Default 2 minutes. */
  readonly idleAfterMs: number;
  /** Cooling lasts this fraction of the session's active duration. Default 0.1. */
  readonly coolingFraction: number;
  /** …but at least this long. Default 3 s. */
  readonly coolingMinMs: number;
  /** …and at most this long. Default 5 minutes. */
  readonly coolingMaxMs: number;
}

export const DEFAULT_LIFECYCLE: LifecycleOptions = {
  idleAfterMs: 2 * 60_000,
  coolingFraction: 0.1,
  coolingMinMs: 3_000,
  coolingMaxMs: 5 * 60_000,
};

/** How long a session cools after its liveness signals vanish: 10% of its active life, clamped to [3 s, 5 min]. */
export function coolingDuration(
  activeDurationMs: number,
  options: LifecycleOptions = DEFAULT_LIFECYCLE,
): number {
  const share = Math.max(0, activeDurationMs) * options.coolingFraction;
  return Math.min(options.coolingMaxMs, Math.max(options.coolingMinMs, share));
}

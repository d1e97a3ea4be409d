import type { UsageEvent } from '@nexus/parsers';

/** A usage event with zeroes everywhere except what the test sets. */
export function usage(partial: Partial<UsageEvent> & { dedupKey: string }): UsageEvent {
  return {
    type: 'usage',
    tool: 'claude-code',
    sessionId: 'claude-code:s1',
    projectPath: '/p/one',
    timestamp: '2026-09-01T12:00:00.000Z',
    model: 'claude-sonnet-4-5-20250929',
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheCreation1hTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    ...partial,
  };
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

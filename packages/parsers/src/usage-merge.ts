import type { NormalizedEvent, UsageEvent } from './contract.js';

function size(event: UsageEvent): number {
  return event.inputTokens + event.outputTokens + event.cacheCreationTokens + event.cacheReadTokens;
}

/**
 * Whether `event` dates the call instead of `best`: the larger usage, and of equal ones the earlier line,
 * so the result does not depend on the order files are read in (as the usage ledger merges them).
 */
function outranks(event: UsageEvent, best: UsageEvent): boolean {
  const larger = size(event) - size(best);
  return larger > 0 || (larger === 0 && Date.parse(event.timestamp) < Date.parse(best.timestamp));
}

/**
 * Reduce usage events to one per billed call, as every consumer must (DESIGN §3): per `(tool, dedupKey)`
 * the per-field maximum, dated by the event that carried the largest usage (the earliest of equal ones); a sidechain replay of a call
 * logged elsewhere is dropped. Order of first appearance is kept.
 */
export function mergeUsageEvents(events: Iterable<NormalizedEvent>): UsageEvent[] {
  // Most calls are seen once; a repeated key gets one private copy of its maxima, updated in place.
  const merged = new Map<string, { best: UsageEvent; max: MutableTokens | undefined }>();
  for (const event of events) {
    if (event.type !== 'usage') continue;
    const key = `${event.tool}\u0000${event.dedupKey}`;
    const seen = merged.get(key);
    if (!seen) {
      merged.set(key, { best: event, max: undefined });
      continue;
    }
    if (!seen.max) seen.max = pickTokens(seen.best);
    const max = seen.max;
    max.inputTokens = Math.max(max.inputTokens, event.inputTokens);
    max.outputTokens = Math.max(max.outputTokens, event.outputTokens);
    max.cacheCreationTokens = Math.max(max.cacheCreationTokens, event.cacheCreationTokens);
    max.cacheCreation1hTokens = Math.max(max.cacheCreation1hTokens, event.cacheCreation1hTokens);
    max.cacheReadTokens = Math.max(max.cacheReadTokens, event.cacheReadTokens);
    max.reasoningOutputTokens = Math.max(max.reasoningOutputTokens, event.reasoningOutputTokens);
    if (outranks(event, seen.best)) seen.best = event;
  }
  const calls = Array.from(merged.values(), ({ best, max }) => (max ? { ...best, ...max } : best));
  return withoutSidechainReplays(calls);
}

/** Drops the sidechain copies of calls that are also logged outside a sidechain (`UsageEvent.sidechain`). */
function withoutSidechainReplays(calls: UsageEvent[]): UsageEvent[] {
  if (!calls.some((call) => call.sidechain && call.callId !== undefined)) return calls;
  const primary = new Set<string>();
  for (const call of calls)
    if (!call.sidechain && call.callId !== undefined) primary.add(`${call.tool}\u0000${call.callId}`);
  return calls.filter(
    (call) =>
      !(call.sidechain && call.callId !== undefined && primary.has(`${call.tool}\u0000${call.callId}`)),
  );
}

type MutableTokens = ReturnType<typeof pickTokens>;

function pickTokens(event: UsageEvent) {
  return {
    inputTokens: event.inputTokens,
    outputTokens: event.outputTokens,
    cacheCreationTokens: event.cacheCreationTokens,
    cacheCreation1hTokens: event.cacheCreation1hTokens,
    cacheReadTokens: event.cacheReadTokens,
    reasoningOutputTokens: event.reasoningOutputTokens,
  };
}

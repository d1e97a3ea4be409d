import type { NormalizedEvent, UsageEvent } from '@nexus/parsers';

function count(value: number | undefined): number {
  return typeof value === 'number' && value > 0 && Number.isFinite(value) ? Math.trunc(value) : 0;
}

/** One call as the ledger stores it, before pricing. */
export interface CallRow {
  tool: string;
  dedupKey: string;
  sessionId: string;
  projectPath: string;
  model: string;
  modelFallback: 0 | 1;
  speed: string | null;
  ts: number;
  bestTotal: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheCreation1hTokens: number;
  cacheReadTokens: number;
  reasoning: number;
  costLog: number | null;
  callId: string | null;
  sidechain: 0 | 1;
}

/** The call a usage event describes; undefined for an unreadable timestamp or an empty key. */
export function callRowOf(event: UsageEvent): CallRow | undefined {
  const ts = Date.parse(event.timestamp);
  if (!Number.isFinite(ts) || !event.dedupKey) return undefined;
  const inputTokens = count(event.inputTokens);
  const outputTokens = count(event.outputTokens);
  const cacheCreationTokens = count(event.cacheCreationTokens);
  const cacheReadTokens = count(event.cacheReadTokens);
  const cost = event.costUsd;
  return {
    tool: event.tool,
    dedupKey: event.dedupKey,
    sessionId: event.sessionId ?? '',
    projectPath: event.projectPath ?? '',
    model: event.model ?? '',
    modelFallback: event.modelFallback ? 1 : 0,
    speed: event.speed ?? null,
    ts,
    bestTotal: inputTokens + outputTokens + cacheCreationTokens + cacheReadTokens,
    inputTokens,
    outputTokens,
    cacheCreationTokens,
    cacheCreation1hTokens: Math.min(count(event.cacheCreation1hTokens), cacheCreationTokens),
    cacheReadTokens,
    reasoning: count(event.reasoningOutputTokens),
    costLog: typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? cost : null,
    callId: event.callId || null,
    sidechain: event.sidechain ? 1 : 0,
  };
}

/**
 * Two sightings of one call merged: per-field maximum, and the identity (time, session, model) of the
 * larger; a tie keeps the earlier, so the result does not depend on the order files are read in.
 */
export function mergeCallRows(a: CallRow, b: CallRow): CallRow {
  const winner = b.bestTotal > a.bestTotal || (b.bestTotal === a.bestTotal && b.ts < a.ts) ? b : a;
  return {
    ...winner,
    bestTotal: Math.max(a.bestTotal, b.bestTotal),
    inputTokens: Math.max(a.inputTokens, b.inputTokens),
    outputTokens: Math.max(a.outputTokens, b.outputTokens),
    cacheCreationTokens: Math.max(a.cacheCreationTokens, b.cacheCreationTokens),
    cacheCreation1hTokens: Math.max(a.cacheCreation1hTokens, b.cacheCreation1hTokens),
    cacheReadTokens: Math.max(a.cacheReadTokens, b.cacheReadTokens),
    reasoning: Math.max(a.reasoning, b.reasoning),
    costLog: a.costLog === null ? b.costLog : b.costLog === null ? a.costLog : Math.max(a.costLog, b.costLog),
  };
}

/** Whether merging `next` into `stored` changes anything: a new winner, a larger field, a larger logged cost. */
export function improves(stored: CallRow, next: CallRow): boolean {
  return (
    next.bestTotal > stored.bestTotal ||
    (next.bestTotal === stored.bestTotal && next.ts < stored.ts) ||
    next.inputTokens > stored.inputTokens ||
    next.outputTokens > stored.outputTokens ||
    next.cacheCreationTokens > stored.cacheCreationTokens ||
    next.cacheCreation1hTokens > stored.cacheCreation1hTokens ||
    next.cacheReadTokens > stored.cacheReadTokens ||
    next.reasoning > stored.reasoning ||
    (next.costLog !== null && next.costLog > (stored.costLog ?? -1))
  );
}

/** Appends the calls the usage events among `events` describe; returns how many usage events made none. */
export function appendCalls(events: readonly NormalizedEvent[], into: CallRow[]): number {
  let rejected = 0;
  for (const event of events) {
    if (event.type !== 'usage') continue;
    const call = callRowOf(event);
    if (call) into.push(call);
    else rejected++;
  }
  return rejected;
}

/** Adds a call to `calls` by (tool, dedupKey), merged with the sighting of the same call already there. */
export function addMerged(calls: Map<string, CallRow>, call: CallRow): void {
  const key = `${call.tool}\0${call.dedupKey}`;
  const previous = calls.get(key);
  calls.set(key, previous ? mergeCallRows(previous, call) : call);
}

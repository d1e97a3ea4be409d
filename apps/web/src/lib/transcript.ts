import type { Message, SessionSummary } from '@nexus/protocol';

export type MessageUsage = NonNullable<Message['usage']>;

/** One row of a transcript: a message, a tool call with its result, or a subagent's thread. */
export type TranscriptEntry =
  | { readonly type: 'message'; readonly key: string; readonly message: Message }
  | {
      readonly type: 'tool';
      readonly key: string;
      readonly call: Message | undefined;
      readonly result: Message | undefined;
    }
  | { readonly type: 'subagent'; readonly key: string; readonly session: SessionSummary };

/** History read from the API followed by the live messages that arrived after it, each id once. */
export function mergeMessages(history: readonly Message[], live: readonly Message[]): Message[] {
  if (live.length === 0) return [...history];
  const seen = new Set(history.map((message) => message.id));
  return [...history, ...live.filter((message) => !seen.has(message.id))];
}

/**
 * Pair each tool result with the oldest still-open call of the same tool (agents answer calls in
 * order), so a call shows its input and output together. A result whose call is on an earlier page
 * stands alone; so does a call still waiting for its result.
 */
export function buildEntries(messages: readonly Message[]): TranscriptEntry[] {
  const entries: TranscriptEntry[] = [];
  const open: { index: number; call: Message }[] = [];
  for (const message of messages) {
    if (message.kind === 'tool_call') {
      open.push({ index: entries.length, call: message });
      entries.push({ type: 'tool', key: message.id, call: message, result: undefined });
    } else if (message.kind === 'tool_result') {
      const at = open.findIndex(({ call }) => !message.toolName || call.toolName === message.toolName);
      const pending = at >= 0 ? open.splice(at, 1)[0] : undefined;
      if (pending)
        entries[pending.index] = { type: 'tool', key: pending.call.id, call: pending.call, result: message };
      else entries.push({ type: 'tool', key: message.id, call: undefined, result: message });
    } else {
      entries.push({ type: 'message', key: message.id, message });
    }
  }
  return entries;
}

function entryTime(entry: TranscriptEntry): string | undefined {
  if (entry.type === 'message') return entry.message.timestamp;
  if (entry.type === 'tool') return entry.call?.timestamp ?? entry.result?.timestamp;
  return entry.session.startedAt;
}

/**
 * Subagent threads placed where they started: before the first entry that is later than their
 * start, at the end when they started after everything shown (or their start is unknown).
 */
export function withSubagents(
  entries: readonly TranscriptEntry[],
  subagents: readonly SessionSummary[],
): TranscriptEntry[] {
  const result = [...entries];
  // Unknown starts sort last ('~' is above every digit in code-point order).
  const start = (session: SessionSummary) => session.startedAt ?? '~';
  const ordered = [...subagents].sort((a, b) => (start(a) < start(b) ? -1 : start(a) > start(b) ? 1 : 0));
  for (const session of ordered) {
    const startedAt = session.startedAt;
    const at = startedAt
      ? result.findIndex((entry) => entry.type !== 'subagent' && (entryTime(entry) ?? '') > startedAt)
      : -1;
    const entry: TranscriptEntry = { type: 'subagent', key: `subagent:${session.sessionId}`, session };
    if (at < 0) result.push(entry);
    else result.splice(at, 0, entry);
  }
  return result;
}

/** Case-insensitive match of a search query against what a message shows. */
export function messageMatches(message: Message | undefined, query: string): boolean {
  if (!message || !query) return false;
  const needle = query.toLowerCase();
  return (
    message.content.toLowerCase().includes(needle) ||
    (message.summary?.toLowerCase().includes(needle) ?? false) ||
    (message.toolName?.toLowerCase().includes(needle) ?? false)
  );
}

export function entryMatches(entry: TranscriptEntry, query: string): boolean {
  if (!query) return true;
  if (entry.type === 'message') return messageMatches(entry.message, query);
  if (entry.type === 'tool') return messageMatches(entry.call, query) || messageMatches(entry.result, query);
  return entry.session.name.toLowerCase().includes(query.toLowerCase());
}

export interface CallTotals {
  calls: number;
  totalTokens: number;
  costUsd: number;
  unpricedModels: string[];
}

/** Sum of the calls on the messages shown (the transcript may be only partly loaded). */
export function callTotals(messages: readonly Message[]): CallTotals {
  const totals: CallTotals = { calls: 0, totalTokens: 0, costUsd: 0, unpricedModels: [] };
  const unpriced = new Set<string>();
  for (const { usage } of messages) {
    if (!usage) continue;
    totals.calls++;
    totals.totalTokens += usage.totalTokens;
    totals.costUsd += usage.costUsd;
    if (!usage.priced) unpriced.add(usage.model);
  }
  totals.unpricedModels = [...unpriced].sort();
  return totals;
}

/**
 * Split text around case-insensitive occurrences of `query`, for `<mark>`ing matches without HTML.
 * At most `limit` matches are marked, so a huge message stays cheap.
 */
export function splitMatches(text: string, query: string, limit = 50): { text: string; match: boolean }[] {
  if (!query) return [{ text, match: false }];
  const parts: { text: string; match: boolean }[] = [];
  const haystack = text.toLowerCase();
  const needle = query.toLowerCase();
  let from = 0;
  for (let count = 0; count < limit; count++) {
    const at = haystack.indexOf(needle, from);
    if (at < 0) break;
    if (at > from) parts.push({ text: text.slice(from, at), match: false });
    parts.push({ text: text.slice(at, at + needle.length), match: true });
    from = at + needle.length;
  }
  if (from < text.length) parts.push({ text: text.slice(from), match: false });
  return parts;
}

import {
  type LogFileRef,
  type MessageEvent,
  type NexusAdapter,
  readLogFile,
  type UsageEvent,
} from '@nexus/parsers';
import type { Message, MessagesPage } from '@nexus/protocol';
import { computeCost, type PricingTable } from '@nexus/usage';

type MessageUsage = NonNullable<Message['usage']>;

/** The wire form of a parsed message. */
export function toWireMessage(event: MessageEvent): Message {
  const { type: _type, sessionId: _sessionId, ...message } = event;
  return message;
}

/** Per-field maximum of a call's usage lines (Claude streams one call over several lines). */
function mergeCall(previous: UsageEvent | undefined, next: UsageEvent): UsageEvent {
  if (!previous) return next;
  const costs = [previous.costUsd, next.costUsd].filter((cost): cost is number => cost !== undefined);
  return {
    ...next,
    inputTokens: Math.max(previous.inputTokens, next.inputTokens),
    outputTokens: Math.max(previous.outputTokens, next.outputTokens),
    cacheCreationTokens: Math.max(previous.cacheCreationTokens, next.cacheCreationTokens),
    cacheCreation1hTokens: Math.max(previous.cacheCreation1hTokens, next.cacheCreation1hTokens),
    cacheReadTokens: Math.max(previous.cacheReadTokens, next.cacheReadTokens),
    reasoningOutputTokens: Math.max(previous.reasoningOutputTokens, next.reasoningOutputTokens),
    ...(costs.length > 0 ? { costUsd: Math.max(...costs) } : {}),
  };
}

/** The wire usage of one call: the log's own cost when it states one, else the price table's. */
function callUsage(call: UsageEvent, pricing: PricingTable | undefined): MessageUsage {
  const computed =
    call.costUsd !== undefined
      ? { costUsd: call.costUsd, priced: true }
      : pricing
        ? computeCost(pricing, call.model, call, call.speed)
        : { costUsd: 0, priced: false };
  return {
    model: call.model,
    inputTokens: call.inputTokens,
    outputTokens: call.outputTokens,
    cacheCreationTokens: call.cacheCreationTokens,
    cacheReadTokens: call.cacheReadTokens,
    reasoningOutputTokens: call.reasoningOutputTokens,
    totalTokens: call.inputTokens + call.outputTokens + call.cacheCreationTokens + call.cacheReadTokens,
    costUsd: computed.costUsd,
    priced: computed.priced,
  };
}

/**
 * Every message of a session, read again from its log files (the live buffer keeps only the newest).
 * Files are read in the order given; a message seen twice (a re-read after truncation) is kept once.
 *
 * Each billed model call is put on the last assistant message it produced (`usage`): agents write a
 * call's usage after its output, so a usage event belongs to the assistant messages read since the
 * previous one in the same file. A call seen on several lines keeps its per-field maximum and its
 * last message. With `pricing`, calls whose log states no cost are priced like the usage ledger does.
 */
export async function readSessionMessages(
  adapters: ReadonlyMap<string, NexusAdapter>,
  files: readonly LogFileRef[],
  sessionId: string,
  pricing?: PricingTable,
): Promise<Message[]> {
  const messages: Message[] = [];
  const seen = new Set<string>();
  const calls = new Map<string, { usage: UsageEvent; message: Message }>();
  for (const file of files) {
    const adapter = adapters.get(file.tool);
    if (!adapter) continue;
    let lastAssistant: Message | undefined;
    try {
      for await (const batch of readLogFile(adapter, file)) {
        for (const event of batch.events) {
          if (event.type === 'usage') {
            if (!lastAssistant) continue;
            calls.set(event.dedupKey, {
              usage: mergeCall(calls.get(event.dedupKey)?.usage, event),
              message: lastAssistant,
            });
            lastAssistant = undefined;
            continue;
          }
          if (event.type !== 'message' || event.sessionId !== sessionId || seen.has(event.id)) continue;
          seen.add(event.id);
          const message = toWireMessage(event);
          messages.push(message);
          if (message.role === 'assistant') lastAssistant = message;
        }
      }
    } catch (error) {
      // A log deleted since it was listed has nothing more to give; the rest of the history still pages.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  for (const { usage, message } of calls.values()) message.usage = callUsage(usage, pricing);
  return messages;
}

/**
 * One page of a transcript, newest page first. `before` is the index (as a string) of the first
 * message of the page the client holds; pages are oldest-first inside.
 */
export function pageMessages(
  sessionId: string,
  messages: readonly Message[],
  before: string | undefined,
  limit: number,
): MessagesPage {
  const parsed = before === undefined ? messages.length : Number.parseInt(before, 10);
  const end = Number.isInteger(parsed) && parsed >= 0 ? Math.min(parsed, messages.length) : messages.length;
  const start = Math.max(0, end - limit);
  return { sessionId, messages: messages.slice(start, end), nextBefore: start > 0 ? String(start) : null };
}

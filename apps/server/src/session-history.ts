import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  type LogFileRef,
  type MessageEvent,
  type NexusAdapter,
  type NormalizedEvent,
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

/** How far one log of a session has been read, and what it gave. */
interface FileCursor {
  readonly dev: number;
  readonly ino: number;
  offset: number;
  state: unknown;
  /** The newest assistant message of this file since its last usage line. */
  lastAssistant: Message | undefined;
  readonly messages: Message[];
}

/**
 * One session's whole transcript, read from its log files and brought up to date by reading only what
 * they gained since (the live buffer keeps only the newest messages; a session page asks again every few
 * seconds, and re-parsing a long log each time held the server's thread for as long as the parse took).
 *
 * Each billed model call is put on the last assistant message it produced (`usage`): agents write a
 * call's usage after its output, so a usage event belongs to the assistant messages read since the
 * previous one in the same file. A call seen on several lines keeps its per-field maximum and its
 * last message. A message seen twice (a re-read after truncation) is kept once.
 */
export class SessionTranscript {
  readonly #sessionId: string;
  readonly #cursors = new Map<string, FileCursor>();
  readonly #seen = new Set<string>();
  readonly #calls = new Map<string, { usage: UsageEvent; message: Message }>();

  constructor(sessionId: string) {
    this.#sessionId = sessionId;
  }

  /**
   * Read what `files` gained since the last update (all of them the first time). Returns false, having
   * read nothing more, when a file already read shrank or was replaced: the transcript must start over.
   */
  async update(adapters: ReadonlyMap<string, NexusAdapter>, files: readonly LogFileRef[]): Promise<boolean> {
    for (const file of files) {
      const adapter = adapters.get(file.tool);
      if (!adapter) continue;
      let info: Stats;
      try {
        info = await stat(file.path);
      } catch (error) {
        // A log deleted since it was listed has nothing more to give; what it gave stays.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      let cursor = this.#cursors.get(file.path);
      if (cursor && (cursor.dev !== info.dev || cursor.ino !== info.ino || info.size < cursor.offset))
        return false;
      if (!cursor) {
        cursor = {
          dev: info.dev,
          ino: info.ino,
          offset: 0,
          state: undefined,
          lastAssistant: undefined,
          messages: [],
        };
        this.#cursors.set(file.path, cursor);
      }
      if (info.size === cursor.offset) continue;
      try {
        for await (const batch of readLogFile(adapter, file, {
          startOffset: cursor.offset,
          ...(cursor.state === undefined ? {} : { state: cursor.state }),
        })) {
          for (const event of batch.events) this.#take(event, cursor);
          cursor.offset = batch.resumeOffset;
          cursor.state = batch.state;
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return true;
  }

  #take(event: NormalizedEvent, cursor: FileCursor): void {
    if (event.type === 'usage') {
      if (!cursor.lastAssistant) return;
      this.#calls.set(event.dedupKey, {
        usage: mergeCall(this.#calls.get(event.dedupKey)?.usage, event),
        message: cursor.lastAssistant,
      });
      cursor.lastAssistant = undefined;
      return;
    }
    if (event.type !== 'message' || event.sessionId !== this.#sessionId || this.#seen.has(event.id)) return;
    this.#seen.add(event.id);
    const message = toWireMessage(event);
    cursor.messages.push(message);
    if (message.role === 'assistant') cursor.lastAssistant = message;
  }

  /**
   * Every message read, file by file in the order given, each call's usage on its message; with
   * `pricing`, calls whose log states no cost are priced like the usage ledger does.
   */
  messages(files: readonly LogFileRef[], pricing?: PricingTable): Message[] {
    // Computed on each ask and put on copies: a call's last message changes as the call streams on.
    const usageOf = new Map<Message, MessageUsage>();
    for (const { usage, message } of this.#calls.values()) usageOf.set(message, callUsage(usage, pricing));
    return files.flatMap((file) =>
      (this.#cursors.get(file.path)?.messages ?? []).map((message) => {
        const usage = usageOf.get(message);
        return usage ? { ...message, usage } : message;
      }),
    );
  }
}

/** Every message of a session, read from its log files once (see {@link SessionTranscript}). */
export async function readSessionMessages(
  adapters: ReadonlyMap<string, NexusAdapter>,
  files: readonly LogFileRef[],
  sessionId: string,
  pricing?: PricingTable,
): Promise<Message[]> {
  const transcript = new SessionTranscript(sessionId);
  // A first read has no earlier offsets to be invalidated: it never needs to start over.
  await transcript.update(adapters, files);
  return transcript.messages(files, pricing);
}

/** Options of {@link TranscriptCache}. */
export interface TranscriptCacheOptions {
  /** Sessions kept (the most recently asked). Default 4. */
  readonly maxSessions?: number;
  /** A session not asked for this long is dropped. Default 2 minutes. */
  readonly idleMs?: number;
  readonly now?: () => number;
}

/**
 * The transcripts of the sessions whose history was asked for lately, each brought up to date on the
 * next ask. Asks for one session run one after another, so two pages requested together read the new
 * bytes once.
 */
export class TranscriptCache {
  readonly #maxSessions: number;
  readonly #idleMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<
    string,
    { transcript: SessionTranscript; usedAt: number; queue: Promise<unknown> }
  >();

  constructor(options: TranscriptCacheOptions = {}) {
    this.#maxSessions = options.maxSessions ?? 4;
    this.#idleMs = options.idleMs ?? 120_000;
    this.#now = options.now ?? Date.now;
  }

  messages(
    adapters: ReadonlyMap<string, NexusAdapter>,
    files: readonly LogFileRef[],
    sessionId: string,
    pricing?: PricingTable,
  ): Promise<Message[]> {
    const now = this.#now();
    for (const [id, entry] of this.#entries) if (now - entry.usedAt > this.#idleMs) this.#entries.delete(id);
    let entry = this.#entries.get(sessionId);
    if (!entry) {
      entry = { transcript: new SessionTranscript(sessionId), usedAt: now, queue: Promise.resolve() };
      this.#entries.set(sessionId, entry);
    }
    entry.usedAt = now;
    // Most recently used last, so the first entries are the ones to drop.
    this.#entries.delete(sessionId);
    this.#entries.set(sessionId, entry);
    while (this.#entries.size > this.#maxSessions) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    const current = entry;
    const result = current.queue.then(async () => {
      if (!(await current.transcript.update(adapters, files))) {
        // A log shrank or was replaced: read the session again from the start.
        current.transcript = new SessionTranscript(sessionId);
        await current.transcript.update(adapters, files);
      }
      return current.transcript.messages(files, pricing);
    });
    current.queue = result.catch(() => undefined);
    return result;
  }

  /** Sessions held (for tests and diagnostics). */
  get size(): number {
    return this.#entries.size;
  }
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

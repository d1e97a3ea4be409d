import { type LogFileRef, type MessageEvent, type NexusAdapter, readLogFile } from '@nexus/parsers';
import type { Message, MessagesPage } from '@nexus/protocol';

/** The wire form of a parsed message. */
export function toWireMessage(event: MessageEvent): Message {
  const { type: _type, sessionId: _sessionId, ...message } = event;
  return message;
}

/**
 * Every message of a session, read again from its log files (the live buffer keeps only the newest).
 * Files are read in the order given; a message seen twice (a re-read after truncation) is kept once.
 */
export async function readSessionMessages(
  adapters: ReadonlyMap<string, NexusAdapter>,
  files: readonly LogFileRef[],
  sessionId: string,
): Promise<Message[]> {
  const messages: Message[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const adapter = adapters.get(file.tool);
    if (!adapter) continue;
    try {
      for await (const batch of readLogFile(adapter, file)) {
        for (const event of batch.events) {
          if (event.type !== 'message' || event.sessionId !== sessionId || seen.has(event.id)) continue;
          seen.add(event.id);
          messages.push(toWireMessage(event));
        }
      }
    } catch (error) {
      // A log deleted since it was listed has nothing more to give; the rest of the history still pages.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
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

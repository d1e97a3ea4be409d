import type { Message, MessagesPage } from '@nexus/protocol';
import { ApiError, getJson } from './api';

/** Messages per request: enough to fill a screen many times, small enough to render at once. */
export const PAGE_SIZE = 200;

function messagesUrl(sessionId: string, before?: string): string {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...(before ? { before } : {}) });
  return `/api/sessions/${encodeURIComponent(sessionId)}/messages?${query}`;
}

/**
 * A session's transcript as read from the API, newest page first, with older pages on request and
 * the newest page re-read to pick up what live frames do not carry (per-call usage).
 */
export class SessionHistory {
  messages = $state<Message[]>([]);
  nextBefore = $state<string | null>(null);
  loading = $state(false);
  loaded = $state(false);
  error = $state('');
  notFound = $state(false);
  readonly #sessionId: string;

  constructor(sessionId: string) {
    this.#sessionId = sessionId;
  }

  async #fetch(before?: string): Promise<MessagesPage | undefined> {
    this.loading = true;
    this.error = '';
    try {
      return await getJson<MessagesPage>(messagesUrl(this.#sessionId, before));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) this.notFound = true;
      else this.error = (error as Error).message;
      return undefined;
    } finally {
      this.loading = false;
    }
  }

  async loadLatest(): Promise<void> {
    const page = await this.#fetch();
    this.loaded = true;
    if (!page) return;
    this.messages = page.messages;
    this.nextBefore = page.nextBefore;
  }

  async loadEarlier(): Promise<void> {
    if (!this.nextBefore || this.loading) return;
    const page = await this.#fetch(this.nextBefore);
    if (!page) return;
    const seen = new Set(this.messages.map((message) => message.id));
    this.messages = [...page.messages.filter((message) => !seen.has(message.id)), ...this.messages];
    this.nextBefore = page.nextBefore;
  }

  /** Every page, oldest included (bounded so a runaway cursor cannot loop forever). */
  async loadAll(): Promise<void> {
    for (let pages = 0; this.nextBefore && pages < 500 && !this.error; pages++) await this.loadEarlier();
  }

  /** Re-read the newest page and put it in place of the messages it covers. */
  async refreshLatest(): Promise<void> {
    if (this.loading) return;
    const page = await this.#fetch();
    if (!page || page.messages.length === 0) return;
    const firstId = page.messages[0]?.id;
    const at = this.messages.findIndex((message) => message.id === firstId);
    if (at >= 0) {
      this.messages = [...this.messages.slice(0, at), ...page.messages];
    } else {
      // More new messages than a page: the newest page stands alone, older ones load on request.
      this.messages = page.messages;
      this.nextBefore = page.nextBefore;
    }
  }
}

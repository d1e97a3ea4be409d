import type { ServerFrame } from '@nexus/protocol';
import { applyFrame, createWallState, reconnectDelay, resumeQuery } from './wall-state';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting';

/**
 * The one WebSocket to the server. Applies frames to `wall` (reactive), reconnects with backoff and
 * resumes from the last seq it saw, so a dropped connection loses no message and duplicates none.
 */
class Connection {
  wall = $state(createWallState());
  status = $state<ConnectionStatus>('connecting');
  /** When the next reconnect attempt happens (epoch ms), while reconnecting. */
  retryAt = $state<number | undefined>(undefined);
  #socket: WebSocket | undefined;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #started = false;

  start(): void {
    if (this.#started || typeof window === 'undefined') return;
    this.#started = true;
    this.#connect();
  }

  /** Retry now instead of waiting for the countdown. */
  retryNow(): void {
    if (this.status !== 'reconnecting') return;
    clearTimeout(this.#timer);
    this.#connect();
  }

  #url(): string {
    return `${location.origin.replace(/^http/, 'ws')}/ws${resumeQuery(this.wall)}`;
  }

  #connect(): void {
    this.retryAt = undefined;
    const socket = new WebSocket(this.#url());
    this.#socket = socket;
    socket.onopen = () => {
      this.status = 'connected';
      this.#attempt = 0;
    };
    socket.onmessage = (event) => this.#onFrame(event.data);
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#scheduleReconnect();
    };
  }

  #onFrame(data: unknown): void {
    if (typeof data !== 'string') return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data) as ServerFrame;
    } catch {
      return;
    }
    if (frame.type === 'hello' && this.wall.bootId && frame.bootId !== this.wall.bootId) {
      // A restarted server numbers its frames afresh; its init replaces everything we hold.
      this.wall.lastSeq = 0;
      this.wall.synced = false;
    }
    const outcome = applyFrame(this.wall, frame);
    if (outcome === 'gap')
      this.#socket?.send(
        JSON.stringify({ type: 'resync', lastSeq: this.wall.lastSeq, bootId: this.wall.bootId }),
      );
  }

  #scheduleReconnect(): void {
    this.status = 'reconnecting';
    const delay = reconnectDelay(this.#attempt++);
    this.retryAt = Date.now() + delay;
    this.#timer = setTimeout(() => this.#connect(), delay);
  }
}

export const connection = new Connection();

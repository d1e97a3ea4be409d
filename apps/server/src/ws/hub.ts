import { randomUUID } from 'node:crypto';
import {
  type HelloFrame,
  type InitFrame,
  PROTOCOL_VERSION,
  parseClientFrame,
  type UnsequencedFrame,
} from '@nexus/protocol';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { FrameLog, type FrameLogOptions } from './frame-log.js';

/** What the hub needs from the rest of the server to greet a client. */
export interface HubStateSource {
  /** The full current state for an `init` frame. */
  snapshot(): Omit<InitFrame, 'type' | 'seq'>;
}

export interface HubOptions extends Partial<FrameLogOptions> {
  readonly serverVersion: string;
  readonly state: HubStateSource;
  readonly log: Logger;
  /** A client whose unsent bytes exceed this is dropped and must resync. Default 8 MiB. */
  readonly maxClientBufferBytes?: number;
  readonly now?: () => Date;
}

/** WebSocket close code for "you fell too far behind; reconnect and resync". */
export const CLOSE_TOO_SLOW = 4008;
/** WebSocket close code for a client that sent something we cannot read. */
export const CLOSE_PROTOCOL_ERROR = 1008;

interface Client {
  readonly socket: WebSocket;
  /** seq of the state the client already holds (its init, or its last resync point). */
  coveredSeq: number;
}

/**
 * Fans frames out to WebSocket clients. Every broadcast frame gets the next server-wide `seq`;
 * `hello` and `init` carry the seq of the state they describe, so a client's seqs never go back.
 */
export class WebSocketHub {
  readonly bootId = randomUUID();
  readonly #log: FrameLog;
  readonly #clients = new Set<Client>();
  readonly #options: HubOptions;
  readonly #maxClientBufferBytes: number;

  constructor(options: HubOptions) {
    this.#options = options;
    this.#log = new FrameLog({
      maxFrames: options.maxFrames ?? 20_000,
      maxBytes: options.maxBytes ?? 32 * 1024 * 1024,
    });
    this.#maxClientBufferBytes = options.maxClientBufferBytes ?? 8 * 1024 * 1024;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  get lastSeq(): number {
    return this.#log.lastSeq;
  }

  /** Broadcast one frame to every client. */
  broadcast(frame: UnsequencedFrame): void {
    const entry = this.#log.append(frame);
    for (const client of this.#clients) {
      if (client.coveredSeq >= entry.seq) continue;
      this.#send(client, entry.text);
      client.coveredSeq = entry.seq;
    }
  }

  /**
   * Greet a new socket: `hello`, then either the frames after `resume.lastSeq` (same server run) or `init`.
   */
  accept(socket: WebSocket, resume?: { bootId?: string | undefined; lastSeq?: number | undefined }): void {
    const client: Client = { socket, coveredSeq: 0 };
    this.#clients.add(client);
    socket.on('close', () => this.#clients.delete(client));
    socket.on('error', (error) => this.#options.log.debug({ err: error }, '[nexus] [ws] socket error'));
    socket.on('message', (data, isBinary) => this.#onMessage(client, isBinary ? '' : data.toString()));

    const hello: HelloFrame = {
      type: 'hello',
      seq: this.#log.lastSeq,
      protocolVersion: PROTOCOL_VERSION,
      serverVersion: this.#options.serverVersion,
      serverTime: (this.#options.now?.() ?? new Date()).toISOString(),
      bootId: this.bootId,
    };
    this.#send(client, JSON.stringify(hello));
    const canResume = resume?.bootId === this.bootId && resume.lastSeq !== undefined;
    this.#catchUp(client, canResume ? resume.lastSeq! : undefined);
  }

  /** Close every socket (server shutdown). */
  closeAll(): void {
    for (const client of this.#clients) client.socket.close(1001, 'server shutting down');
    this.#clients.clear();
  }

  #onMessage(client: Client, text: string): void {
    const parsed = parseClientFrame(text);
    if (!parsed.ok) {
      this.#sendError(
        client,
        'NEXUS_WS_BAD_FRAME',
        `Unreadable client frame: ${parsed.issues[0]?.message ?? 'invalid'}`,
      );
      return;
    }
    // resync: the client saw up to lastSeq; anything it already holds through init is not sent twice.
    this.#catchUp(client, Math.max(parsed.value.lastSeq, client.coveredSeq));
  }

  #catchUp(client: Client, lastSeq: number | undefined): void {
    const missed = lastSeq === undefined ? undefined : this.#log.since(lastSeq);
    if (missed) {
      for (const entry of missed) this.#send(client, entry.text);
      client.coveredSeq = this.#log.lastSeq;
      return;
    }
    const init: InitFrame = { type: 'init', seq: this.#log.lastSeq, ...this.#options.state.snapshot() };
    this.#send(client, JSON.stringify(init));
    client.coveredSeq = this.#log.lastSeq;
  }

  #sendError(client: Client, code: string, message: string): void {
    this.#send(client, JSON.stringify({ type: 'error', seq: this.#log.lastSeq, code, message }));
  }

  #send(client: Client, text: string): void {
    const { socket } = client;
    if (socket.readyState !== socket.OPEN) return;
    // A client that cannot keep up is dropped rather than buffered without bound; it reconnects and resyncs.
    if (socket.bufferedAmount + text.length > this.#maxClientBufferBytes) {
      this.#options.log.warn(
        { bufferedBytes: socket.bufferedAmount },
        '[nexus] [ws] client too slow, dropping it; it will resync on reconnect',
      );
      this.#clients.delete(client);
      socket.close(CLOSE_TOO_SLOW, 'too slow; reconnect and resync');
      return;
    }
    socket.send(text);
  }
}

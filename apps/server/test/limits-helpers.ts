import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { PollerClock } from '../src/limits/claude-usage.js';

/** A clock whose time moves only when the test says; due timers run in time order. */
export class FakeClock implements PollerClock {
  #now: number;
  #timers = new Map<number, { at: number; callback: () => void }>();
  #next = 1;

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** When the earliest pending timer is due, or undefined. */
  nextDue(): number | undefined {
    let best: number | undefined;
    for (const t of this.#timers.values()) if (best === undefined || t.at < best) best = t.at;
    return best;
  }

  /** Move time forward, running every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let dueId: number | undefined;
      let due: { at: number; callback: () => void } | undefined;
      for (const [id, t] of this.#timers) {
        if (t.at <= target && (!due || t.at < due.at)) {
          dueId = id;
          due = t;
        }
      }
      if (!due || dueId === undefined) break;
      this.#timers.delete(dueId);
      this.#now = due.at;
      due.callback();
    }
    this.#now = target;
  }
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for an external endpoint. Each request gets the next
 * scripted answer (the last one repeats); `hang` never answers.
 */
export async function standIn(
  answers: Array<{ status: number; body?: string; headers?: Record<string, string> } | 'hang'>,
) {
  const requests: RecordedRequest[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    const answer = answers[Math.min(requests.length - 1, answers.length - 1)]!;
    if (answer === 'hang') {
      hanging.push(response);
      return;
    }
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(answer.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A pino logger at debug level whose every line the test can read. */
export function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

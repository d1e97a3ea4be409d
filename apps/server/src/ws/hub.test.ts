import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { createStaticRuntime } from '../runtime.js';
import { CLOSE_TOO_SLOW, WebSocketHub } from './hub.js';

/** A socket whose peer never reads: every send stays in bufferedAmount. */
class StalledSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  closed: { code: number; reason: string } | undefined;
  send(text: string) {
    this.bufferedAmount += Buffer.byteLength(text);
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
    this.readyState = 3;
    this.emit('close');
  }
}

describe('WebSocketHub with a slow client', () => {
  it('drops a client past its send buffer limit instead of buffering without bound', () => {
    const hub = new WebSocketHub({
      serverVersion: 't',
      state: createStaticRuntime(),
      log: pino({ level: 'silent' }),
      maxClientBufferBytes: 64 * 1024,
    });
    const slow = new StalledSocket();
    const fast = new StalledSocket();
    hub.accept(slow as unknown as WebSocket);
    hub.accept(fast as unknown as WebSocket);
    const content = 'x'.repeat(1000);
    for (let i = 0; i < 200; i++) {
      hub.broadcast({
        type: 'message_add',
        sessionId: 'codex:s',
        message: { id: String(i), role: 'user', kind: 'text', content },
      });
      // The fast client drains what it is sent.
      fast.bufferedAmount = 0;
    }
    expect(slow.closed).toEqual({ code: CLOSE_TOO_SLOW, reason: 'too slow; reconnect and resync' });
    expect(slow.bufferedAmount).toBeLessThanOrEqual(64 * 1024);
    expect(fast.closed).toBeUndefined();
    expect(hub.clientCount).toBe(1);
    expect(hub.lastSeq).toBe(200);
  });
});

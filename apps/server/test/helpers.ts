import type { AddressInfo } from 'node:net';
import type { UnsequencedFrame } from '@nexus/protocol';
import pino from 'pino';
import WebSocket from 'ws';
import { createApp } from '../src/app.js';
import type { ServerOptions } from '../src/config.js';
import { createStaticRuntime, type ServerRuntime } from '../src/runtime.js';

export const silentLogger = pino({ level: 'silent' });

export function testOptions(overrides: Partial<ServerOptions> = {}): ServerOptions {
  return {
    host: '127.0.0.1',
    port: 0,
    allowedHosts: [],
    allowedOrigins: [],
    stateDir: '/nonexistent',
    webDir: undefined,
    ...overrides,
  };
}

/** A runtime whose frames the test pushes by hand. */
export function pushableRuntime(): ServerRuntime & { push(frame: UnsequencedFrame): void } {
  const listeners = new Set<(frame: UnsequencedFrame) => void>();
  return {
    ...createStaticRuntime([
      { tool: 'claude-code', displayName: 'Claude Code', path: '/home/u/.claude/projects', exists: false },
    ]),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    push(frame) {
      for (const listener of listeners) listener(frame);
    },
  };
}

export async function startTestServer(
  overrides: Partial<ServerOptions> = {},
  runtime: ServerRuntime = pushableRuntime(),
) {
  const nexus = await createApp({ options: testOptions(overrides), runtime, logger: silentLogger });
  await nexus.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = nexus.app.server.address() as AddressInfo;
  return { ...nexus, port, close: () => nexus.app.close() };
}

const collected = new WeakMap<WebSocket, Array<Record<string, unknown>>>();

/** Every text frame the socket received since it was created, parsed (attached before `open`, so none is missed). */
export function collectFrames(socket: WebSocket): Array<Record<string, unknown>> {
  let frames = collected.get(socket);
  if (!frames) {
    const list: Array<Record<string, unknown>> = [];
    socket.on('message', (data) => list.push(JSON.parse(data.toString()) as Record<string, unknown>));
    collected.set(socket, list);
    frames = list;
  }
  return frames;
}

export async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    collectFrames(socket);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    // With this listener ws leaves the refused request open; end it so servers can close.
    socket.once('unexpected-response', (request, response) => {
      request.destroy();
      reject(new Error(`HTTP ${response.statusCode}`));
    });
  });
}

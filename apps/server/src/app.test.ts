import { HealthResponse, validate, validateServerFrame } from '@nexus/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  collectFrames,
  openSocket,
  pushableRuntime,
  silentLogger,
  startTestServer,
  testOptions,
  waitFor,
} from '../test/helpers.js';
import { createApp } from './app.js';
import { assertBindIsSafe } from './config.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function injectApp(overrides = {}) {
  const nexus = await createApp({
    options: testOptions(overrides),
    runtime: pushableRuntime(),
    logger: silentLogger,
  });
  cleanups.push(() => nexus.app.close());
  return nexus.app;
}

describe('GET /api/health', () => {
  it('answers with a body that matches the protocol schema', async () => {
    const app = await injectApp();
    const response = await app.inject({
      method: 'GET',
      url: '/api/health',
      headers: { host: '127.0.0.1:3000' },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(validate(HealthResponse, body)).toMatchObject({ ok: true });
    expect(body.status).toBe('ok');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('Host allowlist', () => {
  it.each(['localhost:3000', '127.0.0.1:3000', '[::1]:3000', 'LOCALHOST'])('accepts %s', async (host) => {
    const app = await injectApp();
    const response = await app.inject({ method: 'GET', url: '/api/health', headers: { host } });
    expect(response.statusCode).toBe(200);
  });

  it('refuses a foreign Host (DNS rebinding) with 421 and a stable code', async () => {
    const app = await injectApp();
    const response = await app.inject({
      method: 'GET',
      url: '/api/health',
      headers: { host: 'evil.example:3000' },
    });
    expect(response.statusCode).toBe(421);
    expect(response.json()).toMatchObject({ code: 'NEXUS_ERR_HOST_NOT_ALLOWED' });
  });

  it('accepts a name added with --allowed-host', async () => {
    const app = await injectApp({ allowedHosts: ['nexus.lan'] });
    const response = await app.inject({
      method: 'GET',
      url: '/api/health',
      headers: { host: 'nexus.lan:3000' },
    });
    expect(response.statusCode).toBe(200);
  });
});

describe('binding', () => {
  it('refuses a non-loopback address without a token', () => {
    expect(() => assertBindIsSafe({ host: '0.0.0.0', token: undefined })).toThrow(
      /requires a token|without a token/,
    );
    expect(() => assertBindIsSafe({ host: '0.0.0.0', token: 's3cret' })).not.toThrow();
    expect(() => assertBindIsSafe({ host: '127.0.0.1', token: undefined })).not.toThrow();
  });
});

describe('token', () => {
  it('rejects requests without the token with 401', async () => {
    const app = await injectApp({ token: 's3cret' });
    const response = await app.inject({ method: 'GET', url: '/api/health', headers: { host: 'localhost' } });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'NEXUS_ERR_UNAUTHORIZED' });
    const wrong = await app.inject({
      method: 'GET',
      url: '/api/health',
      headers: { host: 'localhost', authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('accepts the bearer token', async () => {
    const app = await injectApp({ token: 's3cret' });
    const response = await app.inject({
      method: 'GET',
      url: '/api/health',
      headers: { host: 'localhost', authorization: 'Bearer s3cret' },
    });
    expect(response.statusCode).toBe(200);
  });

  it('trades ?token= for an HttpOnly cookie and strips it from the URL', async () => {
    const app = await injectApp({ token: 's3cret' });
    const response = await app.inject({
      method: 'GET',
      url: '/sessions/x?token=s3cret&a=1',
      headers: { host: 'localhost' },
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/sessions/x?a=1');
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/^nexus_token=s3cret; Path=\/; HttpOnly; SameSite=Strict/);
    const followUp = await app.inject({
      method: 'GET',
      url: '/api/health',
      headers: { host: 'localhost', cookie: 'nexus_token=s3cret' },
    });
    expect(followUp.statusCode).toBe(200);
  });
});

describe('WebSocket', () => {
  it.each(['/ws', '/'])('sends hello then init on %s, both valid frames', async (path) => {
    const server = await startTestServer();
    cleanups.push(server.close);
    const socket = await openSocket(`ws://127.0.0.1:${server.port}${path}`);
    cleanups.push(async () => socket.close());
    const frames = collectFrames(socket);
    await waitFor(() => frames.length >= 2);
    expect(frames.map((frame) => frame.type)).toEqual(['hello', 'init']);
    for (const frame of frames) expect(validateServerFrame(frame)).toMatchObject({ ok: true });
    expect(frames[1]).toMatchObject({ sessions: [], watchedRoots: [{ tool: 'claude-code' }] });
  });

  it('refuses an upgrade from a foreign Origin', async () => {
    const server = await startTestServer();
    cleanups.push(server.close);
    await expect(
      openSocket(`ws://127.0.0.1:${server.port}/ws`, { origin: 'http://evil.example' }),
    ).rejects.toThrow('HTTP 403');
  });

  it('accepts its own origin and the Vite dev origin', async () => {
    const server = await startTestServer();
    cleanups.push(server.close);
    for (const origin of [`http://127.0.0.1:${server.port}`, 'http://localhost:5173']) {
      const socket = await openSocket(`ws://127.0.0.1:${server.port}/ws`, { origin });
      socket.close();
    }
  });

  it('refuses an upgrade without the token when one is required', async () => {
    const server = await startTestServer({ token: 's3cret' });
    cleanups.push(server.close);
    await expect(openSocket(`ws://127.0.0.1:${server.port}/ws`)).rejects.toThrow('HTTP 401');
    const socket = await openSocket(`ws://127.0.0.1:${server.port}/ws`, { authorization: 'Bearer s3cret' });
    socket.close();
  });

  it('broadcasts frames with increasing seq and resumes a reconnecting client without a new init', async () => {
    const runtime = pushableRuntime();
    const server = await startTestServer({}, runtime);
    cleanups.push(server.close);
    const first = await openSocket(`ws://127.0.0.1:${server.port}/ws`);
    const frames = collectFrames(first);
    await waitFor(() => frames.length === 2);
    runtime.push({ type: 'session_remove', sessionId: 'claude-code:a' });
    runtime.push({ type: 'session_remove', sessionId: 'claude-code:b' });
    await waitFor(() => frames.length === 4);
    expect(frames.slice(2).map((frame) => frame.seq)).toEqual([1, 2]);
    const bootId = frames[0]!.bootId as string;
    first.close();

    runtime.push({ type: 'session_remove', sessionId: 'claude-code:c' });
    const second = await openSocket(`ws://127.0.0.1:${server.port}/ws?lastSeq=2&bootId=${bootId}`);
    cleanups.push(async () => second.close());
    const resumed = collectFrames(second);
    await waitFor(() => resumed.length === 2);
    expect(resumed.map((frame) => [frame.type, frame.seq])).toEqual([
      ['hello', 3],
      ['session_remove', 3],
    ]);
  });

  it('answers a resync frame after init with nothing already covered by the init', async () => {
    const runtime = pushableRuntime();
    const server = await startTestServer({}, runtime);
    cleanups.push(server.close);
    runtime.push({ type: 'session_remove', sessionId: 'claude-code:a' });
    const socket = await openSocket(`ws://127.0.0.1:${server.port}/ws`);
    cleanups.push(async () => socket.close());
    const frames = collectFrames(socket);
    await waitFor(() => frames.length === 2);
    socket.send(JSON.stringify({ type: 'resync', lastSeq: 0 }));
    runtime.push({ type: 'session_remove', sessionId: 'claude-code:b' });
    await waitFor(() => frames.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(frames.map((frame) => [frame.type, frame.seq])).toEqual([
      ['hello', 1],
      ['init', 1],
      ['session_remove', 2],
    ]);
  });

  it('answers a malformed client frame with an error frame and keeps the connection', async () => {
    const server = await startTestServer();
    cleanups.push(server.close);
    const socket = await openSocket(`ws://127.0.0.1:${server.port}/ws`);
    cleanups.push(async () => socket.close());
    const frames = collectFrames(socket);
    await waitFor(() => frames.length === 2);
    socket.send('{"type":"resync","lastSeq":"x"}');
    await waitFor(() => frames.length === 3);
    expect(frames[2]).toMatchObject({ type: 'error', code: 'NEXUS_WS_BAD_FRAME' });
    expect(socket.readyState).toBe(WebSocket.OPEN);
  });
});

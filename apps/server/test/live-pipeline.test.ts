import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateServerFrame } from '@nexus/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { createApp } from '../src/app.js';
import { createEngineRuntime, type Engine } from '../src/engine.js';
import { collectFrames, openSocket, silentLogger, testOptions, waitFor } from './helpers.js';

let home: string;
let engine: Engine | undefined;
let close: (() => Promise<unknown>) | undefined;
let socket: WebSocket | undefined;

const CLAUDE = '.claude/projects/-work-shop/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl';
const CODEX =
  '.codex/sessions/2026/11/24/rollout-2026-11-24T10-00-00-019aad50-a7e6-7422-b7a8-0b384290624f.jsonl';
const OPENCLAW = '.openclaw/agents/main/sessions/4f0b6c2e-2a55-4d33-9e0e-77c2b8a1d9f3.jsonl';
const now = () => new Date().toISOString();
const claudeUser = (uuid: string, text: string) =>
  `${JSON.stringify({ type: 'user', uuid, sessionId: 'ae4a77f8-aedd-4bc1-888f-c94edc91af04', cwd: '/work/shop', timestamp: now(), message: { role: 'user', content: text } })}\n`;
const claudeAssistant = (uuid: string, text: string) =>
  `${JSON.stringify({ type: 'assistant', uuid, sessionId: 'ae4a77f8-aedd-4bc1-888f-c94edc91af04', cwd: '/work/shop', timestamp: now(), requestId: `req_${uuid}`, message: { id: `msg_${uuid}`, model: 'claude-sonnet-4-5-20250929', role: 'assistant', content: [{ type: 'text', text }], usage: { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 } } })}\n`;
const codexPrompt = (text: string) =>
  `${JSON.stringify({ timestamp: now(), type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } })}\n${JSON.stringify({ timestamp: now(), type: 'event_msg', payload: { type: 'user_message', message: text } })}\n`;
const clawMessage = (id: string, text: string) =>
  `${JSON.stringify({ type: 'message', id, parentId: null, timestamp: now(), message: { role: 'user', content: [{ type: 'text', text }], timestamp: Date.now() } })}\n`;

function write(relativePath: string, content: string): string {
  const path = join(home, relativePath);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'nexus-live-'));
});
afterEach(async () => {
  socket?.close();
  await close?.();
  rmSync(home, { recursive: true, force: true });
});

/** An engine over `home` with no history backfill; `openLogFiles` stands in for the process lister. */
const startEngine = (openLogFiles: () => Promise<Set<string>> = async () => new Set()) =>
  createEngineRuntime({
    env: { HOME: home },
    stateDir: join(home, '.nexus'),
    logger: silentLogger,
    offline: true,
    backfill: false,
    processLister: { openLogFiles },
  });

async function start() {
  engine = await startEngine();
  // The exact frames below start from an init that holds the sessions of the first discovery.
  await engine.discovered;
  const nexus = await createApp({
    options: testOptions(),
    runtime: engine.runtime,
    logger: silentLogger,
    plugins: engine.plugins,
  });
  await nexus.app.listen({ host: '127.0.0.1', port: 0 });
  close = async () => {
    await nexus.app.close();
    await engine?.runtime.close();
  };
  return (nexus.app.server.address() as AddressInfo).port;
}

describe('live pipeline: files → monitor → registry → WebSocket', () => {
  it('streams the exact message_add frames of Claude Code, Codex and OpenClaw appends, each once and in order', async () => {
    const claude = write(CLAUDE, claudeUser('u1', 'fix the login test'));
    const codexFile = write(CODEX, codexPrompt('add pagination'));
    const claw = write(OPENCLAW, clawMessage('e1', 'triage the inbox'));
    const port = await start();
    socket = await openSocket(`ws://127.0.0.1:${port}/ws`);
    const frames = collectFrames(socket);
    await waitFor(() => frames.length >= 2);
    const init = frames[1] as {
      type: string;
      sessions: Array<{ sessionId: string; messages: Array<{ content: string }> }>;
    };
    expect(init.type).toBe('init');
    expect(
      init.sessions.map((session) => [session.sessionId, session.messages.map((m) => m.content)]).sort(),
    ).toEqual([
      ['claude-code:ae4a77f8-aedd-4bc1-888f-c94edc91af04', ['fix the login test']],
      ['codex:019aad50-a7e6-7422-b7a8-0b384290624f', ['add pagination']],
      ['openclaw:4f0b6c2e-2a55-4d33-9e0e-77c2b8a1d9f3', ['triage the inbox']],
    ]);

    appendFileSync(claude, claudeAssistant('a1', 'The test races the session cookie.'));
    appendFileSync(codexFile, codexPrompt('and a page size of 50'));
    appendFileSync(claw, clawMessage('e2', 'start with the oldest'));
    // A partial line must wait for its newline.
    const partial = claudeUser('u2', 'thanks, ship it');
    appendFileSync(claude, partial.slice(0, 40));
    await waitFor(() => frames.filter((frame) => frame.type === 'message_add').length >= 3, 5000);
    appendFileSync(claude, partial.slice(40));
    await waitFor(() => frames.filter((frame) => frame.type === 'message_add').length >= 4, 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const added = frames.filter((frame) => frame.type === 'message_add') as Array<{
      sessionId: string;
      seq: number;
      message: { role: string; content: string };
    }>;
    const bySession = (id: string) =>
      added
        .filter((frame) => frame.sessionId === id)
        .map((frame) => `${frame.message.role}: ${frame.message.content}`);
    expect(bySession('claude-code:ae4a77f8-aedd-4bc1-888f-c94edc91af04')).toEqual([
      'assistant: The test races the session cookie.',
      'user: thanks, ship it',
    ]);
    expect(bySession('codex:019aad50-a7e6-7422-b7a8-0b384290624f')).toEqual(['user: and a page size of 50']);
    expect(bySession('openclaw:4f0b6c2e-2a55-4d33-9e0e-77c2b8a1d9f3')).toEqual([
      'user: start with the oldest',
    ]);
    const seqs = frames.slice(2).map((frame) => frame.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    for (const frame of frames)
      expect(validateServerFrame(frame), JSON.stringify(frame).slice(0, 200)).toMatchObject({ ok: true });

    // The usage of the Claude reply reached the ledger and the totals.
    await waitFor(
      () =>
        frames.some(
          (frame) =>
            frame.type === 'usage_totals' && (frame.totals as { totalTokens: number }).totalTokens === 130,
        ),
      3000,
    );
  });

  it('pages the full history of a live session from its log', async () => {
    const lines = Array.from({ length: 30 }, (_, index) => claudeUser(`u${index}`, `message ${index}`)).join(
      '',
    );
    write(CLAUDE, lines);
    const port = await start();
    const id = encodeURIComponent('claude-code:ae4a77f8-aedd-4bc1-888f-c94edc91af04');
    const first = (await (
      await fetch(`http://127.0.0.1:${port}/api/sessions/${id}/messages?limit=20`)
    ).json()) as { messages: Array<{ content: string }>; nextBefore: string };
    expect(first.messages.map((m) => m.content)).toEqual(
      Array.from({ length: 20 }, (_, index) => `message ${index + 10}`),
    );
    const second = (await (
      await fetch(`http://127.0.0.1:${port}/api/sessions/${id}/messages?limit=20&before=${first.nextBefore}`)
    ).json()) as { messages: unknown[]; nextBefore: null };
    expect(second.messages).toHaveLength(10);
    expect(second.nextBefore).toBeNull();
    const detail = (await (await fetch(`http://127.0.0.1:${port}/api/sessions/${id}`)).json()) as {
      session: { name: string; projectPath: string };
    };
    expect(detail.session).toMatchObject({ name: 'shop', projectPath: '/work/shop' });
    expect((await fetch(`http://127.0.0.1:${port}/api/sessions/nope`)).status).toBe(404);
  });

  it('survives split characters, truncation, replacement, deletion and a reconnect: every line once, in order', async () => {
    const claude = write(CLAUDE, claudeUser('u1', 'first'));
    const codexFile = write(CODEX, codexPrompt('codex first'));
    const port = await start();
    socket = await openSocket(`ws://127.0.0.1:${port}/ws`);
    let frames = collectFrames(socket);
    await waitFor(() => frames.length >= 2);
    const added = () =>
      frames
        .filter((frame) => frame.type === 'message_add')
        .map((frame) => (frame.message as { content: string }).content);
    const sessionOf = (content: string) => (content.startsWith('codex') ? 'codex' : 'claude');

    // A multi-byte line cut inside a character (東 is 3 bytes; 🚀 is 4) over three appends.
    const bytes = Buffer.from(claudeUser('u2', 'café 東京 🚀 done'));
    const east = bytes.indexOf(Buffer.from('東')) + 1;
    const rocket = bytes.indexOf(Buffer.from('🚀')) + 2;
    appendFileSync(claude, bytes.subarray(0, east));
    await new Promise((resolve) => setTimeout(resolve, 150));
    appendFileSync(claude, bytes.subarray(east, rocket));
    await new Promise((resolve) => setTimeout(resolve, 150));
    appendFileSync(claude, bytes.subarray(rocket));
    await waitFor(() => added().length >= 1);
    expect(added()).toEqual(['café 東京 🚀 done']);

    // Truncated and rewritten shorter: read again from 0; what was already shown is not shown again.
    writeFileSync(claude, claudeUser('u3', 'after truncation'));
    await waitFor(() => added().length >= 2);
    // Replaced by a rename (a new inode at the same path).
    const replacement = `${claude}.tmp`;
    writeFileSync(replacement, claudeUser('u3', 'after truncation') + claudeUser('u4', 'after replacement'));
    renameSync(replacement, claude);
    await waitFor(() => added().length >= 3);

    // Reconnect from the last seq seen: what was appended meanwhile arrives once, nothing twice.
    const hello = frames[0] as { bootId: string };
    const lastSeq = Math.max(...frames.map((frame) => frame.seq as number));
    socket.close();
    appendFileSync(claude, claudeUser('u5', 'while away'));
    appendFileSync(codexFile, codexPrompt('codex while away'));
    await new Promise((resolve) => setTimeout(resolve, 600));
    socket = await openSocket(`ws://127.0.0.1:${port}/ws?lastSeq=${lastSeq}&bootId=${hello.bootId}`);
    const before = added();
    frames = collectFrames(socket);
    await waitFor(() => added().length >= 2);
    const all = [...before, ...added()];
    // Once each, in each file's order; two files appended together may be noticed in either order.
    expect(all.filter((content) => sessionOf(content) === 'claude')).toEqual([
      'café 東京 🚀 done',
      'after truncation',
      'after replacement',
      'while away',
    ]);
    expect(all.filter((content) => sessionOf(content) === 'codex')).toEqual(['codex while away']);
    expect(all).toHaveLength(5);

    // Deleted: the Codex session leaves the wall.
    unlinkSync(codexFile);
    await waitFor(
      () =>
        frames.some(
          (frame) =>
            frame.type === 'session_remove' &&
            frame.sessionId === 'codex:019aad50-a7e6-7422-b7a8-0b384290624f',
        ),
      15_000,
    );
    for (const frame of frames)
      expect(validateServerFrame(frame), JSON.stringify(frame).slice(0, 200)).toMatchObject({ ok: true });
  }, 30_000);

  // Regression: createEngineRuntime awaited the monitor's first discovery, which stats every log under the
  // roots; during a cold backfill that took seconds, and the server listened (and showed the backfill's
  // progress) only after it.
  it('returns before the first discovery of live sessions ends, and announces what it finds then', async () => {
    write(CLAUDE, claudeUser('u1', 'hello'));
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    engine = await startEngine(() => gate.then(() => new Set<string>()));
    const running = engine;
    close = async () => {
      release();
      await running.runtime.close();
    };
    let discovered = false;
    void running.discovered.then(() => {
      discovered = true;
    });
    const frames: Array<{ type: string }> = [];
    running.runtime.subscribe((frame) => frames.push(frame));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(discovered).toBe(false);
    expect(running.runtime.snapshot().sessions).toEqual([]);
    release();
    await running.discovered;
    expect(running.runtime.snapshot().sessions.map((session) => session.sessionId)).toEqual([
      'claude-code:ae4a77f8-aedd-4bc1-888f-c94edc91af04',
    ]);
    expect(frames.map((frame) => frame.type)).toContain('session_init');
  });
});

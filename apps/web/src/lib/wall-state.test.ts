import type { ServerFrame } from '@nexus/protocol';
import { describe, expect, it } from 'vitest';
import {
  applyFrame,
  createWallState,
  MAX_CARD_MESSAGES,
  reconnectDelay,
  resumeQuery,
  sortedSessions,
} from './wall-state';

const usage = {
  scope: 'all_history' as const,
  totals: { totalTokens: 10, totalCostUsd: 1, runningAgents: 1 },
  byTool: {},
  backfill: { status: 'done' as const, scannedFiles: 1, totalFiles: 1, scannedBytes: 1, totalBytes: 1 },
  updatedAt: '2026-11-24T10:00:00.000Z',
};
const session = (id: string, lastActivityAt: string) => ({
  sessionId: id,
  tool: 'codex',
  name: id,
  state: 'active' as const,
  messageCount: 0,
  lastActivityAt,
  messages: [],
});
const init = (seq: number): ServerFrame => ({
  type: 'init',
  seq,
  sessions: [session('a', '2026-11-24T10:00:00Z')],
  usageTotals: usage,
  watchedRoots: [],
});
const message = (seq: number, id: string): ServerFrame => ({
  type: 'message_add',
  seq,
  sessionId: 'a',
  message: { id, role: 'user', kind: 'text', content: `m${id}`, timestamp: '2026-11-24T10:00:05Z' },
});

describe('applyFrame', () => {
  it('applies frames in seq order, ignores duplicates and reports gaps', () => {
    const state = createWallState();
    expect(applyFrame(state, init(4))).toBe('applied');
    expect(applyFrame(state, message(5, '1'))).toBe('applied');
    expect(applyFrame(state, message(5, '1'))).toBe('duplicate');
    expect(applyFrame(state, message(7, '3'))).toBe('gap');
    expect(state.sessions.a?.messages.map((m) => m.id)).toEqual(['1']);
    expect(state.lastSeq).toBe(5);
  });

  it('never shows a message twice even when it arrives under a new seq', () => {
    const state = createWallState();
    applyFrame(state, init(1));
    applyFrame(state, message(2, 'x'));
    applyFrame(state, message(3, 'x'));
    expect(state.sessions.a?.messages).toHaveLength(1);
  });

  it('keeps at most MAX_CARD_MESSAGES per card', () => {
    const state = createWallState();
    applyFrame(state, init(0));
    for (let i = 1; i <= MAX_CARD_MESSAGES + 10; i++) applyFrame(state, message(i, String(i)));
    expect(state.sessions.a?.messages).toHaveLength(MAX_CARD_MESSAGES);
    expect(state.sessions.a?.messages[0]?.id).toBe('11');
  });

  it('removes a session, applies state changes and usage totals', () => {
    const state = createWallState();
    applyFrame(state, init(0));
    applyFrame(state, { type: 'state_change', seq: 1, sessionId: 'a', state: 'idle' });
    expect(state.sessions.a?.state).toBe('idle');
    applyFrame(state, {
      type: 'usage_totals',
      seq: 2,
      ...usage,
      totals: { ...usage.totals, totalTokens: 99 },
    });
    expect(state.usage?.totals.totalTokens).toBe(99);
    applyFrame(state, { type: 'session_remove', seq: 3, sessionId: 'a' });
    expect(state.sessions).toEqual({});
  });

  it('sorts cards by last activity, newest first', () => {
    const state = createWallState();
    applyFrame(state, {
      ...init(0),
      sessions: [session('old', '2026-11-24T09:00:00Z'), session('new', '2026-11-24T11:00:00Z')],
    } as ServerFrame);
    expect(sortedSessions(state).map((s) => s.sessionId)).toEqual(['new', 'old']);
  });
});

describe('resumeQuery', () => {
  const hello = (seq: number): ServerFrame => ({
    type: 'hello',
    seq,
    protocolVersion: 1,
    serverVersion: '0.1.0',
    serverTime: '2026-11-24T10:00:00.000Z',
    bootId: 'boot/1',
  });

  // Regression (dashboard e2e under CI load): the connection was cut after `hello` and before `init`; the
  // reconnect asked to resume after seq 0 and the server replayed its frame log, which does not announce
  // the sessions found before it: the wall stayed empty.
  it('asks for init, not a resume, when the connection was cut between hello and init', () => {
    const state = createWallState();
    expect(resumeQuery(state)).toBe('');
    applyFrame(state, hello(7));
    expect(state.bootId).toBe('boot/1');
    expect(resumeQuery(state)).toBe('');
  });

  it('resumes after the newest frame applied once an init was', () => {
    const state = createWallState();
    applyFrame(state, hello(7));
    applyFrame(state, init(7));
    expect(resumeQuery(state)).toBe('?lastSeq=7&bootId=boot%2F1');
    applyFrame(state, message(8, 'x'));
    expect(resumeQuery(state)).toBe('?lastSeq=8&bootId=boot%2F1');
  });
});

describe('reconnectDelay', () => {
  it('doubles from 1 s to a 30 s cap, with ±20% jitter', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((attempt) => reconnectDelay(attempt, () => 0.5))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    expect(reconnectDelay(0, () => 0)).toBe(800);
    expect(reconnectDelay(0, () => 1)).toBe(1200);
  });
});

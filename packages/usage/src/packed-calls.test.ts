import { describe, expect, it } from 'vitest';
import { type CallRow, callRowOf } from './call-row.js';
import { packCalls, unpackCalls } from './packed-calls.js';

const base = {
  type: 'usage' as const,
  tool: 'claude-code',
  sessionId: 'claude-code:5d0c0f4e-1f47-4d4c-9b51-1b1e0ddc3f10',
  projectPath: '/home/dev/données-app',
  timestamp: '2026-09-14T08:31:07.321Z',
  model: 'claude-opus-4-6',
  inputTokens: 1,
  outputTokens: 369,
  cacheCreationTokens: 22_867,
  cacheCreation1hTokens: 15_626,
  cacheReadTokens: 96_274,
  reasoningOutputTokens: 0,
  dedupKey: 'msg_010000d973eb6b173c55008b:req_011C5a7b08bd51f040ff8f',
  callId: 'msg_010000d973eb6b173c55008b',
  sidechain: true,
};

describe('packCalls / unpackCalls', () => {
  it('gives back every field of every call, nulls and flags included', () => {
    const calls = [
      callRowOf(base),
      callRowOf({
        ...base,
        dedupKey: 'k2',
        callId: undefined,
        sidechain: false,
        speed: 'fast',
        costUsd: 0.0447354,
      }),
      callRowOf({
        ...base,
        tool: 'codex',
        dedupKey: 'codex:01a05a49:10756',
        model: '',
        modelFallback: true,
        reasoningOutputTokens: 493,
        costUsd: 0,
      }),
    ] as CallRow[];
    expect(calls.every(Boolean)).toBe(true);
    const packed = packCalls(calls);
    // Shared strings are stored once: null, 2 tools, 3 keys, 1 session, 1 project, 2 models, 1 speed, 1 call id.
    expect(packed.strings).toHaveLength(12);
    expect(unpackCalls(packed)).toEqual(calls);
  });

  it('survives a structured clone with its buffers transferred, and appends to a list', () => {
    const calls = [callRowOf(base)] as CallRow[];
    const packed = packCalls(calls);
    const cloned = structuredClone(packed, { transfer: [packed.refs.buffer, packed.numbers.buffer] });
    const into = [...calls];
    expect(unpackCalls(cloned, into)).toBe(into);
    expect(into).toEqual([...calls, ...calls]);
    expect(unpackCalls(packCalls([]))).toEqual([]);
  });
});

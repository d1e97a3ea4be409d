import { describe, expect, it } from 'vitest';
import { parseServerFrame, validateClientFrame, validateServerFrame } from './index.js';

describe('validateServerFrame', () => {
  it('accepts a hello frame', () => {
    const frame = {
      type: 'hello',
      seq: 0,
      protocolVersion: 1,
      serverVersion: '0.1.0',
      serverTime: '2026-11-24T10:00:00.000Z',
      bootId: 'b1',
    };
    expect(validateServerFrame(frame)).toEqual({ ok: true, value: frame });
  });
  it('reports an unknown type as an issue on /type', () => {
    const result = validateServerFrame({ type: 'nope', seq: 1 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues[0]?.path).toBe('/type');
  });
});

describe('parseServerFrame', () => {
  it('turns invalid JSON into an issue instead of throwing', () => {
    const result = parseServerFrame('{"type":');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues[0]?.message).toMatch(/^Invalid JSON/);
  });
});

describe('validateClientFrame', () => {
  it('rejects a negative lastSeq', () => {
    const result = validateClientFrame({ type: 'resync', lastSeq: -1 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.map((issue) => issue.path)).toContain('/lastSeq');
  });
});

import { describe, expect, it } from 'vitest';
import type { UsageEvent } from './contract.js';
import { mergeUsageEvents } from './usage-merge.js';

const call = (timestamp: string, outputTokens: number): UsageEvent => ({
  type: 'usage',
  tool: 'claude-code',
  sessionId: 'claude-code:s1',
  projectPath: '/p',
  timestamp,
  model: 'claude-opus-4-6',
  inputTokens: 3,
  outputTokens,
  cacheCreationTokens: 0,
  cacheCreation1hTokens: 0,
  cacheReadTokens: 100,
  reasoningOutputTokens: 0,
  dedupKey: 'msg_1:req_1',
});

describe('mergeUsageEvents', () => {
  it('dates a call by its largest sighting, whatever the order', () => {
    const small = call('2026-03-10T23:59:59.000Z', 5);
    const large = call('2026-03-11T00:00:01.000Z', 50);
    for (const order of [
      [small, large],
      [large, small],
    ]) {
      expect(mergeUsageEvents(order)).toEqual([
        expect.objectContaining({ outputTokens: 50, timestamp: large.timestamp }),
      ]);
    }
  });

  // Regression: of two equal copies on different days (a session and its resumed copy), the first one read
  // won, so the day depended on which file was read first; the usage ledger takes the earlier line.
  it('dates a call seen twice with equal usage by the earlier line, whatever the order', () => {
    const copy = call('2026-03-11T08:00:00.000Z', 20);
    const original = call('2026-03-10T22:00:00.000Z', 20);
    for (const order of [
      [copy, original],
      [original, copy],
    ]) {
      expect(mergeUsageEvents(order)).toEqual([expect.objectContaining({ timestamp: original.timestamp })]);
    }
  });
});

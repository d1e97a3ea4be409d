import type { UsageTotals } from '@nexus/protocol';
import { describe, expect, it } from 'vitest';
import { usage } from '../test/helpers.js';
import { type CoalescerClock, LiveTotals } from './aggregates.js';
import { UsageLedger } from './ledger.js';

function fakeClock() {
  let now = 1_000_000;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  const clock: CoalescerClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (id) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.filter((x) => x.at <= now)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
  };
  return { clock, advance, pending: () => timers.length };
}

describe('LiveTotals', () => {
  it('coalesces updates to one per 250 ms and adds only the growth of a key', () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    const { clock, advance, pending } = fakeClock();
    const updates: UsageTotals[] = [];
    const live = new LiveTotals({
      ledger,
      clock,
      onUpdate: (t) => updates.push(t),
      tools: ['claude-code', 'codex'],
    });

    live.ingest([usage({ dedupKey: 'k', outputTokens: 10 })]);
    expect(updates).toHaveLength(1); // the first change after a quiet period goes out at once
    expect(updates[0]?.byTool['claude-code']?.totalTokens).toBe(10);

    live.ingest([usage({ dedupKey: 'k', outputTokens: 15 })]);
    live.ingest([usage({ dedupKey: 'k', outputTokens: 40 })]);
    live.setRunningAgents({ 'claude-code': 2, codex: 1 });
    expect(updates).toHaveLength(1);
    expect(pending()).toBe(1);
    advance(249);
    expect(updates).toHaveLength(1);
    advance(1);
    expect(updates).toHaveLength(2);
    const last = updates[1]!;
    expect(last).toMatchObject({
      scope: 'all_history',
      totals: { totalTokens: 40, runningAgents: 3 },
      byTool: {
        'claude-code': { totalTokens: 40, runningAgents: 2 },
        codex: { totalTokens: 0, totalCostUsd: 0, runningAgents: 1 },
      },
      backfill: { status: 'idle' },
    });
    // 40 output tokens of Sonnet 4.5 at $15/M.
    expect(last.totals.totalCostUsd).toBeCloseTo(0.0006, 12);
    expect(last.updatedAt).toBe(new Date(1_000_250).toISOString());

    // A re-read of the same line changes nothing and sends nothing.
    live.ingest([usage({ dedupKey: 'k', outputTokens: 40 })]);
    advance(1000);
    expect(updates).toHaveLength(2);

    live.setBackfill({ status: 'running', scannedFiles: 1, totalFiles: 3, scannedBytes: 10, totalBytes: 30 });
    expect(updates).toHaveLength(3);
    expect(updates[2]?.backfill).toEqual({
      status: 'running',
      scannedFiles: 1,
      totalFiles: 3,
      scannedBytes: 10,
      totalBytes: 30,
    });
    live.changed();
    live.close();
    advance(1000);
    expect(updates).toHaveLength(3);
    ledger.close();
  });

  it('emits at most 4 updates per second under a steady stream', () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    const { clock, advance } = fakeClock();
    let count = 0;
    const live = new LiveTotals({ ledger, clock, onUpdate: () => count++ });
    for (let i = 0; i < 100; i++) {
      live.ingest([usage({ dedupKey: `k${i}`, outputTokens: 1 })]);
      advance(10);
    }
    expect(count).toBeLessThanOrEqual(5);
    expect(live.snapshot().totals.totalTokens).toBe(100);
    ledger.close();
  });
});

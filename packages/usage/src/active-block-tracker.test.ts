import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UsageEvent } from '@nexus/parsers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { random, usage } from '../test/helpers.js';
import { ActiveBlockTracker } from './active-block-tracker.js';
import { activeBlock, BlockFigures } from './blocks.js';
import { UsageLedger } from './ledger.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ActiveBlockTracker', () => {
  it.each([1, 2, 3, 4])('equals activeBlock after every commit of a generated stream (seed %i)', (seed) => {
    const next = random(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const ledger = UsageLedger.open({ path: ':memory:' });
    // No periodic resync: the costs are exact, and every read counted below has a reason.
    const tracker = new ActiveBlockTracker(ledger, { topSessions: 3, resyncMs: Number.POSITIVE_INFINITY });
    const reads = vi.spyOn(BlockFigures, 'read');
    const stored: UsageEvent[] = [];
    let now = Date.parse('2026-09-01T08:00:00Z');
    let serial = 0;
    let probes = 0;
    let active = 0;
    let trackerReads = 0;
    // Costs are binary fractions, so sums kept by adding and subtracting compare exactly.
    const cost = () => Math.floor(next() * 64) / 64;
    const call = (ts: number): UsageEvent => {
      const session = Math.floor(next() * 5);
      return usage({
        dedupKey: `k${serial++}`,
        tool: next() < 0.9 ? 'claude-code' : 'codex',
        sessionId: `claude-code:s${session}`,
        // Now and then a session moves to another folder: the greatest path is shown.
        projectPath: next() < 0.9 ? `/p/${session}` : `/p/${session}-moved`,
        model: pick(['claude-sonnet-4-5-20250929', 'claude-opus-4-6', 'claude-haiku-4-5', '']),
        timestamp: new Date(ts).toISOString(),
        inputTokens: Math.floor(next() * 1000),
        outputTokens: Math.floor(next() * 1000),
        cacheReadTokens: Math.floor(next() * 10_000),
        costUsd: cost(),
      });
    };
    for (let step = 0; step < 600; step++) {
      // Time moves by seconds, minutes or (now and then) hours: blocks open, chain and end.
      const gap = next();
      now +=
        gap < 0.7
          ? Math.floor(next() * 90_000)
          : gap < 0.95
            ? Math.floor(next() * 40 * MINUTE)
            : Math.floor(next() * 7 * HOUR);
      const batch: UsageEvent[] = [];
      const kind = next();
      if (kind < 0.55 || stored.length === 0) {
        for (let n = 1 + Math.floor(next() * 4); n > 0; n--)
          batch.push(call(now - Math.floor(next() * 5 * MINUTE)));
      } else if (kind < 0.8) {
        // A streamed response grows: same key, more tokens, dated by a later line (or the same one).
        const before = pick(stored.slice(-20));
        const later = Date.parse(before.timestamp) + (next() < 0.7 ? Math.floor(next() * 5 * MINUTE) : 0);
        batch.push({
          ...before,
          timestamp: new Date(Math.min(later, now)).toISOString(),
          outputTokens: before.outputTokens + 1 + Math.floor(next() * 500),
          costUsd: (before.costUsd ?? 0) + 1 / 64,
        });
      } else if (kind < 0.88) {
        // A `/btw` replay: the sidechain copy first, then the call it copies, which drops the copy.
        const id = `msg_${serial}`;
        const original = call(now - Math.floor(next() * MINUTE));
        const replayedAt = new Date(
          Date.parse(original.timestamp) + Math.floor(next() * 2 * MINUTE),
        ).toISOString();
        batch.push({
          ...original,
          dedupKey: `${id}:req_copy`,
          timestamp: replayedAt,
          callId: id,
          sidechain: true,
        });
        if (next() < 0.7) batch.push({ ...original, dedupKey: `${id}:req_own`, callId: id });
      } else if (kind < 0.91) {
        // History read late (a backfill): calls from hours or days before the block.
        batch.push(call(now - Math.floor(next() * 48 * HOUR)));
      } else if (kind < 0.94) {
        // A log read late in one go (its agent ran while the server was down): calls over the last hours.
        for (let n = 2 + Math.floor(next() * 6); n > 0; n--)
          batch.push(call(now - Math.floor(next() * 8 * HOUR)));
      } else {
        // A clock ahead of ours: a call dated in the future, counted once it comes due.
        batch.push(call(now + Math.floor(next() * 2 * HOUR)));
      }
      // Some commits carry two batches' worth: the tracker sees one journal per commit.
      ledger.ingest(batch);
      stored.push(...batch);
      // Asked at the commit and, now and then, again a little later (the clock moves between asks).
      const asks = [now];
      if (next() < 0.3) {
        now += Math.floor(next() * 2 * HOUR);
        asks.push(now);
      }
      for (const probe of asks) {
        const readsBefore = reads.mock.calls.length;
        const tracked = tracker.get(probe);
        trackerReads += reads.mock.calls.length - readsBefore;
        const expected = activeBlock(ledger, { now: probe, topSessions: 3 });
        expect(tracked, `step ${step} at ${new Date(probe).toISOString()}`).toEqual(expected);
        probes++;
        if (expected) active++;
      }
    }
    expect(probes).toBeGreaterThan(700);
    expect(active).toBeGreaterThan(300);
    // The point of the tracker: most answers come from the commits, not from reading the block again.
    expect(trackerReads).toBeLessThan(probes / 2);
    tracker.close();
    ledger.close();
  });

  it('reads again when one commit after a quiet spell holds calls of more than one block', () => {
    // The server was down for a day; on restart one commit brings a log of the last seven hours. Its
    // calls do not all fit one block, so the commit alone cannot say where the active block starts.
    const ledger = UsageLedger.open({ path: ':memory:' });
    const tracker = new ActiveBlockTracker(ledger, { topSessions: 3, resyncMs: Number.POSITIVE_INFINITY });
    const quiet = Date.parse('2026-09-01T08:00:00Z');
    expect(tracker.get(quiet)).toBeNull();
    const now = quiet + 8 * 3_600_000;
    const hours = [1.5, 3, 5, 6.9, 7.5];
    ledger.ingest(
      hours.map((h, i) =>
        usage({
          dedupKey: `late${i}`,
          timestamp: new Date(quiet + h * 3_600_000).toISOString(),
          outputTokens: 1,
        }),
      ),
    );
    const expected = activeBlock(ledger, { now, topSessions: 3 });
    expect(expected?.startTime).toBe('2026-09-01T14:00:00.000Z');
    expect(expected?.entries).toBe(2);
    expect(tracker.get(now)).toEqual(expected);
    tracker.close();
    ledger.close();
  });

  it('reads again after a commit of another connection (data_version)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-tracker-'));
    try {
      const path = join(dir, 'usage.sqlite');
      const server = UsageLedger.open({ path });
      const cli = UsageLedger.open({ path });
      const tracker = new ActiveBlockTracker(server, { topSessions: 3 });
      const now = Date.parse('2026-09-01T12:30:00Z');
      server.ingest([usage({ dedupKey: 'a', timestamp: '2026-09-01T12:00:00Z', outputTokens: 10 })]);
      expect(tracker.get(now)?.outputTokens).toBe(10);
      // `nexus usage` catching the ledger up in its own process: no change event reaches the server.
      cli.ingest([usage({ dedupKey: 'b', timestamp: '2026-09-01T12:10:00Z', outputTokens: 5 })]);
      expect(tracker.get(now)?.outputTokens).toBe(15);
      tracker.close();
      cli.close();
      server.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers from the commits without reading the block again', () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    const tracker = new ActiveBlockTracker(ledger, { topSessions: 3 });
    const reads = vi.spyOn(BlockFigures, 'read');
    const start = Date.parse('2026-09-01T12:00:00Z');
    ledger.ingest([usage({ dedupKey: 'first', timestamp: new Date(start).toISOString(), outputTokens: 1 })]);
    expect(tracker.get(start)?.entries).toBe(1);
    for (let i = 1; i <= 100; i++) {
      const ts = start + i * 1000;
      ledger.ingest([usage({ dedupKey: `k${i}`, timestamp: new Date(ts).toISOString(), outputTokens: 1 })]);
      expect(tracker.get(ts)?.entries).toBe(i + 1);
    }
    expect(reads).toHaveBeenCalledTimes(1);
    tracker.close();
    ledger.close();
  });
});

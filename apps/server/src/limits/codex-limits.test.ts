import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codex, processEnvironment, readEvents } from '@nexus/parsers';
import { generateCorpus } from '@nexus/parsers/corpus';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CodexLimits, loadCodexLimits } from './codex-limits.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'nexus-codex-limits-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const line = (timestamp: string, payload: Record<string, unknown>) =>
  JSON.stringify({ timestamp, type: 'event_msg', payload });

function tokenCount(timestamp: string, primary: number, secondary: number | undefined, resetsAt: number) {
  return line(timestamp, {
    type: 'token_count',
    info: null,
    rate_limits: {
      primary: { used_percent: primary, window_minutes: 300, resets_at: resetsAt },
      ...(secondary === undefined
        ? {}
        : { secondary: { used_percent: secondary, window_minutes: 10_080, resets_in_seconds: 3600 } }),
      plan_type: 'pro',
    },
  });
}

/** A rollout file whose modification time is its last event's, as Codex leaves it. */
function rollout(id: string, day: string, lines: string[], mtime: string): string {
  const dir = join(home, '.codex', 'sessions', ...day.split('-'));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `rollout-${day}T10-00-00-${id}.jsonl`);
  const meta = JSON.stringify({
    timestamp: `${day}T10:00:00.000Z`,
    type: 'session_meta',
    payload: { id, cwd: '/work/shop', timestamp: `${day}T10:00:00.000Z` },
  });
  writeFileSync(path, `${[meta, ...lines].join('\n')}\n`);
  utimesSync(path, new Date(mtime), new Date(mtime));
  return path;
}

const A = '0199a213-81c0-7800-8aa1-bbab2a035a53';
const B = '019aad50-a7e6-7422-b7a8-0b384290624f';
const C = '019b0000-0000-7000-8000-000000000003';

describe('Codex windows from its logs', () => {
  it('takes the newest report of each window, with the session that wrote it, and reads only what can be newer', async () => {
    const reset = Date.parse('2026-11-24T16:00:00Z') / 1000;
    rollout(A, '2026-11-22', [tokenCount('2026-11-22T11:00:00.000Z', 90, 70, reset)], '2026-11-22T11:00:00Z');
    rollout(
      B,
      '2026-11-24',
      [
        tokenCount('2026-11-24T12:00:00.000Z', 10, 20, reset),
        tokenCount('2026-11-24T12:30:00.000Z', 35.5, undefined, reset),
      ],
      '2026-11-24T12:30:00Z',
    );
    // Written long ago but touched since (copied, say): read, and its older report loses.
    rollout(C, '2026-11-20', [tokenCount('2026-11-20T09:00:00.000Z', 99, 99, reset)], '2026-11-24T13:00:00Z');
    const store = new CodexLimits();
    const { filesRead } = await loadCodexLimits(
      codex(),
      processEnvironment({ HOME: home }, home),
      store,
      undefined,
      Date.parse('2026-11-25T00:00:00Z'),
    );
    // C (newest mtime) and B are read; A was last written before B's newest report, so it is not.
    expect(filesRead).toBe(2);
    expect(store.readings()).toEqual([
      {
        tool: 'codex',
        window: 'primary',
        label: '5-hour',
        usedPercent: 35.5,
        windowMinutes: 300,
        resetsAt: '2026-11-24T16:00:00.000Z',
        source: 'codex-log',
        asOf: '2026-11-24T12:30:00.000Z',
        sessionId: `codex:${B}`,
        planType: 'pro',
      },
      {
        tool: 'codex',
        window: 'secondary',
        label: 'Weekly',
        usedPercent: 20,
        windowMinutes: 10_080,
        resetsAt: '2026-11-24T13:00:00.000Z',
        source: 'codex-log',
        asOf: '2026-11-24T12:00:00.000Z',
        sessionId: `codex:${B}`,
        planType: 'pro',
      },
    ]);
  });

  it('takes live events only when they are newer', () => {
    const store = new CodexLimits();
    const event = (timestamp: string, used: number) => ({
      type: 'rate_limit' as const,
      tool: 'codex',
      sessionId: 'codex:s',
      timestamp,
      windows: [{ name: 'primary', usedPercent: used, windowMinutes: 300 }],
    });
    expect(store.update(event('2026-11-24T12:00:00.000Z', 10))).toBe(true);
    expect(store.update(event('2026-11-24T11:00:00.000Z', 99))).toBe(false);
    expect(store.update(event('2026-11-24T12:00:00.000Z', 50))).toBe(false);
    expect(store.update(event('bad time', 50))).toBe(false);
    expect(store.update(event('2026-11-24T12:00:01.000Z', 11))).toBe(true);
    expect(store.readings().map((r) => [r.usedPercent, r.resetsAt, r.asOf])).toEqual([
      [11, null, '2026-11-24T12:00:01.000Z'],
    ]);
  });

  it('matches the newest rate_limits of a generated corpus, found by reading everything', async () => {
    generateCorpus(home, {
      seed: 11,
      targetBytes: 400_000,
      shares: { 'claude-code': 0, openclaw: 0, codex: 1 },
    });
    const adapter = codex();
    const newest = new Map<
      string,
      { timestamp: string; used: number; sessionId: string; resetsAt?: string }
    >();
    for (const root of adapter.resolveRoots(processEnvironment({ HOME: home }, home))) {
      if (!existsSync(root.path)) continue;
      for await (const event of readEvents(adapter, root.path)) {
        if (event.type !== 'rate_limit') continue;
        for (const w of event.windows) {
          const held = newest.get(w.name);
          if (!held || Date.parse(event.timestamp) > Date.parse(held.timestamp)) {
            newest.set(w.name, {
              timestamp: event.timestamp,
              used: w.usedPercent,
              sessionId: event.sessionId,
              ...(w.resetsAt ? { resetsAt: w.resetsAt } : {}),
            });
          }
        }
      }
    }
    expect(newest.size).toBe(2);
    const store = new CodexLimits();
    const latest = Math.max(...[...newest.values()].map((held) => Date.parse(held.timestamp)));
    await loadCodexLimits(
      adapter,
      processEnvironment({ HOME: home }, home),
      store,
      undefined,
      latest + 60_000,
    );
    expect(
      Object.fromEntries(
        store
          .readings()
          .map((r) => [
            r.window,
            { timestamp: r.asOf, used: r.usedPercent, sessionId: r.sessionId, resetsAt: r.resetsAt },
          ]),
      ),
    ).toEqual(Object.fromEntries(newest));
  });

  // Regression: a history whose logs carry no rate_limits (Codex before mid-2025) never met the stop
  // condition (a file older than the newest report), so it was read whole at every server start.
  it('reads no file last written more than a week (the longest window) before now', async () => {
    const reset = Date.parse('2026-11-24T16:00:00Z') / 1000;
    rollout(A, '2026-11-10', [tokenCount('2026-11-10T11:00:00.000Z', 90, 70, reset)], '2026-11-10T11:00:00Z');
    rollout(
      B,
      '2026-11-24',
      [line('2026-11-24T12:00:00.000Z', { type: 'agent_message', message: 'hi' })],
      '2026-11-24T12:00:00Z',
    );
    const store = new CodexLimits();
    const environment = processEnvironment({ HOME: home }, home);
    const now = Date.parse('2026-11-25T00:00:00Z');
    expect(await loadCodexLimits(codex(), environment, store, undefined, now)).toEqual({ filesRead: 1 });
    expect(store.readings()).toEqual([]);
    // Nine days earlier, A's report was inside its window and is read.
    expect(await loadCodexLimits(codex(), environment, store, undefined, now - 9 * 86_400_000)).toEqual({
      filesRead: 2,
    });
    expect(store.readings().map((reading) => reading.usedPercent)).toEqual([90, 70]);
  });

  it('finds nothing, without failing, when Codex has no logs', async () => {
    const store = new CodexLimits();
    expect(await loadCodexLimits(codex(), processEnvironment({ HOME: home }, home), store)).toEqual({
      filesRead: 0,
    });
    expect(store.readings()).toEqual([]);
  });
});

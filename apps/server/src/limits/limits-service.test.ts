import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClaudeUsagePollState } from '@nexus/protocol';
import { type LimitsSnapshot, LimitsSnapshot as LimitsSnapshotSchema, validate } from '@nexus/protocol';
import { UsageLedger } from '@nexus/usage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { capturedLogger, FakeClock } from '../../test/limits-helpers.js';
import { CodexLimits } from './codex-limits.js';
import { limitFiles, writeJsonFile } from './limit-files.js';
import { LimitsService } from './limits-service.js';
import type { LimitReading } from './readings.js';

const NOW = Date.parse('2026-11-24T15:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'nexus-limits-service-'));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const call = (key: string, at: number, tokens: number, sessionId: string, tool = 'claude-code') => ({
  type: 'usage' as const,
  tool,
  sessionId,
  projectPath: `/work/${sessionId.split(':')[1]}`,
  timestamp: iso(at),
  model: 'claude-sonnet-4-5-20250929',
  inputTokens: 0,
  outputTokens: tokens,
  cacheCreationTokens: 0,
  cacheCreation1hTokens: 0,
  cacheReadTokens: 0,
  reasoningOutputTokens: 0,
  costUsd: tokens / 1000,
  dedupKey: key,
});

function oauth(window: string, used: number, asOf: number, resetsAt: number, minutes: number): LimitReading {
  return {
    tool: 'claude-code',
    window,
    label: window === 'five_hour' ? '5-hour' : 'Weekly',
    usedPercent: used,
    windowMinutes: minutes,
    resetsAt: iso(resetsAt),
    source: 'claude-oauth',
    asOf: iso(asOf),
  };
}

function setup() {
  const ledger = UsageLedger.open({ path: ':memory:' });
  ledger.ingest([
    // Inside the Claude 5-hour window that resets at 17:00 (it started at 12:00).
    call('a', NOW - 60 * 60_000, 3000, 'claude-code:shop'),
    call('b', NOW - 30 * 60_000, 1000, 'claude-code:blog'),
    call('c', NOW - 10 * 60_000, 4000, 'claude-code:shop'),
    // Before the window: counts for the week only.
    call('d', NOW - 4 * 3_600_000, 9000, 'claude-code:blog'),
    call('x', NOW - 5 * 60_000, 500, 'codex:cli', 'codex'),
  ]);
  const codex = new CodexLimits();
  const clock = new FakeClock(NOW);
  let claudeWindows: LimitReading[] = [
    oauth('five_hour', 40, NOW - 4 * 60_000, NOW + 2 * 3_600_000, 300),
    oauth('seven_day', 10, NOW - 4 * 60_000, NOW + 3 * 86_400_000, 10_080),
  ];
  const state: ClaudeUsagePollState = {
    status: 'ok',
    asOf: iso(NOW - 4 * 60_000),
    nextPollAt: iso(NOW + 60_000),
    failures: 0,
  };
  const updates: LimitsSnapshot[] = [];
  const log = capturedLogger();
  const files = limitFiles(stateDir);
  const service = new LimitsService({
    ledger,
    files,
    codex,
    claude: { windows: () => claudeWindows, state: () => state },
    onUpdate: (snapshot) => updates.push(snapshot),
    logger: log.logger,
    clock,
  });
  return {
    ledger,
    codex,
    clock,
    service,
    updates,
    files,
    setClaude: (w: LimitReading[]) => {
      claudeWindows = w;
    },
  };
}

describe('LimitsService', () => {
  it('joins the sources with the ledger: windows with their top sessions, and the active block', () => {
    const { service, updates, files } = setup();
    service.start();
    expect(updates).toHaveLength(1);
    const snapshot = updates[0]!;
    expect(validate(LimitsSnapshotSchema, snapshot)).toMatchObject({ ok: true });
    expect(snapshot.windows.map((w) => [w.tool, w.window, w.usedPercent, w.source])).toEqual([
      ['claude-code', 'five_hour', 40, 'claude-oauth'],
      ['claude-code', 'seven_day', 10, 'claude-oauth'],
    ]);
    expect(snapshot.windows[0]!.topSessions).toEqual([
      {
        sessionId: 'claude-code:shop',
        tool: 'claude-code',
        projectPath: '/work/shop',
        totalTokens: 7000,
        costUsd: 7,
        share: 7000 / 8000,
      },
      {
        sessionId: 'claude-code:blog',
        tool: 'claude-code',
        projectPath: '/work/blog',
        totalTokens: 1000,
        costUsd: 1,
        share: 1000 / 8000,
      },
    ]);
    expect(snapshot.windows[1]!.topSessions.map((s) => [s.sessionId, s.totalTokens])).toEqual([
      ['claude-code:blog', 10_000],
      ['claude-code:shop', 7000],
    ]);
    // Calls at 11:00 and 14:00–14:50: the 11:00 block ran to 16:00, so the active block is 11:00's.
    expect(snapshot.activeBlock).toMatchObject({
      id: '2026-11-24T11:00:00.000Z',
      entries: 4,
      totalTokens: 17_000,
      isActive: true,
    });
    expect(snapshot.claudeUsage.status).toBe('ok');
    expect(JSON.parse(readFileSync(files.snapshot, 'utf8'))).toEqual(snapshot);
    service.close();
  });

  it('lets the newest source win per window, reads the statusline file and Codex events', () => {
    const { service, updates, files, codex, clock } = setup();
    service.start();
    // The statusline saw a fresher 5-hour figure a minute ago.
    writeJsonFile(files.statusline, {
      asOf: iso(NOW - 60_000),
      windows: [
        { ...oauth('five_hour', 44, NOW - 60_000, NOW + 2 * 3_600_000, 300), source: 'claude-statusline' },
      ],
    });
    codex.update({
      type: 'rate_limit',
      tool: 'codex',
      sessionId: 'codex:cli',
      timestamp: iso(NOW - 5 * 60_000),
      windows: [{ name: 'primary', usedPercent: 81.5, windowMinutes: 300, resetsAt: iso(NOW + 3_600_000) }],
      planType: 'plus',
    });
    service.changed();
    expect(updates).toHaveLength(1);
    // Coalesced: the recompute runs five seconds after the previous one.
    clock.advance(4999);
    expect(updates).toHaveLength(1);
    clock.advance(1);
    expect(updates).toHaveLength(2);
    const snapshot = updates[1]!;
    expect(snapshot.windows.map((w) => [w.tool, w.window, w.usedPercent, w.source])).toEqual([
      ['claude-code', 'five_hour', 44, 'claude-statusline'],
      ['claude-code', 'seven_day', 10, 'claude-oauth'],
      ['codex', 'primary', 81.5, 'codex-log'],
    ]);
    expect(snapshot.windows[2]).toMatchObject({
      sessionId: 'codex:cli',
      planType: 'plus',
      topSessions: [{ sessionId: 'codex:cli', totalTokens: 500, share: 1 }],
    });
    service.close();
  });

  it('refreshes on its own while a block is active, and sends nothing when nothing changed', () => {
    const { service, updates, clock, setClaude } = setup();
    service.start();
    expect(updates).toHaveLength(1);
    // 15 s later the active block's projection has moved: a new snapshot.
    clock.advance(15_000);
    expect(updates).toHaveLength(2);
    expect(updates[1]!.activeBlock!.projection).not.toEqual(updates[0]!.activeBlock!.projection);
    // Past 17:00 the block has ended and the 5-hour window has reset: nothing moves any more.
    clock.advance(2 * 3_600_000);
    const settled = updates.length;
    expect(updates.at(-1)!.activeBlock).toBeNull();
    service.changed();
    clock.advance(60_000);
    expect(updates).toHaveLength(settled);
    setClaude([]);
    service.changed();
    clock.advance(5000);
    expect(updates).toHaveLength(settled + 1);
    expect(updates.at(-1)!.windows).toEqual([]);
    service.close();
    clock.advance(3_600_000);
    expect(updates).toHaveLength(settled + 1);
  });

  it('lists no sessions for a window that has already reset', () => {
    const { service, updates, setClaude } = setup();
    setClaude([oauth('five_hour', 97, NOW - 6 * 3_600_000, NOW - 3_600_000, 300)]);
    service.start();
    expect(updates[0]!.windows[0]).toMatchObject({ usedPercent: 97, topSessions: [] });
    service.close();
  });
});

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { LimitsSnapshot } from '@nexus/protocol';
import { UsageLedger } from '@nexus/usage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { limitFiles, writeJsonFile } from './limit-files.js';
import { runStatusline, statuslineLine } from './statusline.js';

// Local noon, so "today" is the same calendar day in whatever zone the tests run.
const NOW = new Date(2026, 10, 24, 12, 0, 0).getTime();
const SESSION = '5f1c4a3e-1111-4222-8333-444455556666';

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'nexus-statusline-'));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const call = (key: string, at: number, costUsd: number, sessionId = `claude-code:${SESSION}`) => ({
  type: 'usage' as const,
  tool: 'claude-code',
  sessionId,
  projectPath: '/work/shop',
  timestamp: new Date(at).toISOString(),
  model: 'claude-sonnet-4-5-20250929',
  inputTokens: 100,
  outputTokens: 200,
  cacheCreationTokens: 0,
  cacheCreation1hTokens: 0,
  cacheReadTokens: 0,
  reasoningOutputTokens: 0,
  costUsd,
  dedupKey: key,
});

/** This session's calls today and yesterday, and another session's today. */
function ledger() {
  const l = UsageLedger.open({ stateDir });
  l.ingest([
    call('a', NOW - 3_600_000, 1.25),
    call('b', NOW - 600_000, 0.5),
    call('c', NOW - 60_000, 2, 'claude-code:other'),
    call('d', NOW - 86_400_000, 40),
  ]);
  l.close();
}

function snapshot(extra: Partial<LimitsSnapshot> = {}): LimitsSnapshot {
  return {
    windows: [
      {
        tool: 'claude-code',
        window: 'five_hour',
        label: '5-hour',
        usedPercent: 61.4,
        windowMinutes: 300,
        resetsAt: new Date(NOW + 95 * 60_000).toISOString(),
        source: 'claude-oauth',
        asOf: new Date(NOW - 120_000).toISOString(),
        topSessions: [],
      },
    ],
    activeBlock: {
      id: 'b',
      startTime: new Date(NOW - 2 * 3_600_000).toISOString(),
      endTime: new Date(NOW + 3 * 3_600_000).toISOString(),
      actualEndTime: new Date(NOW - 60_000).toISOString(),
      isActive: true,
      isGap: false,
      entries: 3,
      inputTokens: 300,
      outputTokens: 600,
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
      reasoningOutputTokens: 0,
      totalTokens: 900,
      costUsd: 3.75,
      models: [],
      burnRate: { tokensPerMinute: 15, tokensPerMinuteForIndicator: 15, costPerHour: 3.75 },
      projection: { totalTokens: 3600, totalCostUsd: 15, remainingMinutes: 180 },
    },
    claudeUsage: { status: 'ok', asOf: new Date(NOW - 120_000).toISOString(), nextPollAt: null, failures: 0 },
    updatedAt: new Date(NOW - 60_000).toISOString(),
    ...extra,
  };
}

const input = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    session_id: SESSION,
    transcript_path: `/home/ada/.claude/projects/-work-shop/${SESSION}.jsonl`,
    model: { id: 'claude-opus-4-6', display_name: 'Opus 4.6' },
    cost: { total_cost_usd: 9.99 },
    ...extra,
  });

const RATE_LIMITS = {
  five_hour: { used_percentage: 23.6, resets_at: Math.floor((NOW + 2 * 3_600_000 + 13 * 60_000) / 1000) },
  seven_day: { used_percentage: 41.2, resets_at: Math.floor((NOW + 4 * 86_400_000) / 1000) },
};

describe('nexus statusline', () => {
  it('prints model, session and today cost from the ledger, the 5-hour window and the burn rate', () => {
    ledger();
    writeJsonFile(limitFiles(stateDir).snapshot, snapshot());
    expect(statuslineLine(input(), { stateDir, now: NOW, color: false })).toBe(
      'Opus 4.6 · session $41.75 · today $3.75 · 5h 61% ↻1h35m · burn $3.75/h',
    );
  });

  it("takes the 5-hour window from the input's rate_limits and records them for the dashboard", () => {
    ledger();
    writeJsonFile(limitFiles(stateDir).snapshot, snapshot());
    const text = input({ rate_limits: RATE_LIMITS });
    expect(statuslineLine(text, { stateDir, now: NOW, color: false })).toBe(
      'Opus 4.6 · session $41.75 · today $3.75 · 5h 24% ↻2h13m · burn $3.75/h',
    );
    const file = limitFiles(stateDir).statusline;
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      asOf: new Date(NOW).toISOString(),
      sessionId: SESSION,
      windows: [
        {
          tool: 'claude-code',
          window: 'five_hour',
          label: '5-hour',
          usedPercent: 23.6,
          windowMinutes: 300,
          resetsAt: new Date(RATE_LIMITS.five_hour.resets_at * 1000).toISOString(),
          source: 'claude-statusline',
          asOf: new Date(NOW).toISOString(),
        },
        {
          tool: 'claude-code',
          window: 'seven_day',
          label: 'Weekly',
          usedPercent: 41.2,
          windowMinutes: 10_080,
          resetsAt: new Date(RATE_LIMITS.seven_day.resets_at * 1000).toISOString(),
          source: 'claude-statusline',
          asOf: new Date(NOW).toISOString(),
        },
      ],
    });
    // The same windows 10 s later are not written again; 31 s later they are (a fresh asOf).
    const written = statSync(file).mtimeMs;
    statuslineLine(text, { stateDir, now: NOW + 10_000, color: false });
    expect(JSON.parse(readFileSync(file, 'utf8')).asOf).toBe(new Date(NOW).toISOString());
    expect(statSync(file).mtimeMs).toBe(written);
    statuslineLine(text, { stateDir, now: NOW + 31_000, color: false });
    expect(JSON.parse(readFileSync(file, 'utf8')).asOf).toBe(new Date(NOW + 31_000).toISOString());
    // Changed windows are written at once.
    const changed = { ...RATE_LIMITS, five_hour: { ...RATE_LIMITS.five_hour, used_percentage: 30 } };
    statuslineLine(input({ rate_limits: changed }), { stateDir, now: NOW + 32_000, color: false });
    expect(JSON.parse(readFileSync(file, 'utf8')).windows[0].usedPercent).toBe(30);
  });

  it('colours the window amber from 75% and red from 90%', () => {
    const at = (used: number) =>
      statuslineLine(input({ rate_limits: { five_hour: { used_percentage: used, resets_at: null } } }), {
        stateDir,
        now: NOW,
        color: true,
      });
    expect(at(74)).toContain('5h \x1b[32m74%\x1b[0m');
    expect(at(75)).toContain('5h \x1b[33m75%\x1b[0m');
    expect(at(90)).toContain('5h \x1b[31m90%\x1b[0m');
  });

  it("falls back to Claude Code's own session cost before the ledger knows the session, and leaves out a stale block", () => {
    // The server stopped hours ago: its last active block has ended since.
    writeJsonFile(
      limitFiles(stateDir).snapshot,
      snapshot({ activeBlock: { ...snapshot().activeBlock!, endTime: new Date(NOW - 1).toISOString() } }),
    );
    expect(statuslineLine(input(), { stateDir, now: NOW, color: false })).toBe(
      'Opus 4.6 · session $9.99 · 5h 61% ↻1h35m',
    );
  });

  it('goes on without the session figure on a ledger the server has not upgraded yet', () => {
    ledger();
    const db = UsageLedger.open({ stateDir });
    db.db.exec('DROP TABLE session_totals;');
    db.close();
    expect(statuslineLine(input(), { stateDir, now: NOW, color: false })).toBe(
      'Opus 4.6 · session $9.99 · today $3.75',
    );
  });

  it('says so when the input is not a JSON object, and never throws', () => {
    for (const bad of ['', 'not json', '[1,2]', 'null']) {
      expect(statuslineLine(bad, { stateDir, now: NOW, color: false })).toBe(
        'Nexus: no statusline input (NEXUS_STATUSLINE_BAD_INPUT)',
      );
    }
    expect(
      statuslineLine('{"model":7,"rate_limits":"x","cost":null}', { stateDir, now: NOW, color: false }),
    ).toBe('Claude');
  });

  it('runs as a command: stdin to one line on stdout', async () => {
    ledger();
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    const done = runStatusline([], { stdin, stdout, env: { NO_COLOR: '1' }, stateDir, now: () => NOW });
    stdin.end(input());
    expect(await done).toBe(0);
    expect(Buffer.concat(chunks).toString()).toBe('Opus 4.6 · session $41.75 · today $3.75\n');

    const help = new PassThrough();
    const helpChunks: Buffer[] = [];
    help.on('data', (c: Buffer) => helpChunks.push(c));
    expect(
      await runStatusline(['--help'], { stdin: new PassThrough(), stdout: help, env: {}, stateDir }),
    ).toBe(0);
    expect(Buffer.concat(helpChunks).toString()).toMatch(/^Usage: nexus statusline/);
  });
});

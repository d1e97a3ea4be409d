import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claudeCode, codex, type LogFileRef, type NexusAdapter, openclaw } from '@nexus/parsers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideLiveFiles, isLockHeld } from './live-discovery.js';
import { createMonitor, type Monitor } from './monitor.js';
import type { TailBatch } from './tail-reader.js';

const MINUTE = 60_000;
const NOW = Date.parse('2026-11-24T12:00:00.000Z');
const DEAD_PID = 2 ** 22 + 12_345;
let home: string;
let monitor: Monitor | undefined;

const claudeLine = (uuid: string, text: string) =>
  `${JSON.stringify({ type: 'user', uuid, sessionId: 's', cwd: '/work/app', timestamp: new Date(NOW).toISOString(), message: { role: 'user', content: text } })}\n`;

function write(relativePath: string, content: string, ageMs = 0): string {
  const path = join(home, relativePath);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  const time = (NOW - ageMs) / 1000;
  utimesSync(path, time, time);
  return path;
}

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('waitFor timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'nexus-home-'));
});
afterEach(async () => {
  await monitor?.close();
  monitor = undefined;
  rmSync(home, { recursive: true, force: true });
});

const environment = () => ({ env: {}, homeDir: home, exists: existsSync });

describe('live discovery (DESIGN §4 numbers)', () => {
  it('keeps the 5 newest Claude files per project modified within 30 minutes', () => {
    const adapter = claudeCode() as NexusAdapter;
    const candidates = Array.from({ length: 7 }, (_, index) => ({
      file: {
        sessionId: `claude-code:${index}`,
        kind: 'session' as const,
        group: 'proj',
        tool: 'claude-code',
        path: `/p/${index}.jsonl`,
        root: '/p',
      },
      mtimeMs: NOW - index * MINUTE,
    }));
    candidates.push({
      file: { ...candidates[0]!.file, path: '/p/old.jsonl', group: 'other' },
      mtimeMs: NOW - 31 * MINUTE,
    });
    const live = decideLiveFiles(adapter, candidates, {
      now: NOW,
      openFiles: new Set(['/p/6.jsonl', '/p/old.jsonl']),
      heldLocks: new Set(),
    });
    expect([...live].sort()).toEqual([
      '/p/0.jsonl',
      '/p/1.jsonl',
      '/p/2.jsonl',
      '/p/3.jsonl',
      '/p/4.jsonl',
      '/p/6.jsonl',
      '/p/old.jsonl',
    ]);
  });

  it('keeps at most 12 recent Codex files in all', () => {
    const adapter = codex() as NexusAdapter;
    const candidates = Array.from({ length: 15 }, (_, index) => ({
      file: {
        sessionId: `codex:${index}`,
        kind: 'session' as const,
        group: 'codex',
        tool: 'codex',
        path: `/c/${index}.jsonl`,
        root: '/c',
      },
      mtimeMs: NOW - index * 1000,
    }));
    expect(
      decideLiveFiles(adapter, candidates, { now: NOW, openFiles: new Set(), heldLocks: new Set() }).size,
    ).toBe(12);
  });

  it('keeps OpenClaw files 6 hours, 3 per agent, 12 in all; a held lock always counts; archives never do', () => {
    const adapter = openclaw() as NexusAdapter;
    const file = (agent: string, index: number, kind: 'session' | 'archive' = 'session'): LogFileRef => ({
      sessionId: `openclaw:${agent}-${index}`,
      kind,
      group: agent,
      tool: 'openclaw',
      path: `/o/${agent}/sessions/${index}.jsonl`,
      root: '/o',
    });
    const candidates = [
      ...[0, 1, 2, 3].map((index) => ({ file: file('main', index), mtimeMs: NOW - index * 3600_000 })),
      { file: file('ops', 0), mtimeMs: NOW - 7 * 3600_000 },
      { file: file('ops', 1, 'archive'), mtimeMs: NOW },
    ];
    const live = decideLiveFiles(adapter, candidates, {
      now: NOW,
      openFiles: new Set(),
      heldLocks: new Set(['/o/ops/sessions/0.jsonl.lock']),
    });
    expect([...live].sort()).toEqual([
      '/o/main/sessions/0.jsonl',
      '/o/main/sessions/1.jsonl',
      '/o/main/sessions/2.jsonl',
      '/o/ops/sessions/0.jsonl',
    ]);
  });

  it('treats a lock as held while its pid lives and it is younger than 30 minutes', async () => {
    const live = write(
      'live.jsonl.lock',
      JSON.stringify({ pid: process.pid, createdAt: new Date(NOW - MINUTE).toISOString() }),
    );
    const dead = write(
      'dead.jsonl.lock',
      JSON.stringify({ pid: DEAD_PID, createdAt: new Date(NOW - MINUTE).toISOString() }),
    );
    const stale = write(
      'stale.jsonl.lock',
      JSON.stringify({ pid: process.pid, createdAt: new Date(NOW - 31 * MINUTE).toISOString() }),
    );
    expect(await isLockHeld(live, NOW, 30 * MINUTE)).toBe(true);
    expect(await isLockHeld(dead, NOW, 30 * MINUTE)).toBe(false);
    expect(await isLockHeld(stale, NOW, 30 * MINUTE)).toBe(false);
    expect(await isLockHeld(join(home, 'missing.lock'), NOW, 30 * MINUTE)).toBe(false);
  });
});

describe('createMonitor', () => {
  it('finds live sessions in a HOME with all three layouts and reads them', async () => {
    write(
      '.claude/projects/-work-app/11111111-1111-4111-8111-111111111111.jsonl',
      claudeLine('u1', 'hello claude'),
      MINUTE,
    );
    write(
      '.claude/projects/-work-app/22222222-2222-4222-8222-222222222222.jsonl',
      claudeLine('u2', 'old'),
      2 * 3600_000,
    );
    write(
      '.codex/sessions/2026/11/24/rollout-2026-11-24T11-00-00-019aad50-a7e6-7422-b7a8-0b384290624f.jsonl',
      '{"timestamp":"2026-11-24T11:00:00Z","type":"event_msg","payload":{"type":"user_message","message":"hello codex"}}\n',
      40 * MINUTE,
    );
    const locked = write(
      '.openclaw/agents/main/sessions/aaaa.jsonl',
      '{"type":"message","id":"e1","timestamp":"2026-11-24T04:00:00Z","message":{"role":"user","content":"hello claw"}}\n',
      8 * 3600_000,
    );
    write(
      '.openclaw/agents/main/sessions/aaaa.jsonl.lock',
      JSON.stringify({ pid: process.pid, createdAt: new Date(NOW - MINUTE).toISOString() }),
    );
    write(
      '.openclaw/agents/main/sessions/bbbb.jsonl',
      '{"type":"message","id":"e1","timestamp":"2026-11-24T04:00:00Z","message":{"role":"user","content":"dead lock"}}\n',
      8 * 3600_000,
    );
    write(
      '.openclaw/agents/main/sessions/bbbb.jsonl.lock',
      JSON.stringify({ pid: DEAD_PID, createdAt: new Date(NOW - MINUTE).toISOString() }),
    );

    const batches: TailBatch[] = [];
    const codexOpen = join(
      home,
      '.codex/sessions/2026/11/24/rollout-2026-11-24T11-00-00-019aad50-a7e6-7422-b7a8-0b384290624f.jsonl',
    );
    monitor = createMonitor({
      adapters: [claudeCode(), codex(), openclaw()] as NexusAdapter[],
      environment: environment(),
      clock: { now: () => NOW },
      processLister: { openLogFiles: async () => new Set([codexOpen]) },
      onBatch: (batch) => batches.push(batch),
      watch: false,
    });
    await monitor.start();
    expect(
      monitor
        .liveFiles()
        .map((file) => file.sessionId)
        .sort(),
    ).toEqual([
      'claude-code:11111111-1111-4111-8111-111111111111',
      'codex:019aad50-a7e6-7422-b7a8-0b384290624f',
      'openclaw:aaaa',
    ]);
    const contents = batches
      .flatMap((batch) => batch.events)
      .filter((event) => event.type === 'message')
      .map((event) => (event as { content: string }).content);
    expect(contents.sort()).toEqual(['hello claude', 'hello claw', 'hello codex']);
    expect(locked).toContain('aaaa');
  });

  it('delivers a new log in a new folder, and a root created after start, within 2 seconds', async () => {
    const batches: TailBatch[] = [];
    monitor = createMonitor({
      adapters: [claudeCode(), codex()] as NexusAdapter[],
      environment: environment(),
      processLister: { openLogFiles: async () => new Set() },
      onBatch: (batch) => batches.push(batch),
    });
    mkdirSync(join(home, '.codex/sessions'), { recursive: true });
    await monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const codexFile = join(
      home,
      '.codex/sessions/2026/11/25/rollout-2026-11-25T00-00-00-019aad50-a7e6-7422-b7a8-0b3842906250.jsonl',
    );
    mkdirSync(join(codexFile, '..'), { recursive: true });
    const started = Date.now();
    writeFileSync(
      codexFile,
      '{"timestamp":"2026-11-25T00:00:00Z","type":"event_msg","payload":{"type":"user_message","message":"new day"}}\n',
    );
    await waitFor(() => batches.some((batch) => batch.file.path === codexFile), 2000);
    expect(Date.now() - started).toBeLessThan(2000);

    // ~/.claude did not exist at start.
    const claudeFile = join(home, '.claude/projects/-w/33333333-3333-4333-8333-333333333333.jsonl');
    mkdirSync(join(claudeFile, '..'), { recursive: true });
    writeFileSync(claudeFile, claudeLine('u3', 'late root'));
    await waitFor(() => batches.some((batch) => batch.file.path === claudeFile), 4000);
  });

  it('reports a file that stops being live when its lock owner dies', async () => {
    const log = write(
      '.openclaw/agents/main/sessions/cccc.jsonl',
      '{"type":"message","id":"e1","timestamp":"2026-11-24T04:00:00Z","message":{"role":"user","content":"x"}}\n',
      8 * 3600_000,
    );
    const lock = write(
      '.openclaw/agents/main/sessions/cccc.jsonl.lock',
      JSON.stringify({ pid: process.pid, createdAt: new Date(NOW).toISOString() }),
    );
    const changes: Array<[string, boolean]> = [];
    monitor = createMonitor({
      adapters: [openclaw()] as NexusAdapter[],
      environment: environment(),
      clock: { now: () => NOW },
      processLister: { openLogFiles: async () => new Set() },
      onBatch: () => {},
      onLiveChange: (file, live) => changes.push([file.sessionId, live]),
      watch: false,
    });
    await monitor.start();
    writeFileSync(lock, JSON.stringify({ pid: DEAD_PID, createdAt: new Date(NOW).toISOString() }));
    await monitor.scan();
    expect(changes).toEqual([
      ['openclaw:cccc', true],
      ['openclaw:cccc', false],
    ]);
    expect(log).toContain('cccc');
  });

  it('still reads an append when no file-system event arrives (events coalesced away)', async () => {
    const log = write(
      '.codex/sessions/2026/11/24/rollout-2026-11-24T11-00-00-019aad50-a7e6-7422-b7a8-0b3842906299.jsonl',
      '',
      0,
    );
    const batches: TailBatch[] = [];
    monitor = createMonitor({
      adapters: [codex()] as NexusAdapter[],
      environment: environment(),
      clock: { now: () => NOW },
      processLister: { openLogFiles: async () => new Set() },
      onBatch: (batch) => batches.push(batch),
      watch: false,
      pollLiveMs: 50,
    });
    await monitor.start();
    writeFileSync(
      log,
      '{"timestamp":"2026-11-24T11:00:00Z","type":"event_msg","payload":{"type":"user_message","message":"polled"}}\n',
    );
    await waitFor(
      () => batches.some((batch) => batch.events.some((event) => event.type === 'message')),
      2000,
    );
  });
});

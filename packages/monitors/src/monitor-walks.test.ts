import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AdapterRoot, claudeCode, listRoot, type NexusAdapter } from '@nexus/parsers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMonitor, type Monitor } from './monitor.js';

// Counts the walks: every walk lists each root once.
vi.mock('@nexus/parsers', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@nexus/parsers')>();
  return { ...actual, listRoot: vi.fn(actual.listRoot) };
});

// Sees when the first walk's blocking stats run.
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return { ...actual, statSync: vi.fn(actual.statSync) };
});

let home: string;
let monitor: Monitor | undefined;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'nexus-walks-'));
  const log = join(home, '.claude/projects/-w/11111111-1111-4111-8111-111111111111.jsonl');
  mkdirSync(join(log, '..'), { recursive: true });
  writeFileSync(
    log,
    '{"type":"user","uuid":"u1","sessionId":"s","message":{"role":"user","content":"hi"}}\n',
  );
  vi.mocked(listRoot).mockClear();
});
afterEach(async () => {
  await monitor?.close();
  monitor = undefined;
  rmSync(home, { recursive: true, force: true });
});

/** Discoveries (each asks the process lister once) and walks of the projects root, after `discoveries`. */
async function count(watch: boolean, discoveries: number): Promise<{ scans: number; walks: number }> {
  let scans = 0;
  monitor = createMonitor({
    adapters: [claudeCode()] as NexusAdapter[],
    environment: { env: {}, homeDir: home, exists: existsSync },
    processLister: {
      openLogFiles: async () => {
        scans++;
        return new Set();
      },
    },
    onBatch: () => {},
    scanIntervalMs: 25,
    walkEvery: 3,
    watch,
  });
  await monitor.start();
  while (scans < discoveries) await new Promise((resolve) => setTimeout(resolve, 10));
  await monitor.close();
  monitor = undefined;
  const projects = join(home, '.claude/projects');
  const walks = vi.mocked(listRoot).mock.calls.filter(([root]) => (root as AdapterRoot).path === projects);
  return { scans, walks: walks.length };
}

describe('periodic discovery', () => {
  // An idle server spent ~250 ms of its thread every 15 s walking 4,000 logs; the watcher keeps the last
  // walk current in between.
  it('walks the roots at start and on every walkEvery-th discovery, reusing the last walk in between', async () => {
    const { scans, walks } = await count(true, 10);
    // The first discovery, then discoveries 3, 6, 9 (a discovery may still be on its way when counted).
    expect(walks).toBeGreaterThanOrEqual(1 + Math.floor((scans - 2) / 3));
    expect(walks).toBeLessThanOrEqual(1 + Math.ceil((scans - 1) / 3));
    expect(walks).toBeLessThan(scans);
  });

  it('walks on every discovery without a watcher (no event keeps a walk current)', async () => {
    const { scans, walks } = await count(false, 6);
    expect(walks).toBeGreaterThanOrEqual(scans - 1);
    expect(walks).toBeLessThanOrEqual(scans);
  });
});

describe('first walk', () => {
  // Regression: the first walk stat'ed every log in one synchronous loop; over a history of tens of
  // thousands of logs that held the server's thread for seconds, its first requests waiting behind it.
  it('classifies and stats 1,200 logs in slices, the event loop turning between them', async () => {
    const projects = join(home, '.claude/projects/-big');
    mkdirSync(projects, { recursive: true });
    const ids = Array.from(
      { length: 1200 },
      (_, index) => `${String(index).padStart(8, '0')}-1111-4111-8111-111111111111`,
    );
    for (const id of ids) writeFileSync(join(projects, `${id}.jsonl`), '{"type":"summary","summary":"x"}\n');
    let turns = 0;
    let turning = true;
    const turn = () => {
      turns++;
      if (turning) setImmediate(turn);
    };
    setImmediate(turn);
    const turnAtStat = new Map<string, number>();
    const { statSync: realStatSync } = await vi.importActual<typeof import('node:fs')>('node:fs');
    vi.mocked(statSync).mockImplementation(((...args: Parameters<typeof realStatSync>) => {
      turnAtStat.set(String(args[0]), turns);
      return realStatSync(...args);
    }) as typeof statSync);
    try {
      monitor = createMonitor({
        adapters: [claudeCode()] as NexusAdapter[],
        environment: { env: {}, homeDir: home, exists: existsSync },
        processLister: { openLogFiles: async () => new Set() },
        onBatch: () => {},
        watch: false,
      });
      await monitor.start();
    } finally {
      turning = false;
      vi.mocked(statSync).mockImplementation(realStatSync);
    }
    const seen = ids.map((id) => turnAtStat.get(join(projects, `${id}.jsonl`)));
    expect(seen.every((at) => at !== undefined)).toBe(true);
    // 1,200 stats, 512 per turn: three slices, each in a later turn than the one before.
    expect(new Set(seen).size).toBe(3);
  });
});

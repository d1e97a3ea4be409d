import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from './generate.js';
import { readHomeUsage, sumUsageByDay } from './read-home-usage.js';
import { type CorpusTruth, compareRows } from './truth.js';

describe('generateCorpus', () => {
  let dir: string;
  let truth: CorpusTruth;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nexus-corpus-'));
    truth = generateCorpus(join(dir, 'home'), { seed: 42, targetBytes: 1_000_000, days: 5 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes about the requested size across all three tools', () => {
    expect(truth.bytes).toBeGreaterThanOrEqual(1_000_000);
    expect(truth.bytes).toBeLessThan(1_600_000);
    expect(new Set(truth.rows.map((row) => row.tool))).toEqual(new Set(['claude-code', 'codex', 'openclaw']));
    expect(JSON.parse(readFileSync(join(dir, 'home.truth.json'), 'utf8'))).toEqual(truth);
  });

  it('is deterministic: the same seed writes the same truth, another seed another', () => {
    const again = generateCorpus(join(dir, 'again'), { seed: 42, targetBytes: 1_000_000, days: 5 });
    expect(again).toEqual(truth);
    const other = generateCorpus(join(dir, 'other'), { seed: 43, targetBytes: 1_000_000, days: 5 });
    expect(other.rows).not.toEqual(truth.rows);
  });

  it('exercises every known ccusage difference', () => {
    expect(truth.ccusageDifferences.map((difference) => difference.name).sort()).toEqual([
      'codex-resume-totals-only',
      'spaced-usage-json',
      'streamed-lines-without-request-id',
      'subagent-progress-copies',
    ]);
    for (const difference of truth.ccusageDifferences) {
      expect(
        difference.rows.some((row) => row.totalTokens !== 0),
        difference.name,
      ).toBe(true);
    }
  });

  it('reads back to exactly its ground truth per UTC day, tool and model', async () => {
    const { usage, issues } = await readHomeUsage(join(dir, 'home'));
    expect(sumUsageByDay(usage).sort(compareRows)).toEqual(truth.rows);
    // The broken lines the corpus writes are reported, never thrown.
    expect(issues.length).toBeGreaterThan(0);
    expect(new Set(issues.map((issue) => issue.code))).toContain('NEXUS_PARSE_INVALID_JSON');
  });

  it('gives the same truth through the usage-only path (pre-filter and skipped content arrays)', async () => {
    const { usage } = await readHomeUsage(join(dir, 'home'), { usageOnly: true });
    expect(sumUsageByDay(usage).sort(compareRows)).toEqual(truth.rows);
  });

  it('dates each log by its last record, as an agent appending to it would, not by when it was generated', () => {
    const home = join(dir, 'home');
    const logs = (readdirSync(home, { recursive: true }) as string[]).filter((path) =>
      /\.jsonl(\.(reset|deleted)\..*)?$/.test(path),
    );
    expect([...new Set(logs.map((path) => path.split('/')[0]))]).toEqual(
      expect.arrayContaining(['.claude', '.codex', '.openclaw']),
    );
    for (const path of logs) {
      const stamps = readFileSync(join(home, path), 'utf8')
        .split('\n')
        .flatMap((line) => {
          const at = Date.parse(stampOf(line) ?? '');
          return Number.isNaN(at) ? [] : [at];
        });
      const { mtimeMs } = statSync(join(home, path));
      // The last append comes after the last stamped line, by at most the writer's longest pause (30 min).
      expect(mtimeMs, path).toBeGreaterThanOrEqual(Math.max(...stamps) - 1);
      expect(mtimeMs - Math.max(...stamps), path).toBeLessThanOrEqual(30 * 60_000 + 1);
    }
  });
});

/** A line's top-level `timestamp` string; undefined for lines without one (or the corpus's broken lines). */
function stampOf(line: string): string | undefined {
  try {
    const value = (JSON.parse(line) as { timestamp?: unknown }).timestamp;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

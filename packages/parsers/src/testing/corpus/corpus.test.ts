import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
});

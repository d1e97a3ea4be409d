import { execFile } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from './testing/corpus/generate.js';
import { readHomeUsage, sumUsageByDay } from './testing/corpus/read-home-usage.js';
import { type CorpusTruth, type CorpusTruthRow, compareRows, TruthTable } from './testing/corpus/truth.js';

/**
 * Parity with ccusage 20.0.24 (pinned devDependency, native binary): on a generated corpus, Nexus's
 * per-day, per-model tokens equal ccusage's `daily --json --offline -z UTC` for all three tools, except
 * where ccusage departs from what the provider bills — each such place is named and asserted.
 */

const CCUSAGE_PACKAGE = `@ccusage/ccusage-${process.platform}-${process.arch}`;

function ccusageBinary(): string {
  let path: string;
  try {
    path = join(
      dirname(createRequire(import.meta.url).resolve(`${CCUSAGE_PACKAGE}/package.json`)),
      'bin',
      'ccusage',
    );
  } catch {
    throw new Error(
      `ccusage parity: ${CCUSAGE_PACKAGE}@20.0.24 is not installed (${process.env.CI ? 'CI=true: the parity test must run here' : 'run pnpm install'}); ccusage ships native binaries for linux-x64 as pinned by @nexus/parsers`,
    );
  }
  if (!existsSync(path)) throw new Error(`ccusage parity: ${path} is missing from ${CCUSAGE_PACKAGE}`);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    // The package tarball ships the binary without its executable bit; ccusage's own launcher sets it too.
    chmodSync(path, 0o755);
  }
  return path;
}

type Tool = 'claude-code' | 'codex' | 'openclaw';
const COMMANDS: Record<Tool, string> = { 'claude-code': 'claude', codex: 'codex', openclaw: 'openclaw' };

interface CcusageBreakdown {
  modelName?: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  reasoningOutputTokens?: number;
}

interface CcusageDay {
  date: string;
  modelBreakdowns?: CcusageBreakdown[];
  models?: Record<string, CcusageBreakdown>;
}

async function ccusageDaily(binary: string, home: string, tool: Tool): Promise<CcusageDay[]> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TZ: 'UTC' };
  const { stdout } = await promisify(execFile)(
    binary,
    [COMMANDS[tool], 'daily', '--json', '--offline', '-z', 'UTC'],
    {
      env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    },
  );
  return (JSON.parse(stdout) as { daily: CcusageDay[] }).daily;
}

/** Rows with the fields both tools report: ccusage has no reasoning count for Claude or OpenClaw. */
function comparable(rows: readonly CorpusTruthRow[], withReasoning: boolean): CorpusTruthRow[] {
  return rows
    .filter((row) => row.totalTokens !== 0)
    .map((row) => ({ ...row, reasoningOutputTokens: withReasoning ? row.reasoningOutputTokens : 0 }))
    .sort(compareRows);
}

function ccusageRows(tool: Tool, days: CcusageDay[]): CorpusTruthRow[] {
  const table = new TruthTable();
  for (const day of days) {
    const breakdowns = day.models
      ? Object.entries(day.models).map(([modelName, value]) => ({ ...value, modelName }))
      : (day.modelBreakdowns ?? []);
    for (const breakdown of breakdowns) {
      table.add({
        tool,
        // ccusage labels OpenClaw models with the tool's name.
        model: (breakdown.modelName ?? '').replace(/^\[openclaw\] /, ''),
        timestamp: `${day.date}T00:00:00.000Z`,
        inputTokens: breakdown.inputTokens,
        outputTokens: breakdown.outputTokens,
        cacheCreationTokens: breakdown.cacheCreationTokens,
        cacheReadTokens: breakdown.cacheReadTokens,
        reasoningOutputTokens: breakdown.reasoningOutputTokens ?? 0,
      });
    }
  }
  return table.rows();
}

/** The billing truth with ccusage's known differences applied: what ccusage should print. */
function expectedCcusage(truth: CorpusTruth, tool: Tool): CorpusTruthRow[] {
  const table = new TruthTable();
  const rows = [truth.rows, ...truth.ccusageDifferences.map((difference) => difference.rows)].flat();
  for (const row of rows)
    if (row.tool === tool) table.add({ ...row, timestamp: `${row.date}T00:00:00.000Z` });
  return table.rows();
}

describe('parity with ccusage 20.0.24 (daily --json --offline -z UTC)', () => {
  let dir: string;
  let home: string;
  let truth: CorpusTruth;
  let nexus: CorpusTruthRow[];
  let binary: string;

  beforeAll(async () => {
    binary = ccusageBinary();
    dir = mkdtempSync(join(tmpdir(), 'nexus-parity-'));
    home = join(dir, 'home');
    // NEXUS_CORPUS_SEED runs the same checks on another corpus.
    truth = generateCorpus(home, {
      seed: Number(process.env.NEXUS_CORPUS_SEED ?? 20_240_024),
      targetBytes: 4_000_000,
      days: 12,
    });
    nexus = sumUsageByDay((await readHomeUsage(home)).usage);
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('Nexus reports the billing truth', () => {
    expect(nexus).toEqual(truth.rows);
  });

  for (const tool of ['claude-code', 'codex', 'openclaw'] as const) {
    it(`${tool}: ccusage equals Nexus once its known differences are applied`, async () => {
      const withReasoning = tool === 'codex';
      const actual = comparable(ccusageRows(tool, await ccusageDaily(binary, home, tool)), withReasoning);
      expect(actual.length).toBeGreaterThan(5);
      expect(actual).toEqual(comparable(expectedCcusage(truth, tool), withReasoning));
    });
  }

  it('names each known difference, and each one changes the counts on this corpus', () => {
    const byName = Object.fromEntries(
      truth.ccusageDifferences.map((difference) => [
        difference.name,
        difference.rows.reduce((sum, row) => sum + row.totalTokens, 0),
      ]),
    );
    // Streamed lines without requestId: ccusage adds every partial line on top of the final one.
    expect(byName['streamed-lines-without-request-id']).toBeGreaterThan(0);
    // `"usage": {` with a space: ccusage misses the whole response.
    expect(byName['spaced-usage-json']).toBeLessThan(0);
    // Copies of a subagent's messages in the parent's agent_progress lines: ccusage keeps a mid-stream copy.
    expect(byName['subagent-progress-copies']).toBeLessThan(0);
  });
});

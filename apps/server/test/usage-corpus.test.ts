import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type CorpusTruth, generateCorpus, truthInTimeZone, truthRowsOfReport } from '@nexus/parsers/corpus';
import type { UsagePeriodReport } from '@nexus/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
// The same CLI as tsc built it, before scripts/bundle-cli.mjs made main.js out of it.
const UNBUNDLED_CLI = fileURLToPath(new URL('../dist/cli/nexus.js', import.meta.url));

describe('nexus usage daily --json on a generated home (built CLI)', () => {
  let dir: string;
  let truth: CorpusTruth;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    if (!existsSync(CLI))
      throw new Error(`[nexus] ${CLI} is missing: build @nexus/server first (turbo runs build before test)`);
    dir = mkdtempSync(join(tmpdir(), 'nexus-usage-corpus-'));
    truth = generateCorpus(join(dir, 'home'), {
      seed: 31_337,
      targetBytes: 2_500_000,
      startDate: '2026-03-25',
      days: 8,
    });
    env = {
      PATH: process.env.PATH,
      HOME: join(dir, 'home'),
      NEXUS_STATE_DIR: join(dir, 'state'),
      NEXUS_OFFLINE: '1',
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Europe/Berlin moves its clocks forward on 29 March 2026, inside the corpus.
  it.each(['UTC', 'Europe/Berlin'])(
    'equals the ground truth per day, tool and model in %s',
    async (timezone) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [CLI, 'usage', 'daily', '--json', '--timezone', timezone],
        {
          env,
          timeout: 120_000,
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      const report = JSON.parse(stdout) as UsagePeriodReport;
      expect(report.timezone).toBe(timezone);
      expect(truthRowsOfReport(report)).toEqual(truthInTimeZone(truth, timezone));
      expect(report.totals.totalTokens).toBe(truth.rows.reduce((sum, row) => sum + row.totalTokens, 0));
    },
  );

  // Regression: the bundle rewrites each module's import.meta.url to its file in dist; a module that
  // looked next to the bundle instead would miss the pricing snapshot (costs) or the worker script.
  it('prints the same report bundled and unbundled, from a fresh state directory each', async () => {
    const run = async (cli: string, state: string) =>
      (
        await promisify(execFile)(process.execPath, [cli, 'usage', 'daily', '--json', '--timezone', 'UTC'], {
          env: { ...env, NEXUS_STATE_DIR: join(dir, state) },
          timeout: 120_000,
          maxBuffer: 16 * 1024 * 1024,
        })
      ).stdout;
    const bundled = await run(CLI, 'state-bundled');
    expect(JSON.parse(bundled).totals.costUsd).toBeGreaterThan(0);
    expect(await run(UNBUNDLED_CLI, 'state-unbundled')).toBe(bundled);
  });
});

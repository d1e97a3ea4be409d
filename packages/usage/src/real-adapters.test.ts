import { execFile } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { builtinAdapters, claudeCode, type NexusAdapter } from '@nexus/parsers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBackfill } from './backfill.js';
import { UsageLedger } from './ledger.js';
import { dailyReport, sessionReport } from './reports.js';

const run = promisify(execFile);
const FIXTURE_HOME = fileURLToPath(new URL('../test/fixtures/home', import.meta.url));
const STREAMED = '.claude/projects/-work-demo/11111111-1111-1111-1111-111111111111.jsonl';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'nexus-real-'));
  cpSync(FIXTURE_HOME, home, { recursive: true });
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

async function backfill(ledger: UsageLedger, workers = 0) {
  return runBackfill({
    ledger,
    workers,
    adapters: builtinAdapters(),
    environment: { env: { HOME: home }, homeDir: home, exists: existsSync },
  });
}

describe('with the built-in adapters on real log excerpts', () => {
  it('reports exact tokens and dollars per day, tool and model', async () => {
    const ledger = UsageLedger.open({ path: ':memory:' });
    const result = await backfill(ledger);
    expect(result).toMatchObject({ status: 'done', totalFiles: 4, scannedFiles: 4, failedFiles: 0 });
    const report = dailyReport(ledger, { timezone: 'UTC' });
    const flat = report.rows.flatMap((r) =>
      r.breakdown.map((b) => [
        r.period,
        b.tool,
        b.model,
        b.inputTokens,
        b.outputTokens,
        b.cacheCreationTokens,
        b.cacheReadTokens,
      ]),
    );
    expect(flat).toContainEqual(['2026-02-10', 'claude-code', 'claude-opus-4-6', 54, 212, 17696, 88231]);
    expect(flat).toContainEqual(['2026-02-12', 'claude-code', 'claude-opus-4-6', 1, 299, 5601, 29509]);
    const day = (p: string) => report.rows.find((r) => r.period === p)!;
    // Computed by hand from the raw lines: Opus 4.6 at $5/$25 per M, 5-minute writes $6.25, 1-hour writes $10, reads $0.50.
    expect(day('2026-02-10').costUsd).toBeCloseTo(0.2266455, 10);
    expect(day('2026-02-12').costUsd).toBeCloseTo(0.05724075, 10);
    // Codex: input is uncached (input − cached), cached input is a cache read; gpt-5 at $1.25/$10, reads $0.125.
    expect(flat).toContainEqual(['2025-11-23', 'codex', 'gpt-5', 904, 230, 0, 193408]);
    expect(day('2025-11-23').breakdown[0]?.costUsd).toBeCloseTo(0.027606, 10);
    // OpenClaw states its own cost; in auto mode it is used, in calculate mode the model is unpriced.
    expect(day('2026-04-17')).toMatchObject({ inputTokens: 89379, outputTokens: 194 });
    expect(day('2026-04-17').costUsd).toBeCloseTo(0.000089767, 12);
    expect(report.totals.totalTokens).toBe(620289);
    expect(report.unpricedModels).toEqual([]);
    expect(dailyReport(ledger, { timezone: 'UTC', mode: 'calculate' }).unpricedModels).toEqual([
      'LLM_GLM5.1',
    ]);
    const sessions = sessionReport(ledger, { timezone: 'UTC', tool: 'codex' });
    expect(sessions.rows.map((r) => [r.sessionId, r.projectPath])).toEqual([
      ['codex:0199a213-81c0-7800-8aa1-bbab2a035a53', '/Users/pinouchon/code/rtchess'],
    ]);
    ledger.close();
  });

  // Regression: Codex calls were keyed by their byte offset, so a rollout rewritten with its lines moved
  // (here replaced by its own last lines) counted every moved call a second time.
  it('does not count a Codex rollout again when it is replaced by its own tail (lines at new offsets)', async () => {
    const rollout = join(
      home,
      '.codex/sessions/2025/11/23/rollout-2025-11-23T19-28-00-0199a213-81c0-7800-8aa1-bbab2a035a53.jsonl',
    );
    const ledger = UsageLedger.open({ path: ':memory:' });
    await backfill(ledger);
    const codexTokens = () => ledger.toolTotals().codex?.totalTokens;
    const before = codexTokens();
    // Its two calls: 904 + 193,408 + 230 (gpt-5) and 126 + 194,432 + 13 (after a resume).
    expect(before).toBe(194542 + 194571);
    const lines = readFileSync(rollout, 'utf8').split('\n');
    writeFileSync(`${rollout}.new`, lines.slice(2).join('\n'));
    renameSync(`${rollout}.new`, rollout);
    const result = await backfill(ledger);
    expect(result.restartedFiles).toBe(1);
    expect(codexTokens()).toBe(before);
    ledger.close();
  });

  it('resumes a half-read file with the parser snapshot and ends with the same report', async () => {
    const reference = UsageLedger.open({ path: ':memory:' });
    await backfill(reference);
    const expected = dailyReport(reference, { timezone: 'Asia/Kolkata' });
    reference.close();

    const path = join(home, STREAMED);
    const full = readFileSync(path);
    // Cut in the middle of a line: the partial line must wait for its end.
    const cut = full.indexOf(10, Math.floor(full.length / 2)) - 20;
    writeFileSync(path, full.subarray(0, cut));
    const ledger = UsageLedger.open({ stateDir: join(home, 'state') });
    await backfill(ledger);
    const checkpoint = ledger.checkpoint(path);
    expect(checkpoint?.offset).toBeLessThan(cut);
    expect(checkpoint?.offset).toBeGreaterThan(0);
    appendFileSync(path, full.subarray(cut));
    await backfill(ledger);
    expect(ledger.checkpoint(path)?.offset).toBe(full.length);
    expect(dailyReport(ledger, { timezone: 'Asia/Kolkata' })).toEqual(expected);
    // Deleting every log keeps the history.
    rmSync(join(home, '.claude'), { recursive: true });
    rmSync(join(home, '.codex'), { recursive: true });
    await backfill(ledger);
    expect(dailyReport(ledger, { timezone: 'Asia/Kolkata' })).toEqual(expected);
    ledger.close();
  });

  it('counts only logs: other files under a root are neither counted nor read, cold or warm', async () => {
    writeFileSync(join(home, '.claude/projects/-work-demo/notes.txt'), 'not a log\n');
    writeFileSync(join(home, '.codex/sessions/README.md'), '# not a log\n');
    const ledger = UsageLedger.open({ path: ':memory:' });
    const cold = await backfill(ledger);
    expect(cold).toMatchObject({ totalFiles: 4, scannedFiles: 4 });
    expect(cold.scannedBytes).toBe(cold.totalBytes);
    expect(ledger.checkpoints()).toHaveLength(4);
    // Warm: the four logs are known by their checkpoints and skipped on their stat alone.
    const warm = await backfill(ledger);
    expect(warm).toMatchObject({ totalFiles: 4, scannedFiles: 4, totalBytes: cold.totalBytes });
    ledger.close();
  });

  it("keeps a log first listed under another adapter's root that does not take it (regression: overlapping roots)", async () => {
    const claude = claudeCode({ configDirs: [join(home, '.claude')] });
    // Its root holds Claude Code's, and it takes none of the files in it.
    const blind: NexusAdapter = {
      ...claudeCode(),
      id: 'blind',
      resolveRoots: () => [{ path: join(home, '.claude'), role: 'live' }],
      classifyFile: () => null,
    };
    const environment = { env: { HOME: home }, homeDir: home, exists: existsSync };
    for (const adapters of [
      [claude, blind],
      [blind, claude],
    ]) {
      const ledger = UsageLedger.open({ path: ':memory:' });
      const result = await runBackfill({ ledger, adapters, environment });
      expect(result.totalFiles, adapters.map((a) => a.id).join()).toBe(2);
      expect(ledger.checkpoints().map((c) => c.tool)).toEqual(['claude-code', 'claude-code']);
      // Grown since its checkpoint: still read, whichever adapter lists it first.
      const lines = readFileSync(join(home, STREAMED), 'utf8').split('\n').filter(Boolean);
      appendFileSync(
        join(home, STREAMED),
        `${lines.at(-1)!.replaceAll('"id":"msg_', `"id":"msg_${adapters[0]!.id}`)}\n`,
      );
      await runBackfill({ ledger, adapters: [blind, claude], environment });
      const streamed = ledger.checkpoints().find((c) => c.path === join(home, STREAMED))!;
      expect(streamed.offset).toBe(readFileSync(join(home, STREAMED)).length);
      ledger.close();
    }
  });

  it('gives the same ledger when files are parsed in worker threads', async () => {
    const reference = UsageLedger.open({ path: ':memory:' });
    await backfill(reference);
    const pooled = UsageLedger.open({ path: ':memory:' });
    const result = await backfill(pooled, 2);
    expect(result).toMatchObject({ status: 'done', totalFiles: 4, scannedFiles: 4, failedFiles: 0 });
    expect(result.scannedBytes).toBe(result.totalBytes);
    expect(dailyReport(pooled, { timezone: 'UTC' })).toEqual(dailyReport(reference, { timezone: 'UTC' }));
    // Head hashes included: the workers hash a file's head beside its first read.
    const fields = (c: ReturnType<UsageLedger['checkpoints']>[number]) => [
      c.path,
      c.offset,
      c.state,
      c.headHash,
    ];
    expect(pooled.checkpoints().map(fields)).toEqual(reference.checkpoints().map(fields));
    // A warm run with workers skips every file.
    const warm = await backfill(pooled, 2);
    expect(warm.scannedFiles).toBe(4);
    expect(sessionReport(pooled, { timezone: 'UTC' })).toEqual(sessionReport(reference, { timezone: 'UTC' }));
    // A grown file resumes from its checkpoint: the head a worker hashed matches the file's.
    const lines = readFileSync(join(home, STREAMED), 'utf8').split('\n').filter(Boolean);
    appendFileSync(join(home, STREAMED), `${lines.at(-1)!.replaceAll('"id":"msg_', '"id":"msg_grown')}\n`);
    const grown = await backfill(pooled, 2);
    expect(grown.restartedFiles).toBe(0);
    await backfill(reference);
    expect(dailyReport(pooled, { timezone: 'UTC' })).toEqual(dailyReport(reference, { timezone: 'UTC' }));
    reference.close();
    pooled.close();
  });

  it('stops the workers it starts early for an empty ledger when no log needs reading', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'nexus-empty-'));
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const child = fileURLToPath(new URL('../test/empty-home-child.ts', import.meta.url));
    try {
      // The child exits by itself only if no worker is left running.
      const { stdout } = await run(
        process.execPath,
        ['--conditions=@nexus/source', '--import', tsx, child, empty],
        { timeout: 15_000 },
      );
      expect(JSON.parse(stdout)).toMatchObject({ status: 'done', totalFiles: 0, aborted: false });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('loses nothing with many files in flight across workers', async () => {
    const source = readFileSync(join(home, STREAMED), 'utf8').split('\n').slice(0, 30).join('\n');
    for (let n = 0; n < 120; n++) {
      const copy = source.replaceAll('"id":"msg_', `"id":"msg_${n}x`);
      writeFileSync(
        join(
          home,
          `.claude/projects/-work-demo/${String(n).padStart(8, '0')}-aaaa-bbbb-cccc-000000000000.jsonl`,
        ),
        copy,
      );
    }
    const reference = UsageLedger.open({ path: ':memory:' });
    await backfill(reference);
    const pooled = UsageLedger.open({ path: ':memory:' });
    const result = await backfill(pooled, 2);
    expect(result).toMatchObject({ status: 'done', totalFiles: 124, scannedFiles: 124, failedFiles: 0 });
    expect(pooled.checkpoints()).toHaveLength(124);
    expect(dailyReport(pooled, { timezone: 'UTC' }).totals).toEqual(
      dailyReport(reference, { timezone: 'UTC' }).totals,
    );
    expect(pooled.toolTotals()).toEqual(reference.toolTotals());
    reference.close();
    pooled.close();
  });
});

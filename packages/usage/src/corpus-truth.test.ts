import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinAdapters } from '@nexus/parsers';
import {
  type CorpusTruth,
  type CorpusTruthRow,
  generateCorpus,
  truthInTimeZone,
  truthRowsOfReport,
} from '@nexus/parsers/corpus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackfill } from './backfill.js';
import { UsageLedger } from './ledger.js';
import { dailyReport, sessionReport } from './reports.js';

function reportRows(ledger: UsageLedger, timezone: string): CorpusTruthRow[] {
  const report = dailyReport(ledger, { timezone });
  expect(report.timezone).toBe(timezone);
  return truthRowsOfReport(report);
}

describe('ledger against a generated corpus and its ground truth', () => {
  let dir: string;
  let home: string;
  let truth: CorpusTruth;
  let ledgerPath: string;
  const backfill = (ledger: UsageLedger, workers: number) =>
    runBackfill({
      ledger,
      workers,
      adapters: builtinAdapters(),
      environment: { env: { HOME: home }, homeDir: home, exists: existsSync },
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nexus-usage-truth-'));
    home = join(dir, 'home');
    ledgerPath = join(dir, 'ledger.sqlite');
    truth = generateCorpus(home, { seed: 4242, targetBytes: 3_000_000, startDate: '2026-10-28', days: 10 });
    const ledger = UsageLedger.open({ path: ledgerPath });
    const result = await backfill(ledger, 0);
    expect(result).toMatchObject({ status: 'done', failedFiles: 0 });
    expect(result.scannedFiles).toBe(result.totalFiles);
    ledger.close();
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // New York turns its clocks back on 1 November 2026, inside the corpus: one local day has 25 hours.
  it.each(['UTC', 'America/New_York', 'Asia/Tokyo', 'Pacific/Auckland'])(
    'daily report in %s equals the truth',
    (timezone) => {
      const ledger = UsageLedger.open({ path: ledgerPath });
      try {
        expect(reportRows(ledger, timezone)).toEqual(truthInTimeZone(truth, timezone));
      } finally {
        ledger.close();
      }
    },
  );

  // What backfillWorkerCount gives a machine of three cores or more: files spread over two threads, whose
  // calls reach the ledger interleaved.
  it('two worker threads fill a fresh ledger with the same rows as one thread', async () => {
    const ledger = UsageLedger.open({ path: join(dir, 'two-workers.sqlite') });
    const reference = UsageLedger.open({ path: ledgerPath });
    try {
      const result = await backfill(ledger, 2);
      expect(result).toMatchObject({ status: 'done', failedFiles: 0 });
      expect(reportRows(ledger, 'UTC')).toEqual(truth.rows);
      expect(sessionReport(ledger)).toEqual(sessionReport(reference));
    } finally {
      ledger.close();
      reference.close();
    }
  }, 120_000);

  it('a warm restart re-reads no file and reports the same', async () => {
    const ledger = UsageLedger.open({ path: ledgerPath });
    try {
      const result = await backfill(ledger, 0);
      expect(result).toMatchObject({ status: 'done', failedFiles: 0, restartedFiles: 0 });
      expect(reportRows(ledger, 'UTC')).toEqual(truth.rows);
    } finally {
      ledger.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { usage } from '../test/helpers.js';
import { formatProgressBar, formatReportTable } from './format.js';
import { UsageLedger } from './ledger.js';
import { dailyReport, sessionReport } from './reports.js';

describe('formatReportTable', () => {
  const ledger = UsageLedger.open({ path: ':memory:' });
  ledger.ingest([
    usage({ dedupKey: 'a', inputTokens: 1234, outputTokens: 5_000_000 }),
    usage({ dedupKey: 'b', model: 'mystery', outputTokens: 7, timestamp: '2026-09-02T01:00:00.000Z' }),
  ]);

  it('aligns columns without colour off a TTY', () => {
    const text = formatReportTable(dailyReport(ledger, { timezone: 'UTC' }));
    expect(text).not.toContain('\x1b[');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^Period\s+Input\s+Output\s+Cache write\s+Cache read\s+Total tokens\s+Cost \(USD\)$/,
    );
    expect(lines).toContain(lines.find((l) => l.startsWith('2026-09-01')));
    const header = lines[0]!;
    // Every table line ends at the same column: numbers are right-aligned.
    for (const l of lines.slice(0, -2)) if (!l.startsWith('─')) expect(l.length).toBe(header.length);
    expect(text).toContain('5,000,000');
    expect(text).toContain('  claude-code · claude-sonnet-4-5-20250929');
    expect(text).toContain('Time zone: UTC');
    expect(text).toContain('Unpriced models (counted at $0): mystery');
  });

  it('colours on a TTY and renders sessions', () => {
    const text = formatReportTable(sessionReport(ledger, { timezone: 'UTC' }), {
      color: true,
      breakdown: false,
    });
    expect(text).toContain('\x1b[36mSession\x1b[39m');
    expect(text).toContain('claude-code:s1');
  });

  it('draws a progress bar', () => {
    expect(
      formatProgressBar({ scannedFiles: 1, totalFiles: 2, scannedBytes: 524_288, totalBytes: 1_048_576 }, 10),
    ).toBe('[#####-----]  50%  1/2 files  0.5/1.0 MB');
  });
});

// One measured step of the benchmark, run in its own process so wall time and peak RSS are its own.
//   node bench/child.mjs cold|warm|report <home> <stateDir>
import { existsSync } from 'node:fs';
import { builtinAdapters } from '@nexus/parsers';
import { dailyReport, LiveTotals, runBackfill, UsageLedger } from '@nexus/usage';

const [mode, home, stateDir] = process.argv.slice(2);
const adapters = builtinAdapters();
const env = { ...process.env, HOME: home };
delete env.CLAUDE_CONFIG_DIR;
delete env.CODEX_HOME;
delete env.OPENCLAW_STATE_DIR;
const environment = { env, homeDir: home, exists: existsSync };

const ledger = UsageLedger.open({ stateDir });
const workers = Number(process.env.BACKFILL_WORKERS ?? 1);
const result = await runBackfill({ ledger, adapters, environment, workers });
let output;
if (mode === 'warm') {
  // First complete usage_totals after a restart: catch-up done, totals read.
  const live = new LiveTotals({ ledger, onUpdate: () => {} });
  const totals = live.snapshot();
  output = { msSinceStart: performance.now(), totals: totals.totals, files: result.totalFiles };
} else {
  const report = dailyReport(ledger, { timezone: 'UTC' });
  const byDayModel = {};
  for (const row of report.rows) {
    for (const b of row.breakdown) {
      const { inputTokens, outputTokens, cacheCreationTokens, cacheReadTokens } = b;
      byDayModel[`${row.period}|${b.tool}|${b.model}`] = {
        inputTokens,
        outputTokens,
        cacheCreationTokens,
        cacheReadTokens,
      };
    }
  }
  output = {
    msSinceStart: performance.now(),
    days: report.rows.length,
    totals: report.totals,
    files: result.totalFiles,
    byDayModel,
  };
}
ledger.close();
process.stdout.write(`${JSON.stringify(output)}\n`);

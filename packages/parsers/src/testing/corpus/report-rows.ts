import { type CorpusTruthRow, compareRows } from './truth.js';

/** The token fields of a usage report row's breakdown entry (`@nexus/protocol`'s UsageBreakdown). */
interface ReportBreakdown {
  readonly tool: string;
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheCreationTokens: number;
  readonly cacheReadTokens: number;
  readonly reasoningOutputTokens: number;
  readonly totalTokens: number;
}

/** A daily usage report (`nexus usage daily --json`, `GET /api/usage/daily`) as sorted truth rows. */
export function truthRowsOfReport(report: {
  readonly rows: readonly { readonly period: string; readonly breakdown: readonly ReportBreakdown[] }[];
}): CorpusTruthRow[] {
  return report.rows
    .flatMap((row) =>
      row.breakdown.map((part) => ({
        date: row.period,
        tool: part.tool,
        model: part.model,
        inputTokens: part.inputTokens,
        outputTokens: part.outputTokens,
        cacheCreationTokens: part.cacheCreationTokens,
        cacheReadTokens: part.cacheReadTokens,
        reasoningOutputTokens: part.reasoningOutputTokens,
        totalTokens: part.totalTokens,
      })),
    )
    .sort(compareRows);
}

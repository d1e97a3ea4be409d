import type { UsageFields, UsagePeriodReport, UsageSessionReport } from '@nexus/protocol';

/** Options of {@link formatReportTable}. */
export interface FormatTableOptions {
  /** ANSI colours; pass `stream.isTTY` (and honour `NO_COLOR`). Default false. */
  readonly color?: boolean;
  /** One indented line per tool and model under each row (default true). */
  readonly breakdown?: boolean;
}

// Built on first use: creating Intl formatters costs milliseconds at import time.
let formats: { int: Intl.NumberFormat; usd: Intl.NumberFormat } | undefined;
function numberFormats() {
  if (!formats) {
    formats = {
      int: new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }),
      usd: new Intl.NumberFormat('en-US', {
        style: 'currency',
        currency: 'USD',
        minimumFractionDigits: 2,
        maximumFractionDigits: 2,
      }),
    };
  }
  return formats;
}
const int = { format: (n: number) => numberFormats().int.format(n) };
const usd = { format: (n: number) => numberFormats().usd.format(n) };

// Raw SGR codes: util.styleText on newer Node drops colour when stdout is not a TTY, and the caller
// has already decided.
const SGR = { dim: [2, 22], bold: [1, 22], yellow: [33, 39], cyan: [36, 39], red: [31, 39] } as const;
function styleText(style: keyof typeof SGR, text: string): string {
  const [on, off] = SGR[style];
  return `\x1b[${on}m${text}\x1b[${off}m`;
}

type Cell = { text: string; style?: 'dim' | 'bold' | 'yellow' | 'cyan' };

function numbers(f: UsageFields): Cell[] {
  return [
    { text: int.format(f.inputTokens) },
    { text: int.format(f.outputTokens) },
    { text: int.format(f.cacheCreationTokens) },
    { text: int.format(f.cacheReadTokens) },
    { text: int.format(f.totalTokens) },
    { text: usd.format(f.costUsd) },
  ];
}

const NUMBER_HEADERS = ['Input', 'Output', 'Cache write', 'Cache read', 'Total tokens', 'Cost (USD)'];

/**
 * Render a report as an aligned text table for the terminal: first column left-aligned, numbers
 * right-aligned with thousands separators, a totals line, and the unpriced models underneath.
 */
export function formatReportTable(
  report: UsagePeriodReport | UsageSessionReport,
  options: FormatTableOptions = {},
): string {
  const color = options.color ?? false;
  const withBreakdown = options.breakdown ?? true;
  const isSession = report.rows.length > 0 && 'sessionId' in report.rows[0]!;
  const first = isSession ? 'Session' : 'Period';
  const rows: Cell[][] = [[first, ...NUMBER_HEADERS].map((text) => ({ text, style: 'cyan' as const }))];
  for (const row of report.rows) {
    const label = 'period' in row ? row.period : `${row.sessionId}  ${row.lastActivity.slice(0, 10)}`;
    rows.push([{ text: label, style: 'bold' }, ...numbers(row)]);
    if (withBreakdown) {
      for (const b of row.breakdown) {
        rows.push([
          { text: `  ${b.tool} · ${b.model}`, style: 'dim' },
          ...numbers(b).map((c) => ({ ...c, style: 'dim' as const })),
        ]);
      }
    }
  }
  rows.push([
    { text: 'Total', style: 'yellow' },
    ...numbers(report.totals).map((c) => ({ ...c, style: 'yellow' as const })),
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.text.length)));
  const paint = (cell: Cell) => (color && cell.style ? styleText(cell.style, cell.text) : cell.text);
  const render = (r: Cell[]) =>
    r
      .map((cell, i) => {
        const pad = ' '.repeat(widths[i]! - cell.text.length);
        return i === 0 ? paint(cell) + pad : pad + paint(cell);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const lines = [render(rows[0]!), rule, ...rows.slice(1, -1).map(render), rule, render(rows.at(-1)!)];
  lines.push(`Time zone: ${report.timezone}`);
  if (report.unpricedModels.length > 0) {
    const note = `Unpriced models (counted at $0): ${report.unpricedModels.join(', ')}`;
    lines.push(color ? styleText('red', note) : note);
  }
  return `${lines.join('\n')}\n`;
}

/** A one-line progress bar for backfill on a terminal, e.g. `[#####-----] 50%  12/24 files  1.2/2.4 GB`. */
export function formatProgressBar(
  progress: { scannedFiles: number; totalFiles: number; scannedBytes: number; totalBytes: number },
  width = 30,
): string {
  const ratio = progress.totalBytes > 0 ? Math.min(1, progress.scannedBytes / progress.totalBytes) : 1;
  const filled = Math.round(ratio * width);
  const mb = (n: number) => (n / 1_048_576).toFixed(1);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${progress.scannedFiles}/${progress.totalFiles} files  ${mb(progress.scannedBytes)}/${mb(progress.totalBytes)} MB`;
}

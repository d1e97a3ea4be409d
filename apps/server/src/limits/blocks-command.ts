import { parseArgs } from 'node:util';
import type { UsageBlock, UsageBlocksReport } from '@nexus/protocol';
import {
  BLOCK_DURATION_HOURS,
  type BlocksReportOptions,
  blocksReport,
  COST_MODES,
  type CostMode,
  checkReportOptions,
  type UsageLedger,
} from '@nexus/usage';
import { askRunningServer } from '../usage/server-report.js';
import {
  openCaughtUpLedger,
  reportCommandFailure,
  type UsageCommandHooks,
  type UsageCommandIo,
} from '../usage/usage-command.js';

export const BLOCKS_HELP = `Usage: nexus usage blocks [options]

Usage in 5-hour blocks, as ccusage cuts them: a block starts at its first call (floored to the hour,
UTC) and spans 5 hours; a silence longer than 5 hours starts a new one. The active block shows its
burn rate and where it ends if the rate holds. As for the other reports, the server \`nexus start\` runs
answers when there is one (waiting while it reads history); otherwise the ledger is caught up with the
logs first, plugins and session stores included.

Options:
  --json                 Print the report as JSON (the contract of GET /api/usage/blocks)
  --tool ID              Whose calls: claude-code (default, as ccusage), codex, …, or all
  --active               Only the active block
  --since YYYY-MM-DD     First day whose calls count (in --timezone)
  --until YYYY-MM-DD     Last day whose calls count
  --timezone ZONE        Zone for --since/--until and the printed times (default: the system zone)
  --mode MODE            auto (the log's own cost, else computed), calculate, display (default auto)
  --session-length H     Block length in hours (default ${BLOCK_DURATION_HOURS})
  --offline              Never fetch the pricing table from the network
  -h, --help             Show this help`;

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const usd = (n: number) => `$${n.toFixed(2)}`;

function when(iso: string, timeZone: string | undefined): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(iso));
}

function minutes(total: number): string {
  const m = Math.max(0, Math.round(total));
  return m >= 60 ? `${Math.floor(m / 60)}h ${m % 60}m` : `${m}m`;
}

/** The report as an aligned terminal table, with the active block's burn rate and projection. */
export function formatBlocksTable(report: UsageBlocksReport, now: number, timeZone?: string): string {
  const header = [
    'Block start',
    'Status',
    'Models',
    'Calls',
    'Input',
    'Output',
    'Cache write',
    'Cache read',
    'Total tokens',
    'Cost',
  ];
  const rows: string[][] = report.blocks.map((b: UsageBlock) => [
    when(b.startTime, timeZone),
    b.isGap
      ? `gap ${minutes((Date.parse(b.endTime) - Date.parse(b.startTime)) / 60_000)}`
      : b.isActive
        ? `active, ${minutes((Date.parse(b.endTime) - now) / 60_000)} left`
        : 'done',
    b.models.join(', '),
    b.isGap ? '' : int.format(b.entries),
    b.isGap ? '' : int.format(b.inputTokens),
    b.isGap ? '' : int.format(b.outputTokens),
    b.isGap ? '' : int.format(b.cacheCreationTokens),
    b.isGap ? '' : int.format(b.cacheReadTokens),
    b.isGap ? '' : int.format(b.totalTokens),
    b.isGap ? '' : usd(b.costUsd),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
  if (report.blocks.length === 0) out.push('(no blocks)');
  const active = report.blocks.find((b) => b.isActive);
  if (active?.burnRate) {
    out.push(
      '',
      `Burn rate: ${int.format(active.burnRate.tokensPerMinute)} tokens/min (${int.format(active.burnRate.tokensPerMinuteForIndicator)} input+output), ${usd(active.burnRate.costPerHour)}/h`,
    );
  }
  if (active?.projection) {
    out.push(
      `Projection to ${when(active.endTime, timeZone)}: ${int.format(active.projection.totalTokens)} tokens, ${usd(active.projection.totalCostUsd)} (${minutes(active.projection.remainingMinutes)} left)`,
    );
  }
  if (active?.topSessions?.length) {
    out.push(
      `Top sessions: ${active.topSessions.map((s) => `${s.projectPath || s.sessionId} ${Math.round(s.share * 100)}%`).join(', ')}`,
    );
  }
  if (report.unpricedModels.length > 0)
    out.push('', `Unpriced models (cost 0): ${report.unpricedModels.join(', ')}`);
  return `${out.join('\n')}\n`;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      json: { type: 'boolean' },
      tool: { type: 'string' },
      active: { type: 'boolean' },
      since: { type: 'string' },
      until: { type: 'string' },
      timezone: { type: 'string' },
      mode: { type: 'string' },
      'session-length': { type: 'string' },
      offline: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/**
 * `nexus usage blocks [--json] [--tool] [--active] [--since] [--until] [--timezone] [--mode]
 * [--session-length] [--offline]`: catch the ledger up with the logs, then print the blocks. Exit
 * code 0, 1 on failure, 2 on a usage error.
 */
export async function runBlocksCommand(
  argv: string[],
  io: UsageCommandIo,
  hooks: UsageCommandHooks & { readonly now?: () => number } = {},
): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    io.stderr.write(`[nexus] [usage] ${(err as Error).message}\n\n${BLOCKS_HELP}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(`${BLOCKS_HELP}\n`);
    return 0;
  }
  if (values.mode !== undefined && !COST_MODES.includes(values.mode as CostMode)) {
    io.stderr.write(`[nexus] [usage] --mode must be one of ${COST_MODES.join(', ')}\n`);
    return 2;
  }
  const hours =
    values['session-length'] === undefined ? BLOCK_DURATION_HOURS : Number(values['session-length']);
  if (!(Number.isFinite(hours) && hours > 0)) {
    io.stderr.write('[nexus] [usage] --session-length must be a positive number of hours\n');
    return 2;
  }
  const now = (hooks.now ?? Date.now)();
  const options: BlocksReportOptions = {
    tool: values.tool === undefined ? 'claude-code' : values.tool === 'all' ? null : values.tool,
    ...(values.since ? { since: values.since } : {}),
    ...(values.until ? { until: values.until } : {}),
    ...(values.timezone ? { timezone: values.timezone } : {}),
    ...(values.mode ? { mode: values.mode as CostMode } : {}),
    activeOnly: values.active === true,
    sessionDurationHours: hours,
    now,
  };

  // Check the options before the (possibly long) catch-up, so a typo fails at once.
  try {
    checkReportOptions({
      ...(values.since ? { since: values.since } : {}),
      ...(values.until ? { until: values.until } : {}),
      ...(values.timezone ? { timezone: values.timezone } : {}),
    });
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }

  // The server `nexus start` runs answers when it reads the same logs: it keeps the ledger current.
  if (!hooks.adapters && !hooks.reader) {
    const query = new URLSearchParams();
    if (values.tool !== undefined) query.set('tool', values.tool);
    for (const key of ['since', 'until', 'mode'] as const) {
      const value = values[key];
      if (value !== undefined) query.set(key, value);
    }
    if (values.active) query.set('active', 'true');
    if (values['session-length'] !== undefined) query.set('sessionLength', String(hours));
    const answer = await askRunningServer(io, 'blocks', query, values.timezone);
    if (answer === 2) return 2;
    if (answer) {
      const report = answer.body as UsageBlocksReport;
      io.stdout.write(
        values.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : formatBlocksTable(report, now, values.timezone),
      );
      return 0;
    }
  }

  let ledger: UsageLedger | undefined;
  try {
    ledger = await openCaughtUpLedger(io, hooks, { offline: values.offline === true });
    const report = blocksReport(ledger, options);
    io.stdout.write(
      values.json ? `${JSON.stringify(report, null, 2)}\n` : formatBlocksTable(report, now, values.timezone),
    );
    return 0;
  } catch (err) {
    return reportCommandFailure(io, err);
  } finally {
    ledger?.close();
  }
}

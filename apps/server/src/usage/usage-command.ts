import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { homeDirectory, type NexusAdapter } from '@nexus/parsers';
import {
  type BackfillReader,
  backfillWorkerCount,
  COST_MODES,
  type CostMode,
  checkReportOptions,
  dailyReport,
  formatProgressBar,
  formatReportTable,
  loadPricing,
  monthlyReport,
  NexusUsageError,
  type ReportOptions,
  resolveStateDir,
  runBackfill,
  sessionReport,
  UsageLedger,
  type UsageLogger,
} from '@nexus/usage';
import { USAGE_OPTIONS } from './usage-options.js';

/** Streams and environment of one CLI invocation. */
export interface UsageCommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** Test and embedding hooks; the CLI passes none. */
export interface UsageCommandHooks {
  /** Adapters to catch up with; default the built-in and plugin adapters (see `nexus adapters`). */
  readonly adapters?: readonly NexusAdapter[];
  readonly reader?: BackfillReader;
}

export const USAGE_HELP = `Usage: nexus usage <daily|monthly|session> [options]

Token usage and USD cost of every agent on this machine, over all history. When \`nexus start\` runs the
server for this state directory ($NEXUS_STATE_DIR, else ~/.nexus), the server answers (it keeps the
ledger current); while it is still reading history the command waits for it, showing its progress.
Otherwise the ledger is caught up with the logs first, so this works whether or not the server runs.

Options:
  --json               Print the report as JSON (the same contract as GET /api/usage/*)
  --since YYYY-MM-DD   First day included (in --timezone)
  --until YYYY-MM-DD   Last day included (in --timezone)
  --timezone ZONE      IANA zone days and months are cut in (default: the system zone)
  --tool ID            Only one tool: claude-code, codex, openclaw, …
  --mode MODE          auto (the log's own cost, else computed), calculate, display (default auto)
  --offline            Never fetch the pricing table from the network
  --config FILE        Plugin config (default nexus.config.{js,mjs,json} in the state directory)
  -h, --help           Show this help`;

const REPORTS = { daily: dailyReport, monthly: monthlyReport, session: sessionReport } as const;

function isTty(stream: NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

function stderrLogger(io: UsageCommandIo): UsageLogger {
  return {
    warn: (details, message) => {
      const code = typeof details.code === 'string' ? ` (${details.code})` : '';
      const err = details.err instanceof Error ? `: ${details.err.message}` : '';
      io.stderr.write(`${message}${code}${err}\n`);
    },
  };
}

/**
 * `nexus usage daily|monthly|session [--json] [--since] [--until] [--timezone] [--tool] [--mode]
 * [--offline]`: open the ledger in the state directory, catch it up with the logs (a progress bar
 * on stderr when it is a terminal), then print the report. Returns the exit code: 0, 1 on failure,
 * 2 on a usage error.
 */
export async function runUsageCommand(
  argv: string[],
  io: UsageCommandIo,
  hooks: UsageCommandHooks = {},
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    io.stderr.write(`[nexus] [usage] ${(err as Error).message}\n\n${USAGE_HELP}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(`${USAGE_HELP}\n`);
    return 0;
  }
  const kind = positionals[0] as keyof typeof REPORTS | undefined;
  if (!kind || !(kind in REPORTS) || positionals.length > 1) {
    io.stderr.write(`[nexus] [usage] expected one of daily, monthly, session\n\n${USAGE_HELP}\n`);
    return 2;
  }
  if (values.mode !== undefined && !COST_MODES.includes(values.mode as CostMode)) {
    io.stderr.write(`[nexus] [usage] --mode must be one of ${COST_MODES.join(', ')}\n`);
    return 2;
  }
  const options: ReportOptions = {
    ...(values.since ? { since: values.since } : {}),
    ...(values.until ? { until: values.until } : {}),
    ...(values.timezone ? { timezone: values.timezone } : {}),
    ...(values.tool ? { tool: values.tool } : {}),
    ...(values.mode ? { mode: values.mode as CostMode } : {}),
  };
  // Check the options before the (possibly long) catch-up, so a typo fails at once.
  try {
    checkReportOptions(options);
  } catch (err) {
    if (err instanceof NexusUsageError) {
      io.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }

  let ledger: UsageLedger | undefined;
  try {
    ledger = await openCaughtUpLedger(io, hooks, {
      offline: values.offline === true,
      ...(values.config ? { configPath: values.config } : {}),
    });
    const report = REPORTS[kind](ledger, options);
    if (values.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else io.stdout.write(formatReportTable(report, { color: isTty(io.stdout) && !io.env.NO_COLOR }));
    return 0;
  } catch (err) {
    return reportCommandFailure(io, err);
  } finally {
    ledger?.close();
  }
}

/** Print a command's failure on stderr; the exit code: 2 for a bad option, else 1. */
export function reportCommandFailure(io: UsageCommandIo, err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`${message.startsWith('[nexus]') ? message : `[nexus] [usage] ${message}`}\n`);
  return err instanceof NexusUsageError && err.code === 'NEXUS_USAGE_BAD_OPTION' ? 2 : 1;
}

/**
 * The ledger of this state directory, caught up with every adapter's logs — plugins (see `nexus
 * adapters`) and session stores included — with a progress bar on stderr when it is a terminal. What
 * every `nexus usage` report reads when no server answers; the caller closes it.
 */
export async function openCaughtUpLedger(
  io: UsageCommandIo,
  hooks: UsageCommandHooks,
  options: { readonly offline: boolean; readonly configPath?: string },
): Promise<UsageLedger> {
  const logger = stderrLogger(io);
  const stateDir = resolveStateDir(io.env);
  const offline = options.offline || io.env.NEXUS_OFFLINE === '1';
  const pricing = await loadPricing({ stateDir, offline, env: io.env, logger, timeoutMs: 5000 });
  // Mapped reads: the catch-up and the report read most of the ledger once, a page per system call otherwise.
  const ledger = UsageLedger.open({ stateDir, pricing, mmapBytes: 1024 * 1024 * 1024 });
  try {
    const adapters =
      hooks.adapters ??
      (
        await (
          await import('../plugins/host.js')
        ).loadHostAdapters({
          stateDir,
          configPath: options.configPath ?? (io.env.NEXUS_CONFIG || undefined),
          // Plugins that loaded are not worth a line here; problems are.
          logger: { info: () => {}, warn: logger.warn },
        })
      ).adapters;
    const environment = { env: io.env, homeDir: homeDirectory(io.env), exists: existsSync };
    await runBackfill({
      ledger,
      adapters,
      environment,
      logger,
      // Parsing threads beside this one: the ledger commits while the next files are parsed.
      workers: backfillWorkerCount(),
      // A command may block its own thread: folders listed with blocking calls, several times faster.
      blockingIo: true,
      ...(hooks.reader ? { reader: hooks.reader } : {}),
      ...(isTty(io.stderr)
        ? {
            onProgress: (p) => {
              if (p.status === 'running') io.stderr.write(`\r${formatProgressBar(p)}`);
              else io.stderr.write('\r\x1b[2K');
            },
          }
        : {}),
    });
    // Transcripts kept in databases (OpenClaw's SQLite store) are caught up from their saved cursors.
    const { catchUpStores } = await import('../plugins/store-host.js');
    await catchUpStores({
      adapters,
      environment,
      ledger,
      ingestUsage: (events, checkpoint) => ledger.ingest(events, checkpoint),
      logger,
      blockingReads: true,
    });
    return ledger;
  } catch (err) {
    ledger.close();
    throw err;
  }
}

function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, strict: true, options: USAGE_OPTIONS });
}

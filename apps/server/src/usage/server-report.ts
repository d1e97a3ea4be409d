import { parseArgs } from 'node:util';
import type { HealthProbe } from '../cli/daemon.js';
import { logRootsKey, type PidRecord, runningDaemon } from '../cli/pid-file.js';
import { resolveStatePaths } from '../state-dir.js';
import { USAGE_OPTIONS } from './usage-options.js';

/** Report kinds of the command and the route each is served at. */
const ROUTES: Readonly<Record<string, string>> = { daily: 'daily', monthly: 'monthly', session: 'sessions' };

/** Long enough for a report over years of history; short enough that a hung server costs little. */
const REQUEST_TIMEOUT_MS = 2000;

export interface ServerReportIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** How the command waits for a server that is still reading history (tests shorten both). */
export interface BackfillWait {
  /** Between two looks at the server's progress. Default 250 ms. */
  readonly pollMs?: number;
  /** A backfill that reads no file or byte for this long is not waited for. Default 60 s. */
  readonly stallMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Wait while the server reads history, with its progress bar on a terminal (one line otherwise): catching
 * up here at the same time would read every log a second time and contend for the ledger. True once the
 * server has read everything; false when it stops answering, stops its backfill, or makes no progress.
 */
async function waitForServerBackfill(
  daemon: PidRecord,
  first: HealthProbe,
  io: ServerReportIo,
  probeHealth: (record: PidRecord, token: string | undefined) => Promise<HealthProbe>,
  wait: BackfillWait,
): Promise<boolean> {
  const pollMs = wait.pollMs ?? 250;
  const stallMs = wait.stallMs ?? 60_000;
  const terminal = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const format = terminal ? (await import('@nexus/usage')).formatProgressBar : undefined;
  let health = first;
  let seen = '';
  let movedAt = Date.now();
  if (!format) io.stderr.write('[nexus] [usage] waiting for the running server to finish reading history…\n');
  try {
    for (;;) {
      const backfill = health.body?.backfill;
      if (!health.ok || backfill?.status !== 'running') return health.ok && backfill?.status === 'done';
      const progress = {
        scannedFiles: backfill.scannedFiles ?? 0,
        totalFiles: backfill.totalFiles ?? 0,
        scannedBytes: backfill.scannedBytes ?? 0,
        totalBytes: backfill.totalBytes ?? 0,
      };
      const now = Date.now();
      const mark = `${progress.scannedFiles}/${progress.scannedBytes}`;
      if (mark !== seen) {
        seen = mark;
        movedAt = now;
      } else if (now - movedAt >= stallMs) {
        io.stderr.write(
          `${format ? '\r\x1b[2K' : ''}[nexus] [usage] the server's backfill made no progress for ${Math.round(stallMs / 1000)} s; catching up here\n`,
        );
        return false;
      }
      if (format) io.stderr.write(`\r${format(progress)}`);
      await sleep(pollMs);
      health = await probeHealth(daemon, undefined);
    }
  } finally {
    if (format) io.stderr.write('\r\x1b[2K');
  }
}

/**
 * GET `/api/usage/<route>?<query>` from the server `nexus start` runs for this state directory, once it
 * has read all history (waiting while it reads, see {@link waitForServerBackfill}), with this process's
 * time zone unless `timezone` is given: the server's default zone could be another process's. Returns
 * the answer (status 200), the exit code 2 after printing the server's refusal of an option (400), or
 * `undefined` when the command must run locally (no server, one reading other logs, or any failure).
 */
export async function askRunningServer(
  io: ServerReportIo,
  route: string,
  query: URLSearchParams,
  timezone: string | undefined,
  wait: BackfillWait = {},
): Promise<{ readonly body: unknown } | 2 | undefined> {
  const daemon = runningDaemon(resolveStatePaths(io.env as NodeJS.ProcessEnv).pidFile);
  // A server started for other logs (another HOME or agent folder) has not read this command's logs.
  if (!daemon || daemon.logRoots !== logRootsKey(io.env)) return undefined;
  // Loaded only when a server is recorded: Node's HTTP client and child processes cost the command
  // without a server (the usual case on a laptop) about ten milliseconds to load.
  const [{ probeHealth }, { getLocalJson }] = await Promise.all([
    import('../cli/daemon.js'),
    import('../cli/local-json.js'),
  ]);
  const health = await probeHealth(daemon, undefined);
  if (!health.ok) return undefined;
  if (
    health.body?.backfill?.status !== 'done' &&
    !(await waitForServerBackfill(daemon, health, io, probeHealth, wait))
  )
    return undefined;
  const params = new URLSearchParams({
    timezone: timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
  });
  for (const [key, value] of query) params.set(key, value);
  const answer = await getLocalJson(`${daemon.url}/api/usage/${route}?${params}`, {
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  if ('error' in answer) return undefined;
  if (answer.status === 400) {
    const message = (answer.body as { message?: unknown }).message;
    io.stderr.write(`${typeof message === 'string' ? message : '[nexus] [usage] bad option'}\n`);
    return 2;
  }
  return answer.status === 200 ? { body: answer.body } : undefined;
}

/**
 * `nexus usage daily|monthly|session` answered by the server `nexus start` runs for this state directory,
 * once it has read all history (a server still reading it is waited for, with its progress): it keeps the
 * ledger current, so there is nothing to catch up, and this process loads neither the ledger nor the
 * parsers (a report in a fifth of a second instead of a third of a second over thousands of logs). Returns
 * the exit code, or `undefined` when the command must run locally: no server, a server started for other
 * logs (another HOME or agent folder), a server that stops answering or whose backfill stalls or stops,
 * `--config` or `--help`, or options this path does not parse (the local command then reports them).
 */
export async function reportFromRunningServer(
  argv: string[],
  io: ServerReportIo,
  wait: BackfillWait = {},
): Promise<number | undefined> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof USAGE_OPTIONS }>
  >;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: USAGE_OPTIONS });
  } catch {
    return undefined;
  }
  const { values, positionals } = parsed;
  const route = positionals.length === 1 ? ROUTES[positionals[0] as string] : undefined;
  if (!route || values.help || values.config !== undefined) return undefined;
  const query = new URLSearchParams();
  for (const key of ['since', 'until', 'tool', 'mode'] as const) {
    const value = values[key];
    if (value !== undefined) query.set(key, value);
  }
  const answer = await askRunningServer(io, route, query, values.timezone, wait);
  if (typeof answer !== 'object') return answer;
  if (values.json) {
    io.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
  } else {
    const { formatReportTable } = await import('@nexus/usage');
    const color = (io.stdout as { isTTY?: boolean }).isTTY === true && !io.env.NO_COLOR;
    io.stdout.write(formatReportTable(answer.body as Parameters<typeof formatReportTable>[0], { color }));
  }
  return 0;
}

import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { StatePaths } from '../state-dir.js';
import { getLocalJson } from './local-json.js';
import {
  isProcessAlive,
  logRootsKey,
  type PidRecord,
  removePidRecord,
  runningDaemon,
  writePidRecord,
} from './pid-file.js';
import { displayUrl, type ServerFlags, serverFlagsToArgv } from './server-flags.js';

/**
 * V8 flags of the server process, for a machine with `cores` CPUs.
 *
 * A young generation of 2 MB semi-spaces (Node's default is 16 MB) makes each scavenge short and lets
 * less garbage reach the old generation: at 1,000 lines/s, one full mark-compact in 10 s and peak RSS
 * 110 MB, against 134 MB with the old generation started at 128 MB, at the same p99.
 *
 * On two cores or fewer, no concurrent marking: V8's marking thread took one of the two cores for
 * 50–90 ms per mark-compact while the agents (and the benchmark's writer) wanted it, and the server's
 * own thread waited; at 5,000 lines/s p99 went from 8.7–14.7 ms to 6.4–11.1 ms and the worst line from
 * 32–49 ms to 19–33 ms, marking done in increments on the server's thread instead.
 * (`pnpm --filter @nexus/server bench`, docs/PERFORMANCE.md)
 */
export function serverNodeFlags(cores: number = availableParallelism()): readonly string[] {
  return cores <= 2 ? ['--max-semi-space-size=2', '--no-concurrent-marking'] : ['--max-semi-space-size=2'];
}

/** {@link serverNodeFlags} for this machine: what `nexus start` gives the server process. */
export const SERVER_NODE_FLAGS: readonly string[] = serverNodeFlags();

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

const MAIN_SCRIPT = fileURLToPath(new URL('./main.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Last `lines` lines of a text file ('' when it does not exist). */
export function tailFile(path: string, lines: number): string {
  try {
    const size = statSync(path).size;
    const fd = openSync(path, 'r');
    try {
      const length = Math.min(size, 256 * 1024);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      const text = buffer.toString('utf8');
      const all = text.split('\n');
      if (all.at(-1) === '') all.pop();
      return all.slice(-lines).join('\n');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

export interface HealthProbe {
  readonly ok: boolean;
  readonly body?: {
    version?: string;
    uptimeMs?: number;
    backfill?: {
      status: string;
      scannedFiles: number;
      totalFiles: number;
      scannedBytes?: number;
      totalBytes?: number;
    };
  };
  readonly error?: string;
}

export async function probeHealth(
  record: Pick<PidRecord, 'host' | 'port'>,
  token: string | undefined,
): Promise<HealthProbe> {
  const answer = await getLocalJson(`${displayUrl(record.host, record.port)}/api/health`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    timeoutMs: 2000,
  });
  if ('error' in answer) return { ok: false, error: answer.error };
  if (answer.status < 200 || answer.status > 299) return { ok: false, error: `HTTP ${answer.status}` };
  return { ok: true, body: answer.body as HealthProbe['body'] };
}

/** `nexus start`: launch the server in the background and wait until it answers. */
export async function startDaemon(
  flags: ServerFlags,
  paths: StatePaths,
  io: CliIo,
  mode: PidRecord['mode'] = 'prod',
): Promise<number> {
  const running = runningDaemon(paths.pidFile);
  if (running) {
    io.stderr.write(
      `[nexus] Nexus is already running (pid ${running.pid}) at ${running.url}. Use \`nexus stop\` or \`nexus restart\`.\n`,
    );
    return 1;
  }
  const logOffset = safeSize(paths.serverLog);
  const logFd = openSync(paths.serverLog, 'a');
  // The token travels in the environment, not argv, so `ps` does not show it.
  const child = spawn(
    process.execPath,
    [...SERVER_NODE_FLAGS, MAIN_SCRIPT, 'serve', ...serverFlagsToArgv(flags)],
    {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...io.env, NEXUS_TOKEN: flags.token ?? '', NEXUS_STATE_DIR: paths.dir },
    },
  );
  closeSync(logFd);
  let exitCode: number | null = null;
  child.on('exit', (code) => {
    exitCode = code ?? 1;
  });
  child.unref();
  const url = displayUrl(flags.host, flags.port);
  const record: PidRecord = {
    pid: child.pid ?? 0,
    host: flags.host,
    port: flags.port,
    url,
    startedAt: new Date().toISOString(),
    mode,
    logRoots: logRootsKey(io.env),
  };
  writePidRecord(paths.pidFile, record);

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exitCode !== null) {
      removePidRecord(paths.pidFile);
      io.stderr.write(
        `[nexus] the server exited during start-up (code ${exitCode}):\n${newLogText(paths.serverLog, logOffset)}\n`,
      );
      return 1;
    }
    const health = await probeHealth(record, flags.token);
    if (health.ok) {
      io.stdout.write(`Nexus is running (pid ${record.pid}) at ${url}\n`);
      if (flags.token)
        io.stdout.write(
          `Open this URL once to sign this browser in: ${url}/?token=${encodeURIComponent(flags.token)}\n`,
        );
      io.stdout.write(`Logs: ${paths.serverLog}\n`);
      return 0;
    }
    await sleep(150);
  }
  io.stderr.write(
    `[nexus] the server did not answer within ${START_TIMEOUT_MS / 1000} s; see ${paths.serverLog}\n`,
  );
  return 1;
}

function safeSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function newLogText(path: string, from: number): string {
  try {
    const text = readFileSync(path, 'utf8').slice(from);
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        try {
          return (JSON.parse(line) as { msg?: string }).msg ?? line;
        } catch {
          return line;
        }
      })
      .join('\n');
  } catch {
    return '';
  }
}

/** Stop a process by pid: SIGTERM, then SIGKILL after the timeout. */
export async function stopProcess(pid: number): Promise<'stopped' | 'killed'> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'stopped';
  }
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return 'stopped';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
  return 'killed';
}

/** `nexus stop` */
export async function stopDaemon(paths: StatePaths, io: CliIo): Promise<number> {
  const running = runningDaemon(paths.pidFile);
  if (!running) {
    io.stdout.write('Nexus is not running (stopped).\n');
    return 0;
  }
  const how = await stopProcess(running.pid);
  removePidRecord(paths.pidFile);
  io.stdout.write(`Nexus stopped (pid ${running.pid}${how === 'killed' ? ', killed after timeout' : ''}).\n`);
  return 0;
}

function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

/** `nexus status`: exit 0 when running and healthy, 3 when stopped (LSB convention), 1 when unhealthy. */
export async function statusDaemon(paths: StatePaths, io: CliIo): Promise<number> {
  const running = runningDaemon(paths.pidFile);
  if (!running) {
    io.stdout.write(`Nexus is stopped (not running).\nState directory: ${paths.dir}\n`);
    return 3;
  }
  const health = await probeHealth(running, io.env.NEXUS_TOKEN || undefined);
  const lines = [
    `Nexus is running (${running.mode})`,
    `  pid:     ${running.pid}`,
    `  url:     ${running.url}`,
    `  uptime:  ${health.body?.uptimeMs !== undefined ? formatDuration(health.body.uptimeMs) : formatDuration(Date.now() - Date.parse(running.startedAt))}`,
    `  health:  ${health.ok ? 'ok' : `not answering (${health.error})`}`,
  ];
  const backfill = health.body?.backfill;
  if (backfill)
    lines.push(`  backfill: ${backfill.status} (${backfill.scannedFiles}/${backfill.totalFiles} files)`);
  lines.push(`  logs:    ${paths.serverLog}`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return health.ok ? 0 : 1;
}

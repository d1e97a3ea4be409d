import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/** What `nexus start` records about the daemon it launched. */
export interface PidRecord {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly startedAt: string;
  readonly mode: 'prod' | 'dev';
  /** {@link logRootsKey} of the environment the server was started with. */
  readonly logRoots?: string;
}

/**
 * What decides which logs a process reads: the home folder, the agents' folder variables and the
 * plugin config. A command may use the running server's ledger only if it would read the same logs.
 */
export function logRootsKey(env: Readonly<Record<string, string | undefined>>): string {
  return JSON.stringify(
    ['HOME', 'CLAUDE_CONFIG_DIR', 'CODEX_HOME', 'OPENCLAW_STATE_DIR', 'NEXUS_CONFIG'].map(
      (name) => env[name] ?? '',
    ),
  );
}

export function readPidRecord(path: string): PidRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as PidRecord;
    return Number.isInteger(record.pid) ? record : undefined;
  } catch {
    return undefined;
  }
}

export function writePidRecord(path: string, record: PidRecord): void {
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

export function removePidRecord(path: string): void {
  rmSync(path, { force: true });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running daemon's record, or `undefined` (a stale pid file is removed). */
export function runningDaemon(path: string): PidRecord | undefined {
  const record = readPidRecord(path);
  if (!record) return undefined;
  if (isProcessAlive(record.pid)) return record;
  removePidRecord(path);
  return undefined;
}

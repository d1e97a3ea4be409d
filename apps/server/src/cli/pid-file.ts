import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/** What `nexus start` records about the daemon it launched. */
export interface PidRecord {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly startedAt: string;
  readonly mode: 'prod' | 'dev';
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

import { readFile, stat } from 'node:fs/promises';
import type { LogFileRef, NexusAdapter } from '@nexus/parsers';

/** A log file and when it last changed. */
export interface LiveCandidate {
  readonly file: LogFileRef;
  readonly mtimeMs: number;
}

export interface LivenessSignals {
  readonly now: number;
  /** Log files an agent process holds open (lsof). */
  readonly openFiles: ReadonlySet<string>;
  /** Lock files (by their path) whose owner is running and which are not stale. */
  readonly heldLocks: ReadonlySet<string>;
}

/**
 * Which of an adapter's files are live sessions (DESIGN §4): held open by an agent process, or locked by a
 * running agent, or modified within the adapter's recent window — the newest `maxPerGroup` per group and
 * `maxTotal` in all. Archives are history, never live.
 */
export function decideLiveFiles(
  adapter: NexusAdapter,
  candidates: readonly LiveCandidate[],
  signals: LivenessSignals,
): Set<string> {
  const rules = adapter.liveness;
  const live = new Set<string>();
  const recent: LiveCandidate[] = [];
  for (const candidate of candidates) {
    const { file } = candidate;
    if (file.kind === 'archive') continue;
    const lock = rules.lockFileFor?.(file.path);
    if (signals.openFiles.has(file.path) || (lock && signals.heldLocks.has(lock))) live.add(file.path);
    else if (signals.now - candidate.mtimeMs <= rules.recentWindowMs) recent.push(candidate);
  }
  recent.sort((a, b) => b.mtimeMs - a.mtimeMs);
  const perGroup = new Map<string, number>();
  let total = 0;
  for (const { file } of recent) {
    if (rules.maxTotal !== undefined && total >= rules.maxTotal) break;
    const inGroup = perGroup.get(file.group) ?? 0;
    if (rules.maxPerGroup !== undefined && inGroup >= rules.maxPerGroup) continue;
    perGroup.set(file.group, inGroup + 1);
    total++;
    live.add(file.path);
  }
  return live;
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Is this OpenClaw-style lock held? `{ pid, createdAt }` naming a running process, younger than `staleMs`.
 * An unreadable lock counts by its mtime, as OpenClaw itself does.
 */
export async function isLockHeld(
  lockPath: string,
  now: number,
  staleMs: number,
  pidAlive: (pid: number) => boolean = isPidAlive,
): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch {
    return false;
  }
  try {
    const lock = JSON.parse(text) as { pid?: unknown; createdAt?: unknown };
    const created = typeof lock.createdAt === 'string' ? Date.parse(lock.createdAt) : Number.NaN;
    if (typeof lock.pid !== 'number' || !Number.isInteger(lock.pid) || !pidAlive(lock.pid)) return false;
    return Number.isNaN(created) || now - created < staleMs;
  } catch {
    try {
      return now - (await stat(lockPath)).mtimeMs < staleMs;
    } catch {
      return false;
    }
  }
}

import { join } from 'node:path';
import type { LimitsSnapshot } from '@nexus/protocol';
import Database from 'better-sqlite3';
import {
  limitFiles,
  parseStatuslineRateLimits,
  readJsonFile,
  readSnapshotFile,
  readStatuslineFile,
  writeJsonFile,
} from './limit-files.js';
import type { LimitReading } from './readings.js';

// This module stays light on purpose: Claude Code runs the statusline after every message and waits
// for it, so it loads better-sqlite3 and nothing of Fastify, the parsers or the usage package (whose
// import alone takes longer than the whole line). It reads two tables of the ledger directly:
// `session_totals` and the quarter-hour `rollup` (ledger schema 4).

export const STATUSLINE_HELP = `Usage: nexus statusline

A Claude Code statusline: reads the statusline JSON Claude Code writes on stdin and prints one line:
model, this session's cost, today's cost (every agent), the 5-hour window's use and reset, and the
active 5-hour block's burn rate. When the input carries rate_limits (Claude Code 2.1.80+) they are
recorded for the dashboard.

Install it in ~/.claude/settings.json:
  "statusLine": { "type": "command", "command": "node /path/to/nexus/apps/server/dist/cli/main.js statusline" }

Costs come from the ledger the running Nexus server keeps current (NEXUS_STATE_DIR, else ~/.nexus).
NO_COLOR=1 prints without colours.`;

/** Re-record unchanged windows at most this often, so `asOf` says the statusline is still alive. */
const RECORD_EVERY_MS = 30_000;
const FIVE_HOURS_MS = 5 * 3_600_000;

export interface StatuslineContext {
  readonly stateDir: string;
  readonly now: number;
  readonly color: boolean;
}

type Json = Record<string, unknown>;
const asRecord = (value: unknown): Json | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;

function usd(value: number): string {
  return `$${value >= 1000 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2)}`;
}

function countdown(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes >= 1440) return `${Math.floor(minutes / 1440)}d${Math.floor((minutes % 1440) / 60)}h`;
  if (minutes >= 60) return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${minutes}m`;
}

function paint(text: string, percent: number, color: boolean): string {
  if (!color) return text;
  const code = percent >= 90 ? 31 : percent >= 75 ? 33 : 32;
  return `\x1b[${code}m${text}\x1b[0m`;
}

interface LedgerFigures {
  readonly sessionCostUsd: number | undefined;
  readonly todayCostUsd: number | undefined;
}

/** This session's and today's cost from the ledger, read-only; `undefined` where it cannot tell. */
function ledgerFigures(stateDir: string, sessionId: string | undefined, now: number): LedgerFigures {
  let db: Database.Database | undefined;
  try {
    db = new Database(join(stateDir, 'usage.sqlite'), { readonly: true, fileMustExist: true });
    // The ledger's per-session totals (schema 4), so a long session costs one row read. A ledger
    // not yet upgraded by the server has no such table: the line goes on without this figure.
    let session: number | undefined;
    let sessionKnown = sessionId !== undefined;
    try {
      if (sessionId !== undefined) {
        session = db
          .prepare("SELECT cost_auto FROM session_totals WHERE tool = 'claude-code' AND session_id = ?")
          .pluck()
          .get(`claude-code:${sessionId}`) as number | undefined;
      }
    } catch {
      sessionKnown = false;
    }
    const day = new Date(now);
    const start = new Date(day.getFullYear(), day.getMonth(), day.getDate()).getTime();
    const end = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1).getTime();
    // The quarter-hour rollup: today's calls without touching each of them.
    const today = db
      .prepare('SELECT SUM(cost_auto) FROM rollup WHERE bucket >= ? AND bucket < ?')
      .pluck()
      .get(Math.floor(start / 900_000), Math.floor(end / 900_000)) as number | null;
    return {
      sessionCostUsd: sessionKnown ? Math.max(0, session ?? 0) : undefined,
      todayCostUsd: Math.max(0, today ?? 0),
    };
  } catch {
    return { sessionCostUsd: undefined, todayCostUsd: undefined };
  } finally {
    db?.close();
  }
}

/** Save the input's windows for the dashboard when they changed (or are due a fresh `asOf`). */
function record(file: string, readings: LimitReading[], sessionId: string | undefined, now: number): void {
  if (readings.length === 0) return;
  const saved = readJsonFile(file) as { asOf?: string; windows?: LimitReading[] } | undefined;
  const same =
    saved?.windows !== undefined &&
    JSON.stringify(saved.windows.map(({ asOf: _a, ...rest }) => rest)) ===
      JSON.stringify(readings.map(({ asOf: _a, ...rest }) => rest));
  const fresh = saved?.asOf !== undefined && now - Date.parse(saved.asOf) < RECORD_EVERY_MS;
  if (same && fresh) return;
  try {
    writeJsonFile(file, {
      asOf: new Date(now).toISOString(),
      ...(sessionId ? { sessionId } : {}),
      windows: readings,
    });
  } catch {
    // A read-only state directory costs the dashboard this source, never the statusline its line.
  }
}

function newest(readings: readonly LimitReading[], window: string): LimitReading | undefined {
  let best: LimitReading | undefined;
  for (const r of readings) {
    if (r.tool !== 'claude-code' || r.window !== window) continue;
    if (!best || Date.parse(r.asOf) > Date.parse(best.asOf)) best = r;
  }
  return best;
}

/** The server's active block, if it is still active at `now` (the server may have stopped since). */
function liveBlock(snapshot: LimitsSnapshot | undefined, now: number) {
  const block = snapshot?.activeBlock;
  if (!block?.actualEndTime) return undefined;
  const stillActive =
    now < Date.parse(block.endTime) && now - Date.parse(block.actualEndTime) < FIVE_HOURS_MS;
  return stillActive ? block : undefined;
}

/**
 * The statusline for one input (Claude Code's statusline JSON as text). Never throws: bad input
 * gives a line that says so.
 */
export function statuslineLine(text: string, ctx: StatuslineContext): string {
  let input: Json | undefined;
  try {
    input = asRecord(JSON.parse(text));
  } catch {
    input = undefined;
  }
  if (!input) return 'Nexus: no statusline input (NEXUS_STATUSLINE_BAD_INPUT)';
  const files = limitFiles(ctx.stateDir);
  const sessionId = typeof input.session_id === 'string' && input.session_id ? input.session_id : undefined;
  const asOf = new Date(ctx.now).toISOString();
  const fromInput = parseStatuslineRateLimits(input.rate_limits, asOf);
  record(files.statusline, fromInput, sessionId, ctx.now);

  const model = asRecord(input.model);
  const modelName =
    (typeof model?.display_name === 'string' && model.display_name) ||
    (typeof model?.id === 'string' && model.id) ||
    'Claude';
  const parts = [modelName];

  const figures = ledgerFigures(ctx.stateDir, sessionId, ctx.now);
  // Before the server has read this session, Claude Code's own figure is better than $0.00.
  const ownCost = asRecord(input.cost)?.total_cost_usd;
  let sessionCost = figures.sessionCostUsd;
  if (!sessionCost && typeof ownCost === 'number' && Number.isFinite(ownCost) && ownCost >= 0)
    sessionCost = ownCost;
  if (sessionCost !== undefined) parts.push(`session ${usd(sessionCost)}`);
  if (figures.todayCostUsd !== undefined) parts.push(`today ${usd(figures.todayCostUsd)}`);

  const snapshot = readSnapshotFile(files.snapshot);
  const five =
    newest(fromInput, 'five_hour') ??
    newest(
      [
        ...(snapshot?.windows ?? []),
        ...readStatuslineFile(files.statusline),
        ...((
          (readJsonFile(files.claudeOAuth) as { windows?: LimitReading[] } | undefined)?.windows ?? []
        ).filter((w) => typeof w?.usedPercent === 'number' && typeof w.asOf === 'string') as LimitReading[]),
      ],
      'five_hour',
    );
  if (five) {
    const resetsAt = five.resetsAt === null ? Number.NaN : Date.parse(five.resetsAt);
    const reset = resetsAt > ctx.now ? ` ↻${countdown(resetsAt - ctx.now)}` : '';
    parts.push(`5h ${paint(`${Math.round(five.usedPercent)}%`, five.usedPercent, ctx.color)}${reset}`);
  }
  const block = liveBlock(snapshot, ctx.now);
  if (block?.burnRate) parts.push(`burn ${usd(block.burnRate.costPerHour)}/h`);
  return parts.join(' · ');
}

/** Read stdin to its end; give up after `timeoutMs` so a statusline never hangs its host. */
export function readAll(
  stream: NodeJS.ReadableStream & { isTTY?: boolean },
  timeoutMs = 1000,
): Promise<string> {
  if (stream.isTTY) return Promise.resolve('');
  return new Promise((resolveText) => {
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      resolveText(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(done, timeoutMs);
    stream.on('data', (chunk: Buffer | string) =>
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk),
    );
    stream.once('end', done);
    stream.once('error', done);
  });
}

export interface StatuslineIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly stateDir: string;
  readonly now?: () => number;
}

/** `nexus statusline`: one line on stdout for Claude Code; exit code 0 whatever the input. */
export async function runStatusline(argv: string[], io: StatuslineIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(`${STATUSLINE_HELP}\n`);
    return 0;
  }
  const text = await readAll(io.stdin);
  const line = statuslineLine(text, {
    stateDir: io.stateDir,
    now: (io.now ?? Date.now)(),
    color: !io.env.NO_COLOR,
  });
  io.stdout.write(`${line}\n`);
  return 0;
}

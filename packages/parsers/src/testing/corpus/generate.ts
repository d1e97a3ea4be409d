import { writeFileSync } from 'node:fs';
import { writeClaudeSession } from './claude-code-writer.js';
import { writeCodexRollout } from './codex-writer.js';
import type { WriterContext } from './context.js';
import { writeOpenClawIndexes, writeOpenClawSession } from './openclaw-writer.js';
import { SeededRandom } from './random.js';
import { CorpusSink } from './sink.js';
import { type CorpusTruth, type KnownCcusageDifference, TruthTable } from './truth.js';

export interface CorpusOptions {
  /** Same seed, same bytes. */
  readonly seed: number;
  /** Approximate size of the corpus; the generator stops after the session that crosses it. */
  readonly targetBytes: number;
  /** First day of activity (UTC midnight). Default 2026-09-01. */
  readonly startDate?: string;
  /** Days over which sessions start. Default 30. */
  readonly days?: number;
  /** Share of the bytes per tool. Default 0.6 Claude Code, 0.25 Codex, 0.15 OpenClaw. */
  readonly shares?: Partial<Record<'claude-code' | 'codex' | 'openclaw', number>>;
}

const DESCRIPTIONS: Record<KnownCcusageDifference['name'], string> = {
  'streamed-lines-without-request-id':
    'ccusage counts every streamed line of a response that has no requestId; the provider bills the response once (its largest usage).',
  'spaced-usage-json':
    'ccusage skips assistant lines whose usage is written as `"usage": {` (a space after the colon).',
  'subagent-progress-copies':
    "ccusage counts the copies of a subagent's messages embedded in the parent's agent_progress lines and prefers them to the subagent's own sidechain lines; a copy taken mid-stream carries a partial output count.",
  'codex-resume-totals-only':
    "ccusage diffs a totals-only token_count written right after a Codex resume (a new session_meta: the new process's totals start from zero) against the last process's totals, field by field and never below zero; the provider billed the new totals whole.",
};

/**
 * Writes a seeded, realistic home folder — `.claude/projects` (and `.config/claude`), `.codex/sessions`
 * and `archived_sessions`, `.openclaw/agents` — and returns (and writes to `<home>.truth.json`) the exact
 * token sums per UTC day, tool and model that Nexus must report, with ccusage's known differences.
 */
export function generateCorpus(home: string, options: CorpusOptions): CorpusTruth {
  const random = new SeededRandom(options.seed);
  const sink = new CorpusSink(home);
  const truth = new TruthTable();
  const hourly = new TruthTable((timestamp) => timestamp.slice(0, 13));
  const differences = new Map<KnownCcusageDifference['name'], TruthTable>();
  const chances = new Map<string, { seen: boolean; chances: number }>();
  const ctx: WriterContext = {
    random,
    rare: (shape, probability, guaranteedBy = 8) => {
      const record = chances.get(shape) ?? { seen: false, chances: 0 };
      chances.set(shape, record);
      record.chances++;
      const happens = random.chance(probability) || (!record.seen && record.chances >= guaranteedBy);
      if (happens) record.seen = true;
      return happens;
    },
    sink,
    truth: {
      add: (call, sign) => {
        truth.add(call, sign);
        hourly.add(call, sign);
      },
    },
    difference: (name) => {
      let table = differences.get(name);
      if (!table) {
        table = new TruthTable();
        differences.set(name, table);
      }
      return table;
    },
  };
  const start = Date.parse(`${options.startDate ?? '2026-09-01'}T00:00:00.000Z`);
  const span = (options.days ?? 30) * 86_400_000;
  const shares = { 'claude-code': 0.6, codex: 0.25, openclaw: 0.15, ...options.shares };
  const openClawIndex = new Map<string, Record<string, unknown>>();
  const written = { 'claude-code': 0, codex: 0, openclaw: 0 };
  let resumable: readonly string[] | undefined;
  for (;;) {
    const pending = (Object.keys(written) as (keyof typeof written)[]).filter(
      (tool) => written[tool] < shares[tool] * options.targetBytes,
    );
    if (pending.length === 0) break;
    // The tool furthest behind its share writes next, so the mix holds at any size.
    const tool = pending.reduce((a, b) => (written[a] / shares[a] <= written[b] / shares[b] ? a : b));
    const startMs = start + Math.floor(random.next() * span);
    const before = sink.bytes;
    if (tool === 'claude-code') {
      // Now and then a resumed session opens by copying the last responses of an earlier one.
      const copied = writeClaudeSession(
        ctx,
        startMs,
        resumable && random.chance(0.05) ? resumable : undefined,
      );
      resumable = copied;
    } else if (tool === 'codex') {
      writeCodexRollout(ctx, startMs);
    } else {
      writeOpenClawSession(ctx, startMs, openClawIndex);
    }
    written[tool] += sink.bytes - before;
  }
  writeOpenClawIndexes(ctx, openClawIndex);
  const result: CorpusTruth = {
    seed: options.seed,
    bytes: sink.bytes,
    files: sink.files,
    rows: truth.rows().filter((row) => row.totalTokens !== 0),
    hourlyRows: hourly.rows().filter((row) => row.totalTokens !== 0),
    ccusageDifferences: [...differences].map(([name, table]) => ({
      name,
      description: DESCRIPTIONS[name],
      rows: table.rows(),
    })),
  };
  writeFileSync(`${home.replace(/[\\/]+$/, '')}.truth.json`, `${JSON.stringify(result, null, 1)}\n`);
  return result;
}

/** Exact token sums of one UTC day, tool and model. */
export interface CorpusTruthRow {
  readonly date: string;
  readonly tool: string;
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheCreationTokens: number;
  readonly cacheReadTokens: number;
  readonly reasoningOutputTokens: number;
  readonly totalTokens: number;
}

/**
 * A place where ccusage 20.0.24 reports something other than what the provider bills. `rows` are signed:
 * ccusage's figure = the billing truth + these rows.
 */
export interface KnownCcusageDifference {
  readonly name:
    | 'streamed-lines-without-request-id'
    | 'spaced-usage-json'
    | 'subagent-progress-copies'
    | 'codex-resume-totals-only';
  readonly description: string;
  readonly rows: CorpusTruthRow[];
}

export interface CorpusTruth {
  readonly seed: number;
  /** Bytes written under the home folder. */
  readonly bytes: number;
  readonly files: number;
  /** What Nexus must report (DESIGN §3): one row per UTC day, tool and model, sorted. */
  readonly rows: CorpusTruthRow[];
  /**
   * The same sums per UTC hour (`date` is `YYYY-MM-DDTHH`), to regroup by the calendar days of any time
   * zone whose offset is a whole number of hours.
   */
  readonly hourlyRows: CorpusTruthRow[];
  /** Where ccusage differs, and by how much; `rows` plus all of these is what ccusage reports. */
  readonly ccusageDifferences: KnownCcusageDifference[];
}

/** The tokens of one billed call (or of one line, for a difference), dated by the line that counts. */
export interface BilledCall {
  readonly tool: string;
  readonly model: string;
  /** ISO time of the line that carried the call's largest usage. */
  readonly timestamp: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheCreationTokens: number;
  readonly cacheReadTokens: number;
  readonly reasoningOutputTokens: number;
}

type MutableRow = { -readonly [K in keyof CorpusTruthRow]: CorpusTruthRow[K] };

/** Sums billed calls per UTC day, tool and model. */
export class TruthTable {
  readonly #rows = new Map<string, MutableRow>();
  readonly #bucket: (timestamp: string) => string;

  /** `bucket` names the period of a timestamp; default the UTC day. */
  constructor(bucket: (timestamp: string) => string = (timestamp) => timestamp.slice(0, 10)) {
    this.#bucket = bucket;
  }

  /** `sign` -1 subtracts (a call ccusage misses). */
  add(call: BilledCall, sign: 1 | -1 = 1): void {
    const date = this.#bucket(call.timestamp);
    const key = `${date}\u0000${call.tool}\u0000${call.model}`;
    let row = this.#rows.get(key);
    if (!row) {
      row = {
        date,
        tool: call.tool,
        model: call.model,
        inputTokens: 0,
        outputTokens: 0,
        cacheCreationTokens: 0,
        cacheReadTokens: 0,
        reasoningOutputTokens: 0,
        totalTokens: 0,
      };
      this.#rows.set(key, row);
    }
    row.inputTokens += sign * call.inputTokens;
    row.outputTokens += sign * call.outputTokens;
    row.cacheCreationTokens += sign * call.cacheCreationTokens;
    row.cacheReadTokens += sign * call.cacheReadTokens;
    row.reasoningOutputTokens += sign * call.reasoningOutputTokens;
    row.totalTokens +=
      sign * (call.inputTokens + call.outputTokens + call.cacheCreationTokens + call.cacheReadTokens);
  }

  get size(): number {
    return this.#rows.size;
  }

  rows(): CorpusTruthRow[] {
    return [...this.#rows.values()].sort(compareRows);
  }
}

export function compareRows(a: CorpusTruthRow, b: CorpusTruthRow): number {
  return a.date.localeCompare(b.date) || a.tool.localeCompare(b.tool) || a.model.localeCompare(b.model);
}

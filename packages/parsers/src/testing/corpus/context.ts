import type { SeededRandom } from './random.js';
import type { CorpusSink } from './sink.js';
import type { BilledCall, KnownCcusageDifference, TruthTable } from './truth.js';

/** What every tool's writer shares: randomness, output, and the two ledgers it keeps. */
export interface WriterContext {
  readonly random: SeededRandom;
  readonly sink: CorpusSink;
  /** What the provider bills. */
  readonly truth: TruthTable;
  /** Signed corrections that turn the billing truth into what ccusage reports. */
  readonly difference: (name: KnownCcusageDifference['name']) => TruthTable;
}

export type { BilledCall };

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

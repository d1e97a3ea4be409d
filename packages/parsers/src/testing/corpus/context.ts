import type { SeededRandom } from './random.js';
import type { CorpusSink } from './sink.js';
import type { BilledCall, KnownCcusageDifference, TruthTable } from './truth.js';

/** What every tool's writer shares: randomness, output, and the two ledgers it keeps. */
export interface WriterContext {
  readonly random: SeededRandom;
  readonly sink: CorpusSink;
  /** What the provider bills. */
  readonly truth: Pick<TruthTable, 'add'>;
  /** Signed corrections that turn the billing truth into what ccusage reports. */
  readonly difference: (name: KnownCcusageDifference['name']) => TruthTable;
  /**
   * A rare shape: true with `probability`, and also at the `guaranteedBy`-th chance (default the 8th) if it
   * has not happened yet, so even a small corpus holds every shape at least once.
   */
  readonly rare: (shape: string, probability: number, guaranteedBy?: number) => boolean;
}

export type { BilledCall };

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

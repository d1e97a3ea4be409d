import type { ModelPrice, PricingTable } from './pricing.js';

/** Token counts of one deduplicated model call, in the normalized meaning of DESIGN §3. */
export interface CallTokens {
  /** Uncached input. */
  readonly inputTokens: number;
  /** Output including reasoning. */
  readonly outputTokens: number;
  /** All cache writes, 5-minute and 1-hour. */
  readonly cacheCreationTokens: number;
  /** The 1-hour part of `cacheCreationTokens`. */
  readonly cacheCreation1hTokens: number;
  readonly cacheReadTokens: number;
}

/** How a report picks a call's cost. */
export type CostMode = 'auto' | 'calculate' | 'display';

/** The cost modes, for validation. */
export const COST_MODES: readonly CostMode[] = ['auto', 'calculate', 'display'];

/** Token count above which LiteLLM's `*_above_200k_tokens` prices apply, per class. */
export const TIER_THRESHOLD = 200_000;

/** Anthropic bills 1-hour cache writes at twice the base input price. */
export const CACHE_1H_INPUT_MULTIPLIER = 2;

function tiered(tokens: number, base: number, above: number | undefined): number {
  if (tokens <= 0) return 0;
  if (tokens <= TIER_THRESHOLD || above === undefined) return tokens * base;
  return TIER_THRESHOLD * base + (tokens - TIER_THRESHOLD) * above;
}

/**
 * USD cost of one call at the given prices (ccusage's rules, formats doc §5): each token class
 * tiered independently at 200k; 1-hour cache writes at 2× input; cache reads at the cache-read
 * price, else the input price (Codex models often list none); cache writes at 0 when unpriced;
 * the sum times `provider_specific_entry.fast` for `speed: "fast"`.
 */
export function costOfCall(tokens: CallTokens, price: ModelPrice, speed?: string | null): number {
  const cache1h = Math.max(0, Math.min(tokens.cacheCreation1hTokens, tokens.cacheCreationTokens));
  const cache5m = Math.max(0, tokens.cacheCreationTokens - cache1h);
  const readPrice = price.cacheRead ?? price.input;
  const readAbove = price.cacheRead !== undefined ? price.cacheReadAbove200k : price.inputAbove200k;
  let cost =
    tiered(tokens.inputTokens, price.input, price.inputAbove200k) +
    tiered(tokens.outputTokens, price.output, price.outputAbove200k) +
    (price.cacheCreation === undefined
      ? 0
      : tiered(cache5m, price.cacheCreation, price.cacheCreationAbove200k)) +
    tiered(
      cache1h,
      CACHE_1H_INPUT_MULTIPLIER * price.input,
      price.inputAbove200k === undefined ? undefined : CACHE_1H_INPUT_MULTIPLIER * price.inputAbove200k,
    ) +
    tiered(tokens.cacheReadTokens, readPrice, readAbove);
  if (speed === 'fast' && price.fastMultiplier !== undefined) cost *= price.fastMultiplier;
  return cost;
}

/** Computed cost of a call with a model string, or `{ priced: false, costUsd: 0 }` for an unknown model. */
export function computeCost(
  pricing: PricingTable,
  model: string,
  tokens: CallTokens,
  speed?: string | null,
): { costUsd: number; priced: boolean; pricingKey?: string } {
  const match = pricing.lookup(model);
  if (!match) return { costUsd: 0, priced: false };
  return { costUsd: costOfCall(tokens, match.price, speed), priced: true, pricingKey: match.key };
}

/** Pick the cost a report shows for one call under a mode (ccusage's `--mode`). */
export function selectCost(
  mode: CostMode,
  logCostUsd: number | null | undefined,
  computedUsd: number,
): number {
  switch (mode) {
    case 'display':
      return logCostUsd ?? 0;
    case 'calculate':
      return computedUsd;
    default:
      return logCostUsd ?? computedUsd;
  }
}

/**
 * A sum of costs to the nano-dollar. Sums kept in floating point differ in their last bits with the
 * order calls were ingested in (one commit or several, one worker or two); reports must not.
 */
export function roundUsd(value: number): number {
  // `+ 0` turns the -0 of a sum that cancelled out into 0.
  return Math.round(value * 1e9) / 1e9 + 0;
}

import { describe, expect, it } from 'vitest';
import { computeCost, costOfCall, selectCost } from './cost.js';
import { bundledPricing, PricingTable } from './pricing.js';

const zero = {
  inputTokens: 0,
  outputTokens: 0,
  cacheCreationTokens: 0,
  cacheCreation1hTokens: 0,
  cacheReadTokens: 0,
};

describe('bundled snapshot', () => {
  it('ships LiteLLM prices with their source commit', () => {
    const table = bundledPricing();
    expect(table.info.source).toBe('snapshot');
    expect(table.info.commit).toBe('00035b69f416be24e2e323c13198d9b7d2d1bdf9');
    expect(table.modelCount).toBeGreaterThan(100);
    expect(table.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('model matching', () => {
  const table = bundledPricing();
  it.each([
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5-20250929'],
    ['claude-sonnet-4-5', 'claude-sonnet-4-5'],
    ['anthropic/claude-sonnet-4-5', 'claude-sonnet-4-5'],
    ['claude-sonnet-4-5-20991231', 'claude-sonnet-4-5'],
    ['claude-sonnet-4-5@20250929', 'claude-sonnet-4-5'],
    ['anthropic.claude-opus-4-1-20250805-v1:0', 'claude-opus-4-1'],
    ['claude-sonnet-4', 'claude-sonnet-4-20250514'],
    ['openrouter/anthropic/claude-sonnet-4.5', 'openrouter/anthropic/claude-sonnet-4.5'],
    ['claude-haiku-4.5', 'claude-haiku-4-5'],
    ['openai/gpt-5', 'gpt-5'],
    ['GPT-5-Codex', 'gpt-5-codex'],
    ['gpt-5.1-codex', 'gpt-5.1-codex'],
    ['gpt-5-2025-08-07', 'gpt-5-2025-08-07'],
  ])('%s → %s', (model, key) => {
    expect(table.lookup(model)?.key).toBe(key);
  });

  it('leaves unknown models unpriced', () => {
    expect(table.lookup('my-local-llama')).toBeUndefined();
    expect(table.lookup('')).toBeUndefined();
    expect(computeCost(table, 'my-local-llama', { ...zero, inputTokens: 1_000_000 })).toEqual({
      costUsd: 0,
      priced: false,
    });
  });
});

describe('cost rules (exact dollars)', () => {
  const table = bundledPricing();
  const sonnet = table.lookup('claude-sonnet-4-5')!.price;

  it('prices each class, 1-hour cache writes at 2x input', () => {
    const cost = costOfCall(
      {
        inputTokens: 1000,
        outputTokens: 2000,
        cacheCreationTokens: 10_000,
        cacheCreation1hTokens: 4000,
        cacheReadTokens: 50_000,
      },
      sonnet,
    );
    // 1000×3e-6 + 2000×15e-6 + 6000×3.75e-6 + 4000×6e-6 + 50000×0.3e-6
    expect(cost).toBeCloseTo(0.003 + 0.03 + 0.0225 + 0.024 + 0.015, 12);
  });

  it('tiers each class independently above 200k tokens', () => {
    expect(costOfCall({ ...zero, inputTokens: 300_000 }, sonnet)).toBeCloseTo(1.2, 12);
    expect(costOfCall({ ...zero, outputTokens: 250_000 }, sonnet)).toBeCloseTo(4.125, 12);
    expect(costOfCall({ ...zero, cacheReadTokens: 400_000 }, sonnet)).toBeCloseTo(0.06 + 0.12, 12);
    expect(costOfCall({ ...zero, cacheCreationTokens: 300_000 }, sonnet)).toBeCloseTo(0.75 + 0.75, 12);
    expect(
      costOfCall({ ...zero, cacheCreationTokens: 300_000, cacheCreation1hTokens: 300_000 }, sonnet),
    ).toBeCloseTo(1.2 + 1.2, 12);
    // At exactly 200k the base price applies.
    expect(costOfCall({ ...zero, inputTokens: 200_000 }, sonnet)).toBeCloseTo(0.6, 12);
  });

  it('does not tier a model without *_above_200k prices', () => {
    const opus = table.lookup('claude-opus-4-6')!.price;
    expect(costOfCall({ ...zero, outputTokens: 1_000_000 }, opus)).toBeCloseTo(25, 9);
  });

  it('multiplies a fast call by provider_specific_entry.fast', () => {
    const opus = table.lookup('claude-opus-4-6')!.price;
    expect(costOfCall({ ...zero, outputTokens: 1_000_000 }, opus, 'fast')).toBeCloseTo(150, 9);
    expect(costOfCall({ ...zero, outputTokens: 1_000_000 }, opus, 'standard')).toBeCloseTo(25, 9);
    // A model without a fast multiplier is not changed.
    expect(costOfCall({ ...zero, outputTokens: 100_000 }, sonnet, 'fast')).toBeCloseTo(1.5, 9);
  });

  it('prices Codex calls with uncached input and cache reads', () => {
    const r = computeCost(table, 'gpt-5-codex', {
      ...zero,
      inputTokens: 100_000,
      cacheReadTokens: 900_000,
      outputTokens: 10_000,
    });
    expect(r.priced).toBe(true);
    expect(r.costUsd).toBeCloseTo(0.125 + 0.1125 + 0.1, 12);
  });

  it('falls back to the input price for cache reads, and 0 for unpriced cache writes', () => {
    const custom = PricingTable.fromLiteLlm(
      { 'tiny-model': { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 } },
      { source: 'snapshot' },
    );
    const price = custom.lookup('tiny-model')!.price;
    expect(costOfCall({ ...zero, cacheReadTokens: 1_000_000 }, price)).toBeCloseTo(1, 12);
    expect(costOfCall({ ...zero, cacheCreationTokens: 1_000_000 }, price)).toBe(0);
  });

  it('selects cost by mode', () => {
    expect(selectCost('auto', 0.5, 0.25)).toBe(0.5);
    expect(selectCost('auto', undefined, 0.25)).toBe(0.25);
    expect(selectCost('calculate', 0.5, 0.25)).toBe(0.25);
    expect(selectCost('display', 0.5, 0.25)).toBe(0.5);
    expect(selectCost('display', null, 0.25)).toBe(0);
  });
});

describe('PricingTable parsing', () => {
  it('reads the upstream flat shape and skips sample_spec and unpriced entries', () => {
    const t = PricingTable.fromLiteLlm(
      {
        sample_spec: { input_cost_per_token: 0, output_cost_per_token: 0 },
        'a/b': { input_cost_per_token: 1e-6, output_cost_per_token: 1e-6 },
        image: { input_cost_per_image: 1 },
      },
      { source: 'network' },
    );
    expect(t.modelCount).toBe(1);
  });

  it('rejects a document with no prices', () => {
    expect(() => PricingTable.fromLiteLlm([], { source: 'network' })).toThrow(/NEXUS|pricing/);
    try {
      PricingTable.fromLiteLlm({ x: 1 }, { source: 'network' });
    } catch (err) {
      expect((err as { code: string }).code).toBe('NEXUS_USAGE_PRICING_INVALID');
      expect((err as Error).message).toMatch(/^\[nexus\] \[usage\] /);
    }
  });

  it('round-trips through the compact cache form with the same fingerprint', () => {
    const t = bundledPricing();
    const back = PricingTable.fromCompact(t.toJSON(), { source: 'cache' });
    expect(back.fingerprint).toBe(t.fingerprint);
    expect(back.modelCount).toBe(t.modelCount);
  });
});

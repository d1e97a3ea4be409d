import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { NexusUsageError } from './errors.js';

/** Per-token USD prices of one model, as LiteLLM gives them. */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
  /** 5-minute cache write price. */
  readonly cacheCreation?: number;
  readonly cacheRead?: number;
  readonly inputAbove200k?: number;
  readonly outputAbove200k?: number;
  readonly cacheCreationAbove200k?: number;
  readonly cacheReadAbove200k?: number;
  /** `provider_specific_entry.fast`: multiplier of the whole call when `speed` is `fast`. */
  readonly fastMultiplier?: number;
}

/** Where a pricing table came from. */
export type PricingSource = 'snapshot' | 'cache' | 'network';

/** Metadata that travels with a table (shown in the cost audit). */
export interface PricingInfo {
  readonly source: PricingSource;
  /** LiteLLM commit of the bundled snapshot, when known. */
  readonly commit?: string;
  /** ISO time the table was fetched from the network (cache and network sources). */
  readonly fetchedAt?: string;
  readonly url?: string;
}

/** Result of resolving a model string against the table. */
export interface PriceMatch {
  /** The LiteLLM key that matched. */
  readonly key: string;
  readonly price: ModelPrice;
}

const DATE_SUFFIX = /(?:-|@)(?:\d{8}|\d{4}-\d{2}-\d{2})$/;
const BEDROCK_VERSION = /-v\d+(?::\d+)?$/;

/** Lower-case, provider prefixes, Bedrock/Vertex decorations and a trailing date removed. */
function canonical(model: string): string {
  let name = model.trim().toLowerCase();
  const slash = name.lastIndexOf('/');
  if (slash >= 0) name = name.slice(slash + 1);
  // Bedrock spells `anthropic.claude-…-v1:0`; the part after the vendor dot is the model.
  if (name.startsWith('anthropic.')) name = name.slice('anthropic.'.length);
  name = name.replace(BEDROCK_VERSION, '');
  return name.replace(DATE_SUFFIX, '');
}

/** OpenRouter writes `claude-sonnet-4.5` where Anthropic writes `claude-sonnet-4-5`. */
function dotless(name: string): string {
  return name.replace(/(\d)\.(\d)/g, '$1-$2');
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Preference among keys with the same canonical name: a bare key beats a provider-prefixed one,
 * an undated key beats a dated one, then alphabetical order, so matching is deterministic.
 */
function better(a: string, b: string): boolean {
  const pa = a.includes('/') ? 1 : 0;
  const pb = b.includes('/') ? 1 : 0;
  if (pa !== pb) return pa < pb;
  const da = DATE_SUFFIX.test(a) ? 1 : 0;
  const db = DATE_SUFFIX.test(b) ? 1 : 0;
  if (da !== db) return da < db;
  return a < b;
}

/** Turn one LiteLLM entry into a price, or undefined when it has no token prices. */
function toModelPrice(entry: unknown): ModelPrice | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  const input = num(e.input_cost_per_token);
  const output = num(e.output_cost_per_token);
  if (input === undefined || output === undefined) return undefined;
  const price: {
    -readonly [K in keyof ModelPrice]: ModelPrice[K];
  } = { input, output };
  const opt = (field: keyof ModelPrice, key: string) => {
    const v = num(e[key]);
    if (v !== undefined) (price as Record<string, number>)[field] = v;
  };
  opt('cacheCreation', 'cache_creation_input_token_cost');
  opt('cacheRead', 'cache_read_input_token_cost');
  opt('inputAbove200k', 'input_cost_per_token_above_200k_tokens');
  opt('outputAbove200k', 'output_cost_per_token_above_200k_tokens');
  opt('cacheCreationAbove200k', 'cache_creation_input_token_cost_above_200k_tokens');
  opt('cacheReadAbove200k', 'cache_read_input_token_cost_above_200k_tokens');
  const pse = e.provider_specific_entry;
  if (typeof pse === 'object' && pse !== null) {
    const fast = num((pse as Record<string, unknown>).fast);
    if (fast !== undefined) price.fastMultiplier = fast;
  }
  return price;
}

/**
 * A LiteLLM price list with model-name matching across provider prefixes (`anthropic/`, `openai/`,
 * `openrouter/…`), Bedrock/Vertex spellings and dated variants (`claude-sonnet-4-5-20250929` ↔
 * `claude-sonnet-4-5`). Lookups are memoised: the ledger asks once per distinct model string.
 */
export class PricingTable {
  readonly info: PricingInfo;
  /** Stable hash of the prices, so the ledger can tell when stored costs need recomputing. */
  readonly fingerprint: string;
  readonly #prices: ReadonlyMap<string, ModelPrice>;
  readonly #byCanonical = new Map<string, string>();
  readonly #byDotless = new Map<string, string>();
  readonly #memo = new Map<string, PriceMatch | null>();

  private constructor(prices: Map<string, ModelPrice>, info: PricingInfo) {
    this.#prices = prices;
    this.info = info;
    const keys = [...prices.keys()].sort();
    const hash = createHash('sha256');
    for (const key of keys) hash.update(`${key}\0${JSON.stringify(prices.get(key))}\n`);
    this.fingerprint = hash.digest('hex').slice(0, 16);
    for (const key of keys) {
      const c = canonical(key);
      const prev = this.#byCanonical.get(c);
      if (prev === undefined || better(key, prev)) this.#byCanonical.set(c, key);
      const d = dotless(c);
      const prevD = this.#byDotless.get(d);
      if (prevD === undefined || better(key, prevD)) this.#byDotless.set(d, key);
    }
  }

  /**
   * Build a table from LiteLLM's JSON: either the upstream flat object
   * (`{ "gpt-5": {...}, "sample_spec": {...} }`) or the snapshot shape `{ source, commit, models }`.
   * @throws NexusUsageError `NEXUS_USAGE_PRICING_INVALID` when no entry has token prices.
   */
  static fromLiteLlm(json: unknown, info: PricingInfo): PricingTable {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new NexusUsageError('NEXUS_USAGE_PRICING_INVALID', 'pricing JSON is not an object');
    }
    const root = json as Record<string, unknown>;
    const models =
      typeof root.models === 'object' && root.models !== null && !Array.isArray(root.models)
        ? (root.models as Record<string, unknown>)
        : root;
    const prices = new Map<string, ModelPrice>();
    for (const [key, entry] of Object.entries(models)) {
      if (key === 'sample_spec') continue;
      const price = toModelPrice(entry);
      if (price) prices.set(key, price);
    }
    if (prices.size === 0) {
      throw new NexusUsageError('NEXUS_USAGE_PRICING_INVALID', 'pricing JSON has no model with token prices');
    }
    const commit = typeof root.commit === 'string' ? root.commit : info.commit;
    return new PricingTable(prices, commit === undefined ? info : { ...info, commit });
  }

  /** Number of priced models. */
  get modelCount(): number {
    return this.#prices.size;
  }

  /** The compact `{ key: ModelPrice }` form, used for the on-disk cache. */
  toJSON(): Record<string, ModelPrice> {
    return Object.fromEntries(this.#prices);
  }

  /** Build from `toJSON()` output. */
  static fromCompact(prices: Record<string, ModelPrice>, info: PricingInfo): PricingTable {
    const map = new Map<string, ModelPrice>();
    for (const [key, value] of Object.entries(prices)) {
      if (num(value?.input) !== undefined && num(value?.output) !== undefined) map.set(key, value);
    }
    if (map.size === 0) throw new NexusUsageError('NEXUS_USAGE_PRICING_INVALID', 'cached pricing is empty');
    return new PricingTable(map, info);
  }

  /** Find the price of a model string as a log writes it; undefined when unknown. */
  lookup(model: string): PriceMatch | undefined {
    const memo = this.#memo.get(model);
    if (memo !== undefined) return memo ?? undefined;
    const match = this.#resolve(model);
    this.#memo.set(model, match ?? null);
    return match;
  }

  #hit(key: string | undefined): PriceMatch | undefined {
    if (key === undefined) return undefined;
    const price = this.#prices.get(key);
    return price ? { key, price } : undefined;
  }

  #resolve(model: string): PriceMatch | undefined {
    if (!model) return undefined;
    const exact = this.#hit(model) ?? this.#hit(model.toLowerCase());
    if (exact) return exact;
    // A dated name with its own entry keeps that entry (dated prices can differ from the alias).
    const lower = model.trim().toLowerCase();
    const slash = lower.lastIndexOf('/');
    const bare = slash >= 0 ? lower.slice(slash + 1) : lower;
    const direct = this.#hit(bare) ?? this.#hit(`anthropic/${bare}`) ?? this.#hit(`openai/${bare}`);
    if (direct) return direct;
    const c = canonical(model);
    const a = this.#byCanonical.get(c);
    const b = this.#byDotless.get(dotless(c));
    if (a === undefined || b === undefined) return this.#hit(a ?? b);
    return this.#hit(better(a, b) ? a : b);
  }
}

const SNAPSHOT_URL = new URL('../pricing/pricing-snapshot.json', import.meta.url);
let snapshot: PricingTable | undefined;

/** The LiteLLM snapshot shipped inside the package (works offline). Parsed once per process. */
export function bundledPricing(): PricingTable {
  snapshot ??= PricingTable.fromLiteLlm(JSON.parse(readFileSync(SNAPSHOT_URL, 'utf8')), {
    source: 'snapshot',
  });
  return snapshot;
}

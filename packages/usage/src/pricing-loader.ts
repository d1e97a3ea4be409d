import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NexusUsageError, silentLogger, type UsageLogger } from './errors.js';
import { bundledPricing, type ModelPrice, PricingTable } from './pricing.js';

/** LiteLLM's price list on GitHub (the default of `NEXUS_PRICING_URL`). */
export const DEFAULT_PRICING_URL =
  'https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json';

/** Name of the cache file in the state directory. */
export const PRICING_CACHE_FILE = 'pricing-cache.json';

/** A refresh is attempted at most this often, successful or not. */
export const PRICING_REFRESH_INTERVAL_MS = 60 * 60 * 1000;

/** Options of {@link loadPricing}. */
export interface LoadPricingOptions {
  /** Where the fetched table is cached. Without it nothing is fetched or cached. */
  readonly stateDir?: string;
  /** Forbid any network access (`--offline`, `NEXUS_OFFLINE=1`). */
  readonly offline?: boolean;
  /** Price list URL; defaults to `env.NEXUS_PRICING_URL`, then {@link DEFAULT_PRICING_URL}. */
  readonly url?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Abort the download after this many milliseconds (default 10 s). */
  readonly timeoutMs?: number;
  /** Refresh interval (default one hour). */
  readonly maxAgeMs?: number;
  /** Injectable for tests. */
  readonly fetch?: typeof globalThis.fetch;
  readonly now?: () => number;
  readonly logger?: UsageLogger;
}

interface CacheFile {
  readonly version: 1;
  readonly url: string;
  /** Time of the last attempt, successful or not: the hourly limit applies to both. */
  readonly attemptedAt: number;
  /** Time of the last successful fetch, absent when none succeeded yet. */
  readonly fetchedAt?: number;
  readonly prices?: Record<string, ModelPrice>;
}

function readCache(path: string, logger: UsageLogger): CacheFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as CacheFile;
    if (parsed?.version !== 1 || typeof parsed.attemptedAt !== 'number')
      throw new Error('unknown cache shape');
    return parsed;
  } catch (cause) {
    logger.warn(
      { code: 'NEXUS_USAGE_PRICING_CACHE', path, err: cause },
      '[nexus] [usage] ignoring an unreadable pricing cache',
    );
    return undefined;
  }
}

function writeCache(dir: string, cache: CacheFile, logger: UsageLogger): void {
  const path = join(dir, PRICING_CACHE_FILE);
  try {
    mkdirSync(dir, { recursive: true });
    // Write then rename, so a crash never leaves a half-written cache behind.
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(cache));
    renameSync(tmp, path);
  } catch (cause) {
    logger.warn(
      { code: 'NEXUS_USAGE_PRICING_CACHE', path, err: cause },
      '[nexus] [usage] could not write the pricing cache',
    );
  }
}

function fromCache(cache: CacheFile | undefined): PricingTable | undefined {
  if (!cache?.prices || cache.fetchedAt === undefined) return undefined;
  try {
    return PricingTable.fromCompact(cache.prices, {
      source: 'cache',
      fetchedAt: new Date(cache.fetchedAt).toISOString(),
      url: cache.url,
    });
  } catch {
    return undefined;
  }
}

/**
 * Download and parse a LiteLLM price list.
 * @throws NexusUsageError `NEXUS_USAGE_PRICING_FETCH` (network, status, timeout) or
 * `NEXUS_USAGE_PRICING_INVALID` (not JSON, or no priced model), with the original `cause`.
 */
export async function fetchPricing(
  url: string,
  options: { timeoutMs?: number; fetch?: typeof globalThis.fetch; now?: () => number } = {},
): Promise<PricingTable> {
  const doFetch = options.fetch ?? globalThis.fetch;
  let body: string;
  try {
    const response = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    if (!response.ok) {
      throw new NexusUsageError('NEXUS_USAGE_PRICING_FETCH', `pricing fetch failed: HTTP ${response.status}`);
    }
    body = await response.text();
  } catch (cause) {
    if (cause instanceof NexusUsageError) throw cause;
    throw new NexusUsageError('NEXUS_USAGE_PRICING_FETCH', `pricing fetch failed: ${String(cause)}`, {
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (cause) {
    throw new NexusUsageError('NEXUS_USAGE_PRICING_INVALID', 'pricing response is not JSON', { cause });
  }
  const fetchedAt = new Date((options.now ?? Date.now)()).toISOString();
  return PricingTable.fromLiteLlm(json, { source: 'network', fetchedAt, url });
}

/**
 * The pricing table to use now. Order: a fresh network copy when allowed and the last attempt is
 * over an hour old; else the cached copy from the state directory; else the bundled snapshot.
 * Never throws: failures are logged and the last good table is kept.
 */
export async function loadPricing(options: LoadPricingOptions = {}): Promise<PricingTable> {
  const logger = options.logger ?? silentLogger;
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const url = options.url ?? (env.NEXUS_PRICING_URL || DEFAULT_PRICING_URL);
  const offline = options.offline ?? env.NEXUS_OFFLINE === '1';
  if (!options.stateDir) return bundledPricing();
  const cachePath = join(options.stateDir, PRICING_CACHE_FILE);
  const cache = readCache(cachePath, logger);
  const lastGood = fromCache(cache) ?? bundledPricing();
  const maxAge = options.maxAgeMs ?? PRICING_REFRESH_INTERVAL_MS;
  const due = !cache || cache.url !== url || now() - cache.attemptedAt >= maxAge || now() < cache.attemptedAt;
  if (offline || !due) return lastGood;
  try {
    const table = await fetchPricing(url, {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      now,
    });
    const at = now();
    writeCache(
      options.stateDir,
      { version: 1, url, attemptedAt: at, fetchedAt: at, prices: table.toJSON() },
      logger,
    );
    logger.info?.({ url, models: table.modelCount }, '[nexus] [usage] pricing table refreshed');
    return table;
  } catch (err) {
    const code = err instanceof NexusUsageError ? err.code : 'NEXUS_USAGE_PRICING_FETCH';
    logger.warn(
      { code, url, err, keeping: lastGood.info.source },
      `[nexus] [usage] pricing refresh failed; keeping the ${lastGood.info.source} table`,
    );
    // Remember the failed attempt so a broken network is not retried more than hourly.
    const keep: CacheFile =
      cache?.url === url && cache.prices && cache.fetchedAt !== undefined
        ? { ...cache, attemptedAt: now() }
        : { version: 1, url, attemptedAt: now() };
    writeCache(options.stateDir, keep, logger);
    return lastGood;
  }
}

import { readFileSync } from 'node:fs';
import type { ClaudeUsagePollState, ClaudeUsageStatus } from '@nexus/protocol';
import type { ServerErrorCode } from '../errors.js';
import { readJsonFile, writeJsonFile } from './limit-files.js';
import { FIVE_HOURS_MIN, type LimitReading, SEVEN_DAYS_MIN, toIso, toPercent } from './readings.js';

/** Where Claude Code's usage endpoint lives; `NEXUS_CLAUDE_USAGE_URL` or the settings file override it. */
export const DEFAULT_CLAUDE_USAGE_BASE_URL = 'https://api.anthropic.com';
export const CLAUDE_USAGE_PATH = '/api/oauth/usage';
/** Polled every 5 minutes, never more often. */
export const CLAUDE_USAGE_INTERVAL_MS = 5 * 60_000;
/** Backoff after failures doubles from the interval up to one hour. */
export const CLAUDE_USAGE_MAX_BACKOFF_MS = 60 * 60_000;

type Json = Record<string, unknown>;
const asRecord = (value: unknown): Json | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;

const titleCase = (text: string) =>
  text
    .split(/[_\s-]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join(' ');
const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');

/** Name, label and length of a flat-shape bucket (`five_hour`, `seven_day`, `seven_day_opus`, …). */
function flatWindow(key: string): { label: string; minutes: number | null } {
  if (key === 'five_hour') return { label: '5-hour', minutes: FIVE_HOURS_MIN };
  if (key === 'seven_day') return { label: 'Weekly', minutes: SEVEN_DAYS_MIN };
  if (key.startsWith('seven_day_')) {
    return { label: `Weekly (${titleCase(key.slice('seven_day_'.length))})`, minutes: SEVEN_DAYS_MIN };
  }
  return { label: titleCase(key), minutes: null };
}

/** Name, label and length of a `limits[]` entry (`session`, `weekly_all`, `weekly_scoped`, …). */
function listedWindow(entry: Json): { window: string; label: string; minutes: number | null } {
  const kind = typeof entry.kind === 'string' ? entry.kind : 'limit';
  if (kind === 'session') return { window: 'five_hour', label: '5-hour', minutes: FIVE_HOURS_MIN };
  if (kind === 'weekly_all') return { window: 'seven_day', label: 'Weekly', minutes: SEVEN_DAYS_MIN };
  const model = asRecord(asRecord(entry.scope)?.model);
  const name =
    (typeof model?.display_name === 'string' && model.display_name) ||
    (typeof model?.id === 'string' && model.id) ||
    '';
  if (kind.startsWith('weekly')) {
    return name
      ? { window: `seven_day_${slug(name)}`, label: `Weekly (${name})`, minutes: SEVEN_DAYS_MIN }
      : { window: slug(kind), label: titleCase(kind), minutes: SEVEN_DAYS_MIN };
  }
  return {
    window: slug(name ? `${kind}_${name}` : kind),
    label: name ? `${titleCase(kind)} (${name})` : titleCase(kind),
    minutes: null,
  };
}

/**
 * The windows of a `GET /api/oauth/usage` body, in either shape: the `limits[]` list (`kind`,
 * `percent`, `resets_at`, `scope.model.display_name`) when it has entries, else the flat buckets
 * (`five_hour`, `seven_day`, `seven_day_<model>`: `utilization`, `resets_at`). `undefined` when the
 * body is neither (the caller reports it as a bad response).
 */
export function parseClaudeUsage(body: unknown, asOf: string): LimitReading[] | undefined {
  const root = asRecord(body);
  if (!root) return undefined;
  const base = { tool: 'claude-code', source: 'claude-oauth' as const, asOf };
  if (Array.isArray(root.limits) && root.limits.length > 0) {
    const out: LimitReading[] = [];
    for (const item of root.limits) {
      const entry = asRecord(item);
      if (!entry || entry.is_active === false) continue;
      const used = toPercent(entry.percent) ?? toPercent(entry.utilization);
      if (used === undefined) continue;
      const { window, label, minutes } = listedWindow(entry);
      out.push({
        ...base,
        window,
        label,
        usedPercent: used,
        windowMinutes: minutes,
        resetsAt: toIso(entry.resets_at),
      });
    }
    if (out.length > 0) return out;
  }
  const out: LimitReading[] = [];
  for (const [key, value] of Object.entries(root)) {
    // extra_usage is a monthly credit pool, not a usage window.
    if (key === 'extra_usage' || key === 'limits') continue;
    const bucket = asRecord(value);
    const used = toPercent(bucket?.utilization);
    if (!bucket || used === undefined) continue;
    const { label, minutes } = flatWindow(key);
    out.push({
      ...base,
      window: slug(key),
      label,
      usedPercent: used,
      windowMinutes: minutes,
      resetsAt: toIso(bucket.resets_at),
    });
  }
  return out.length > 0 || 'five_hour' in root || 'seven_day' in root ? out : undefined;
}

/** The OAuth access token Claude Code keeps, read fresh from the first credentials file that has one. */
export function readClaudeToken(
  paths: readonly string[],
): { token: string; expiresAt: number | undefined } | undefined {
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    try {
      const oauth = asRecord(asRecord(JSON.parse(text))?.claudeAiOauth);
      const token = oauth?.accessToken;
      if (typeof token === 'string' && token.length > 0) {
        const expiresAt = typeof oauth?.expiresAt === 'number' ? oauth.expiresAt : undefined;
        return { token, expiresAt };
      }
    } catch {
      // An unreadable file is the same as no file: Claude Code may be rewriting it.
    }
  }
  return undefined;
}

/**
 * Refuse a base URL that would send the token in clear text to another machine: https, or http on
 * a loopback address (the tests' stand-in).
 */
export function checkBaseUrl(baseUrl: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined;
  }
  if (url.username || url.password) return undefined;
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return url;
  return undefined;
}

/** Timers the poller uses; injectable so tests drive time by hand. */
export interface PollerClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: PollerClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The pino methods the poller logs with. Details never include the token. */
export interface LimitsLogger {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
  debug(details: Record<string, unknown>, message: string): void;
}

export interface ClaudeUsagePollerOptions {
  /** Credentials files to try in order (`<claude dir>/.credentials.json`). */
  readonly credentialsPaths: readonly string[];
  readonly baseUrl?: string;
  /** `false` never polls (`--offline`, `NEXUS_OFFLINE=1`, or the setting). */
  readonly enabled: boolean;
  /** Why it is off, for the status: `offline` or `disabled`. */
  readonly disabledReason?: 'offline' | 'disabled';
  readonly intervalMs?: number;
  readonly maxBackoffMs?: number;
  readonly timeoutMs?: number;
  /** Last good value and schedule survive restarts here (never the token). */
  readonly stateFile?: string;
  readonly clock?: PollerClock;
  readonly fetch?: typeof fetch;
  readonly logger: LimitsLogger;
  /** Called after every poll that changed the windows or the status. */
  readonly onChange?: () => void;
}

interface Persisted {
  readonly windows: LimitReading[];
  readonly asOf: string | null;
  readonly status: ClaudeUsageStatus;
  readonly failures: number;
  readonly lastErrorCode?: string;
  readonly lastAttemptAt: number | null;
  readonly nextPollAt: number | null;
}

// Statuses that describe the last poll; `offline`/`disabled` describe this run's settings instead.
const RESTORABLE = new Set<ClaudeUsageStatus>([
  'ok',
  'no_credentials',
  'unauthorized',
  'rate_limited',
  'error',
]);

type Outcome =
  | { kind: 'ok'; windows: LimitReading[] }
  | {
      kind: 'fail';
      status: ClaudeUsageStatus;
      code: ServerErrorCode;
      httpStatus?: number;
      retryAfterMs?: number;
      backoff: boolean;
    };

/**
 * Polls Claude's OAuth usage endpoint every 5 minutes. Failures (429, 5xx, timeouts, malformed
 * bodies, refused tokens) back off exponentially up to an hour, honouring `Retry-After`; the last
 * good windows stay, with their `asOf`. The token is read from Claude Code's credentials file for
 * each request, sent only to the base URL, and never logged or stored.
 */
export class ClaudeUsagePoller {
  readonly #options: ClaudeUsagePollerOptions;
  readonly #clock: PollerClock;
  readonly #interval: number;
  readonly #maxBackoff: number;
  readonly #url: URL | undefined;
  #state: Persisted;
  #timer: unknown;
  #inFlight: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #closed = false;

  constructor(options: ClaudeUsagePollerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#interval = options.intervalMs ?? CLAUDE_USAGE_INTERVAL_MS;
    this.#maxBackoff = options.maxBackoffMs ?? CLAUDE_USAGE_MAX_BACKOFF_MS;
    const base = options.baseUrl ?? DEFAULT_CLAUDE_USAGE_BASE_URL;
    this.#url = checkBaseUrl(base);
    if (this.#url) this.#url = new URL(CLAUDE_USAGE_PATH, this.#url);
    this.#state = this.#restore() ?? {
      windows: [],
      asOf: null,
      status: 'pending',
      failures: 0,
      lastAttemptAt: null,
      nextPollAt: null,
    };
    if (!options.enabled)
      this.#state = { ...this.#state, status: options.disabledReason ?? 'disabled', nextPollAt: null };
    else if (!this.#url) {
      this.#state = {
        ...this.#state,
        status: 'error',
        lastErrorCode: 'NEXUS_LIMITS_BAD_URL',
        nextPollAt: null,
      };
      options.logger.warn(
        { code: 'NEXUS_LIMITS_BAD_URL' },
        '[nexus] [limits] the Claude usage base URL must be https (or http on a loopback address); not polling',
      );
    }
  }

  /** Start polling: now, or when the saved schedule says (a restart never polls early). */
  start(): void {
    if (!this.#options.enabled || !this.#url || this.#closed) return;
    const now = this.#clock.now();
    const earliest = Math.max(
      this.#state.nextPollAt ?? now,
      this.#state.lastAttemptAt === null ? now : this.#state.lastAttemptAt + this.#interval,
    );
    this.#schedule(Math.max(0, earliest - now));
  }

  /** Windows of the last good answer (kept through failures). */
  windows(): LimitReading[] {
    return this.#state.windows;
  }

  state(): ClaudeUsagePollState {
    const s = this.#state;
    return {
      status: s.status,
      asOf: s.asOf,
      nextPollAt: s.nextPollAt === null ? null : new Date(s.nextPollAt).toISOString(),
      failures: s.failures,
      ...(s.lastErrorCode ? { lastErrorCode: s.lastErrorCode } : {}),
    };
  }

  /** Resolves when the poll under way (if any) has finished: for tests and shutdown. */
  async settled(): Promise<void> {
    await this.#inFlight;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort?.abort();
    await this.#inFlight;
  }

  #schedule(delay: number): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#state = { ...this.#state, nextPollAt: this.#clock.now() + delay };
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#inFlight = this.#poll().finally(() => {
        this.#inFlight = undefined;
      });
    }, delay);
  }

  async #poll(): Promise<void> {
    const startedAt = this.#clock.now();
    const outcome = await this.#request();
    if (this.#closed) return;
    const before = JSON.stringify([this.#state.windows, this.#state.status, this.#state.lastErrorCode]);
    let delay = this.#interval;
    if (outcome.kind === 'ok') {
      // The figures are as of the answer; the windows and the poller say the same time.
      const asOf = new Date(this.#clock.now()).toISOString();
      this.#state = {
        windows: outcome.windows.map((w) => ({ ...w, asOf })),
        asOf,
        status: 'ok',
        failures: 0,
        lastAttemptAt: startedAt,
        nextPollAt: null,
      };
      this.#options.logger.debug(
        { windows: outcome.windows.length },
        '[nexus] [limits] Claude usage updated',
      );
    } else {
      const failures = outcome.backoff ? this.#state.failures + 1 : this.#state.failures;
      if (outcome.backoff) {
        delay = Math.min(this.#maxBackoff, this.#interval * 2 ** failures);
        if (outcome.retryAfterMs !== undefined)
          delay = Math.min(this.#maxBackoff, Math.max(delay, outcome.retryAfterMs));
      }
      this.#state = {
        ...this.#state,
        status: outcome.status,
        failures,
        lastErrorCode: outcome.code,
        lastAttemptAt: startedAt,
      };
      this.#options.logger.warn(
        {
          code: outcome.code,
          ...(outcome.httpStatus === undefined ? {} : { status: outcome.httpStatus }),
          failures,
          retryInMs: delay,
        },
        `[nexus] [limits] Claude usage poll failed (${outcome.code}); keeping the last value from ${this.#state.asOf ?? 'never'}`,
      );
    }
    this.#schedule(delay);
    this.#persist();
    const after = JSON.stringify([this.#state.windows, this.#state.status, this.#state.lastErrorCode]);
    if (before !== after || outcome.kind === 'ok') this.#options.onChange?.();
  }

  async #request(): Promise<Outcome> {
    const credentials = readClaudeToken(this.#options.credentialsPaths);
    if (!credentials) {
      return { kind: 'fail', status: 'no_credentials', code: 'NEXUS_LIMITS_NO_CREDENTIALS', backoff: false };
    }
    if (credentials.expiresAt !== undefined && credentials.expiresAt <= this.#clock.now()) {
      // Claude Code refreshes its own token when it runs; an expired one would only earn a 401.
      return { kind: 'fail', status: 'unauthorized', code: 'NEXUS_LIMITS_TOKEN_EXPIRED', backoff: false };
    }
    const fetchImpl = this.#options.fetch ?? fetch;
    const abort = new AbortController();
    this.#abort = abort;
    const timeout = setTimeout(() => abort.abort(), this.#options.timeoutMs ?? 10_000);
    timeout.unref?.();
    try {
      const response = await fetchImpl(this.#url!, {
        method: 'GET',
        headers: {
          authorization: `Bearer ${credentials.token}`,
          'anthropic-beta': 'oauth-2025-04-20',
          accept: 'application/json',
        },
        // A redirect would carry the token elsewhere: refuse it.
        redirect: 'error',
        signal: abort.signal,
      });
      const text = await response.text();
      if (response.status === 401 || response.status === 403) {
        return {
          kind: 'fail',
          status: 'unauthorized',
          code: 'NEXUS_LIMITS_UNAUTHORIZED',
          httpStatus: response.status,
          backoff: true,
        };
      }
      if (response.status === 429) {
        const retryAfter = retryAfterMs(response.headers.get('retry-after'), this.#clock.now());
        return {
          kind: 'fail',
          status: 'rate_limited',
          code: 'NEXUS_LIMITS_RATE_LIMITED',
          httpStatus: 429,
          backoff: true,
          ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
        };
      }
      if (!response.ok) {
        return {
          kind: 'fail',
          status: 'error',
          code: 'NEXUS_LIMITS_HTTP_ERROR',
          httpStatus: response.status,
          backoff: true,
        };
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return {
          kind: 'fail',
          status: 'error',
          code: 'NEXUS_LIMITS_BAD_RESPONSE',
          httpStatus: response.status,
          backoff: true,
        };
      }
      const windows = parseClaudeUsage(body, new Date(this.#clock.now()).toISOString());
      if (!windows) {
        return {
          kind: 'fail',
          status: 'error',
          code: 'NEXUS_LIMITS_BAD_RESPONSE',
          httpStatus: response.status,
          backoff: true,
        };
      }
      return { kind: 'ok', windows };
    } catch {
      // The error text of a failed fetch is not logged: only its kind.
      if (abort.signal.aborted && !this.#closed) {
        return { kind: 'fail', status: 'error', code: 'NEXUS_LIMITS_TIMEOUT', backoff: true };
      }
      return { kind: 'fail', status: 'error', code: 'NEXUS_LIMITS_NETWORK', backoff: true };
    } finally {
      clearTimeout(timeout);
      this.#abort = undefined;
    }
  }

  #restore(): Persisted | undefined {
    const file = this.#options.stateFile;
    if (!file) return undefined;
    const saved = readJsonFile(file) as Partial<Persisted> | undefined;
    if (!saved || !Array.isArray(saved.windows)) return undefined;
    return {
      windows: saved.windows.filter(
        (w) =>
          w &&
          w.tool === 'claude-code' &&
          w.source === 'claude-oauth' &&
          typeof w.window === 'string' &&
          typeof w.label === 'string' &&
          typeof w.usedPercent === 'number' &&
          typeof w.asOf === 'string',
      ),
      asOf: typeof saved.asOf === 'string' ? saved.asOf : null,
      status: RESTORABLE.has(saved.status as ClaudeUsageStatus)
        ? (saved.status as ClaudeUsageStatus)
        : 'pending',
      failures: typeof saved.failures === 'number' ? saved.failures : 0,
      ...(typeof saved.lastErrorCode === 'string' ? { lastErrorCode: saved.lastErrorCode } : {}),
      lastAttemptAt: typeof saved.lastAttemptAt === 'number' ? saved.lastAttemptAt : null,
      nextPollAt: typeof saved.nextPollAt === 'number' ? saved.nextPollAt : null,
    };
  }

  #persist(): void {
    const file = this.#options.stateFile;
    if (!file) return;
    try {
      writeJsonFile(file, this.#state);
    } catch (error) {
      this.#options.logger.debug(
        { code: (error as NodeJS.ErrnoException).code },
        '[nexus] [limits] could not save the Claude usage state',
      );
    }
  }
}

/** `Retry-After` as milliseconds from now: seconds, or an HTTP date. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

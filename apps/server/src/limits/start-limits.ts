import { join, resolve } from 'node:path';
import { homeDirectory, type NexusAdapter, type RateLimitEvent, type RootEnvironment } from '@nexus/parsers';
import type { LimitsSnapshot } from '@nexus/protocol';
import { ActiveBlockTracker, type LedgerReader, type UsageLedger } from '@nexus/usage';
import {
  ClaudeUsagePoller,
  DEFAULT_CLAUDE_USAGE_BASE_URL,
  type LimitsLogger,
  type PollerClock,
} from './claude-usage.js';
import { CodexLimits, loadCodexLimits } from './codex-limits.js';
import { limitFiles, readJsonFile } from './limit-files.js';
import { LimitsService, TOP_SESSIONS } from './limits-service.js';

/** What `<stateDir>/settings.json` may say about plan limits. */
export interface LimitsSettings {
  /** Poll Claude's OAuth usage endpoint (default true; `--offline` wins). */
  readonly claudeUsage: boolean;
  readonly claudeUsageBaseUrl: string;
}

/**
 * Settings from `<stateDir>/settings.json` (`{ "limits": { "claudeUsage": false, "claudeUsageBaseUrl":
 * "…" } }`) and the environment, which wins: `NEXUS_CLAUDE_USAGE=0` turns polling off,
 * `NEXUS_CLAUDE_USAGE_URL` moves the endpoint.
 */
export function readLimitsSettings(stateDir: string, env: NodeJS.ProcessEnv): LimitsSettings {
  const file = readJsonFile(join(stateDir, 'settings.json')) as
    | { limits?: Record<string, unknown> }
    | undefined;
  const saved = file?.limits && typeof file.limits === 'object' ? file.limits : {};
  let claudeUsage = saved.claudeUsage !== false;
  if (env.NEXUS_CLAUDE_USAGE === '0') claudeUsage = false;
  if (env.NEXUS_CLAUDE_USAGE === '1') claudeUsage = true;
  const savedUrl = typeof saved.claudeUsageBaseUrl === 'string' ? saved.claudeUsageBaseUrl : undefined;
  return {
    claudeUsage,
    claudeUsageBaseUrl: env.NEXUS_CLAUDE_USAGE_URL || savedUrl || DEFAULT_CLAUDE_USAGE_BASE_URL,
  };
}

/** Claude Code's credentials files: `$CLAUDE_CONFIG_DIR` (comma-separated), else `~/.claude` and `~/.config/claude`. */
export function claudeCredentialsPaths(env: NodeJS.ProcessEnv): string[] {
  const home = homeDirectory(env);
  const dirs = env.CLAUDE_CONFIG_DIR
    ? env.CLAUDE_CONFIG_DIR.split(',')
        .map((d) => d.trim())
        .filter(Boolean)
        .map((d) => resolve(d))
    : [join(home, '.claude'), join(home, '.config', 'claude')];
  return dirs.map((dir) => join(dir, '.credentials.json'));
}

export interface StartLimitsOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly stateDir: string;
  readonly offline: boolean;
  /** The ledger; when it reports its commits (an open `UsageLedger`), the active block follows them. */
  readonly ledger: LedgerReader & Partial<Pick<UsageLedger, 'onChanges'>>;
  readonly adapters: readonly NexusAdapter[];
  readonly environment: RootEnvironment;
  readonly logger: LimitsLogger;
  readonly onUpdate: (snapshot: LimitsSnapshot) => void;
  readonly clock?: PollerClock;
  readonly fetch?: typeof fetch;
  /** Skip reading Codex history (tests of other parts). */
  readonly scanCodexHistory?: boolean;
}

/** The running plan-limits machinery, as the engine sees it. */
export interface Limits {
  readonly service: LimitsService;
  /** A Codex `rate_limit` event from the live tail. */
  rateLimit(event: RateLimitEvent): void;
  /** The ledger changed (a usage frame went out). */
  usageChanged(): void;
  snapshot(): LimitsSnapshot;
  /** Resolves when the startup scan of Codex history is done. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** Start the Claude poller, the Codex history scan and the snapshot service. */
export function startLimits(options: StartLimitsOptions): Limits {
  const { env, stateDir, logger } = options;
  const files = limitFiles(stateDir);
  const settings = readLimitsSettings(stateDir, env);
  const codex = new CodexLimits();
  const claude = new ClaudeUsagePoller({
    credentialsPaths: claudeCredentialsPaths(env),
    baseUrl: settings.claudeUsageBaseUrl,
    enabled: !options.offline && settings.claudeUsage,
    disabledReason: options.offline ? 'offline' : 'disabled',
    stateFile: files.claudeOAuth,
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    // Called only after start(), once `service` exists.
    onChange: () => service.changed(),
  });
  const { ledger } = options;
  // The server recomputes limits every few seconds while calls pour in; reading a busy block again each
  // time took 50–100 ms of its event loop.
  const tracker = ledger.onChanges
    ? new ActiveBlockTracker(
        { db: ledger.db, onChanges: ledger.onChanges.bind(ledger) },
        {
          tool: 'claude-code',
          topSessions: TOP_SESSIONS,
        },
      )
    : undefined;
  const service = new LimitsService({
    ledger,
    ...(tracker ? { activeBlock: (now: number) => tracker.get(now) } : {}),
    files,
    codex,
    claude,
    logger,
    onUpdate: options.onUpdate,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  // The poller first, so the first snapshot already shows when it will poll.
  claude.start();
  service.start();

  const stop = new AbortController();
  const codexAdapter = options.adapters.find((adapter) => adapter.id === 'codex');
  const ready =
    codexAdapter && options.scanCodexHistory !== false
      ? loadCodexLimits(
          codexAdapter,
          options.environment,
          codex,
          stop.signal,
          options.clock?.now() ?? Date.now(),
        ).then(
          ({ filesRead }) => {
            logger.debug({ filesRead }, '[nexus] [limits] Codex rate limits read from history');
            service.changed();
          },
          (error: unknown) =>
            logger.warn({ err: error }, '[nexus] [limits] could not read Codex rate limits'),
        )
      : Promise.resolve();

  return {
    service,
    rateLimit(event) {
      if (codex.update(event)) service.changed();
    },
    usageChanged: () => service.changed(),
    snapshot: () => service.snapshot(),
    ready,
    async close() {
      stop.abort();
      service.close();
      tracker?.close();
      await claude.close();
      await ready;
    },
  };
}

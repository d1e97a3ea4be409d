import type { MessageKind, MessageRole } from '@nexus/protocol';

/**
 * Version of the adapter contract in this file. A plugin declares the version it targets in
 * `apiVersion`; the host refuses adapters whose major version differs.
 */
export const ADAPTER_API_VERSION = 1;

/** What the host knows about the environment when it asks an adapter for its roots. */
export interface RootEnvironment {
  /** Environment variables (normally `process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user's home directory (normally `os.homedir()`). */
  readonly homeDir: string;
  /** Only for adapters that pick among legacy folders: does this directory exist? Synchronous, cheap. */
  readonly exists: (path: string) => boolean;
}

/** A folder the host watches and scans on the adapter's behalf. */
export interface AdapterRoot {
  /** Absolute path. It need not exist yet: the host watches for it to appear. */
  readonly path: string;
  /**
   * `live`: files here can be live sessions and belong to history.
   * `history`: archives only (e.g. Codex `archived_sessions/`); read by backfill, never on the wall.
   */
  readonly role: 'live' | 'history';
}

/** How the adapter sees one log file: which session it belongs to. */
export interface LogFileInfo {
  /** Nexus session id of the transcript in this file (tool prefix + the agent's own id). */
  readonly sessionId: string;
  /** For subagent transcripts: the Nexus id of the parent session. Usage of the file is billed to it. */
  readonly parentSessionId?: string;
  /** `session`: a main transcript; `subagent`: a subagent's; `archive`: history only, never live. */
  readonly kind: 'session' | 'subagent' | 'archive';
  /** Key that groups files for discovery limits (project folder, agent id…). */
  readonly group: string;
}

/** A log file the host hands to an adapter's parser. */
export interface LogFileRef extends LogFileInfo {
  readonly tool: string;
  /** Absolute path. */
  readonly path: string;
  /** The root this file was found under. */
  readonly root: string;
}

/** Where a line starts in its file. */
export interface LinePosition {
  /** Byte offset of the first byte of the line. */
  readonly byteOffset: number;
  /** 1-based line number, when the host knows it (it does not after resuming at an offset). */
  readonly lineNumber?: number;
}

/** A non-fatal problem with the input, reported as data (never thrown). */
export interface ParseIssue {
  /** Stable code from the catalogue in `issues.ts`, e.g. `NEXUS_PARSE_INVALID_JSON`. */
  readonly code: `NEXUS_${string}`;
  readonly message: string;
  readonly file?: string;
  readonly byteOffset?: number;
  readonly lineNumber?: number;
}

/** Capabilities the host gives a parser. Adapters never import host internals. */
export interface ParseContext {
  report(issue: ParseIssue): void;
}

/** Normalized token usage of one billed model call (DESIGN §3). */
export interface UsageEvent {
  readonly type: 'usage';
  readonly tool: string;
  /** Nexus id of the session the call is billed to (a subagent's usage goes to its parent). */
  readonly sessionId: string;
  readonly projectPath: string;
  /** ISO-8601 UTC time of the line that carried this usage. */
  readonly timestamp: string;
  /** The model string exactly as the log writes it. */
  readonly model: string;
  /** True when the log named no model and the adapter used a fallback. */
  readonly modelFallback?: boolean;
  /** Uncached input. */
  readonly inputTokens: number;
  /** Output including reasoning. */
  readonly outputTokens: number;
  /** All cache writes (5-minute and 1-hour). */
  readonly cacheCreationTokens: number;
  /** The 1-hour part of `cacheCreationTokens`. */
  readonly cacheCreation1hTokens: number;
  readonly cacheReadTokens: number;
  /** Reasoning part of `outputTokens` (informational, never billed twice). */
  readonly reasoningOutputTokens: number;
  /** Cost the log itself states, if any (OpenClaw `usage.cost.total`, old Claude `costUSD`). */
  readonly costUsd?: number;
  readonly speed?: 'standard' | 'fast';
  /**
   * One billed call has one key. The same key may come again with larger numbers; consumers keep the
   * per-field maximum, and date the call by the line that carried its largest usage.
   */
  readonly dedupKey: string;
  /**
   * The provider's id of the call when `dedupKey` adds more to it (Claude Code's `message.id`). With
   * `sidechain`, the call was logged in a side conversation, where Claude Code's `/btw` replays parent
   * messages under a new request id: a sidechain call is dropped while a call with the same `callId` is
   * logged outside a sidechain.
   */
  readonly callId?: string;
  readonly sidechain?: boolean;
}

/** One transcript entry, normalized. */
export interface MessageEvent {
  readonly type: 'message';
  readonly sessionId: string;
  /** Stable within the session (derived from the record's own id or its byte offset). */
  readonly id: string;
  readonly role: MessageRole;
  readonly kind: MessageKind;
  /** Plain text. Never HTML; the dashboard escapes or sanitizes it. */
  readonly content: string;
  /** Short line for tool plumbing, e.g. `Bash: npm test`. */
  readonly summary?: string;
  readonly toolName?: string;
  readonly timestamp?: string;
  readonly model?: string;
}

/** Facts about a session learned from its records. Later values replace earlier ones. */
export interface MetaEvent {
  readonly type: 'meta';
  readonly sessionId: string;
  readonly projectPath?: string;
  /** Title: Claude `ai-title`/`custom-title`/`summary`, Codex first real prompt, OpenClaw `session_info`. */
  readonly title?: string;
  readonly gitBranch?: string;
  readonly model?: string;
  readonly startedAt?: string;
  readonly agentVersion?: string;
  readonly timestamp?: string;
}

/** Hint that a turn is in progress (`open`) or finished (`closed`). */
export interface ActivityEvent {
  readonly type: 'activity';
  readonly sessionId: string;
  readonly turn: 'open' | 'closed';
  readonly timestamp?: string;
}

export interface RateLimitWindow {
  /** `primary` (5 h) or `secondary` (weekly) for Codex. */
  readonly name: string;
  readonly usedPercent: number;
  readonly windowMinutes?: number;
  /** ISO-8601 UTC time at which the window resets. */
  readonly resetsAt?: string;
}

/** Plan-limit windows an agent wrote into its own log (Codex `rate_limits`). */
export interface RateLimitEvent {
  readonly type: 'rate_limit';
  readonly tool: string;
  readonly sessionId: string;
  readonly timestamp: string;
  readonly windows: readonly RateLimitWindow[];
  readonly planType?: string;
}

export type NormalizedEvent = UsageEvent | MessageEvent | MetaEvent | ActivityEvent | RateLimitEvent;

/**
 * Stateful line parser for one log file. The host frames lines (UTF-8, without the newline,
 * CR stripped) and feeds them in file order.
 */
export interface LineParser<TState = unknown> {
  /** Parse one complete line. Bad input is reported through the context and yields `[]`. */
  parseLine(line: string, position: LinePosition): NormalizedEvent[];
  /** JSON-serialisable state, so a read can resume at a byte offset after a restart. */
  snapshot(): TState;
  /** Restore a state from `snapshot()` before feeding the lines that follow it. */
  restore(state: TState): void;
}

/** Live-session discovery numbers (DESIGN §4); the host applies them, the adapter only declares them. */
export interface LivenessRules {
  /** Process names whose open files (lsof) mark a session live, e.g. `claude`, `codex`. */
  readonly processNames: readonly string[];
  /** A file modified within this window counts as live even without a process. */
  readonly recentWindowMs: number;
  /** At most this many recent files per `LogFileInfo.group`. */
  readonly maxPerGroup?: number;
  /** At most this many recent files in all. */
  readonly maxTotal?: number;
  /** Path of a lock file whose presence (with a live pid) marks the session running (OpenClaw). */
  readonly lockFileFor?: (logPath: string) => string | undefined;
  /** A lock older than this is stale. */
  readonly lockStaleMs?: number;
}

/** An agent adapter: a plain object from a factory. Host owns I/O; the adapter owns what differs. */
export interface NexusAdapter<TState = unknown> {
  /** Contract version this adapter was written against (`ADAPTER_API_VERSION`). */
  readonly apiVersion: number;
  /** Kebab-case id, also the tool id on the wire: `claude-code`, `codex`, `openclaw`, `gemini-cli`… */
  readonly id: string;
  readonly displayName: string;
  /** CSS colour for the dashboard. */
  readonly color?: string;
  /** Environment variables that override the default roots, for docs and `nexus adapters`. */
  readonly rootEnvVars: readonly string[];
  /** The folders to watch and scan, from the environment. */
  resolveRoots(environment: RootEnvironment): readonly AdapterRoot[];
  /**
   * Is this file (path relative to `root`, `/`-separated) a session log, and of which session?
   * Return `null` for anything else. Must be cheap and pure: it runs for every file under the roots.
   */
  classifyFile(relativePath: string, root: AdapterRoot): LogFileInfo | null;
  /**
   * Substrings (ASCII) that every line relevant to usage contains. When the host reads for usage only
   * (backfill), lines containing none of them are skipped without decoding. Omit to see every line.
   */
  readonly usageLineFilter?: readonly string[];
  /**
   * Keys whose array value the usage events never depend on (Claude Code's message `content`). In a
   * usage-only read the host may replace the first `"key":[…]` array of a line with `[]` before decoding
   * it, so the bulk of a transcript is neither decoded nor parsed. Written without a space after the colon;
   * lines written otherwise are read whole.
   */
  readonly usageLineSkippableArrays?: readonly string[];
  /** One parser per file. */
  createParser(file: LogFileRef, context: ParseContext): LineParser<TState>;
  readonly liveness: LivenessRules;
  /**
   * Optional, for agents that keep transcripts in a database rather than in line files (OpenClaw's
   * per-agent SQLite store). The host finds the stores under the same roots, keeps their cursors and
   * schedules their reads; the adapter owns the reading.
   */
  readonly store?: SessionStore;
}

/** A database file holding many sessions' transcripts, found under an adapter's roots. */
export interface SessionStore {
  /** Is this file (path relative to `root`, `/`-separated) a store? `null` for anything else. Cheap and pure. */
  classifyStore(relativePath: string, root: AdapterRoot): { readonly group: string } | null;
  /** Open a store for reading. It must never write to it, and must tolerate the agent writing meanwhile. */
  open(path: string, context: ParseContext): StoreReader;
}

/** The events of one session found in a store read. */
export interface StoreSessionEvents {
  readonly file: LogFileInfo;
  readonly events: NormalizedEvent[];
}

/** Records read from a store after a cursor. */
export interface StoreBatch {
  /** Events grouped by the session they belong to, in store order. */
  readonly sessions: readonly StoreSessionEvents[];
  /** JSON-serialisable position after these records: pass it to the next `read`. */
  readonly cursor: unknown;
  /** More records are waiting after `cursor`. */
  readonly more: boolean;
}

/** An open store. Reads are synchronous and bounded by `maxRecords`, so the host keeps its turn. */
export interface StoreReader {
  /** Records after `cursor` (from the start when `undefined`). A cursor the store no longer matches restarts from the start. */
  read(cursor: unknown, options?: { readonly maxRecords?: number }): StoreBatch;
  /** The sessions the store's own state marks as running at `now` (epoch ms). */
  liveSessions(now: number): LogFileInfo[];
  /** Every event of one session, in order (for a session page, or a session that just became live). */
  sessionEvents(sessionId: string): NormalizedEvent[];
  close(): void;
}

/** Identity helper that gives plugin authors type inference for their adapter object. */
export function defineAdapter<TState>(adapter: NexusAdapter<TState>): NexusAdapter<TState> {
  return adapter;
}

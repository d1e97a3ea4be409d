import { basename } from 'node:path';
import type { LogFileRef, MessageEvent, MetaEvent, NormalizedEvent } from '@nexus/parsers';
import type {
  Message,
  SessionSnapshot,
  SessionState,
  SessionSummary,
  UnsequencedFrame,
} from '@nexus/protocol';
import { coolingDuration, DEFAULT_LIFECYCLE, type LifecycleOptions } from './lifecycle.js';

/** Time source; tests pass a fake one and call `tick()` after moving it. */
export interface RegistryClock {
  now(): number;
}

export interface RegistryOptions extends Partial<LifecycleOptions> {
  readonly clock?: RegistryClock;
  /** Messages kept in memory per session; older ones are read from the log on demand. Default 500. */
  readonly maxMessages?: number;
  /** Message content longer than this is cut (with `truncated: true`) for live frames. Default 64 Ki chars. */
  readonly maxContentChars?: number;
}

/** Message ids remembered per session for de-duplication, beyond the in-memory buffer. */
const REMEMBERED_MESSAGE_IDS = 50_000;

interface TrackedSession {
  summary: SessionSummary;
  messages: Message[];
  messageIds: Set<string>;
  title?: string;
  /** When the session was first seen active (start of its active duration). */
  activeSince: number;
  /** Last time new content arrived (drives idle). */
  lastContentAt: number;
  live: boolean;
  coolingEndsAt?: number;
  files: Set<string>;
}

/**
 * Live sessions and their state machine (DESIGN §4): active on new content, idle after 2 minutes without
 * a message, cooling when the host reports the liveness signals gone (for 10% of the active duration,
 * clamped to [3 s, 5 min]), then gone: removed and announced. New content brings any state back to active.
 *
 * Only sessions the host marks live, or that receive content while watched, are registered: history alone
 * never puts a card on the wall. The registry has no timers: the host calls `tick()` (every second or so).
 */
export class SessionRegistry {
  readonly #sessions = new Map<string, TrackedSession>();
  readonly #listeners = new Set<(frame: UnsequencedFrame) => void>();
  readonly #lifecycle: LifecycleOptions;
  readonly #clock: RegistryClock;
  readonly #maxMessages: number;
  readonly #maxContentChars: number;

  constructor(options: RegistryOptions = {}) {
    this.#lifecycle = { ...DEFAULT_LIFECYCLE, ...stripUndefined(options) };
    this.#clock = options.clock ?? { now: Date.now };
    this.#maxMessages = options.maxMessages ?? 500;
    this.#maxContentChars = options.maxContentChars ?? 64 * 1024;
  }

  /** Receive every frame the registry produces, in order. Returns the unsubscribe function. */
  subscribe(listener: (frame: UnsequencedFrame) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Apply the events read from one log file. Creates the session on its first message (archives never
   * create one), appends new messages in order (a message id seen before is ignored), and updates metadata.
   */
  ingest(file: LogFileRef, events: readonly NormalizedEvent[]): void {
    if (file.kind === 'archive') return;
    const relevant = events.filter(
      (event) =>
        event.sessionId === file.sessionId &&
        (event.type === 'message' || event.type === 'meta' || event.type === 'activity'),
    );
    if (relevant.length === 0) return;
    const now = this.#clock.now();
    let session = this.#sessions.get(file.sessionId);
    const isNew = session === undefined;
    if (!session) {
      if (!relevant.some((event) => event.type === 'message')) {
        // Metadata alone does not make a card; keep it for when the first message arrives.
        this.#pendingMeta(file, relevant);
        return;
      }
      session = this.#create(file, now);
    }
    session.files.add(file.path);
    let contentArrived = false;
    let metaChanged = false;
    const added: Message[] = [];
    for (const event of [...this.#takePendingMeta(file.sessionId), ...relevant]) {
      if (event.type === 'meta') metaChanged = this.#applyMeta(session, event) || metaChanged;
      else if (event.type === 'message') {
        const message = this.#toMessage(event);
        if (session.messageIds.has(message.id)) continue;
        session.messageIds.add(message.id);
        session.messages.push(message);
        session.summary.messageCount++;
        added.push(message);
        contentArrived = true;
        if (event.timestamp)
          session.summary.lastActivityAt = latest(session.summary.lastActivityAt, event.timestamp);
      } else if (event.type === 'activity') {
        contentArrived = true;
        if (event.timestamp)
          session.summary.lastActivityAt = latest(session.summary.lastActivityAt, event.timestamp);
      }
    }
    if (session.messages.length > this.#maxMessages) {
      session.messages.splice(0, session.messages.length - this.#maxMessages);
    }
    // Ids outlive the buffer (bounded), so a message re-read after it left the buffer is still not new.
    if (session.messageIds.size > REMEMBERED_MESSAGE_IDS) {
      const excess = session.messageIds.size - REMEMBERED_MESSAGE_IDS;
      let removed = 0;
      for (const id of session.messageIds) {
        if (removed++ >= excess) break;
        session.messageIds.delete(id);
      }
    }
    if (isNew) {
      this.#emit({ type: 'session_init', ...this.#snapshotOf(session) });
    } else {
      for (const message of added)
        this.#emit({ type: 'message_add', sessionId: session.summary.sessionId, message });
      if (metaChanged) this.#emit({ type: 'session_update', session: { ...session.summary } });
    }
    if (contentArrived) this.#touch(session, now);
  }

  /** The host's liveness verdict for a session (process holds the file, lock held, recently modified…). */
  setLive(sessionId: string, live: boolean): void {
    const session = this.#sessions.get(sessionId);
    if (!session || session.live === live) return;
    session.live = live;
    const now = this.#clock.now();
    if (live && session.summary.state === 'cooling') {
      session.coolingEndsAt = undefined;
      this.#setState(session, 'active', now);
    }
  }

  /** Advance the state machine to the clock's now. */
  tick(): void {
    const now = this.#clock.now();
    for (const session of [...this.#sessions.values()]) {
      const state = session.summary.state;
      if (state === 'cooling') {
        if (session.coolingEndsAt !== undefined && now >= session.coolingEndsAt) this.#remove(session);
        continue;
      }
      if (!session.live && !this.#hasLiveChild(session)) {
        // Cooling lasts a share of the time the session was active before its signals vanished.
        session.coolingEndsAt = now + coolingDuration(now - session.activeSince, this.#lifecycle);
        this.#setState(session, 'cooling', now);
        continue;
      }
      if (state === 'active' && now - session.lastContentAt >= this.#lifecycle.idleAfterMs)
        this.#setState(session, 'idle', now);
    }
  }

  list(): SessionSummary[] {
    return [...this.#sessions.values()]
      .map((session) => ({ ...session.summary }))
      .sort((a, b) => (b.lastActivityAt ?? '').localeCompare(a.lastActivityAt ?? ''));
  }

  get(sessionId: string): SessionSummary | undefined {
    const session = this.#sessions.get(sessionId);
    return session ? { ...session.summary } : undefined;
  }

  /** The buffered (most recent) messages of a session, oldest first. */
  messages(sessionId: string): Message[] {
    return [...(this.#sessions.get(sessionId)?.messages ?? [])];
  }

  /** Log files that fed a session. */
  files(sessionId: string): string[] {
    return [...(this.#sessions.get(sessionId)?.files ?? [])];
  }

  snapshot(): SessionSnapshot[] {
    return this.list().map((summary) => this.#snapshotOf(this.#sessions.get(summary.sessionId)!));
  }

  subagents(parentSessionId: string): SessionSummary[] {
    return this.list().filter((summary) => summary.parentSessionId === parentSessionId);
  }

  /** Sessions on the wall that are active or idle, per tool (the header's "running agents"). */
  runningByTool(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { summary } of this.#sessions.values()) {
      if (summary.state === 'active' || summary.state === 'idle')
        counts[summary.tool] = (counts[summary.tool] ?? 0) + 1;
    }
    return counts;
  }

  // --- internals ---

  readonly #pending = new Map<string, MetaEvent[]>();

  #pendingMeta(file: LogFileRef, events: readonly NormalizedEvent[]): void {
    const metas = events.filter((event): event is MetaEvent => event.type === 'meta');
    if (metas.length === 0) return;
    const list = this.#pending.get(file.sessionId) ?? [];
    list.push(...metas);
    // Bounded: a long silent header never grows memory.
    this.#pending.set(file.sessionId, list.slice(-20));
  }

  #takePendingMeta(sessionId: string): MetaEvent[] {
    const list = this.#pending.get(sessionId) ?? [];
    this.#pending.delete(sessionId);
    return list;
  }

  #create(file: LogFileRef, now: number): TrackedSession {
    const agentId = file.sessionId.slice(file.sessionId.indexOf(':') + 1);
    const session: TrackedSession = {
      summary: {
        sessionId: file.sessionId,
        tool: file.tool,
        name: agentId,
        state: 'active',
        messageCount: 0,
        ...(file.parentSessionId ? { parentSessionId: file.parentSessionId } : {}),
      },
      messages: [],
      messageIds: new Set(),
      activeSince: now,
      lastContentAt: now,
      live: true,
      files: new Set([file.path]),
    };
    this.#sessions.set(file.sessionId, session);
    return session;
  }

  #applyMeta(session: TrackedSession, event: MetaEvent): boolean {
    const summary = session.summary;
    const before = JSON.stringify(summary);
    if (event.projectPath) summary.projectPath = event.projectPath;
    if (event.gitBranch) summary.gitBranch = event.gitBranch;
    if (event.model) summary.model = event.model;
    if (event.startedAt && !summary.startedAt) summary.startedAt = event.startedAt;
    if (event.title) session.title = event.title;
    const agentId = summary.sessionId.slice(summary.sessionId.indexOf(':') + 1);
    summary.name = session.title ?? (summary.projectPath ? basename(summary.projectPath) : agentId);
    return JSON.stringify(summary) !== before;
  }

  /**
   * The message without the event's `type` and `sessionId`, field by field: a rest copy
   * (`{ type, sessionId, ...message }`) gave each message a hidden class of its own in V8, thousands a
   * second on a busy wall, all left for the old generation's collector.
   */
  #toMessage(event: MessageEvent): Message {
    const truncated = event.content.length > this.#maxContentChars;
    const message: Message = {
      id: event.id,
      role: event.role,
      kind: event.kind,
      content: truncated ? event.content.slice(0, this.#maxContentChars) : event.content,
    };
    if (event.summary !== undefined) message.summary = event.summary;
    if (event.toolName !== undefined) message.toolName = event.toolName;
    if (event.timestamp !== undefined) message.timestamp = event.timestamp;
    if (event.model !== undefined) message.model = event.model;
    if (truncated) message.truncated = true;
    return message;
  }

  #touch(session: TrackedSession, now: number): void {
    session.lastContentAt = now;
    session.summary.lastActivityAt ??= new Date(now).toISOString();
    if (session.summary.state !== 'active') {
      if (session.summary.state === 'cooling') {
        session.coolingEndsAt = undefined;
        session.live = true;
      }
      this.#setState(session, 'active', now);
    }
    const parent = session.summary.parentSessionId
      ? this.#sessions.get(session.summary.parentSessionId)
      : undefined;
    // A working subagent means its parent is working too.
    if (parent) this.#touch(parent, now);
  }

  #hasLiveChild(session: TrackedSession): boolean {
    for (const other of this.#sessions.values()) {
      if (
        other.summary.parentSessionId === session.summary.sessionId &&
        other.live &&
        other.summary.state !== 'cooling'
      )
        return true;
    }
    return false;
  }

  #setState(session: TrackedSession, state: SessionState, now: number): void {
    const previousState = session.summary.state;
    if (previousState === state) return;
    if (state === 'active' && previousState !== 'idle') session.activeSince = now;
    session.summary.state = state;
    this.#emit({
      type: 'state_change',
      sessionId: session.summary.sessionId,
      state,
      previousState,
      at: new Date(now).toISOString(),
    });
  }

  #remove(session: TrackedSession): void {
    this.#sessions.delete(session.summary.sessionId);
    this.#emit({ type: 'session_remove', sessionId: session.summary.sessionId });
  }

  #snapshotOf(session: TrackedSession): SessionSnapshot {
    return { ...session.summary, messages: [...session.messages] };
  }

  #emit(frame: UnsequencedFrame): void {
    for (const listener of this.#listeners) listener(frame);
  }
}

function latest(a: string | undefined, b: string): string {
  return a === undefined || b > a ? b : a;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

import type {
  LimitsSnapshot,
  Message,
  ServerFrame,
  SessionSummary,
  UsageTotals,
  WatchedRoot,
} from '@nexus/protocol';

/** Messages kept per card in the browser; the session page pages older ones from the API. */
export const MAX_CARD_MESSAGES = 200;

export type LiveSession = SessionSummary & { messages: Message[] };

export interface WallState {
  sessions: Record<string, LiveSession>;
  usage: UsageTotals | undefined;
  watchedRoots: WatchedRoot[];
  /** Plan limits and the active 5-hour block (the `limits` frame). */
  limits: LimitsSnapshot | undefined;
  /** seq of the newest frame applied. */
  lastSeq: number;
  bootId: string | undefined;
  /** An `init` was applied: the wall holds the server's state as of `lastSeq`, a point to resume from. */
  synced: boolean;
}

export function createWallState(): WallState {
  return {
    sessions: {},
    usage: undefined,
    watchedRoots: [],
    limits: undefined,
    lastSeq: 0,
    bootId: undefined,
    synced: false,
  };
}

/**
 * The query string of a reconnect: resume after `lastSeq` when the wall holds a state of this server run,
 * else nothing (the server then sends `init`). A connection cut between `hello` and `init` knows the
 * server's bootId but holds no state: resuming "after seq 0" would replay the frame log, which does not
 * announce sessions that existed before it, and leave the wall without them.
 */
export function resumeQuery(state: WallState): string {
  if (!state.synced || !state.bootId) return '';
  return `?lastSeq=${state.lastSeq}&bootId=${encodeURIComponent(state.bootId)}`;
}

/** What the connection should do after a frame. */
export type FrameOutcome = 'applied' | 'duplicate' | 'gap';

function keepRecent(messages: Message[]): Message[] {
  return messages.length > MAX_CARD_MESSAGES ? messages.slice(-MAX_CARD_MESSAGES) : messages;
}

/**
 * Apply one server frame to the wall. Broadcast frames must come in seq order: an old seq is a
 * duplicate (ignored), a skipped seq is a gap (the caller resyncs).
 */
export function applyFrame(state: WallState, frame: ServerFrame): FrameOutcome {
  if (frame.type === 'hello') {
    state.bootId = frame.bootId;
    return 'applied';
  }
  if (frame.type === 'init') {
    state.sessions = {};
    for (const session of frame.sessions)
      state.sessions[session.sessionId] = { ...session, messages: keepRecent(session.messages) };
    state.usage = frame.usageTotals;
    state.watchedRoots = frame.watchedRoots;
    state.limits = frame.limits;
    state.lastSeq = frame.seq;
    state.synced = true;
    return 'applied';
  }
  if (frame.type === 'error') return 'applied';
  if (frame.seq <= state.lastSeq) return 'duplicate';
  if (frame.seq > state.lastSeq + 1) return 'gap';
  state.lastSeq = frame.seq;

  switch (frame.type) {
    case 'session_init': {
      const { type: _type, seq: _seq, ...session } = frame;
      state.sessions[session.sessionId] = { ...session, messages: keepRecent(session.messages) };
      break;
    }
    case 'session_update': {
      const existing = state.sessions[frame.session.sessionId];
      if (existing) Object.assign(existing, frame.session);
      break;
    }
    case 'message_add': {
      const session = state.sessions[frame.sessionId];
      if (!session) break;
      if (session.messages.some((message) => message.id === frame.message.id)) break;
      session.messages.push(frame.message);
      if (session.messages.length > MAX_CARD_MESSAGES)
        session.messages.splice(0, session.messages.length - MAX_CARD_MESSAGES);
      session.messageCount = Math.max(session.messageCount + 1, session.messages.length);
      if (frame.message.timestamp) session.lastActivityAt = frame.message.timestamp;
      break;
    }
    case 'state_change': {
      const session = state.sessions[frame.sessionId];
      if (session) session.state = frame.state;
      break;
    }
    case 'session_remove':
      delete state.sessions[frame.sessionId];
      break;
    case 'limits': {
      const { type: _type, seq: _seq, ...limits } = frame;
      state.limits = limits;
      break;
    }
    case 'usage_totals': {
      const { type: _type, seq: _seq, ...usage } = frame;
      state.usage = usage;
      break;
    }
  }
  return 'applied';
}

/** Cards in wall order: most recent activity first. */
export function sortedSessions(state: WallState): LiveSession[] {
  return Object.values(state.sessions).sort((a, b) =>
    (b.lastActivityAt ?? '').localeCompare(a.lastActivityAt ?? ''),
  );
}

/** Reconnect delay: 1 s doubling to 30 s, with ±20% jitter so many tabs do not retry in step. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + 0.4 * random()));
}

import { type Static, type TObject, type TProperties, Type } from '@sinclair/typebox';
import {
  IsoTimestamp,
  Message,
  SessionSnapshot,
  SessionState,
  SessionSummary,
  UsageTotals,
  WatchedRoot,
} from './common.js';
import { LimitsSnapshot } from './limits.js';

/**
 * Server-wide sequence number. Each broadcast frame takes the next one; `hello`, `init` and `error`
 * carry the seq of the state they describe, so the seqs one client sees never go back.
 */
const Seq = Type.Integer({ minimum: 0, description: 'Server-wide sequence number' });

function serverFrame<T extends string, P extends TProperties>(type: T, properties: P, description: string) {
  return Type.Object(
    { type: Type.Literal(type), seq: Seq, ...properties },
    { additionalProperties: false, description, $id: `nexus.${type}` },
  );
}

/** First frame on every connection. */
export const HelloFrame = serverFrame(
  'hello',
  {
    protocolVersion: Type.Integer({ minimum: 1 }),
    serverVersion: Type.String(),
    serverTime: IsoTimestamp,
    bootId: Type.String({
      description: 'Identifies this server run; seqs from another run cannot be resumed',
    }),
  },
  'Versions of the protocol and the server; always the first frame',
);

/** Second frame: the whole current state. */
export const InitFrame = serverFrame(
  'init',
  {
    sessions: Type.Array(SessionSnapshot),
    usageTotals: UsageTotals,
    watchedRoots: Type.Array(WatchedRoot),
    limits: Type.Optional(LimitsSnapshot),
  },
  'Full state: live sessions with their recent messages, usage totals and watched folders',
);

export const SessionInitFrame = serverFrame(
  'session_init',
  { ...SessionSnapshot.properties },
  'A session appeared (or was re-announced after a restart)',
);

export const MessageAddFrame = serverFrame(
  'message_add',
  { sessionId: Type.String(), message: Message },
  'One new message of a session, in file order',
);

export const StateChangeFrame = serverFrame(
  'state_change',
  {
    sessionId: Type.String(),
    state: SessionState,
    previousState: Type.Optional(SessionState),
    at: Type.Optional(IsoTimestamp),
  },
  'A session moved between active, idle and cooling',
);

export const SessionRemoveFrame = serverFrame(
  'session_remove',
  { sessionId: Type.String() },
  'A session ended its cooling period and left the wall',
);

export const SessionUpdateFrame = serverFrame(
  'session_update',
  { session: SessionSummary },
  'Metadata of a session changed (name, model, branch, last activity)',
);

export const UsageTotalsFrame = serverFrame(
  'usage_totals',
  { ...UsageTotals.properties },
  'All-history usage totals; coalesced to at most one frame per 250 ms',
);

export const LimitsFrame = serverFrame(
  'limits',
  { ...LimitsSnapshot.properties },
  'Plan-limit windows, the active 5-hour block with burn rate and projection; sent when they change',
);

export const ErrorFrame = serverFrame(
  'error',
  {
    code: Type.String({ pattern: '^NEXUS_[A-Z0-9_]+$' }),
    message: Type.String(),
  },
  'A problem the client should know about (e.g. a rejected resync)',
);

export const ServerFrameSchemas = {
  hello: HelloFrame,
  init: InitFrame,
  session_init: SessionInitFrame,
  session_update: SessionUpdateFrame,
  message_add: MessageAddFrame,
  state_change: StateChangeFrame,
  session_remove: SessionRemoveFrame,
  usage_totals: UsageTotalsFrame,
  limits: LimitsFrame,
  error: ErrorFrame,
} as const satisfies Record<string, TObject>;

export const ServerFrame = Type.Union(Object.values(ServerFrameSchemas));
export type ServerFrameType = keyof typeof ServerFrameSchemas;

export type HelloFrame = Static<typeof HelloFrame>;
export type InitFrame = Static<typeof InitFrame>;
export type SessionInitFrame = Static<typeof SessionInitFrame>;
export type SessionUpdateFrame = Static<typeof SessionUpdateFrame>;
export type MessageAddFrame = Static<typeof MessageAddFrame>;
export type StateChangeFrame = Static<typeof StateChangeFrame>;
export type SessionRemoveFrame = Static<typeof SessionRemoveFrame>;
export type UsageTotalsFrame = Static<typeof UsageTotalsFrame>;
export type LimitsFrame = Static<typeof LimitsFrame>;
export type ErrorFrame = Static<typeof ErrorFrame>;
export type ServerFrame =
  | HelloFrame
  | InitFrame
  | SessionInitFrame
  | SessionUpdateFrame
  | MessageAddFrame
  | StateChangeFrame
  | SessionRemoveFrame
  | UsageTotalsFrame
  | LimitsFrame
  | ErrorFrame;

/** A server frame before the server stamps its sequence number. */
export type UnsequencedFrame = ServerFrame extends infer F
  ? F extends ServerFrame
    ? Omit<F, 'seq'>
    : never
  : never;

/** Client → server: "the last frame I saw had this seq; send me what I missed". */
export const ResyncFrame = Type.Object(
  {
    type: Type.Literal('resync'),
    lastSeq: Type.Integer({ minimum: 0 }),
    bootId: Type.Optional(Type.String()),
  },
  { additionalProperties: false, $id: 'nexus.resync', description: 'Ask for frames after lastSeq' },
);
export type ResyncFrame = Static<typeof ResyncFrame>;

export const ClientFrameSchemas = { resync: ResyncFrame } as const satisfies Record<string, TObject>;
export const ClientFrame = Type.Union(Object.values(ClientFrameSchemas));
export type ClientFrame = ResyncFrame;
export type ClientFrameType = keyof typeof ClientFrameSchemas;

import type { MessageEvent } from './contract.js';

type MessageFields = Omit<MessageEvent, 'type'>;

/**
 * A message event with its fields always in the same order and the optional ones only when set. The
 * adapters build one per transcript line, live at thousands a second: a literal that spreads a shared part
 * and then adds fields (`{ ...common, kind, content }`) made V8 build a new hidden class for every event,
 * and those filled the old generation. Pass a plain literal, not a spread.
 */
export function messageEvent(fields: MessageFields): MessageEvent {
  const event: { -readonly [K in keyof MessageEvent]: MessageEvent[K] } = {
    type: 'message',
    sessionId: fields.sessionId,
    id: fields.id,
    role: fields.role,
    kind: fields.kind,
    content: fields.content,
  };
  if (fields.summary !== undefined) event.summary = fields.summary;
  if (fields.toolName !== undefined) event.toolName = fields.toolName;
  if (fields.timestamp !== undefined) event.timestamp = fields.timestamp;
  if (fields.model !== undefined) event.model = fields.model;
  return event;
}

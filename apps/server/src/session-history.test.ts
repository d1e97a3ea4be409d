import type { Message } from '@nexus/protocol';
import { describe, expect, it } from 'vitest';
import { pageMessages } from './session-history.js';

const messages: Message[] = Array.from({ length: 7 }, (_, index) => ({
  id: String(index),
  role: 'user',
  kind: 'text',
  content: `m${index}`,
}));

describe('pageMessages', () => {
  it('returns the newest page first, oldest-first inside, with a cursor to the previous page', () => {
    const first = pageMessages('s', messages, undefined, 3);
    expect(first.messages.map((m) => m.id)).toEqual(['4', '5', '6']);
    expect(first.nextBefore).toBe('4');
    const second = pageMessages('s', messages, first.nextBefore!, 3);
    expect(second.messages.map((m) => m.id)).toEqual(['1', '2', '3']);
    const last = pageMessages('s', messages, second.nextBefore!, 3);
    expect(last.messages.map((m) => m.id)).toEqual(['0']);
    expect(last.nextBefore).toBeNull();
  });

  it('treats an unreadable cursor as "from the end"', () => {
    expect(pageMessages('s', messages, 'garbage', 2).messages.map((m) => m.id)).toEqual(['5', '6']);
  });
});

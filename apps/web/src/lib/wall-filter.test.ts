import type { Message } from '@nexus/protocol';
import { describe, expect, it } from 'vitest';
import { filterSessions, projectsOf, readWallFilter, wallOrder } from './wall-filter';
import type { LiveSession } from './wall-state';

const message = (id: string, content: string, kind: Message['kind'] = 'text'): Message => ({
  id,
  role: kind === 'tool_result' ? 'tool' : 'assistant',
  kind,
  content,
});
const session = (id: string, tool: string, projectPath: string, messages: Message[]): LiveSession => ({
  sessionId: id,
  tool,
  name: id,
  projectPath,
  state: id === 'c' ? 'idle' : 'active',
  messageCount: messages.length,
  messages,
});
const sessions = [
  session('a', 'claude-code', '/w/shop', [message('1', 'Fixing the LOGIN flake')]),
  session('b', 'codex', '/w/shop', [message('2', 'npm test: login ok', 'tool_result')]),
  session('c', 'codex', '/w/api', [message('3', 'Adding pagination')]),
];
const ids = (list: LiveSession[]) => list.map((s) => s.sessionId);

describe('wall filters', () => {
  it('reads the filters from the URL', () => {
    expect(readWallFilter(new URLSearchParams('tool=codex&project=%2Fw%2Fapi&q=+login+'))).toEqual({
      tool: 'codex',
      state: '',
      project: '/w/api',
      query: 'login',
    });
  });

  it('filters by tool, project and state', () => {
    const none = { tool: '', state: '', project: '', query: '' };
    expect(ids(filterSessions(sessions, { ...none, tool: 'codex' }, true))).toEqual(['b', 'c']);
    expect(ids(filterSessions(sessions, { ...none, project: '/w/shop' }, true))).toEqual(['a', 'b']);
    expect(ids(filterSessions(sessions, { ...none, tool: 'codex', state: 'idle' }, true))).toEqual(['c']);
  });

  it('searches the messages a card shows, so hidden tool events do not match', () => {
    const none = { tool: '', state: '', project: '', query: 'login' };
    expect(ids(filterSessions(sessions, none, true))).toEqual(['a', 'b']);
    expect(ids(filterSessions(sessions, none, false))).toEqual(['a']);
    expect(ids(filterSessions(sessions, { ...none, query: 'api' }, true))).toEqual(['c']);
  });

  it('lists the projects once, sorted', () => {
    expect(projectsOf(sessions)).toEqual(['/w/api', '/w/shop']);
  });
});

describe('wallOrder', () => {
  const at = (id: string, lastActivityAt: string) => ({ ...session(id, 'codex', '/w', []), lastActivityAt });
  const sessionsOf = (...list: LiveSession[]) => Object.fromEntries(list.map((s) => [s.sessionId, s]));

  it('sorts by last activity when asked, and otherwise keeps the order it had', () => {
    const first = wallOrder(
      [],
      sessionsOf(at('a', '2026-01-01T10:00:00Z'), at('b', '2026-01-01T11:00:00Z')),
      true,
    );
    expect(first).toEqual(['b', 'a']);
    const busier = sessionsOf(at('a', '2026-01-01T12:00:00Z'), at('b', '2026-01-01T11:00:00Z'));
    expect(wallOrder(first, busier, false)).toEqual(['b', 'a']);
    expect(wallOrder(first, busier, true)).toEqual(['a', 'b']);
  });

  it('puts new sessions first at once and drops removed ones at once', () => {
    const sessions = sessionsOf(at('b', '2026-01-01T11:00:00Z'), at('c', '2026-01-01T09:00:00Z'));
    expect(wallOrder(['a', 'b'], sessions, false)).toEqual(['c', 'b']);
  });
});

import type { Message } from '@nexus/protocol';
import { messageMatches } from './transcript';
import type { LiveSession } from './wall-state';

/** The wall's filters, as kept in the URL (`?tool=codex&project=/w/shop&state=active&q=login`). */
export interface WallFilter {
  tool: string;
  state: string;
  project: string;
  query: string;
}

export const FILTER_PARAMS = { tool: 'tool', state: 'state', project: 'project', query: 'q' } as const;

export function readWallFilter(params: URLSearchParams): WallFilter {
  return {
    tool: params.get(FILTER_PARAMS.tool) ?? '',
    state: params.get(FILTER_PARAMS.state) ?? '',
    project: params.get(FILTER_PARAMS.project) ?? '',
    query: (params.get(FILTER_PARAMS.query) ?? '').trim(),
  };
}

export function isPlumbing(message: Message): boolean {
  return message.kind === 'tool_call' || message.kind === 'tool_result';
}

/** The messages a card shows: tool plumbing only when tool events are on. */
export function shownMessages(session: LiveSession, showTools: boolean): Message[] {
  return showTools ? session.messages : session.messages.filter((message) => !isPlumbing(message));
}

/** A card matches a search when its title, project or one of the messages it shows contains the text. */
export function sessionMatches(session: LiveSession, query: string, showTools: boolean): boolean {
  if (!query) return true;
  const needle = query.toLowerCase();
  if (session.name.toLowerCase().includes(needle)) return true;
  if (session.projectPath?.toLowerCase().includes(needle)) return true;
  return shownMessages(session, showTools).some((message) => messageMatches(message, query));
}

export function filterSessions(
  sessions: readonly LiveSession[],
  filter: WallFilter,
  showTools: boolean,
): LiveSession[] {
  return sessions.filter(
    (session) =>
      (!filter.tool || session.tool === filter.tool) &&
      (!filter.state || session.state === filter.state) &&
      (!filter.project || session.projectPath === filter.project) &&
      sessionMatches(session, filter.query, showTools),
  );
}

/** Distinct project folders of the live sessions, sorted. */
export function projectsOf(sessions: readonly LiveSession[]): string[] {
  return [
    ...new Set(sessions.flatMap((session) => (session.projectPath ? [session.projectPath] : []))),
  ].sort();
}

/**
 * The wall's card order: most recent activity first, but re-sorted only when `resort` is set (the page
 * does it every few seconds), so cards do not jump at every message. A new session goes first at
 * once; a removed one leaves at once.
 */
export function wallOrder(
  previous: readonly string[],
  sessions: Readonly<Record<string, LiveSession>>,
  resort: boolean,
): string[] {
  const byActivity = (list: LiveSession[]) =>
    list
      .sort((a, b) => (b.lastActivityAt ?? '').localeCompare(a.lastActivityAt ?? ''))
      .map((session) => session.sessionId);
  if (resort) return byActivity(Object.values(sessions));
  const kept = previous.filter((id) => id in sessions);
  const known = new Set(kept);
  return [...byActivity(Object.values(sessions).filter((session) => !known.has(session.sessionId))), ...kept];
}

/**
 * nexus-adapter-openclaw-sqlite — OpenClaw for Nexus, both storage eras.
 *
 * Until 2026.7 OpenClaw wrote one JSONL transcript per session (`<state>/agents/<agent>/sessions/*.jsonl`);
 * from 2026.7.2-beta.1 (stable 2026.8.1) transcripts live in a per-agent SQLite database,
 * `<state>/agents/<agent>/agent/openclaw-agent.sqlite`. This adapter is the built-in `openclaw` adapter of
 * `@nexus/parsers` (the JSONL era, unchanged) plus a `store` that reads the databases. It lives outside
 * `@nexus/parsers` so that package stays free of native modules. See FORMAT.md for the schema evidence.
 */
import { type NexusAdapter, type OpenClawOptions, openclaw, type SessionStore } from '@nexus/parsers';
import { OpenClawSqliteStore, type SqliteStoreOptions } from './store.js';

export { AGENT_SCHEMA } from './schema.js';
export { OpenClawSqliteStore, type SqliteStoreOptions, type StoreCursor } from './store.js';

/** File name of OpenClaw's per-agent database. */
export const AGENT_DATABASE = 'openclaw-agent.sqlite';

export interface OpenClawSqliteOptions extends OpenClawOptions, SqliteStoreOptions {}

/** `<agent>/agent/openclaw-agent.sqlite` under the `agents` root is an agent's store. */
export function classifyOpenClawStore(relativePath: string): { group: string } | null {
  const parts = relativePath.split('/');
  return parts.length === 3 && parts[1] === 'agent' && parts[2] === AGENT_DATABASE
    ? { group: parts[0]! }
    : null;
}

/** OpenClaw, JSONL and SQLite: the same id, roots, session ids and usage keys in both eras. */
export default function openclawSqlite(options: OpenClawSqliteOptions = {}): NexusAdapter {
  const lines = openclaw(options);
  const store: SessionStore = {
    classifyStore: (relativePath) => classifyOpenClawStore(relativePath),
    open: (path, context) => new OpenClawSqliteStore(path, lines as NexusAdapter, context, options),
  };
  return {
    apiVersion: lines.apiVersion,
    id: lines.id,
    displayName: lines.displayName,
    ...(lines.color ? { color: lines.color } : {}),
    rootEnvVars: lines.rootEnvVars,
    resolveRoots: (environment) => lines.resolveRoots(environment),
    // `*.jsonl.deleted.<ts>.zst` is a compressed copy of an archive the store reads from the database;
    // read as lines it would only be noise.
    classifyFile: (relativePath, root) =>
      relativePath.endsWith('.zst') ? null : lines.classifyFile(relativePath, root),
    ...(lines.usageLineFilter ? { usageLineFilter: lines.usageLineFilter } : {}),
    createParser: (file, context) => lines.createParser(file, context),
    liveness: lines.liveness,
    store,
  } as NexusAdapter;
}

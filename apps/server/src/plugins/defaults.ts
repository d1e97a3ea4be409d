import { claudeCode, codex, type NexusAdapter } from '@nexus/parsers';
import openclawSqlite from 'nexus-adapter-openclaw-sqlite';

/**
 * Plugin packages Nexus ships with (never loaded a second time by discovery). OpenClaw's adapter is one:
 * it reads OpenClaw's SQLite store as well as its JSONL, and lives outside `@nexus/parsers` so that package
 * stays free of native modules.
 */
export const BUNDLED_PLUGINS: readonly string[] = ['nexus-adapter-openclaw-sqlite'];

/** The adapters Nexus runs before any plugin: Claude Code, Codex, OpenClaw (JSONL and SQLite). */
export function defaultAdapters(): NexusAdapter[] {
  return [claudeCode(), codex(), openclawSqlite()] as NexusAdapter[];
}

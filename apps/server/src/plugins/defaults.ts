import { builtinAdapters, type NexusAdapter } from '@nexus/parsers';

/** Plugin packages Nexus ships with (never loaded a second time by discovery). */
export const BUNDLED_PLUGINS: readonly string[] = [];

/** The adapters Nexus runs before any plugin. */
export function defaultAdapters(): NexusAdapter[] {
  return builtinAdapters();
}

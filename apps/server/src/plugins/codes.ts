/**
 * Stable codes of plugin problems, in log lines and in `nexus adapters`. A plugin problem never stops
 * Nexus: the plugin is left out (or switched off) and the others keep running.
 */
export const PLUGIN_ERRORS = {
  NEXUS_PLUGIN_CONFIG_INVALID: 'The config file could not be read or does not have the expected shape',
  NEXUS_PLUGIN_NOT_FOUND: 'The plugin named in the config could not be found',
  NEXUS_PLUGIN_LOAD_FAILED: 'Importing the plugin or calling its factory threw',
  NEXUS_PLUGIN_TIMEOUT: 'The plugin took too long to load',
  NEXUS_PLUGIN_INCOMPATIBLE: 'The plugin targets another adapter API version, or is not an adapter',
  NEXUS_PLUGIN_DUPLICATE_ID: 'Another adapter already uses this id',
  NEXUS_PLUGIN_FAULT: 'The adapter threw, returned garbage or blocked while Nexus was using it',
  NEXUS_PLUGIN_DISABLED: 'The adapter misbehaved too often (or too slowly) and was switched off',
  NEXUS_STORE_OPEN_FAILED: 'A session database could not be opened (retried on the next pass)',
  NEXUS_STORE_READ_FAILED: 'Reading a session database failed (reopened and retried on the next pass)',
} as const;

export type PluginErrorCode = keyof typeof PLUGIN_ERRORS;

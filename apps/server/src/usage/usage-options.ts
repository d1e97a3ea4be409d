/** The options of `nexus usage daily|monthly|session`, shared by the local command and the server path. */
export const USAGE_OPTIONS = {
  json: { type: 'boolean' },
  since: { type: 'string' },
  until: { type: 'string' },
  timezone: { type: 'string' },
  tool: { type: 'string' },
  mode: { type: 'string' },
  offline: { type: 'boolean' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

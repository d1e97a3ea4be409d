/**
 * Adapter plugins: loading (config file, installed packages), isolation, and the stores some adapters
 * read besides line files.
 */
export { ADAPTERS_HELP, listAdapters, runAdaptersCommand } from './adapters-command.js';
export { PLUGIN_ERRORS, type PluginErrorCode } from './codes.js';
export { BUNDLED_PLUGINS, defaultAdapters } from './defaults.js';
export { guardAdapter, type PluginFault } from './guard.js';
export { type HostAdapterOptions, loadHostAdapters, type PluginLogger } from './host.js';
export {
  CONFIG_FILES,
  defaultDiscoveryDirs,
  discoverPlugins,
  type LoadAdaptersOptions,
  type LoadedAdapters,
  loadAdapters,
  type NexusConfig,
  type PluginReport,
  readConfig,
} from './load.js';

import type { NexusAdapter } from '@nexus/parsers';
import { BUNDLED_PLUGINS, defaultAdapters } from './defaults.js';
import type { PluginFault } from './guard.js';
import { type LoadAdaptersOptions, loadAdapters, type PluginReport } from './load.js';

/** Where a host sends what plugin loading has to say. */
export interface PluginLogger {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

export interface HostAdapterOptions extends Partial<Omit<LoadAdaptersOptions, 'stateDir' | 'onFault'>> {
  readonly stateDir: string;
  readonly logger: PluginLogger;
}

/**
 * The adapters a Nexus process runs (built-ins, bundled plugins, configured and installed plugins), with
 * one log line per plugin problem and per run-time fault, each naming the plugin and a stable code.
 */
export async function loadHostAdapters(
  options: HostAdapterOptions,
): Promise<{ adapters: NexusAdapter[]; reports: PluginReport[] }> {
  const { logger, ...rest } = options;
  const onFault = (fault: PluginFault) =>
    logger.warn({ code: fault.code, plugin: fault.plugin, adapter: fault.adapterId }, fault.message);
  const loaded = await loadAdapters({
    bundled: BUNDLED_PLUGINS,
    ...rest,
    builtins: rest.builtins ?? defaultAdapters(),
    onFault,
  });
  for (const report of loaded.reports) {
    if (report.source === 'built-in') continue;
    if (report.status === 'loaded')
      logger.info(
        { plugin: report.name, adapter: report.adapterId, version: report.version },
        `[nexus] [plugins] loaded ${report.name} (adapter ${report.adapterId})`,
      );
    // The code travels as a field; loggers that print it (nexus usage) should not print it twice.
    else
      logger.warn(
        { code: report.code, plugin: report.name },
        (report.error ?? report.status).replace(/ \(NEXUS_[A-Z_]+\)$/, ''),
      );
  }
  return { adapters: loaded.adapters, reports: loaded.reports };
}
